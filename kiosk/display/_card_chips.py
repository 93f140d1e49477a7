"""The product's chips, shared by the shopper's and the staff card: hechsher badges,
flags (Passover, gluten-free, vegan, organic), allergens and the bracha."""

from __future__ import annotations

from kiosk.display.blocks import ChipSpec
from kiosk.display.text import Measure, visual
from kiosk.display.theme import KOSHER_COLORS, PALETTE
from kiosk.product import Product

__all__ = ["allergen_chips", "badges", "bracha_chip", "flags"]

P = PALETTE


def badges(p: Product, size: int, staff: bool) -> list[ChipSpec]:
    """Hechsher badges, coloured by dairy / meat / pareve (grey when unspecified)."""
    chips: list[ChipSpec] = []
    for h in p.hechshers:
        kind = h.dairy_meat_pareve
        label = f"{h.symbol} · {kind.capitalize()}" if kind else h.symbol
        chips.append(ChipSpec(label, size, KOSHER_COLORS[kind], P.on_dark, True,
                              f"hechsher:{kind or 'unknown'}"))
    return chips


def flags(p: Product, size: int) -> list[ChipSpec]:
    chips: list[ChipSpec] = []
    if p.kosher_for_passover:
        chips.append(ChipSpec("Kosher for Passover", size, P.passover_bg, P.passover_ink, True,
                              "flag:passover"))
    for on, label, role in ((p.gluten_free, "Gluten-free", "flag:gluten_free"),
                            (p.vegan, "Vegan", "flag:vegan"),
                            (p.organic, "Organic", "flag:organic")):
        if on:
            chips.append(ChipSpec(label, size, P.flag_bg, P.flag_ink, True, role))
    return chips


def allergen_chips(p: Product, size: int) -> list[ChipSpec]:
    if not p.allergens:
        return []
    chips = [ChipSpec("⚠ Contains", size, P.allergen_ink, P.on_dark, True, "allergen:label")]
    chips += [ChipSpec(a.capitalize(), size, P.allergen_bg, P.allergen_ink, True, "allergen")
              for a in p.allergens]
    return chips


def bracha_chip(p: Product, size: int, w: int, m: Measure) -> ChipSpec | None:
    """The bracha in transliteration and Hebrew, shortened rather than cut when narrow."""
    if not p.bracha:
        return None
    he = p.bracha_hebrew
    name = p.bracha.capitalize()
    labels = ([f"Bracha: {name} · {he}", f"{name} · {he}", he] if he
              else [f"Bracha: {name}", name])
    pad = max(6, round(size * 0.6))
    for label in labels:
        if m.width(visual(label), size, True) + 2 * pad <= w:
            return ChipSpec(label, size, P.bracha_bg, P.bracha_ink, True, "bracha")
    return None
