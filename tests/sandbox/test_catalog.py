"""The catalog covers every shape the kiosk must render, deterministically."""

from __future__ import annotations

import json

import pytest

from kiosk.sandbox.catalog import (
    VARIANTS,
    build_catalog,
    gs1_check_digit,
    is_valid_gtin,
    public_record,
    upca_to_upce,
)
from tests.barcodes import CEREAL, FISH, FRONT_ONLY, SNACK, UNKNOWN
from tests.sandbox.helpers import FOUR, TWO

CAT = build_catalog()


def _pm(code: str) -> dict:  # type: ignore[type-arg]
    return CAT[code]["product_meta"]


def _available(code: str) -> set[str]:
    return {v for v, m in CAT[code]["image_meta"].items() if m is not None}


def test_size_and_determinism() -> None:
    assert len(CAT) >= 50
    assert build_catalog() == CAT
    assert build_catalog(seed=1) != CAT
    json.dumps([public_record(p) for p in CAT.values()])  # all JSON-serialisable


def test_seed_products_are_as_published() -> None:
    cereal = public_record(CAT[CEREAL])
    assert cereal["product_meta"]["product_name"] == "Example Cereal"
    assert cereal["product_meta"]["bracha"] == "mezonos"
    assert cereal["image_meta"]["back"] is None and cereal["image_meta"]["back_clean"] is None
    fish = _pm(FISH)
    assert fish["product_name"] == "Example Brand Fish Sticks — Sample Product"
    assert fish["nutrition"]["dietary_fiber"] == {"amount": "<1g", "dv": "3%"}
    assert CAT[FISH]["image_meta"]["front_clean"]["file_size_bytes"] == 942016
    assert _pm("030772095355")["nutrition"] is None
    assert _pm(SNACK)["category"] == "snacks"


def test_every_key_is_public_shape() -> None:
    for code, product in CAT.items():
        assert product["barcode"] == code
        assert set(public_record(product)) == {"barcode", "image_meta", "product_meta"}
        assert set(product["image_meta"]) == set(VARIANTS)
        assert _available(code), f"{code} has no image"


def test_barcodes_have_valid_check_digits_and_all_kinds() -> None:
    assert all(is_valid_gtin(code) for code in CAT)
    lengths = {len(code) for code in CAT}
    assert {8, 12, 13} <= lengths
    assert any(code.startswith("729") and len(code) == 13 for code in CAT)
    assert len([c for c in CAT if upca_to_upce(c)]) >= 3
    assert gs1_check_digit("01700016156") == "3"


@pytest.mark.parametrize(
    ("upca", "upce"),
    [("012000003455", "01234505"), ("012300000455", "01234535"),
     ("012340000055", "01234545"), ("012345000058", "01234558"),
     (UNKNOWN, None)],
)
def test_upce_compression(upca: str, upce: str | None) -> None:
    assert upca_to_upce(upca[:-1] + gs1_check_digit(upca[:-1])) == (
        None if upce is None else upce[:-1] + gs1_check_digit(upca[:-1]))


def test_image_availability_patterns() -> None:
    patterns = {frozenset(_available(c)) for c in CAT}
    for want in ({"front", "front_clean"}, set(VARIANTS), {"back", "back_clean"}, {"back"},
                 {"front"}):
        assert frozenset(want) in patterns
    assert _available(FRONT_ONLY) == {"front"}
    assert len(_available(TWO)) == 2 and len(_available(FOUR)) == 4
    resolutions = {m["resolution"] for p in CAT.values() for m in p["image_meta"].values() if m}
    assert resolutions == {"1000x1000", "600x600"}


def test_kosher_and_label_coverage() -> None:
    metas = [p["product_meta"] for p in CAT.values()]
    brachos = {m.get("bracha") for m in metas}
    assert {"hamotzi", "mezonos", "hagafen", "haetz", "haadama", "shehakol", "", None} <= brachos
    assert any(len(m.get("hechshers", [])) >= 2 and any(
        "Pas Yisroel" in (h.get("additional_designation") or "") for h in m["hechshers"])
        for m in metas)
    assert any(m.get("hechshers") == [] for m in metas)
    allergen_lists = [m["ingredients"]["allergens"] for m in metas if "ingredients" in m]
    assert [] in allergen_lists and any(len(a) >= 3 for a in allergen_lists)
    assert any("\u05d0" <= ch <= "\u05ea" for m in metas for ch in (m.get("notes") or ""))
    assert any(len(m.get("product_name") or "") >= 150 for m in metas)
    assert any(m.get("product_name") is None for m in metas)
    assert any(m.get("brand") is None for m in metas)
    non_food = [m for m in metas if m.get("category") in ("judaica", "paper goods", "cleaning")]
    assert {m["category"] for m in non_food} == {"judaica", "paper goods", "cleaning"}
    assert all(m["nutrition"] is None for m in non_food)
    printed = json.dumps([m.get("nutrition") for m in metas])
    assert '"<1g"' in printed
    assert any(m.get("kosher_for_passover") for m in metas)
    for flag in ("gluten_free", "vegan", "organic"):
        assert any(m.get(flag) for m in metas)


def test_every_reference_field_present_on_full_records() -> None:
    fields = {"brand", "product_name", "product_description", "net_weight", "category",
              "country_of_origin", "manufacturer", "distributor", "additional_certifications",
              "bracha", "kosher_for_passover", "gluten_free", "vegan", "organic", "hechshers",
              "ingredients", "nutrition", "notes", "scanned_at", "updated_at"}
    full = [c for c in CAT if c != CEREAL]  # the getting-started record is flatter
    for code in full:
        assert set(_pm(code)) == fields, code
        for h in _pm(code)["hechshers"]:
            assert set(h) == {"symbol", "org", "logo", "dairy_meat_pareve",
                              "additional_designation"}
