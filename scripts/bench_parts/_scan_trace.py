"""A realistic, reproducible scan trace for the benchmarks that replay a shop day.

Named `_scan_trace`, not `trace`: this directory is put first on `sys.path`, and a
`trace.py` there would shadow the standard library's `trace` module.

What a kiosk by the shelves sees, and what the trace therefore holds:

* shoppers arrive one after another at one of two readers and scan one to four items;
  a few items are very popular (Zipf-like), most are scanned now and then;
* a shopper often scans the same item again a few seconds later, and some shoppers come
  back hours later and re-scan what they looked at before;
* a handheld in presentation mode reads one barcode two or three times within 0.3 s
  (double reads, same text, same reader);
* mis-reads: a wrong check digit, a partial read (digits missing), garbage (control
  characters, a QR code's URL, an empty line); the shopper usually tries again;
* products that are not in the catalog, with valid check digits;
* the two readers transmit UPC-A differently: the first as 12 digits (now and then as a
  GTIN-14 with leading zeros), the second as an EAN-13 with a leading 0; both send the
  products printed as UPC-E as 8 digits, as most scanners do unless told to expand.

Each `TraceScan` also carries the ground truth the replay is checked against: `gtin`
is the catalog form a correct normalizer must produce (None for a read that must be
refused). The truth is derived with the sandbox catalog's own helpers, not with
`kiosk.scanner`, so the benchmark notices a normalizer that maps a spelling wrongly.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kiosk.sandbox.catalog import gs1_check_digit, is_valid_gtin, upca_to_upce

__all__ = ["READERS", "Kind", "TraceScan", "make_trace"]

Kind = Literal["good", "rescan", "returning", "double", "misread", "garbage", "unknown"]

#: Source names as `open_readers` gives them: the device path.
READERS: tuple[str, str] = ("/dev/input/by-id/usb-Datalogic_QD2430-event-kbd", "/dev/ttyACM0")

_ZIPF_S = 1.1
_P_DOUBLE = 0.12
_P_MISREAD = 0.06
_P_GARBAGE = 0.02
_P_UNKNOWN = 0.08
_P_RESCAN = 0.15
_P_RETURNING = 0.2
_P_GTIN14 = 0.05
_RETURN_AFTER_S = 600.0
_GARBAGE = (
    "",
    "\x1b[A",
    "https://qr.example.com/p/8841",
    "ABC-1234",
    "0170001615\x0063",
    "]C1" + "10ABC123",
    "\u00e9\u00e9\u00e9",
    "1" * 30,
)


@dataclass(frozen=True)
class TraceScan:
    """One read as a scanner would deliver it, at trace time `t` (seconds from start)."""

    raw: str
    source: str
    t: float
    kind: Kind = "good"
    gtin: str | None = field(default=None, compare=False)


def make_trace(catalog: Mapping[str, Any], n: int = 600, seed: int = 7) -> list[TraceScan]:
    """`n` scans in time order; the same catalog, `n` and seed give the same trace."""
    return _TraceMaker(catalog, seed).make(n)


class _TraceMaker:
    def __init__(self, catalog: Mapping[str, Any], seed: int) -> None:
        self.rng = random.Random(seed)
        self.catalog = catalog
        ranked = sorted(catalog)
        self.rng.shuffle(ranked)
        self.ranked = ranked
        self.weights = [1.0 / (rank + 1) ** _ZIPF_S for rank in range(len(ranked))]
        self.unknown = [self._unknown_code() for _ in range(max(8, len(catalog) // 3))]
        self.baskets: list[tuple[float, list[str]]] = []

    def make(self, n: int) -> list[TraceScan]:
        scans: list[TraceScan] = []
        free_at = dict.fromkeys(READERS, 0.0)
        t = 0.0
        while len(scans) < n:
            t += self.rng.expovariate(1 / 40.0)
            reader = self.rng.choice(READERS)
            start = max(t, free_at[reader] + 2.0)
            session = self._session(reader, start)
            free_at[reader] = session[-1].t if session else start
            scans.extend(session)
        scans.sort(key=lambda s: s.t)
        return scans[:n]

    # --- one shopper ----------------------------------------------------------------------

    def _session(self, reader: str, t: float) -> list[TraceScan]:
        rng = self.rng
        out: list[TraceScan] = []
        earlier = [items for when, items in self.baskets if when < t - _RETURN_AFTER_S]
        if earlier and rng.random() < _P_RETURNING:
            basket = rng.choice(earlier)
            items = rng.sample(basket, k=rng.randint(1, len(basket)))
            kinds: list[Kind] = ["returning"] * len(items)
        else:
            items = [self._pick() for _ in range(rng.choice((1, 1, 2, 2, 3, 4)))]
            kinds = ["good"] * len(items)
            basket = [i for i in items if i in self.catalog]
            if basket:
                self.baskets.append((t, basket))
        for code, kind in zip(items, kinds, strict=True):
            t += rng.uniform(2.0, 12.0)
            if rng.random() < _P_GARBAGE:
                out.append(TraceScan(rng.choice(_GARBAGE), reader, t, "garbage"))
                t += rng.uniform(1.0, 4.0)
            if code in self.catalog and rng.random() < _P_MISREAD:
                out.append(self._misread(code, reader, t))
                t += rng.uniform(1.0, 3.0)
            known = code in self.catalog
            raw = self._spell(code, reader) if known else code
            out.extend(self._read(raw, reader, t, kind if known else "unknown", code))
            if rng.random() < _P_RESCAN:
                t += rng.uniform(2.0, 20.0)
                out.extend(self._read(raw, reader, t, "rescan" if known else "unknown", code))
        return out

    def _read(self, raw: str, reader: str, t: float, kind: Kind, gtin: str) -> list[TraceScan]:
        """A good read, sometimes followed by the reader's own double or triple read."""
        reads = [TraceScan(raw, reader, t, kind, gtin)]
        if self.rng.random() < _P_DOUBLE:
            for _ in range(self.rng.choice((1, 1, 2))):
                t += self.rng.uniform(0.05, 0.3)
                reads.append(TraceScan(raw, reader, t, "double", gtin))
        return reads

    def _pick(self) -> str:
        if self.rng.random() < _P_UNKNOWN:
            return self.rng.choice(self.unknown)
        return self.rng.choices(self.ranked, weights=self.weights)[0]

    # --- spellings ------------------------------------------------------------------------

    def _spell(self, code: str, reader: str) -> str:
        """How `reader` transmits catalog product `code`."""
        if len(code) != 12:
            return code  # EAN-13 and EAN-8 travel as printed
        upce = upca_to_upce(code)
        if upce is not None:
            return upce
        if reader == READERS[1]:
            return "0" + code
        return "00" + code if self.rng.random() < _P_GTIN14 else code

    def _misread(self, code: str, reader: str, t: float) -> TraceScan:
        """A read of `code` that no correct normalizer may accept."""
        raw = self._spell(code, reader)
        if self.rng.random() < 0.5:
            good = raw[-1]
            if len(raw) == 8:  # never the EAN-8 check digit: that would be a valid EAN-8
                good += gs1_check_digit(raw[:-1])
            wrong = self.rng.choice([d for d in "0123456789" if d not in good])
            bad = raw[:-1] + wrong
        else:
            lengths = [k for k in range(5, len(raw)) if k not in (8, 12, 13, 14)]
            bad = raw[: self.rng.choice(lengths)]
        assert not is_valid_gtin(bad), bad  # a changed UPC-E check digit is never valid either
        return TraceScan(bad, reader, t, "misread")

    def _unknown_code(self) -> str:
        """A valid GTIN in its catalog form that the catalog does not hold."""
        while True:
            shape = self.rng.random()
            if shape < 0.5:
                body = self.rng.choice("0678") + _digits(self.rng, 10)
                code = body + gs1_check_digit(body)
                if upca_to_upce(code) is not None:
                    continue
            elif shape < 0.9:
                body = self.rng.choice(("40", "50", "76", "87", "729")) + _digits(self.rng, 12)
                code = body[:12] + gs1_check_digit(body[:12])
            else:
                body = self.rng.choice(("40", "96")) + _digits(self.rng, 5)
                code = body + gs1_check_digit(body)
            if code not in self.catalog:
                return code


def _digits(rng: random.Random, k: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(k))
