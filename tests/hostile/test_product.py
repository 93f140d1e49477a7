"""The answer → product step, with whatever an API might send: property-based.

`Product.from_api` is where untrusted JSON stops. Whatever it is given it returns a
product whose every string is clean (no control characters, surrogates or bidi
overrides) and short, whose record can be stored as UTF-8 JSON, and which survives the
cache's round trip unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.product import MAX_LONG, MAX_SHORT, Product
from kiosk.sanitize import clean_text, escape_controls
from tests.barcodes import CEREAL, FISH

# Every code point, surrogates included: json.loads turns "\ud800" into a lone one.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
HOSTILE = st.sampled_from(["\x00", "\x1b[2J", "\ud800", "\udfff", "\u202e", "\u2066", "\n",
                           "\r\n", "\t", "\x85", "\u2028", "\ufeff", "\uffff", "\u0301" * 50,
                           "🥫", "👨‍👩‍👧", "שָׁלוֹם", "ﷺ", " "])
TEXT = st.one_of(st.text(ANY_CHAR, max_size=60),
                 st.lists(st.one_of(HOSTILE, st.text(max_size=5)), max_size=12).map("".join))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=20)
META_KEYS = ["product_name", "brand", "net_weight", "category", "country_of_origin",
             "product_description", "manufacturer", "distributor", "additional_certifications",
             "bracha", "kosher_for_passover", "gluten_free", "vegan", "organic", "hechshers",
             "ingredients", "ingredients_text", "allergens", "contains_statement", "nutrition",
             "notes", "updated_at"]
NUTRITION = st.dictionaries(st.sampled_from(["calories", "total_fat", "sodium", "protein",
                                             "serving_size", "iron"]), JSON, max_size=6)
META = st.fixed_dictionaries({}, optional={
    **{k: JSON for k in META_KEYS},
    "hechshers": st.lists(st.one_of(JSON, st.fixed_dictionaries(
        {"symbol": TEXT}, optional={"org": JSON, "dairy_meat_pareve": JSON})), max_size=20),
    "ingredients": st.one_of(JSON, st.fixed_dictionaries({}, optional={
        "ingredients_text": JSON, "allergens": st.lists(JSON, max_size=40),
        "contains_statement": JSON})),
    "nutrition": st.one_of(JSON, NUTRITION),
})
ANSWER = st.one_of(JSON, st.fixed_dictionaries(
    {"product_meta": st.one_of(META, JSON)},
    optional={"barcode": JSON, "images": JSON, "front_image": JSON}))


def strings(product: Product) -> list[tuple[str, str]]:
    """Every string the product holds, with the field it is in."""
    out: list[tuple[str, str]] = []

    def walk(where: str, value: Any) -> None:
        if isinstance(value, str):
            out.append((where, value))
        elif isinstance(value, tuple):
            for i, item in enumerate(value):
                walk(f"{where}[{i}]", item)
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(f"{where}.{f.name}", getattr(value, f.name))

    walk("product", product)
    return out


def is_clean(text: str) -> bool:
    return text == text.strip() and not any(
        unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u202a\u202b\u202c\u202d\u202e"
        "\u2066\u2067\u2068\u2069\ufeff" for ch in text)


@settings(max_examples=400, deadline=None)
@given(ANSWER)
def test_any_answer_becomes_a_clean_bounded_product(data: Any) -> None:
    product = Product.from_api(data, barcode=CEREAL)
    assert product.barcode == CEREAL
    for where, text in strings(product):
        assert text and is_clean(text), (where, text)
        assert len(text) <= MAX_LONG, where
    for name in ("name", "brand", "net_weight", "calories", "serving_size"):
        value = getattr(product, name)
        assert value is None or len(value) <= MAX_SHORT
    assert len(product.hechshers) <= 12 and len(product.allergens) <= 32
    # The cache stores it as UTF-8 JSON: that must always work ...
    record = product.to_record()
    json.dumps(record, ensure_ascii=False).encode("utf-8")
    # ... and reading it back gives the same product.
    assert Product.from_api(json.loads(json.dumps(record)), barcode=product.barcode) == product


@given(ANSWER)
def test_a_cached_record_of_any_answer_is_read_back_unchanged(data: Any) -> None:
    first = Product.from_api(data)
    assert Product.from_api(first.to_record()) == first


@given(st.text(ANY_CHAR, max_size=300), st.integers(min_value=1, max_value=120))
def test_clean_text_is_idempotent_and_bounded(text: str, max_len: int) -> None:
    once = clean_text(text, max_len)
    assert clean_text(once, max_len) == once
    assert len(once) <= max_len and is_clean(once)


@given(st.text(ANY_CHAR, max_size=200))
def test_escaped_admin_text_has_no_control_characters(text: str) -> None:
    shown = escape_controls(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in shown)
    assert "\n" not in shown and "\x1b" not in shown
    shown.encode("utf-8")


def test_the_review_s_reproductions() -> None:
    """The cases the issue found: a NUL, a lone surrogate, a non-string name."""
    p = Product.from_api({"product_meta": {
        "product_name": "Fish\x00Sticks \ud800", "brand": ["not", "a", "string"],
        "notes": "\u202eevil\u202c and \x1b[31mred", "ingredients": {"allergens": "Milk,\x00"},
        "nutrition": {"calories": float("nan"), "total_fat": {"amount": 10**400}}}},
        barcode=FISH)
    assert p.name == "FishSticks" and p.brand is None
    assert p.notes == "evil and [31mred"
    assert p.allergens == ("milk",) and p.calories is None and p.nutrition == ()
    json.dumps(p.to_record(), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("invisible", ["\xad", "\u200d", "\u200b\u0301", " \xad "])
def test_text_with_nothing_to_draw_is_empty(invisible: str) -> None:
    """Found by the layout property test: a brand of one soft hyphen reached SDL_ttf,
    which refuses text of zero width."""
    assert clean_text(invisible, 200) == ""
    assert clean_text("a\xadb", 200) == "a\xadb"  # inside a word it stays
