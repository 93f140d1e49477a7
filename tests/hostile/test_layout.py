"""Layout with arbitrary text: it never raises, stays on the screen, and costs what the
screen costs, not what the text costs. A card that still cannot be drawn becomes an
error card; the daemon does not stop.

Cost is counted, not timed: a counting `Measure` adds up the characters the layout asks
the font about, which is what made a 16 KB word take seconds.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import DisplayConfig
from kiosk.display import Card, Display, Error
from kiosk.display.blocks import para_rows
from kiosk.display.commands import Box, Text
from kiosk.display.layout import layout
from kiosk.display.text import FontMeasure, ellipsize, probe_limit, wrap
from kiosk.product import Product
from tests.barcodes import CEREAL, FISH
from tests.hostile.test_product import ANY_CHAR, HOSTILE

SIZES = [(800, 480), (480, 320), (1920, 1080)]
TEXT = st.one_of(st.text(ANY_CHAR, max_size=400),
                 st.lists(st.one_of(HOSTILE, st.text(max_size=30)), max_size=40).map("".join),
                 st.integers(1, 6000).map(lambda n: "W" * n))


class Counting:
    """A `Measure` that counts the characters it is asked to measure."""

    def __init__(self, inner: FontMeasure) -> None:
        self.inner = inner
        self.chars = 0

    def width(self, text: str, size: int, bold: bool = False) -> int:
        self.chars += len(text)
        return self.inner.width(text, size, bold)

    def line_height(self, size: int, bold: bool = False) -> int:
        return self.inner.line_height(size, bold)


def card_of(texts: dict[str, str]) -> Card:
    meta: dict[str, Any] = {
        "product_name": texts["name"], "brand": texts["brand"], "notes": texts["long"],
        "ingredients": {"ingredients_text": texts["long"], "allergens": [texts["name"]]},
        "hechshers": [{"symbol": texts["brand"], "dairy_meat_pareve": "dairy"}],
        "bracha": texts["brand"], "net_weight": texts["name"],
        "nutrition": {"calories": texts["brand"], "total_fat": {"amount": texts["name"]}},
    }
    return Card(Product.from_api({"product_meta": meta}, barcode=CEREAL))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"name": TEXT, "brand": TEXT, "long": TEXT}),
       st.sampled_from(SIZES), st.sampled_from(["shopper", "staff"]))
def test_any_product_text_lays_out_on_screen_at_a_bounded_cost(
        measure: FontMeasure, texts: dict[str, str], size: tuple[int, int], mode: Any) -> None:
    m = Counting(measure)
    lay = layout(card_of(texts), size, mode, m)
    screen = Box(0, 0, *size)
    for cmd in lay.commands:
        assert cmd.box.inside(screen), cmd
        if isinstance(cmd, Text):
            measure.font(cmd.size, cmd.bold).render(cmd.text, True, (0, 0, 0))  # paintable
    # Every field together can never be measured for more than a few hundred screens'
    # worth of characters, whatever the API sent.
    assert m.chars <= 400 * size[0]


def test_a_16_kb_word_costs_what_a_screen_costs(measure: FontMeasure) -> None:
    """The review's reproduction: a 16 KB word took 2.2 s to lay out. Now the layout
    looks no further than a screen can show: a word a hundred times longer costs the
    same, and the cost has a fixed ceiling (200 lines, each probed in a binary search
    over at most `probe_limit(300)` characters)."""

    def cost(fn: Any, word: str) -> int:
        m = Counting(measure)
        fn(m, word)
        return m.chars

    for fn in (lambda m, w: wrap(w, 16, False, 300, m),
               lambda m, w: ellipsize(w, 16, False, 300, m),
               lambda m, w: para_rows(m, w, 16, False, (0, 0, 0), 300)):
        small = cost(fn, "x" * 16_384)
        assert cost(fn, "x" * 1_638_400) == small
        assert small <= 200 * 12 * probe_limit(300)
    lines = wrap("x" * 16_384, 16, False, 300, measure)
    assert len(lines) == 200 and lines[-1].endswith("…")


@pytest.fixture
def display() -> Any:
    d = Display(DisplayConfig(fullscreen=False, size=[800, 480]), now=1000.0)
    yield d
    d.close()


def test_a_card_that_cannot_be_drawn_becomes_an_error_card(
        display: Display, caplog: pytest.LogCaptureFixture) -> None:
    # Built past the sanitizing constructor, as a bug elsewhere might: SDL_ttf refuses NUL.
    broken = Card(Product(barcode=FISH, name="Fish\x00Sticks"))
    with caplog.at_level(logging.ERROR):
        display.show(broken, now=1001.0)
    assert isinstance(display.state, Error)
    assert any(FISH in r.getMessage() and r.exc_info for r in caplog.records)
    display.show(Card(Product(barcode=CEREAL, name="Cereal")), now=1002.0)
    assert isinstance(display.state, Card)  # and the next card is drawn as usual
