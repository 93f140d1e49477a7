"""The product as the screen sees it: a typed, sanitized value made once, at the edge.

The API promises a shape, but real catalog rows break it: fields are null or missing,
`calories` is sometimes a number, nutrition values are sometimes plain strings instead of
`{amount, dv}` objects, and the getting-started example puts `ingredients_text` and
`allergens` directly under `product_meta` instead of under `ingredients`. A card must
still render, so `Product.from_api` never raises, whatever it is given: anything it
cannot read becomes `None` or empty, and the layout decides what to leave out.

It is also where untrusted text stops: every string is cleaned (`kiosk.sanitize`: no
control characters, surrogates or bidi overrides) and capped (`MAX_SHORT`, `MAX_LONG`),
and lists are capped too, so whatever comes after it (layout, painter, cache, the staff
list, `kiosk lookup`) trusts the type. It is made at the two edges where JSON enters:
the API client builds one from each answer, and the cache reads each entry back through
it (an entry cached by an older version is cleaned the same way). Past those nothing
reads the JSON: the cache takes and gives back a `Product`. `to_record()` is the JSON
the cache keeps; it has the API's shape, and `from_api(p.to_record()) == p`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.sanitize import clean_text

__all__ = [
    "BRACHA_HEBREW",
    "KEY_NUTRIENTS",
    "MAX_LONG",
    "MAX_SHORT",
    "Hechsher",
    "KosherType",
    "NutritionEntry",
    "Product",
    "bracha_hebrew",
]

logger = logging.getLogger(__name__)

KosherType = Literal["dairy", "meat", "pareve"]

BRACHA_HEBREW: dict[str, str] = {
    "hamotzi": "המוציא",
    "mezonos": "מזונות",
    "hagafen": "הגפן",
    "haetz": "העץ",
    "haadama": "האדמה",
    "shehakol": "שהכל",
}

# Common alternative spellings seen on packaging and in older catalog rows.
_BRACHA_ALIASES: dict[str, str] = {
    "hamotzie": "hamotzi",
    "hamoitzi": "hamotzi",
    "mezonot": "mezonos",
    "mezonois": "mezonos",
    "borei pri hagafen": "hagafen",
    "borei pri haetz": "haetz",
    "ha'etz": "haetz",
    "borei pri haadama": "haadama",
    "ha'adama": "haadama",
    "haadamah": "haadama",
    "shehakol": "shehakol",
    "shehakal": "shehakol",
    "shehakol nihyeh bidvaro": "shehakol",
}

# (json key, label) in the order a US Nutrition Facts panel prints them.
_NUTRIENTS: tuple[tuple[str, str], ...] = (
    ("total_fat", "Total Fat"),
    ("saturated_fat", "Saturated Fat"),
    ("trans_fat", "Trans Fat"),
    ("cholesterol", "Cholesterol"),
    ("sodium", "Sodium"),
    ("total_carbohydrate", "Total Carbohydrate"),
    ("dietary_fiber", "Dietary Fiber"),
    ("total_sugars", "Total Sugars"),
    ("added_sugars", "Added Sugars"),
    ("protein", "Protein"),
    ("vitamin_d", "Vitamin D"),
    ("calcium", "Calcium"),
    ("iron", "Iron"),
    ("potassium", "Potassium"),
)

MAX_SHORT = 200
"""Characters kept of a name, a brand, a weight, a nutrient amount: more than any label."""
MAX_LONG = 4000
"""Characters kept of ingredients, notes, descriptions: more than a screen can show."""
MAX_HECHSHERS = 12
MAX_ALLERGENS = 32

#: The nutrients a shopper card shows (besides calories), by JSON key.
KEY_NUTRIENTS: tuple[str, ...] = (
    "total_fat", "sodium", "total_carbohydrate", "total_sugars", "protein",
)


def bracha_hebrew(transliteration: str | None) -> str | None:
    """The Hebrew name of a bracha given its catalog transliteration, or None."""
    if not transliteration:
        return None
    key = transliteration.strip().lower()
    key = _BRACHA_ALIASES.get(key, key)
    return BRACHA_HEBREW.get(key)


@dataclass(frozen=True)
class Hechsher:
    symbol: str
    org: str | None = None
    dairy_meat_pareve: KosherType | None = None
    designation: str | None = None


@dataclass(frozen=True)
class NutritionEntry:
    key: str
    label: str
    amount: str | None
    dv: str | None = None


@dataclass(frozen=True)
class Product:
    barcode: str
    name: str | None = None
    brand: str | None = None
    net_weight: str | None = None
    category: str | None = None
    country: str | None = None
    description: str | None = None
    manufacturer: str | None = None
    distributor: str | None = None
    additional_certifications: str | None = None
    bracha: str | None = None
    kosher_for_passover: bool = False
    gluten_free: bool = False
    vegan: bool = False
    organic: bool = False
    hechshers: tuple[Hechsher, ...] = ()
    ingredients_text: str | None = None
    contains: str | None = None
    may_contain: str | None = None
    allergens: tuple[str, ...] = ()
    calories: str | None = None
    nutrition: tuple[NutritionEntry, ...] = ()
    serving_size: str | None = None
    servings_per_container: str | None = None
    notes: str | None = None
    updated_at: str | None = None
    has_front_image: bool = False

    @property
    def bracha_hebrew(self) -> str | None:
        return bracha_hebrew(self.bracha)

    @property
    def title(self) -> str:
        """What to call the product when it has no name: never an empty card title."""
        return self.name or self.brand or f"Product {self.barcode}"

    def nutrient(self, key: str) -> NutritionEntry | None:
        for entry in self.nutrition:
            if entry.key == key:
                return entry
        return None

    @property
    def has_nutrition(self) -> bool:
        return self.calories is not None or bool(self.nutrition)

    @classmethod
    def from_api(cls, data: Any, barcode: str | None = None) -> Product:
        """Build from a `GET /products/{barcode}` body (or a cached copy); never raises.

        `barcode` (the code that was looked up) wins over whatever the body claims.
        """
        data = data if isinstance(data, Mapping) else {}
        pm = _mapping(data.get("product_meta"))
        ing = _mapping(pm.get("ingredients"))
        nut = _mapping(pm.get("nutrition"))
        code = barcode or _barcode(data.get("barcode")) or _barcode(pm.get("barcode")) or ""
        return cls(
            barcode=code,
            name=_text(pm.get("product_name")),
            brand=_text(pm.get("brand")),
            net_weight=_text(pm.get("net_weight")),
            category=_text(pm.get("category")),
            country=_text(pm.get("country_of_origin")),
            description=_long(pm.get("product_description")),
            manufacturer=_text(pm.get("manufacturer")),
            distributor=_text(pm.get("distributor")),
            additional_certifications=_long(pm.get("additional_certifications")),
            bracha=_lower(_text(pm.get("bracha"))),
            kosher_for_passover=_flag(pm.get("kosher_for_passover")),
            gluten_free=_flag(pm.get("gluten_free")),
            vegan=_flag(pm.get("vegan")),
            organic=_flag(pm.get("organic")),
            hechshers=_hechshers(pm.get("hechshers")),
            ingredients_text=(
                _long(ing.get("ingredients_text")) or _long(pm.get("ingredients_text"))
            ),
            contains=_long(ing.get("contains_statement")) or _long(pm.get("contains_statement")),
            may_contain=(
                _long(ing.get("may_contain_statement")) or _long(pm.get("may_contain_statement"))
            ),
            allergens=_allergens(ing.get("allergens", pm.get("allergens"))),
            calories=_text(nut.get("calories")),
            nutrition=_nutrition(nut),
            serving_size=_text(nut.get("serving_size")),
            servings_per_container=_text(nut.get("servings_per_container")),
            notes=_long(pm.get("notes")),
            updated_at=_text(pm.get("updated_at")),
            has_front_image=_has_front(data),
        )

    def to_record(self) -> dict[str, Any]:
        """The product as JSON in the API's own shape: what the cache stores."""
        nutrition: dict[str, Any] = {
            "calories": self.calories, "serving_size": self.serving_size,
            "servings_per_container": self.servings_per_container,
        }
        for entry in self.nutrition:
            nutrition[entry.key] = {"amount": entry.amount, "dv": entry.dv}
        meta: dict[str, Any] = {
            "product_name": self.name, "brand": self.brand, "net_weight": self.net_weight,
            "category": self.category, "country_of_origin": self.country,
            "product_description": self.description, "manufacturer": self.manufacturer,
            "distributor": self.distributor,
            "additional_certifications": self.additional_certifications,
            "bracha": self.bracha, "kosher_for_passover": self.kosher_for_passover,
            "gluten_free": self.gluten_free, "vegan": self.vegan, "organic": self.organic,
            "hechshers": [
                {"symbol": h.symbol, "org": h.org, "dairy_meat_pareve": h.dairy_meat_pareve,
                 "additional_designation": h.designation} for h in self.hechshers],
            "ingredients": {
                "ingredients_text": self.ingredients_text, "contains_statement": self.contains,
                "may_contain_statement": self.may_contain, "allergens": list(self.allergens)},
            "nutrition": nutrition, "notes": self.notes, "updated_at": self.updated_at,
        }
        return {"barcode": self.barcode, "product_meta": meta,
                "front_image": self.has_front_image}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any, max_len: int = MAX_SHORT) -> str | None:
    """A clean display string from a JSON scalar: numbers become text, blanks and
    anything else (lists, objects, booleans) become None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value) if abs(value) < 10**30 else None  # huge ints: not a label
    elif isinstance(value, float):
        value = f"{value:g}" if value == value and abs(value) != float("inf") else None
    if not isinstance(value, str):
        return None
    return clean_text(value, max_len) or None


def _lower(text: str | None) -> str | None:
    # Lower-casing can lengthen a string ("İ" is two characters in lower case): clean again.
    return clean_text(text.lower(), MAX_SHORT) or None if text else None


def _long(value: Any) -> str | None:
    return _text(value, MAX_LONG)


def _barcode(value: Any) -> str | None:
    return value if isinstance(value, str) and value.isascii() and value.isdigit() \
        and len(value) <= 14 else None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value is True or (isinstance(value, int) and value == 1)


def _hechshers(value: Any) -> tuple[Hechsher, ...]:
    if isinstance(value, Mapping | str):
        value = [value]
    if not isinstance(value, list):
        return ()
    out: list[Hechsher] = []
    for item in value:
        if len(out) >= MAX_HECHSHERS:
            break
        if isinstance(item, str):
            item = {"symbol": item}
        if not isinstance(item, Mapping):
            continue
        symbol = _text(item.get("symbol")) or _text(item.get("org"))
        if symbol is None:
            continue
        kind = (_text(item.get("dairy_meat_pareve")) or "").lower()
        if kind == "parve":
            kind = "pareve"
        out.append(
            Hechsher(
                symbol=symbol,
                org=_text(item.get("org")),
                dairy_meat_pareve=kind if kind in ("dairy", "meat", "pareve") else None,  # type: ignore[arg-type]
                designation=_text(item.get("additional_designation"))
                or _text(item.get("designation")),
            )
        )
    return tuple(out)


def _allergens(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    seen: dict[str, None] = {}
    for item in value:
        text = _lower(_text(item))
        if text:
            seen.setdefault(text, None)
        if len(seen) >= MAX_ALLERGENS:
            break
    return tuple(seen)


def _nutrition(nut: Mapping[str, Any]) -> tuple[NutritionEntry, ...]:
    entries: list[NutritionEntry] = []
    for key, label in _NUTRIENTS:
        raw = nut.get(key)
        if isinstance(raw, Mapping):
            amount, dv = _text(raw.get("amount")), _text(raw.get("dv"))
        else:
            amount, dv = _text(raw), None
        if amount is None and dv is None:
            continue
        entries.append(NutritionEntry(key=key, label=label, amount=amount, dv=dv))
    return tuple(entries)


def _has_front(data: Mapping[str, Any]) -> bool:
    if data.get("front_image") is True:  # the kiosk's own cached record
        return True
    for section in ("images", "image_meta"):
        block = data.get(section)
        if isinstance(block, Mapping) and (block.get("front") or block.get("front_clean")):
            return True
    return False
