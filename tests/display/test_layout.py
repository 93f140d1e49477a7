from __future__ import annotations

from typing import Any

import pytest

from kiosk.display.commands import Image, Placeholder, Text
from kiosk.display.layout import card_image_box, layout
from kiosk.display.screens import (
    Card,
    Error,
    Idle,
    Invalid,
    Mode,
    NotFound,
    Offline,
    OutOfCredits,
    RecentScan,
    ScannerDisconnected,
    ScreenState,
    StatusInfo,
)
from kiosk.display.text import ELLIPSIS, FontMeasure
from kiosk.outcome import Outcome
from kiosk.product import Product
from tests.barcodes import CEREAL, FISH, SNACK, UNKNOWN
from tests.display.checks import problems
from tests.display.samples import all_products, edge_cases

SIZES = [(800, 480), (1024, 600), (1280, 720), (1920, 1080), (480, 320), (320, 480)]
MODES: list[Mode] = ["shopper", "staff"]
STATUS = StatusInfo(online=False, queue_depth=12, credits_remaining=0.4,
                    scanner_connected=False, last_error="HTTP 402 insufficient_credits " * 3)
RECENT = [
    RecentScan(FISH, Outcome.SHOWN, "Example Brand Fish Sticks — Sample Product",
               "14:03"),
    RecentScan("7290000000001", Outcome.QUEUED, "במבה — Bamba", "14:02"),
    RecentScan("12345", Outcome.INVALID, None, "14:01"),
    RecentScan(CEREAL, Outcome.CACHED, "Example Cereal", "14:00"),
    RecentScan(UNKNOWN, Outcome.NOT_FOUND, None, "13:59"),
    RecentScan(SNACK, Outcome.FOUND, "Baked Cheddar Cheese Puffs " * 3, "13:58",
               resolved=True),
] * 3
PRODUCTS = {name: Product.from_api(data) for name, data in all_products().items()}
NOTICES: list[ScreenState] = [
    NotFound(UNKNOWN), Invalid("x" * 300, "not a GTIN: " + "bad " * 40),
    Invalid("12345", "check digit"), Offline(FISH, True), Offline("1", False),
    OutOfCredits(0.4), OutOfCredits(None), ScannerDisconnected("/dev/input/" + "x" * 200),
    ScannerDisconnected(None), Error("database is locked " * 20),
]


def _check(state: ScreenState, size: tuple[int, int], mode: Mode, m: FontMeasure,
           **kw: Any) -> None:
    lay = layout(state, size, mode, m, **kw)
    found = problems(lay, m)
    assert not found, f"{type(state).__name__} {size} {mode}:\n" + "\n".join(found[:10])


def _cards(product: Product) -> list[Card]:
    image = b"prepared" if product.has_front_image else None
    return [Card(product, image, credits_debited=1.3, credits_remaining=4321.8),
            Card(product, None, from_cache=True, stale=True, offline=True)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_card_fits_without_overlap(size: tuple[int, int], mode: Mode,
                                         measure: FontMeasure) -> None:
    for name, product in PRODUCTS.items():
        for card in _cards(product):
            kw: dict[str, Any] = {"status": STATUS, "recent": RECENT} if mode == "staff" else {}
            try:
                _check(card, size, mode, measure, **kw)
            except AssertionError as exc:
                raise AssertionError(f"product {name}: {exc}") from None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_other_screen_fits(size: tuple[int, int], mode: Mode,
                                 measure: FontMeasure) -> None:
    states: list[ScreenState] = [*NOTICES]
    states += [Idle("Kosher Corner Market", None, pos) for pos in ("below", "above", "left",
                                                                    "right")]
    states.append(Idle("The Extraordinarily Long Named Neighbourhood Grocery " * 3, None,
                       "below"))
    for state in states:
        _check(state, size, mode, measure)
        if mode == "staff":
            _check(state, size, mode, measure, status=STATUS, recent=RECENT)
            _check(state, size, mode, measure, status=StatusInfo(), recent=[])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_long_name_is_ellipsized_not_clipped(size: tuple[int, int], mode: Mode,
                                             measure: FontMeasure) -> None:
    product = Product.from_api(edge_cases()["long-name"])
    lay = layout(Card(product), size, mode, measure)
    lines = [c for c in lay.commands if isinstance(c, Text) and c.role == "name"]
    assert lines, "the name must be shown"
    assert lines[-1].text.endswith(ELLIPSIS)
    for line in lines:
        assert measure.width(line.text, line.size, line.bold) <= line.box.w
    assert all(line.box.right <= size[0] for line in lines)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_placeholder_without_image_and_image_in_its_box(size: tuple[int, int], mode: Mode,
                                                        measure: FontMeasure) -> None:
    product = PRODUCTS["fish-sticks"]
    without = layout(Card(product, None), size, mode, measure)
    assert [c for c in without.commands if isinstance(c, Placeholder)]
    assert not [c for c in without.commands if isinstance(c, Image)]
    with_image = layout(Card(product, b"x"), size, mode, measure)
    images = [c for c in with_image.commands if isinstance(c, Image)]
    assert [i.box for i in images] == [card_image_box(size, mode)]
    assert not [c for c in with_image.commands if isinstance(c, Placeholder)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_card_waiting_for_its_photo_gets_it_without_anything_moving(
        size: tuple[int, int], mode: Mode, measure: FontMeasure) -> None:
    kw: dict[str, Any] = {"status": STATUS, "recent": RECENT} if mode == "staff" else {}
    for name, product in PRODUCTS.items():
        if not product.has_front_image:
            continue
        common = {"credits_debited": 1.3, "credits_remaining": 4321.8}
        pending = layout(Card(product, None, photo_pending=True, **common), size, mode,
                         measure, **kw)
        complete = layout(Card(product, b"x", **common), size, mode, measure, **kw)
        assert not problems(pending, measure), name
        holders = [c.box for c in pending.commands if isinstance(c, Placeholder)]
        photos = [c.box for c in complete.commands if isinstance(c, Image)]
        assert holders == photos == [card_image_box(size, mode)], name
        panel = pending.find("photo-panel")[0].box
        # Waiting for a photo is not "no photo": nothing is written in its place.
        assert not [c for c in pending.commands if isinstance(c, Text) and c.box.inside(panel)]
        outside = [[c for c in lay.commands if not c.box.inside(panel)]
                   for lay in (pending, complete)]
        assert outside[0] == outside[1], name


def test_shopper_card_shows_what_a_shopper_checks(measure: FontMeasure) -> None:
    lay = layout(Card(PRODUCTS["fish-sticks"], b"x"), (1920, 1080), "shopper", measure)
    roles = {c.role for c in lay.commands}
    assert {"hechsher:pareve", "allergen", "bracha", "tile:calories", "tile:total_fat",
            "tile:sodium"} <= roles
    texts = " ".join(c.text for c in lay.commands if isinstance(c, Text))
    assert "שהכל"[::-1] in texts  # Hebrew in visual order for a left-to-right painter
    assert "Shehakol" in texts and "Fish" in texts and "17%" in texts


def test_staff_card_adds_details_status_and_recent(measure: FontMeasure) -> None:
    lay = layout(Card(PRODUCTS["fish-sticks"], b"x", credits_debited=1.3), (1920, 1080),
                 "staff", measure, status=STATUS, recent=RECENT[:3])
    roles = {c.role for c in lay.commands}
    assert {"ingredients", "contains", "may-contain", "hechsher-detail", "certifications",
            "nutrition:label", "cost", "updated", "status:online", "status:queue",
            "status:credits", "status:scanner", "status:error", "recent:shown",
            "recent:queued", "recent:invalid"} <= roles


def test_several_hechshers_get_their_colours(measure: FontMeasure) -> None:
    shopper = layout(Card(PRODUCTS["long-name"]), (1920, 1080), "shopper", measure)
    assert {"hechsher:dairy", "hechsher:meat"} <= {c.role for c in shopper.commands}
    staff = layout(Card(PRODUCTS["long-name"]), (1920, 1080), "staff", measure)
    assert {"hechsher:dairy", "hechsher:meat", "hechsher:unknown", "hechsher:pareve"} <= {
        c.role for c in staff.commands}
    details = " ".join(c.text for c in staff.commands
                       if isinstance(c, Text) and c.role == "hechsher-detail")
    for symbol in ("OU-D:", "Badatz Eda HaChareidis:", "Star-K:", "CRC:"):
        assert symbol in details


def test_hebrew_notes_are_reordered_and_right_aligned(measure: FontMeasure) -> None:
    product = Product.from_api(edge_cases()["non-food"])
    lay = layout(Card(product), (1280, 720), "staff", measure)
    notes = [c for c in lay.commands if isinstance(c, Text) and c.role == "notes"]
    assert notes and notes[0].text == "תודיחי 72 — תבש תורנ"
    column_right = max(c.box.right for c in lay.commands
                       if isinstance(c, Text) and c.role == "heading")
    assert notes[0].box.right >= column_right  # flush right in its column


def test_image_box_depends_only_on_size_and_mode(measure: FontMeasure) -> None:
    for size in SIZES:
        boxes = {layout(Card(p, b"x"), size, "shopper", measure).find("image")[0].box
                 for p in list(PRODUCTS.values())[:6]}
        assert boxes == {card_image_box(size, "shopper")}
        assert card_image_box(size, "shopper").w >= card_image_box(size, "staff").w


def test_the_checker_itself_catches_overlap_and_overflow(measure: FontMeasure) -> None:
    from kiosk.display.commands import Box, Fill, Layout

    good = layout(Card(PRODUCTS["fish-sticks"]), (800, 480), "shopper", measure)
    first = next(c for c in good.commands if isinstance(c, Text))
    clash = Text(first.box, first.text, first.size, first.bold, first.color, "clash")
    off = Text(Box(790, 470, first.box.w, first.box.h), first.text, first.size, first.bold,
               first.color, "off")
    chip = Fill(Box(first.box.x + 2, first.box.y + 2, 10, 10), (0, 0, 0), 0, "chip", "c")
    for extra in (clash, off, chip):
        bad = Layout(good.size, good.background, (*good.commands, extra))
        assert problems(bad, measure), extra.role
