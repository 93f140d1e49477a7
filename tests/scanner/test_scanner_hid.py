"""The pure HID decoder over evdev events, as real readers send them."""

from __future__ import annotations

import pytest
from evdev import InputEvent
from evdev import ecodes as e

from kiosk.scanner.gs1 import Normalized, normalize, validate
from kiosk.scanner.hid import REPLACEMENT, Dropped, HidDecoder
from kiosk.scanner.scan import MAX_SCAN_CHARS, Scan
from tests.scanner.scanner_keys import ev, key, type_string


def run(dec: HidDecoder, events: list[InputEvent]) -> list[Scan | Dropped]:
    out: list[Scan | Dropped] = []
    for event in events:
        out.extend(dec.feed(event))
    return out


def texts(out: list[Scan | Dropped]) -> list[str]:
    return [o.raw for o in out if isinstance(o, Scan)]


def taps(t: float, *codes: int, step: float = 0.004) -> list[InputEvent]:
    """Hand-written key down/up pairs (no builder involved)."""
    events: list[InputEvent] = []
    for code in codes:
        events += [ev(t, e.EV_KEY, code, 1), ev(t, e.EV_SYN, e.SYN_REPORT, 0),
                   ev(t + 0.001, e.EV_KEY, code, 0), ev(t + 0.001, e.EV_SYN, e.SYN_REPORT, 0)]
        t += step
    return events


# --- literal sequences, independent of the builder ---------------------------------------


def test_literal_digits_and_enter() -> None:
    events = [
        InputEvent(1700000000, 0, e.EV_MSC, e.MSC_SCAN, 0x70027),
        InputEvent(1700000000, 0, e.EV_KEY, e.KEY_0, 1),
        InputEvent(1700000000, 0, e.EV_SYN, e.SYN_REPORT, 0),
        InputEvent(1700000000, 1200, e.EV_KEY, e.KEY_0, 0),
        InputEvent(1700000000, 1200, e.EV_SYN, e.SYN_REPORT, 0),
        InputEvent(1700000000, 5000, e.EV_KEY, e.KEY_1, 1),
        InputEvent(1700000000, 6000, e.EV_KEY, e.KEY_1, 0),
        InputEvent(1700000000, 9000, e.EV_KEY, e.KEY_7, 1),
        InputEvent(1700000000, 10000, e.EV_KEY, e.KEY_7, 0),
        InputEvent(1700000000, 14000, e.EV_KEY, e.KEY_ENTER, 1),
        InputEvent(1700000000, 15000, e.EV_KEY, e.KEY_ENTER, 0),
    ]
    out = run(HidDecoder("/dev/input/by-id/usb-test-event-kbd"), events)
    assert out == [Scan("017", "/dev/input/by-id/usb-test-event-kbd", 1700000000.014)]


def test_literal_shift_capital_released_before_and_after_key() -> None:
    t = 50.0
    events = [
        ev(t, e.EV_KEY, e.KEY_LEFTSHIFT, 1), ev(t + 0.001, e.EV_KEY, e.KEY_A, 1),
        ev(t + 0.002, e.EV_KEY, e.KEY_LEFTSHIFT, 0), ev(t + 0.003, e.EV_KEY, e.KEY_A, 0),
        ev(t + 0.006, e.EV_KEY, e.KEY_B, 1), ev(t + 0.007, e.EV_KEY, e.KEY_B, 0),
        ev(t + 0.010, e.EV_KEY, e.KEY_RIGHTSHIFT, 1), ev(t + 0.011, e.EV_KEY, e.KEY_C, 1),
        ev(t + 0.012, e.EV_KEY, e.KEY_C, 0), ev(t + 0.013, e.EV_KEY, e.KEY_RIGHTSHIFT, 0),
        ev(t + 0.016, e.EV_KEY, e.KEY_D, 1), ev(t + 0.017, e.EV_KEY, e.KEY_D, 0),
        ev(t + 0.020, e.EV_KEY, e.KEY_ENTER, 1),
    ]
    assert texts(run(HidDecoder("s"), events)) == ["AbCd"]


@pytest.mark.parametrize(
    ("layout", "codes", "expected"),
    [
        ("us", [e.KEY_Y, e.KEY_Z, e.KEY_MINUS, e.KEY_SLASH, e.KEY_SEMICOLON], "yz-/;"),
        ("uk", [e.KEY_BACKSLASH, e.KEY_102ND, e.KEY_APOSTROPHE, e.KEY_GRAVE], "#\\'`"),
        ("de", [e.KEY_Y, e.KEY_Z, e.KEY_MINUS, e.KEY_SLASH, e.KEY_SEMICOLON], "zyß-ö"),
        ("fr", [e.KEY_1, e.KEY_2, e.KEY_0, e.KEY_Q, e.KEY_A, e.KEY_W, e.KEY_Z, e.KEY_M],
         "&éàaqzw,"),
    ],
)
def test_literal_unshifted_keys_per_layout(layout: str, codes: list[int], expected: str) -> None:
    events = taps(10.0, *codes, e.KEY_ENTER)
    assert texts(run(HidDecoder("s", layout), events)) == [expected]


@pytest.mark.parametrize(
    ("layout", "expected"),
    [("us", '!@#$%^&*()'), ("uk", '!"£$%^&*()'), ("de", '!"§$%&/()='), ("fr", "1234567890")],
)
def test_literal_shifted_digit_row_per_layout(layout: str, expected: str) -> None:
    events: list[InputEvent] = [ev(5.0, e.EV_KEY, e.KEY_LEFTSHIFT, 1)]
    events += taps(5.001, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4, e.KEY_5, e.KEY_6, e.KEY_7,
                   e.KEY_8, e.KEY_9, e.KEY_0)
    events += [ev(5.05, e.EV_KEY, e.KEY_LEFTSHIFT, 0), *taps(5.054, e.KEY_ENTER)]
    assert texts(run(HidDecoder("s", layout), events)) == [expected]


def test_french_reader_digits_need_shift_and_us_decoding_would_garble_them() -> None:
    events, _ = type_string("0017000161563\n", layout="fr")
    assert any(x.type == e.EV_KEY and x.code == e.KEY_LEFTSHIFT for x in events)
    assert texts(run(HidDecoder("s", "fr"), events)) == ["0017000161563"]
    assert texts(run(HidDecoder("s", "us"), events)) == ["))!&)))!^!%^#"]


# --- builder-made sequences ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        ("us", "012345678905 ABCxyz-=[];',./`~!@#$%^&*()_+{}|:\"<>?"),
        ("uk", "4006381333931 QWERTYzy£\"@#~\\|¬"),
        ("de", "0123456789 YZyzÄÖÜäöüß?§&/()=@€{[]}\\~|<>#'+*"),
        ("fr", "0123456789 AZQWMazqwm&é\"'(-è_çà)=ù%*µ$£^¨!§:/;.,?@#{[|`\\]}"),
    ],
)
@pytest.mark.parametrize("shift_release", ["after", "before"])
def test_every_layout_decodes_what_it_types(layout: str, text: str, shift_release: str) -> None:
    events, _ = type_string(text + "\n", layout=layout, shift_release=shift_release)
    assert texts(run(HidDecoder("s", layout), events)) == [text]


@pytest.mark.parametrize("right_shift", [False, True])
def test_left_and_right_shift(right_shift: bool) -> None:
    events, _ = type_string("AbC1\n", right_shift=right_shift)
    assert texts(run(HidDecoder("s"), events)) == ["AbC1"]


def test_shift_held_on_one_side_released_on_other_keeps_shift() -> None:
    events = [ev(1.0, e.EV_KEY, e.KEY_LEFTSHIFT, 1), ev(1.001, e.EV_KEY, e.KEY_RIGHTSHIFT, 1),
              ev(1.002, e.EV_KEY, e.KEY_RIGHTSHIFT, 0)]
    events += [*taps(1.003, e.KEY_A), ev(1.01, e.EV_KEY, e.KEY_LEFTSHIFT, 0)]
    events += taps(1.012, e.KEY_A, e.KEY_ENTER)
    assert texts(run(HidDecoder("s"), events)) == ["Aa"]


def test_capslock_toggles_letters_only() -> None:
    dec = HidDecoder("s")
    events = taps(1.0, e.KEY_CAPSLOCK, e.KEY_A, e.KEY_1, e.KEY_MINUS)
    events += [ev(1.02, e.EV_KEY, e.KEY_LEFTSHIFT, 1), *taps(1.021, e.KEY_B)]
    events += [ev(1.03, e.EV_KEY, e.KEY_LEFTSHIFT, 0)]
    events += taps(1.031, e.KEY_CAPSLOCK, e.KEY_C, e.KEY_ENTER)
    assert texts(run(dec, events)) == ["A1-bc"]
    assert not dec.capslock


def test_capslock_does_not_turn_french_symbols_into_digits() -> None:
    events = taps(1.0, e.KEY_CAPSLOCK, e.KEY_1, e.KEY_Q, e.KEY_SEMICOLON, e.KEY_ENTER)
    assert texts(run(HidDecoder("s", "fr"), events)) == ["&AM"]


def test_keypad_digits_and_keypad_enter() -> None:
    events, _ = type_string("0123456789\n", keypad=True)
    assert {x.code for x in events if x.type == e.EV_KEY} >= {e.KEY_KP0, e.KEY_KPENTER}
    assert texts(run(HidDecoder("s"), events)) == ["0123456789"]
    literal = taps(2.0, e.KEY_KP0, e.KEY_KP4, e.KEY_KPMINUS, e.KEY_KPDOT, e.KEY_KPENTER)
    assert texts(run(HidDecoder("s"), literal)) == ["04-."]


def test_tab_terminates() -> None:
    events, _ = type_string("96385074\t")
    out = run(HidDecoder("s"), events)
    assert texts(out) == ["96385074"]
    assert normalize(texts(out)[0]) == Normalized("96385074", "EAN-8")


def test_tab_then_enter_suffix_gives_one_scan() -> None:
    events, _ = type_string("123\t\n456\n")
    assert texts(run(HidDecoder("s"), events)) == ["123", "456"]


def test_key_repeat_is_ignored() -> None:
    events = [ev(1.0, e.EV_KEY, e.KEY_5, 1), ev(1.25, e.EV_KEY, e.KEY_5, 2),
              ev(1.28, e.EV_KEY, e.KEY_5, 2), ev(1.281, e.EV_KEY, e.KEY_5, 0)]
    events += taps(1.284, e.KEY_6, e.KEY_ENTER)
    dec = HidDecoder("s", inter_key_timeout_s=1.0)
    assert texts(run(dec, events)) == ["56"]


def test_two_readers_interleaved_give_two_clean_scans() -> None:
    a, _ = type_string("0017000161563\n", t0=100.0, seed=1)
    b, _ = type_string("4006381333931\n", t0=100.001, seed=2, layout="de")
    merged = sorted([("a", x) for x in a] + [("b", x) for x in b],
                    key=lambda p: p[1].timestamp())
    assert [s for s, _ in merged[:60]].count("a") not in (0, 60)  # really interleaved
    decoders = {"a": HidDecoder("a"), "b": HidDecoder("b", "de")}
    out: list[Scan | Dropped] = []
    for src, event in merged:
        out.extend(decoders[src].feed(event))
    assert sorted((o.source, o.raw) for o in out if isinstance(o, Scan)) == [
        ("a", "0017000161563"), ("b", "4006381333931")]


def test_unterminated_scan_is_cut_by_the_inter_key_timeout() -> None:
    first, t = type_string("12345", t0=10.0)
    second, _ = type_string("0017000161563\n", t0=t + 0.2)
    out = run(HidDecoder("s"), first + second)
    scans = [o for o in out if isinstance(o, Scan)]
    assert [(s.raw, s.terminated) for s in scans] == [("12345", False), ("0017000161563", True)]
    assert validate(scans[1]) == Normalized("017000161563", "EAN-13")


def test_gap_just_under_the_timeout_does_not_cut() -> None:
    first, t = type_string("0017", t0=10.0)
    second, _ = type_string("000161563\n", t0=t + 0.040)
    assert texts(run(HidDecoder("s", inter_key_timeout_s=0.05), first + second)) == [
        "0017000161563"]


def test_gap_before_a_shifted_key_still_cuts() -> None:
    first, t = type_string("12", t0=10.0)
    second, _ = type_string("AB\n", t0=t + 0.5)
    assert texts(run(HidDecoder("s"), first + second)) == ["12", "AB"]


def test_flush_emits_unterminated_scan_only_after_silence() -> None:
    dec = HidDecoder("s", inter_key_timeout_s=0.05)
    events, _ = type_string("96385074", t0=20.0)
    assert run(dec, events) == []
    last = max(x.timestamp() for x in events)
    assert dec.flush(last + 0.03) == []
    (scan,) = dec.flush(last + 0.06)
    assert (scan.raw, scan.terminated) == ("96385074", False)
    assert dec.flush(last + 1.0) == []


def test_received_time_becomes_t_last() -> None:
    dec = HidDecoder("s")
    out: list[Scan | Dropped] = []
    for event in taps(1_700_000_000.0, e.KEY_4, e.KEY_ENTER):
        out.extend(dec.feed(event, received=77.5))
    assert out == [Scan("4", "s", 77.5)]


def test_syn_dropped_discards_partial_scan_and_the_rest_is_ok() -> None:
    dec = HidDecoder("s")
    events, t = type_string("0017000161563\n", t0=30.0)
    downs = [i for i, x in enumerate(events) if x.type == e.EV_KEY and x.value == 1]
    cut = downs[6]  # after "001700"
    lost_window = [ev(t, e.EV_SYN, e.SYN_DROPPED, 0), ev(t, e.EV_KEY, e.KEY_9, 1),
                   ev(t, e.EV_SYN, e.SYN_REPORT, 0)]
    rest = events[downs[8]:]  # two digits lost with the drop
    nxt, _ = type_string("4006381333931\n", t0=t + 0.3)
    out = run(dec, events[:cut] + lost_window + rest + nxt)
    last = out[-1]
    assert isinstance(last, Scan)
    assert out == [Dropped("s", "001700"), Scan("4006381333931", "s", last.t_last)]


def test_syn_dropped_between_scans_then_silence_recovers() -> None:
    dec = HidDecoder("s")
    out = run(dec, [ev(1.0, e.EV_SYN, e.SYN_DROPPED, 0), ev(1.0, e.EV_SYN, e.SYN_REPORT, 0)])
    assert out == [Dropped("s", "")]
    assert dec.pending
    assert dec.flush(5.0) == []
    assert not dec.pending
    events, _ = type_string("96385074\n", t0=5.001)
    assert texts(run(dec, events)) == ["96385074"]


def test_syn_dropped_forgets_a_stuck_shift() -> None:
    dec = HidDecoder("s")
    run(dec, [ev(1.0, e.EV_KEY, e.KEY_LEFTSHIFT, 1), ev(1.0, e.EV_SYN, e.SYN_DROPPED, 0),
              ev(1.0, e.EV_SYN, e.SYN_REPORT, 0)])
    dec.flush(3.0)
    assert texts(run(dec, taps(3.0, e.KEY_1, e.KEY_ENTER))) == ["1"]
    dec.sync_keys([e.KEY_RIGHTSHIFT, e.KEY_A])
    assert texts(run(dec, taps(3.1, e.KEY_1, e.KEY_ENTER))) == ["!"]


def test_overlong_scan_is_cut_and_flagged() -> None:
    events, _ = type_string("1" * 100 + "\n", per_key_ms=(1.0, 1.0))
    (scan,) = texts_scans = [o for o in run(HidDecoder("s"), events) if isinstance(o, Scan)]
    assert len(texts_scans) == 1
    assert scan.raw == "1" * MAX_SCAN_CHARS
    assert scan.problem is not None and "longer than" in scan.problem
    assert not isinstance(validate(scan), Normalized)


def test_unmapped_key_makes_the_scan_invalid_instead_of_shorter() -> None:
    events = taps(1.0, e.KEY_0, e.KEY_F1, e.KEY_1, e.KEY_7, e.KEY_0, e.KEY_0, e.KEY_0,
                  e.KEY_1, e.KEY_6, e.KEY_1, e.KEY_5, e.KEY_6, e.KEY_3, e.KEY_ENTER)
    (raw,) = texts(run(HidDecoder("s"), events))
    assert raw == "0" + REPLACEMENT + "17000161563"
    assert not isinstance(normalize(raw), Normalized)


def test_ctrl_chord_is_not_a_character() -> None:
    events = [ev(1.0, e.EV_KEY, e.KEY_LEFTCTRL, 1), *taps(1.001, e.KEY_J)]
    events += [ev(1.006, e.EV_KEY, e.KEY_LEFTCTRL, 0), *taps(1.008, e.KEY_1, e.KEY_ENTER)]
    assert texts(run(HidDecoder("s"), events)) == [REPLACEMENT + "1"]


def test_numlock_from_reader_is_ignored() -> None:
    events = taps(1.0, e.KEY_NUMLOCK, e.KEY_KP1, e.KEY_NUMLOCK, e.KEY_KP2, e.KEY_KPENTER)
    assert texts(run(HidDecoder("s"), events)) == ["12"]


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="layout"):
        HidDecoder("s", "dvorak")


def test_kernel_event_shape_from_builder() -> None:
    events = key(2.0, e.KEY_1, 1)
    assert [(x.type, x.code, x.value) for x in events] == [
        (e.EV_MSC, e.MSC_SCAN, 0x70000 + e.KEY_1), (e.EV_KEY, e.KEY_1, 1),
        (e.EV_SYN, e.SYN_REPORT, 0)]
