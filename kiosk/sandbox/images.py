"""Packshot images for the signed URLs: real JPEG/PNG bytes drawn with pygame, cached.

Each product is drawn as its package (box, bottle, bag, can, jar or carton) in its own
colours with brand and name on it: on white for `front`/`back` (JPEG), on a transparent
background for the `*_clean` variants (PNG with alpha), at the resolution its image_meta
states. The back carries a nutrition-panel-like block and barcode bars. Images are drawn on
first request and kept in a bounded LRU: drawing takes tens of milliseconds, and a kiosk
test run asks for the same few images repeatedly.

pygame is imported lazily and only `pygame.font` is initialised: no display, no audio.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from kiosk.sandbox.catalog import Product

if TYPE_CHECKING:
    import pygame

__all__ = ["ImageStore", "content_type", "render"]

logger = logging.getLogger(__name__)

_FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
_render_lock = threading.Lock()


def content_type(variant: str) -> str:
    return "image/png" if variant.endswith("_clean") else "image/jpeg"


def _size(product: Product, variant: str) -> tuple[int, int]:
    meta = product["image_meta"].get(variant) or {}
    w, _, hgt = str(meta.get("resolution", "1000x1000")).partition("x")
    try:
        return max(64, int(w)), max(64, int(hgt))
    except ValueError:
        return 1000, 1000


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _shade(rgb: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return (min(255, int(rgb[0] * f)), min(255, int(rgb[1] * f)), min(255, int(rgb[2] * f)))


def _ink(bg: tuple[int, int, int], accent: tuple[int, int, int]) -> tuple[int, int, int]:
    """The accent if it reads on `bg`, else black or white."""
    def lum(c: tuple[int, int, int]) -> float:
        return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]

    if abs(lum(bg) - lum(accent)) > 90:
        return accent
    return (20, 20, 20) if lum(bg) > 128 else (250, 250, 250)


def _font(size: int, bold: bool = False) -> pygame.font.Font:
    import pygame

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return pygame.font.Font(_FONT_DIR + name, size)
    except (FileNotFoundError, OSError):
        return pygame.font.Font(None, size)


def _wrap(text: str, font: pygame.font.Font, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if font.size(trial)[0] <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
            if len(lines) == max_lines:
                break
    if line and len(lines) < max_lines:
        lines.append(line)
    if len(lines) == max_lines and " ".join(lines) != " ".join(text.split()):
        lines[-1] = lines[-1].rstrip(".,") + "…"
    return lines


def _body_rect(surface: pygame.Surface, shape: str, main: Any, accent: Any) -> Any:
    """Draw the package silhouette; return the rect where the label goes."""
    import pygame

    w, hgt = surface.get_size()
    cx = w // 2
    dark = _shade(main, 0.7)
    if shape == "bottle":
        body = pygame.Rect(cx - w * 0.17, hgt * 0.30, w * 0.34, hgt * 0.62)
        pygame.draw.rect(surface, main, (cx - w * 0.05, hgt * 0.08, w * 0.1, hgt * 0.26))
        pygame.draw.rect(surface, accent, (cx - w * 0.055, hgt * 0.05, w * 0.11, hgt * 0.06))
        pygame.draw.rect(surface, main, body, border_radius=int(w * 0.06))
        return body.inflate(-w * 0.02, -hgt * 0.25)
    if shape in ("can", "jar"):
        wide = 0.25 if shape == "can" else 0.3
        body = pygame.Rect(cx - w * wide, hgt * 0.2, w * wide * 2, hgt * 0.68)
        pygame.draw.rect(surface, main, body)
        ell = pygame.Rect(body.left, body.bottom - hgt * 0.05, body.width, hgt * 0.1)
        pygame.draw.ellipse(surface, main, ell)
        lid = pygame.Rect(body.left, body.top - hgt * 0.05, body.width, hgt * 0.1)
        pygame.draw.ellipse(surface, accent if shape == "jar" else _shade(main, 1.3), lid)
        pygame.draw.ellipse(surface, dark, lid, max(2, w // 200))
        return body.inflate(0, -hgt * 0.1)
    if shape == "bag":
        top, bottom = hgt * 0.1, hgt * 0.92
        left, right = cx - w * 0.3, cx + w * 0.3
        teeth = [(left + i * (right - left) / 16, top + (hgt * 0.02 if i % 2 else 0))
                 for i in range(17)]
        pygame.draw.polygon(surface, main,
                            [*teeth, (right + w * 0.02, hgt * 0.5), (right, bottom),
                             (left, bottom), (left - w * 0.02, hgt * 0.5)])
        pygame.draw.rect(surface, dark, (left, top + hgt * 0.03, right - left, hgt * 0.02))
        return pygame.Rect(left + w * 0.03, hgt * 0.2, right - left - w * 0.06, hgt * 0.62)
    # box and carton
    body = pygame.Rect(cx - w * 0.3, hgt * 0.14, w * 0.52, hgt * 0.78)
    side = [(body.right, body.top), (body.right + w * 0.1, body.top - hgt * 0.05),
            (body.right + w * 0.1, body.bottom - hgt * 0.05), (body.right, body.bottom)]
    pygame.draw.polygon(surface, dark, side)
    if shape == "carton":
        pygame.draw.polygon(surface, accent, [(body.left, body.top), (body.centerx,
                            body.top - hgt * 0.1), (body.right, body.top)])
    else:
        pygame.draw.polygon(surface, _shade(main, 1.2),
                            [(body.left, body.top), (body.left + w * 0.1, body.top - hgt * 0.05),
                             (body.right + w * 0.1, body.top - hgt * 0.05),
                             (body.right, body.top)])
    pygame.draw.rect(surface, main, body)
    return body.inflate(-w * 0.05, -hgt * 0.06)


def _text(surface: Any, text: str, font: Any, colour: Any, x: float, y: float) -> int:
    img = font.render(text, True, colour)
    surface.blit(img, (int(x), int(y)))
    return int(img.get_height())


def _bars(surface: Any, code: str, rect: Any) -> None:
    import pygame

    pygame.draw.rect(surface, (255, 255, 255), rect)
    pattern = "101" + "".join(format(int(d) * 7 + 3, "07b") for d in code) + "101"
    bar = max(1, (rect.width - 8) // len(pattern))
    for i, bit in enumerate(pattern):
        if bit == "1":
            pygame.draw.rect(surface, (0, 0, 0), (rect.left + 4 + i * bar, rect.top + 4, bar,
                                                  rect.height * 0.7))
    small = _font(max(8, min(rect.height // 5, rect.width // 10)))
    _text(surface, code, small, (0, 0, 0), rect.left + 6, rect.bottom - rect.height * 0.27)


def _front(surface: Any, label: Any, meta: dict[str, Any], ink: Any, barcode: str) -> None:
    w = surface.get_width()
    brand, name = meta.get("brand") or "", meta.get("product_name") or barcode
    y = label.top + label.height * 0.06
    brand_font = _font(max(10, w // 22), True)
    for line in _wrap(brand.upper(), brand_font, label.width - w * 0.02, 2):
        y += _text(surface, line, brand_font, ink, label.left + w * 0.01, y)
    y += w * 0.02
    name_font = _font(max(10, w // 28), True)
    for line in _wrap(name, name_font, label.width - w * 0.02, 5):
        y += _text(surface, line, name_font, ink, label.left + w * 0.01, y)
    weight = meta.get("net_weight")
    if weight:
        _text(surface, str(weight)[:40], _font(max(8, w // 45)), ink, label.left + w * 0.01,
              label.bottom - w * 0.06)


def _back(surface: Any, label: Any, meta: dict[str, Any], ink: Any, barcode: str) -> None:
    import pygame

    w = surface.get_width()
    panel = pygame.Rect(label.left, label.top, label.width * 0.62, label.height * 0.7)
    pygame.draw.rect(surface, (255, 255, 255), panel)
    pygame.draw.rect(surface, (0, 0, 0), panel, max(1, w // 300))
    big, small = _font(max(10, w // 30), True), _font(max(8, w // 55))
    y = panel.top + w * 0.01
    y += _text(surface, "Nutrition Facts", big, (0, 0, 0), panel.left + w * 0.01, y)
    nutrition = meta.get("nutrition")
    rows: list[str] = []
    if isinstance(nutrition, dict):
        for key, value in nutrition.items():
            amount = value.get("amount") if isinstance(value, dict) else value
            rows.append(f"{key.replace('_', ' ').capitalize()}  {amount}")
    else:
        rows.append("No nutrition facts (non-food)")
    for row in rows:
        if y > panel.bottom - w * 0.03:
            break
        pygame.draw.line(surface, (0, 0, 0), (panel.left + 4, y), (panel.right - 4, y))
        y += _text(surface, row[:34], small, (0, 0, 0), panel.left + w * 0.01, y + 1)
    ingredients = meta.get("ingredients")
    text = ingredients.get("ingredients_text") if isinstance(ingredients, dict) else None
    text = text or meta.get("ingredients_text") or ""
    y = panel.bottom + w * 0.01
    for line in _wrap(f"INGREDIENTS: {text}" if text else "", small, label.width, 3):
        y += _text(surface, line, small, ink, label.left, y)
    bars = pygame.Rect(panel.right + w * 0.02, panel.top, label.width * 0.34, label.height * 0.2)
    _bars(surface, barcode, bars)


def render(product: Product, variant: str) -> bytes:
    """Draw one variant of `product` and encode it (JPEG, or PNG with alpha for *_clean)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    size = _size(product, variant)
    clean = variant.endswith("_clean")
    pack = product["_packshot"]
    main, accent = _rgb(pack["primary"]), _rgb(pack["accent"])
    meta = product["product_meta"]
    with _render_lock:
        if not pygame.font.get_init():
            pygame.font.init()
        surface = pygame.Surface(size, pygame.SRCALPHA if clean else 0)
        surface.fill((0, 0, 0, 0) if clean else (255, 255, 255))
        label = _body_rect(surface, pack["shape"], main, accent)
        ink = _ink(main, accent)
        if variant.startswith("front"):
            _front(surface, label, meta, ink, product["barcode"])
        else:
            _back(surface, label, meta, ink, product["barcode"])
        mark = _font(max(8, size[0] // 60))
        _text(surface, "RD SANDBOX", mark, (150, 150, 150), size[0] * 0.02, size[1] * 0.96)
        out = io.BytesIO()
        pygame.image.save(surface, out, "x.png" if clean else "x.jpg")
    return out.getvalue()


class ImageStore:
    """Rendered images by (barcode, variant), LRU-bounded; safe to share between threads."""

    def __init__(self, catalog: dict[str, Product], max_items: int = 48) -> None:
        self._catalog = catalog
        self._max = max_items
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def get(self, barcode: str, variant: str) -> bytes:
        key = (barcode, variant)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        data = render(self._catalog[barcode], variant)
        logger.debug("rendered %s/%s: %d bytes", barcode, variant, len(data))
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return data
