"""The sandbox catalog: products in the API's full-response shape, built deterministically.

`build_catalog()` is cheap (no images are drawn here) and always returns the same products
for the same seed, so tests, the screenshot gallery and the demo can all rely on it. The
seed barcodes are reproduced exactly as the published pages show them — including
017000161563, whose getting-started example uses a flatter shape (top-level
`ingredients_text` and `allergens`, flat nutrition strings, an integer `calories`) than
the reference: the real API was observed answering both shapes, so clients must cope.

Each product is a dict with the three public keys (`barcode`, `image_meta`,
`product_meta`) plus `_packshot`, internal drawing hints that never reach the JSON
(`public_record()` strips every key starting with "_").
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, TypedDict, cast

from kiosk.sandbox.catalog_data import SPECS, Nut, Spec
from kiosk.sandbox.catalog_seeds import seed_products

__all__ = [
    "DEFAULT_SEED",
    "VARIANTS",
    "Packshot",
    "Product",
    "build_catalog",
    "gs1_check_digit",
    "is_valid_gtin",
    "public_record",
    "upca_to_upce",
]

DEFAULT_SEED = 613
VARIANTS: tuple[str, ...] = ("front", "back", "front_clean", "back_clean")
_PATTERNS: dict[str, tuple[str, ...]] = {
    "ff": ("front", "front_clean"),
    "all": VARIANTS,
    "back": ("back", "back_clean"),
    "back_only": ("back",),
    "front": ("front",),
}
# FDA daily values used to print "% DV" the way a US label does.
_DV = {"fat": 78, "sat": 20, "chol": 300, "sodium": 2300, "carb": 275, "fiber": 28, "added": 50}


class Packshot(TypedDict):
    """How `images` draws the product: package shape and two colours ("#rrggbb")."""

    shape: str
    primary: str
    accent: str


class Product(TypedDict):
    barcode: str
    image_meta: dict[str, dict[str, Any] | None]
    product_meta: dict[str, Any]
    _packshot: Packshot


# The GS1 rules below repeat `kiosk.scanner.gs1` on purpose: they are an independent
# oracle. The sandbox stands in for an API that knows valid codes without the kiosk's
# help, and the credits benchmark's scan trace (scripts/bench_parts/_scan_trace.py) and
# tests/api/test_bench_credits.py judge the kiosk's own decoding against them; written
# apart, one mistake cannot hide in both. tests/scanner/test_scanner_gs1.py checks that
# the two agree.


def gs1_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for `body` (all digits but the last)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(code: str) -> bool:
    """True for an 8, 12, 13 or 14 digit string whose check digit verifies."""
    return (
        code.isdigit() and len(code) in (8, 12, 13, 14) and gs1_check_digit(code[:-1]) == code[-1]
    )


def upca_to_upce(upca: str) -> str | None:
    """The 8-digit UPC-E a UPC-A compresses to, or None when it cannot be compressed."""
    if len(upca) != 12 or upca[0] not in "01" or not upca.isdigit():
        return None
    ns, man, prod, check = upca[0], upca[1:6], upca[6:11], upca[11]
    if man[2:] in ("000", "100", "200") and prod[:2] == "00":
        mid = man[:2] + prod[2:] + man[2]
    elif man[3:] == "00" and prod[:3] == "000":
        mid = man[:3] + prod[3:] + "3"
    elif man[4] == "0" and prod[:4] == "0000":
        mid = man[:4] + prod[4] + "4"
    elif prod[:4] == "0000" and prod[4] in "56789" and man[4] != "0":
        mid = man + prod[4]
    else:
        return None
    return ns + mid + check


def public_record(product: Product) -> dict[str, Any]:
    """The product without its internal keys: what the API's JSON is built from."""
    return {k: v for k, v in product.items() if not k.startswith("_")}


def build_catalog(seed: int = DEFAULT_SEED) -> dict[str, Product]:
    """Every sandbox product keyed by barcode; same seed, same catalog (no clock, no I/O)."""
    rng = random.Random(seed)
    catalog: dict[str, Product] = {}
    for product in _anchors():
        catalog[product["barcode"]] = product
    for spec in SPECS:
        code = _barcode(spec, rng, catalog)
        catalog[code] = {
            "barcode": code,
            "image_meta": _image_meta(rng, _PATTERNS[spec.variants], spec.brand),
            "product_meta": _product_meta(spec, rng),
            "_packshot": {"shape": spec.shape, "primary": spec.colours[0],
                          "accent": spec.colours[1]},
        }
    return catalog


# --- barcodes ---------------------------------------------------------------------------

_EAN13_PREFIX = {"Belgium": "54", "Italy": "80", "Spain": "84", "Turkey": "869"}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _barcode(spec: Spec, rng: random.Random, taken: dict[str, Product]) -> str:
    while True:
        if spec.code == "upca":
            body = rng.choice("0067780") + _digits(rng, 5) + _digits(rng, 5)
            if upca_to_upce(body + "0") is not None:
                continue
        elif spec.code == "upce":
            body = "0" + _upce_compressible(rng)
        elif spec.code == "ean13_il":
            body = "7290" + _digits(rng, 8)
        elif spec.code == "ean13":
            prefix = _EAN13_PREFIX.get(spec.country or "", "400")
            body = prefix + _digits(rng, 12 - len(prefix))
        elif spec.code == "ean8":
            prefix = rng.choice(("729", "400", "590", "871"))
            body = prefix + _digits(rng, 4)
        else:
            body = spec.code[:-1]
        code = body + gs1_check_digit(body)
        if code not in taken:
            return code


def _upce_compressible(rng: random.Random) -> str:
    """Manufacturer + product digits of a number-system-0 UPC-A that zero-suppresses."""
    lead = str(rng.randrange(1, 10))
    pattern = rng.randrange(4)
    if pattern == 0:
        return lead + _digits(rng, 1) + rng.choice(("000", "100", "200")) + "00" + _digits(rng, 3)
    if pattern == 1:
        return lead + _digits(rng, 2) + "00" + "000" + _digits(rng, 2)
    if pattern == 2:
        return lead + _digits(rng, 2) + str(rng.randrange(1, 10)) + "0" + "0000" + _digits(rng, 1)
    return lead + _digits(rng, 3) + str(rng.randrange(1, 10)) + "0000" + str(rng.randrange(5, 10))


# --- image_meta -------------------------------------------------------------------------

_BATCHES = ("zip_upload", "zip_upload", "zip_upload", "review_approved",
            "png_variant_orphan_repair_2026-05-13", "restore_missing_front_2026-05-19")


def _image_meta(
    rng: random.Random, available: tuple[str, ...], brand: str | None
) -> dict[str, dict[str, Any] | None]:
    shot = datetime(2021, 1, 1) + timedelta(days=rng.randrange(1900), seconds=rng.randrange(86400))
    uploaded = shot + timedelta(days=rng.randrange(1, 200), seconds=rng.randrange(86400))
    resolution = "600x600" if rng.random() < 0.12 else "1000x1000"
    owner = rng.choice(("Studio A", "Studio A", "Studio B", f"Brand: {brand or 'unbranded'}"))
    who = rng.choice(("Photographer 1", "Photographer 2", "Photographer 3", None))
    batch = rng.choice(_BATCHES)
    meta: dict[str, dict[str, Any] | None] = {}
    for variant in VARIANTS:
        if variant not in available:
            meta[variant] = None
            continue
        clean = variant.endswith("_clean")
        scale = 0.36 if resolution == "600x600" else 1.0
        size = rng.randrange(600_000, 1_000_000) if clean else rng.randrange(50_000, 200_000)
        meta[variant] = {
            "photo_date": shot.strftime("%Y-%m-%d"),
            "upload_date": (uploaded + timedelta(hours=1, minutes=10) if clean else uploaded)
            .strftime("%Y-%m-%d %H:%M:%S"),
            "resolution": resolution,
            "ownership": owner,
            "uploaded_by": who,
            "file_size_bytes": int(size * scale),
            "source_batch": batch,
        }
    return meta


# --- product_meta -----------------------------------------------------------------------


def _grams(x: float, unit: str = "g") -> str:
    if 0 < x < 1 and unit == "g":
        return "<1g"
    return f"{x:g}{unit}"


def _amount(x: float, dv_key: str | None, unit: str = "g") -> dict[str, str | None]:
    dv = None if dv_key is None else f"{round(x / _DV[dv_key] * 100)}%"
    return {"amount": _grams(x, unit), "dv": dv}


def _nutrition(nut: Nut, rng: random.Random) -> dict[str, Any]:
    return {
        "servings_per_container": nut.servings,
        "serving_size": nut.serving_size,
        "calories": str(nut.calories),
        "total_fat": _amount(nut.fat, "fat"),
        "saturated_fat": _amount(nut.sat, "sat"),
        "trans_fat": _amount(nut.trans, None),
        "cholesterol": _amount(nut.chol, "chol", "mg"),
        "sodium": _amount(nut.sodium, "sodium", "mg"),
        "total_carbohydrate": _amount(nut.carb, "carb"),
        "dietary_fiber": _amount(nut.fiber, "fiber"),
        "total_sugars": _amount(nut.sugars, None),
        "added_sugars": _amount(nut.added, "added"),
        "protein": _amount(nut.protein, None),
        "vitamin_d": {"amount": f"{rng.randrange(0, 3)}mcg", "dv": f"{rng.randrange(0, 15)}%"},
        "calcium": {"amount": f"{rng.randrange(0, 300, 10)}mg", "dv": f"{rng.randrange(0, 25)}%"},
        "iron": {"amount": f"{rng.randrange(0, 40) / 10:g}mg", "dv": f"{rng.randrange(0, 20)}%"},
        "potassium": {"amount": f"{rng.randrange(0, 500, 10)}mg", "dv": f"{rng.randrange(0, 10)}%"},
    }


def _product_meta(spec: Spec, rng: random.Random) -> dict[str, Any]:
    scanned = datetime(2025, 6, 1) + timedelta(days=rng.randrange(330),
                                               seconds=rng.randrange(86400))
    updated = scanned + timedelta(days=rng.randrange(0, 60), seconds=rng.randrange(86400))
    company = spec.brand or "Unknown Manufacturer"
    slug = company.lower().replace("'", "").replace(" ", "")
    return {
        "brand": spec.brand,
        "product_name": spec.name,
        "product_description": spec.description,
        "net_weight": spec.net_weight,
        "category": spec.category,
        "country_of_origin": spec.country,
        "manufacturer": spec.manufacturer
        or (f"Manufactured for {company}" if spec.brand else None),
        "distributor": spec.distributor
        or (f"{company} — info@{slug}.example — www.{slug}.example" if spec.brand else None),
        "additional_certifications": spec.certs,
        "bracha": spec.bracha,
        "kosher_for_passover": spec.kfp,
        "gluten_free": spec.gf,
        "vegan": spec.vegan,
        "organic": spec.organic,
        "hechshers": [dict(x) for x in spec.hechshers],
        "ingredients": {
            "ingredients_text": spec.ingredients,
            "contains_statement": spec.contains,
            "may_contain_statement": spec.may_contain,
            "allergens": list(spec.allergens),
        },
        "nutrition": None if spec.nut is None else _nutrition(spec.nut, rng),
        "notes": spec.notes,
        "scanned_at": scanned.strftime("%Y-%m-%d %H:%M:%S"),
        "updated_at": updated.strftime("%Y-%m-%d %H:%M:%S"),
    }



def _anchors() -> list[Product]:
    return [cast(Product, p) for p in seed_products()]
