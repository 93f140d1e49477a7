"""The four products the published pages name, reproduced as the pages show them.

017000161563 and 000413000222 are copied field for field from getting-started and the
metadata reference; 030772095355 and 080878194964 are the "known-good test barcodes" the
troubleshooting section lists (a household-goods and a snack brand), filled in here.
"""

from __future__ import annotations

import copy
from typing import Any

from kiosk.sandbox.catalog_data import h

__all__ = ["seed_products"]

_CEREAL_SHOT = {"photo_date": "2026-06-04 15:49:50", "resolution": "1000x1000",
                "ownership": "Studio A"}


def _fish_meta(upload: str, size: int) -> dict[str, Any]:
    return {"photo_date": "2023-10-19", "upload_date": upload, "resolution": "1000x1000",
            "ownership": "Studio A", "uploaded_by": "Photographer 1", "file_size_bytes": size,
            "source_batch": "zip_upload"}


def _nv(amount: str, dv: str | None) -> dict[str, str | None]:
    return {"amount": amount, "dv": dv}


_SEEDS: list[dict[str, Any]] = [
    {
        "barcode": "017000161563",
        "image_meta": {"front": dict(_CEREAL_SHOT), "front_clean": dict(_CEREAL_SHOT),
                       "back": None, "back_clean": None},
        "product_meta": {
            "brand": "Example Brand",
            "product_name": "Example Cereal",
            "category": "cereal",
            "bracha": "mezonos",
            "kosher_for_passover": False,
            "gluten_free": False,
            "vegan": True,
            "hechshers": [{"symbol": "OU", "org": "Orthodox Union", "dairy_meat_pareve": "pareve"}],
            "nutrition": {"serving_size": "1 cup (28g)", "calories": 100, "sodium": "200mg",
                          "total_carbohydrate": "24g"},
            "ingredients_text": "Milled corn, sugar, malt flavoring...",
            "allergens": ["wheat"],
        },
        "_packshot": {"shape": "box", "primary": "#f7c948", "accent": "#b3261e"},
    },
    {
        "barcode": "000413000222",
        "image_meta": {
            "front": _fish_meta("2026-04-26 04:33:40", 184521),
            "back": _fish_meta("2026-04-26 04:33:40", 201338),
            "front_clean": _fish_meta("2026-04-26 05:43:03", 942016),
            "back_clean": _fish_meta("2026-04-26 05:43:03", 876412),
        },
        "product_meta": {
            "brand": "Example Brand",
            "product_name": "Example Brand Fish Sticks — Sample Product",
            "product_description": "Made from 100% Fish Fillets, Premium Product with No Fillers",
            "net_weight": "Net Wt 20 oz (1 lb 4 oz / 567 g)",
            "category": "frozen",
            "country_of_origin": "United States",
            "manufacturer": "Manufactured for ACME Foods LLC, Anytown USA",
            "distributor": "ACME Foods LLC, Anytown USA — contact@acmefoods.example — "
            "www.acmefoods.example",
            "additional_certifications": "MSC Certified Sustainable Seafood",
            "bracha": "shehakol",
            "kosher_for_passover": False,
            "gluten_free": False,
            "vegan": False,
            "organic": False,
            "hechshers": [{
                "symbol": "OK",
                "org": "OK Kosher Certification (per Example Brand brand standard)",
                "logo": "ok.png",
                "dairy_meat_pareve": "pareve",
                "additional_designation": None,
            }],
            "ingredients": {
                "ingredients_text": "Pollock, Enriched Bleached Wheat Flour (flour, niacin, "
                "ferrous sulfate, thiamine mononitrate, riboflavin, folic acid), Water, Soybean "
                "Oil, Modified Corn Starch, Yellow Corn Flour, Contains 2% or Less of: Sugar, "
                "Salt, Dextrose, Leavening (monocalcium phosphate, sodium bicarbonate), Yeast, "
                "Yeast Extract, Modified Cellulose, Onion Powder.",
                "contains_statement": "Contains: Fish (Pollock), Wheat.",
                "may_contain_statement": "Contains Bioengineered Food Ingredients. From an MSC "
                "certified sustainable fishery. Keep frozen.",
                "allergens": ["fish", "wheat"],
            },
            "nutrition": {
                "servings_per_container": "About 5",
                "serving_size": "4 sticks (112g)",
                "calories": "230",
                "total_fat": _nv("8g", "10%"),
                "saturated_fat": _nv("1g", "6%"),
                "trans_fat": _nv("0g", None),
                "cholesterol": _nv("35mg", "12%"),
                "sodium": _nv("390mg", "17%"),
                "total_carbohydrate": _nv("28g", "10%"),
                "dietary_fiber": _nv("<1g", "3%"),
                "total_sugars": _nv("1g", None),
                "added_sugars": _nv("1g", "2%"),
                "protein": _nv("13g", None),
                "vitamin_d": _nv("1mcg", "6%"),
                "calcium": _nv("40mg", "4%"),
                "iron": _nv("2.1mg", "10%"),
                "potassium": _nv("230mg", "4%"),
            },
            "notes": "Example Brand Fish Sticks — 20 oz / 567g cardboard box with blue wood-plank "
            "background. Made from 100% Pollock fish fillets...",
            "scanned_at": "2026-05-06 23:24:30",
            "updated_at": "2026-06-22 09:54:07",
        },
        "_packshot": {"shape": "box", "primary": "#1e5aa8", "accent": "#f2c14e"},
    },
    {
        "barcode": "030772095355",
        "image_meta": {
            "front": _fish_meta("2025-11-03 10:12:55", 121877) | {"photo_date": "2025-11-02"},
            "back": _fish_meta("2025-11-03 10:12:55", 133402) | {"photo_date": "2025-11-02"},
            "front_clean": _fish_meta("2025-11-03 11:20:41", 712554) | {"photo_date": "2025-11-02"},
            "back_clean": _fish_meta("2025-11-03 11:20:41", 690113) | {"photo_date": "2025-11-02"},
        },
        "product_meta": {
            "brand": "Brightway Home",
            "product_name": "Heavy Duty Aluminum Foil, 75 sq ft",
            "product_description": "Extra strong for grilling and roasting",
            "net_weight": "75 sq ft (25 yd x 12 in) 6.97 m²",
            "category": "household",
            "country_of_origin": "United States",
            "manufacturer": "Manufactured for Brightway Home Products Co., Anytown USA",
            "distributor": None,
            "additional_certifications": None,
            "bracha": None,
            "kosher_for_passover": False,
            "gluten_free": False,
            "vegan": False,
            "organic": False,
            "hechshers": [],
            "ingredients": {"ingredients_text": "", "contains_statement": None,
                            "may_contain_statement": None, "allergens": []},
            "nutrition": None,
            "notes": "Non-food. Blue and silver box with a serrated cutting edge.",
            "scanned_at": "2025-11-02 14:05:11",
            "updated_at": "2025-11-02 14:05:11",
        },
        "_packshot": {"shape": "box", "primary": "#1b3b6f", "accent": "#c0c0c0"},
    },
    {
        "barcode": "080878194964",
        "image_meta": {
            "front": _fish_meta("2026-01-14 09:41:02", 96311) | {"photo_date": "2026-01-12"},
            "front_clean": _fish_meta("2026-01-14 10:02:17", 655902) | {"photo_date": "2026-01-12"},
            "back": None,
            "back_clean": None,
        },
        "product_meta": {
            "brand": "Crunchtown",
            "product_name": "Baked Cheddar Cheese Puffs",
            "product_description": "Made with real cheddar",
            "net_weight": "Net Wt 8 oz (226 g)",
            "category": "snacks",
            "country_of_origin": "United States",
            "manufacturer": "Manufactured for Crunchtown Snacks Inc., Anytown USA",
            "distributor": "Crunchtown Snacks Inc. — hello@crunchtown.example — "
            "www.crunchtown.example",
            "additional_certifications": None,
            "bracha": "shehakol",
            "kosher_for_passover": False,
            "gluten_free": True,
            "vegan": False,
            "organic": False,
            "hechshers": [h("OU", "dairy")],
            "ingredients": {
                "ingredients_text": "Corn meal, sunflower oil, cheddar cheese (cultured milk, "
                "salt, enzymes), whey, buttermilk, salt, natural flavor.",
                "contains_statement": "Contains: Milk.",
                "may_contain_statement": None,
                "allergens": ["milk"],
            },
            "nutrition": {
                "servings_per_container": "About 8",
                "serving_size": "1 oz (28g / about 30 puffs)",
                "calories": "150",
                "total_fat": _nv("9g", "12%"),
                "saturated_fat": _nv("1.5g", "8%"),
                "trans_fat": _nv("0g", None),
                "cholesterol": _nv("<5mg", "1%"),
                "sodium": _nv("250mg", "11%"),
                "total_carbohydrate": _nv("15g", "5%"),
                "dietary_fiber": _nv("<1g", "2%"),
                "total_sugars": _nv("<1g", None),
                "added_sugars": _nv("0g", "0%"),
                "protein": _nv("2g", None),
                "vitamin_d": _nv("0mcg", "0%"),
                "calcium": _nv("30mg", "2%"),
                "iron": _nv("0.3mg", "2%"),
                "potassium": _nv("40mg", "0%"),
            },
            "notes": "Orange bag, OU-D. ברכה: שהכל.",
            "scanned_at": "2026-01-12 16:22:09",
            "updated_at": "2026-02-01 08:15:44",
        },
        "_packshot": {"shape": "bag", "primary": "#ff8c00", "accent": "#5a189a"},
    },
]


def seed_products() -> list[dict[str, Any]]:
    """Fresh copies, so a caller that edits one cannot change the next catalog."""
    return copy.deepcopy(_SEEDS)
