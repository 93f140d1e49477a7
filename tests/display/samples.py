"""Product JSON for the display tests: the two full seed examples plus edge cases.

When the sandbox catalog is present, `all_products()` adds every product of it, so the
layout is checked against the same data the demo shows.
"""

from __future__ import annotations

import copy
from typing import Any

FISH_STICKS: dict[str, Any] = {
    "barcode": "000413000222",
    "image_meta": {"front": {"resolution": "1000x1000"}, "back": None,
                   "front_clean": None, "back_clean": None},
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
        "hechshers": [{"symbol": "OK",
                       "org": "OK Kosher Certification (per Example Brand brand standard)",
                       "logo": "ok.png", "dairy_meat_pareve": "pareve",
                       "additional_designation": None}],
        "ingredients": {
            "ingredients_text": "Pollock, Enriched Bleached Wheat Flour (flour, niacin, ferrous "
            "sulfate, thiamine mononitrate, riboflavin, folic acid), Water, Soybean Oil, Modified "
            "Corn Starch, Yellow Corn Flour, Contains 2% or Less of: Sugar, Salt, Dextrose, "
            "Leavening (monocalcium phosphate, sodium bicarbonate), Yeast, Yeast Extract, "
            "Modified Cellulose, Onion Powder.",
            "contains_statement": "Contains: Fish (Pollock), Wheat.",
            "may_contain_statement": "Contains Bioengineered Food Ingredients. From an MSC "
            "certified sustainable fishery. Keep frozen.",
            "allergens": ["fish", "wheat"],
        },
        "nutrition": {
            "servings_per_container": "About 5",
            "serving_size": "4 sticks (112g)",
            "calories": "230",
            "total_fat": {"amount": "8g", "dv": "10%"},
            "saturated_fat": {"amount": "1g", "dv": "6%"},
            "trans_fat": {"amount": "0g", "dv": None},
            "cholesterol": {"amount": "35mg", "dv": "12%"},
            "sodium": {"amount": "390mg", "dv": "17%"},
            "total_carbohydrate": {"amount": "28g", "dv": "10%"},
            "dietary_fiber": {"amount": "<1g", "dv": "3%"},
            "total_sugars": {"amount": "1g", "dv": None},
            "added_sugars": {"amount": "1g", "dv": "2%"},
            "protein": {"amount": "13g", "dv": None},
            "vitamin_d": {"amount": "1mcg", "dv": "6%"},
            "calcium": {"amount": "40mg", "dv": "4%"},
            "iron": {"amount": "2.1mg", "dv": "10%"},
            "potassium": {"amount": "230mg", "dv": "4%"},
        },
        "notes": "Example Brand Fish Sticks — 20 oz / 567g cardboard box with blue wood-plank "
                 "background. Made from 100% Pollock fish fillets...",
        "scanned_at": "2026-05-06 23:24:30",
        "updated_at": "2026-06-22 09:54:07",
    },
    "images": {"front": "https://images.retaildigitals.com/api/v1/image/x.y", "back": None},
    "meta": {"request_id": "req_1", "credits_debited": 4.6, "credits_remaining": 4321.8},
}

# The getting-started example: flat ingredients, plain-string nutrition, integer calories.
CEREAL: dict[str, Any] = {
    "barcode": "017000161563",
    "image_meta": {"front": {"resolution": "1000x1000"}, "front_clean": {}, "back": None,
                   "back_clean": None},
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
    try:
        from kiosk.sandbox.catalog import build_catalog, public_record
    except ImportError:
        return out
    for code, product in build_catalog().items():
        out[f"sandbox-{code}"] = public_record(product)
    return out
