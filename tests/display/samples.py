"""Product JSON for the display tests: the two full seed examples plus edge cases.

The seeds' product_meta comes from kiosk.sandbox.catalog_seeds (copied field for field
from the published pages), so there is one copy of it.

`all_products()` adds every product of the sandbox catalog, so the layout is checked
against the same data the demo shows.
"""

from __future__ import annotations

import copy
from typing import Any

from kiosk.sandbox.catalog import build_catalog, public_record
from kiosk.sandbox.catalog_seeds import seed_products


def _seed_meta(barcode: str) -> dict[str, Any]:
    """product_meta of a published seed example, exactly as the sandbox serves it."""
    seed = next(p for p in seed_products() if p["barcode"] == barcode)
    return dict(seed["product_meta"])


FISH_STICKS: dict[str, Any] = {
    "barcode": "000413000222",
    "image_meta": {"front": {"resolution": "1000x1000"}, "back": None,
                   "front_clean": None, "back_clean": None},
    "product_meta": _seed_meta("000413000222"),
    "images": {"front": "https://images.retaildigitals.com/api/v1/image/x.y", "back": None},
    "meta": {"request_id": "req_1", "credits_debited": 4.6, "credits_remaining": 4321.8},
}

# The getting-started example: flat ingredients, plain-string nutrition, integer calories.
CEREAL: dict[str, Any] = {
    "barcode": "017000161563",
    "image_meta": {"front": {"resolution": "1000x1000"}, "front_clean": {}, "back": None,
                   "back_clean": None},
    "product_meta": _seed_meta("017000161563"),
    "images": {"front": "https://x/y", "front_clean": "https://x/z"},
    "meta": {"request_id": "req_2", "credits_debited": 2.6, "credits_remaining": 7.4},
}

LONG_WORDS = "Supercalifragilisticexpialidociouslylongproductnamewithoutanyspaces" * 2


def edge_cases() -> dict[str, dict[str, Any]]:
    long_name = copy.deepcopy(FISH_STICKS)
    pm = long_name["product_meta"]
    long_name["barcode"] = "000000000017"
    pm["product_name"] = ("Grandma's Extra Special Old-Fashioned Hand-Braided Whole Wheat Challah "
                          "Rolls with Golden Raisins, Honey Glaze and Toasted Sesame — Family "
                          "Size Value Pack of 12 " + LONG_WORDS)
    pm["brand"] = "The Very Long Brand Name Company of Greater Metropolitan Area Bakers " * 2
    pm["net_weight"] = "Net Wt 48 oz (3 lb / 1.36 kg) — 12 rolls, individually wrapped " * 2
    pm["allergens"] = ["milk", "eggs", "fish", "shellfish", "tree nuts", "peanuts", "wheat",
                       "soy", "sesame", "sulfites", "mustard", "celery"]
    pm["ingredients"]["allergens"] = pm["allergens"]
    pm["hechshers"] = [
        {"symbol": "OU-D", "org": "Orthodox Union", "dairy_meat_pareve": "dairy",
         "additional_designation": "Cholov Yisroel"},
        {"symbol": "Badatz Eda HaChareidis", "org": "Badatz Eda HaChareidis (Jerusalem)",
         "dairy_meat_pareve": "meat", "additional_designation": "Bishul Yisroel, Pas Yisroel"},
        {"symbol": "Star-K", "org": None, "dairy_meat_pareve": None},
        {"symbol": "CRC", "org": "Chicago Rabbinical Council", "dairy_meat_pareve": "pareve",
         "additional_designation": "Kosher for Passover, Non-Gebrokts"},
    ]
    pm["kosher_for_passover"] = pm["gluten_free"] = pm["vegan"] = pm["organic"] = True
    pm["notes"] = ("תווית בעברית: מוצר זה מכיל 12 לחמניות, 48 oz. כשר למהדרין — "
                   "Hebrew label transcription with mixed text (OU-D) and numbers 2026. ") * 6
    hebrew = copy.deepcopy(CEREAL)
    hebrew["barcode"] = "7290000000001"
    hebrew["product_meta"]["product_name"] = "במבה — Bamba Peanut Snack 80 g"
    hebrew["product_meta"]["notes"] = "חטיף בוטנים. Made in Israel, 80 גרם. בד״ץ העדה החרדית."
    hebrew["product_meta"]["bracha"] = "Shehakol"
    no_image = copy.deepcopy(CEREAL)
    no_image["barcode"] = "000000000024"
    no_image["image_meta"] = {"front": None, "back": {"x": 1}, "front_clean": None}
    no_image["images"] = {"front": None, "back": "https://x"}
    nulls = {
        "barcode": "000000000031",
        "image_meta": None,
        "product_meta": {k: None for k in (
            "brand", "product_name", "product_description", "net_weight", "category",
            "country_of_origin", "manufacturer", "distributor", "additional_certifications",
            "bracha", "kosher_for_passover", "gluten_free", "vegan", "organic", "hechshers",
            "ingredients", "nutrition", "notes", "scanned_at", "updated_at")},
        "images": None,
    }
    non_food = {
        "barcode": "000000000048",
        "image_meta": {"front": {"resolution": "800x1200"}},
        "product_meta": {
            "brand": None, "product_name": "Shabbos Candles, 72 Pack", "category": "judaica",
            "country_of_origin": "Israel", "bracha": "", "kosher_for_passover": False,
            "hechshers": [], "ingredients": {"ingredients_text": "", "allergens": []},
            "nutrition": None, "notes": "נרות שבת — 72 יחידות",
        },
    }
    garbage = {
        "barcode": "000000000055",
        "product_meta": {
            "product_name": 12345, "brand": ["not", "a", "string"], "hechshers": "OU",
            "nutrition": {"calories": 0, "total_fat": "3g", "sodium": {"amount": None},
                          "protein": 7},
            "ingredients": "not an object", "allergens": "milk, soy", "gluten_free": "true",
        },
    }
    return {
        "long-name": long_name, "hebrew": hebrew, "no-image": no_image, "nulls": nulls,
        "non-food": non_food, "garbage": garbage,
    }


def all_products() -> dict[str, dict[str, Any]]:
    """name -> API-shaped product JSON: seeds, edge cases, then the sandbox catalog."""
    out: dict[str, dict[str, Any]] = {"fish-sticks": FISH_STICKS, "cereal": CEREAL}
    out.update(edge_cases())
    for code, product in build_catalog().items():
        out[f"sandbox-{code}"] = public_record(product)
    return out
