"""GTIN normalization and the GS1 mod-10 check digit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.scanner.gs1 import (
    Invalid,
    Normalized,
    check_digit,
    has_valid_check_digit,
    normalize,
    upca_to_upce,
    upce_to_upca,
    validate,
)
from kiosk.scanner.scan import Scan


@pytest.mark.parametrize(
    ("raw", "gtin", "symbology"),
    [
        ("017000161563", "017000161563", "UPC-A"),
        ("0017000161563", "017000161563", "EAN-13"),
        ("00017000161563", "017000161563", "GTIN-14"),
        ("4006381333931", "4006381333931", "EAN-13"),
        ("04006381333931", "4006381333931", "GTIN-14"),
        ("10012345678902", "10012345678902", "GTIN-14"),
        ("04252614", "042100005264", "UPC-E"),
        ("01234565", "012345000065", "UPC-E"),
        ("96385074", "96385074", "EAN-8"),
        ("]E00017000161563", "017000161563", "EAN-13"),
        ("]E496385074", "96385074", "EAN-8"),
        ("]C10100017000161563", "017000161563", "GTIN-14"),
        ("]d201040063813339311725123110ABC", "4006381333931", "GTIN-14"),
        (" 017000161563 ", "017000161563", "UPC-A"),
    ],
)
def test_normalizes_to_the_catalog_form(raw: str, gtin: str, symbology: str) -> None:
    assert normalize(raw) == Normalized(gtin, symbology)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty scan"),
        ("   ", "empty scan"),
        ("017000161564", "check digit should be 3, not 4"),
        ("12345678901", "11 digits: not a GTIN length (8, 12, 13 or 14)"),
        ("0425261", "7 digits: not a GTIN length (8, 12, 13 or 14)"),
        ("425261", "6 digits: a UPC-E without number system and check digit cannot be verified"),
        ("01700016156A", "'A' at position 12: a GTIN has digits only"),
        ("0170\x1b00161563", "'\\x1b' at position 5: a GTIN has digits only"),
        ("96385075", "EAN-8: check digit should be 4, not 5"),
        ("04252615", "check digit should be 4 (as UPC-E) or 0 (as EAN-8), not 5"),
        ("]E404252615", "EAN-8: check digit should be 0, not 5"),
        ("]C1123", "GS1 data without a GTIN (AI 01) at its start (]C1)"),
        ("1" * 30, "30 characters: too long for a GTIN"),
        ("٠١٧٠٠٠١٦١٥٦٣", "'\\u0660' at position 1: a GTIN has digits only"),
    ],
)
def test_refuses_with_a_human_reason(raw: str, reason: str) -> None:
    assert normalize(raw) == Invalid(reason)


def test_aim_e0_with_eight_digits_is_upce_only() -> None:
    # 96385074 is a valid EAN-8 but not a valid UPC-E; ]E0 says UPC-E was scanned.
    assert isinstance(normalize("]E096385074"), Invalid)
    assert normalize("]E004252614") == Normalized("042100005264", "UPC-E")


def test_validate_prefers_the_readers_problem() -> None:
    assert validate(Scan("017000161563", "s", 0.0, problem="too long")) == Invalid("too long")
    assert validate(Scan("017000161563", "s", 0.0)) == Normalized("017000161563", "UPC-A")


def test_check_digit_known_values() -> None:
    assert check_digit("01700016156") == "3"
    assert check_digit("400638133393") == "1"
    assert check_digit("9638507") == "4"
    assert has_valid_check_digit("017000161563")
    assert not has_valid_check_digit("")


# --- properties ---------------------------------------------------------------------------

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def with_check(body: str) -> str:
    return body + check_digit(body)


bodies = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n))
upca = st.text(alphabet="0123456789", min_size=11, max_size=11).map(with_check)


def compressible_upca() -> st.SearchStrategy[str]:
    ns = st.sampled_from("01")
    d = st.text(alphabet="0123456789", min_size=5, max_size=5)
    last = st.sampled_from("0123456789")
    return st.builds(lambda n, mid, x: upce_to_upca(n + mid + x + "0")[:-1], ns, d, last).map(
        with_check)


@given(compressible_upca())
def test_upca_upce_ean13_gtin14_round_trip(a: str) -> None:
    e = upca_to_upce(a)
    assert e is not None
    assert upce_to_upca(e) == a
    assert normalize(e) == Normalized(a, "UPC-E")
    assert normalize(a) == Normalized(a, "UPC-A")
    assert normalize("0" + a) == Normalized(a, "EAN-13")
    assert normalize("00" + a) == Normalized(a, "GTIN-14")


@given(upca)
def test_compression_is_exact_when_it_exists(a: str) -> None:
    e = upca_to_upce(a)
    if e is not None:
        assert upce_to_upca(e) == a
        assert len(e) == 8 and e[0] in "01"


@given(st.sampled_from("01"), st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_every_upce_expands_to_a_upca_that_compresses_back_to_the_same_upca(
    ns: str, mid: str
) -> None:
    a = upce_to_upca(ns + mid + "0")
    canonical = upca_to_upce(a)
    assert canonical is not None
    assert upce_to_upca(canonical) == a


@given(st.text(alphabet="0123456789", min_size=12, max_size=12).map(with_check))
def test_ean13_and_gtin14_reduce_only_over_zeros(code: str) -> None:
    got = normalize(code)
    assert isinstance(got, Normalized)
    expected = code[1:] if code[0] == "0" else code
    assert got.gtin == expected
    got14 = normalize("0" + code)
    assert isinstance(got14, Normalized) and got14.gtin == expected
    assert got14.symbology == "GTIN-14"


@given(st.text(alphabet="123456789", min_size=1, max_size=1),
       st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_gtin14_with_indicator_stays_14(indicator: str, rest: str) -> None:
    code = with_check(indicator + rest)
    assert normalize(code) == Normalized(code, "GTIN-14")


@given(bodies, st.data())
def test_every_single_digit_error_is_caught(body: str, data: st.DataObject) -> None:
    code = with_check(body)
    i = data.draw(st.integers(0, len(code) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != code[i]]))
    bad = code[:i] + wrong + code[i + 1:]
    assert has_valid_check_digit(code)
    assert not has_valid_check_digit(bad)
    if len(bad) != 8:  # 8 digits may be a UPC-E as well as an EAN-8
        assert isinstance(normalize(bad), Invalid)


@settings(max_examples=300)
@given(bodies, st.data())
def test_adjacent_transpositions_caught_unless_digits_differ_by_5(
    body: str, data: st.DataObject
) -> None:
    code = with_check(body)
    i = data.draw(st.integers(0, len(code) - 2))
    a, b = code[i], code[i + 1]
    swapped = code[:i] + b + a + code[i + 2:]
    accepted = has_valid_check_digit(swapped)
    assert accepted == (a == b or abs(int(a) - int(b)) == 5)
    if len(code) != 8:
        assert isinstance(normalize(swapped), Normalized) == accepted


def test_all_transpositions_exhaustively_for_one_code() -> None:
    # Every pair of digits in every adjacent position of a 13-digit code: the accepted
    # swaps are exactly those of equal digits or digits differing by 5.
    for a in "0123456789":
        for b in "0123456789":
            for i in range(12):
                body = ("4006381333931"[:i] + a + b + "4006381333931"[i + 2:])[:12]
                code = with_check(body) if i < 11 else body[:11] + a + b
                if not has_valid_check_digit(code):
                    continue
                swapped = code[:i] + b + a + code[i + 2:]
                assert has_valid_check_digit(swapped) == (abs(int(a) - int(b)) in (0, 5))


@given(st.text(max_size=40))
def test_normalize_never_raises_and_valid_means_digits(text: str) -> None:
    got = normalize(text)
    if isinstance(got, Normalized):
        assert got.gtin.isascii() and got.gtin.isdigit()
        assert len(got.gtin) in (8, 12, 13, 14)
        assert has_valid_check_digit(got.gtin)
    else:
        assert got.reason.isprintable() and got.reason.isascii()


def test_the_sandbox_oracle_agrees_with_the_kiosk() -> None:
    """The sandbox keeps its own GS1 rules as an independent oracle (see
    kiosk/sandbox/catalog.py); the two must agree wherever both answer."""
    import random

    from kiosk.sandbox import catalog

    rng = random.Random(14)
    bodies = ["".join(rng.choice("0123456789") for _ in range(n))
              for n in (7, 11, 12, 13) for _ in range(500)]
    # UPC-A bodies of every UPC-E compressible shape, which random digits rarely hit.
    bodies += [ns + m + p for ns in "01" for m in ("12000", "12300", "12340", "12345")
               for p in ("00005", "00067", "00456", "00789")]
    for body in bodies:
        assert check_digit(body) == catalog.gs1_check_digit(body), body
        if len(body) == 11:
            upca = body + check_digit(body)
            assert upca_to_upce(upca) == catalog.upca_to_upce(upca), upca
