from __future__ import annotations

from typing import Any

import pytest

from kiosk.product import BRACHA_HEBREW, Product, bracha_hebrew
from tests.display.samples import CEREAL, FISH_STICKS, all_products, edge_cases


def test_full_example_is_read_field_by_field() -> None:
    p = Product.from_api(FISH_STICKS)
    assert p.barcode == "000413000222"
    assert p.name == "Example Brand Fish Sticks — Sample Product"
    assert p.brand == "Example Brand"
    assert p.country == "United States"
    assert p.additional_certifications == "MSC Certified Sustainable Seafood"
    assert p.bracha == "shehakol" and p.bracha_hebrew == "שהכל"
    assert [h.symbol for h in p.hechshers] == ["OK"]
    assert p.hechshers[0].dairy_meat_pareve == "pareve"
    assert p.hechshers[0].designation is None
    assert p.contains == "Contains: Fish (Pollock), Wheat."
    assert p.may_contain is not None and p.may_contain.startswith("Contains Bioengineered")
    assert p.allergens == ("fish", "wheat")
    assert p.calories == "230"
    assert [e.key for e in p.nutrition][:3] == ["total_fat", "saturated_fat", "trans_fat"]
    fiber = p.nutrient("dietary_fiber")
    assert fiber is not None and (fiber.amount, fiber.dv) == ("<1g", "3%")
    trans = p.nutrient("trans_fat")
    assert trans is not None and trans.dv is None
    assert p.serving_size == "4 sticks (112g)" and p.servings_per_container == "About 5"
    assert p.updated_at == "2026-06-22 09:54:07"
    assert p.has_front_image


def test_getting_started_shape_flat_ingredients_and_plain_nutrition() -> None:
    p = Product.from_api(CEREAL)
    assert p.ingredients_text == "Milled corn, sugar, malt flavoring..."
    assert p.allergens == ("wheat",)
    assert p.calories == "100"  # an int in the JSON
    sodium = p.nutrient("sodium")
    assert sodium is not None and (sodium.amount, sodium.dv) == ("200mg", None)
    assert p.vegan and not p.gluten_free
    assert p.barcode == "017000161563"  # leading zero kept


def test_nulls_everywhere_give_an_empty_but_usable_product() -> None:
    p = Product.from_api(edge_cases()["nulls"])
    assert p.name is None and p.hechshers == () and p.nutrition == () and p.allergens == ()
    assert not p.has_front_image and not p.has_nutrition
    assert p.title == "Product 000000000031"


def test_wrong_types_are_tolerated() -> None:
    p = Product.from_api(edge_cases()["garbage"])
    assert p.name == "12345"
    assert p.brand is None
    assert [h.symbol for h in p.hechshers] == ["OU"]
    assert p.allergens == ("milk", "soy")
    assert p.gluten_free is True
    assert p.calories == "0"
    protein = p.nutrient("protein")
    assert protein is not None and protein.amount == "7"
    assert p.nutrient("sodium") is None


@pytest.mark.parametrize("junk", [{}, {"product_meta": "x"}, {"barcode": None}, []])
def test_never_raises(junk: Any) -> None:
    assert isinstance(Product.from_api(junk), Product)


def test_no_image_when_only_back_exists() -> None:
    assert not Product.from_api(edge_cases()["no-image"]).has_front_image


@pytest.mark.parametrize(("name", "hebrew"), sorted(BRACHA_HEBREW.items()))
def test_every_bracha_has_hebrew(name: str, hebrew: str) -> None:
    assert bracha_hebrew(name) == hebrew
    assert bracha_hebrew(name.upper()) == hebrew


def test_unknown_bracha_has_no_hebrew() -> None:
    assert bracha_hebrew("") is None and bracha_hebrew(None) is None
    assert bracha_hebrew("borei nefashos") is None


def test_every_sample_parses_with_a_string_barcode() -> None:
    for name, data in all_products().items():
        p = Product.from_api(data)
        assert isinstance(p.barcode, str) and p.barcode, name
