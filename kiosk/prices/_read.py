"""A price file's bytes to rows of cells, and every problem with its line and column.

The file is read a line at a time, each line capped (`Limits.max_line_bytes`) and the
total counted (`max_bytes`), so a huge or endless file costs a bounded amount of memory
whatever it holds. Each line is decoded on its own, so a byte that is not UTF-8 is
reported at its line and column and the rest of the file is still checked. Reading stops
once `max_problems` are collected: an admin fixes those and checks again.
"""

from __future__ import annotations

import csv
import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Literal

from kiosk.prices._cells import Cell, parse_row
from kiosk.prices._entry import COLUMNS, REQUIRED, Limits, Normalize, PriceEntry, Problem

__all__ = ["Format", "Problems", "format_of", "read_entries", "read_rows"]

Format = Literal["csv", "jsonl"]
_BOM = b"\xef\xbb\xbf"


@dataclass
class Problems:
    """The problems found so far, at most `limit` of them."""

    file: str
    limit: int
    items: list[Problem] = field(default_factory=list)
    stopped_at: int | None = None  # the line where reading stopped at the limit

    def add(self, line: int, column: int, message: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(Problem(self.file, line, column, message))

    @property
    def full(self) -> bool:
        return len(self.items) >= self.limit

    def all(self) -> list[Problem]:
        """Every problem in file order (the whole file's first; a duplicate, found at the
        end, at its line), and a last one saying where reading stopped, if it did."""
        ordered = sorted(self.items, key=lambda p: (p.line, p.column))
        if self.stopped_at is None:
            return ordered
        return [*ordered, Problem(self.file, self.stopped_at, 1,
                                  f"stopped here after {self.limit} problems")]


def format_of(name: str, head: bytes) -> Format:
    """JSON lines for a .jsonl/.ndjson name or a file that starts with '{', else CSV."""
    if name.lower().endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.lower().endswith(".csv"):
        return "csv"
    return "jsonl" if head.removeprefix(_BOM).lstrip().startswith(b"{") else "csv"


class _Lines:
    """The file's lines as text, counted and bounded; `number` is the last line's."""

    def __init__(self, stream: IO[bytes], limits: Limits, problems: Problems) -> None:
        self.stream = stream
        self.limits = limits
        self.problems = problems
        self.number = 0
        self.size = 0

    def __iter__(self) -> Iterator[str]:
        cap = self.limits.max_line_bytes
        while not self.problems.full:
            raw = self.stream.readline(cap + 1)
            if not raw:
                return
            self.number += 1
            self.size += len(raw)
            if self.size > self.limits.max_bytes:
                self.problems.add(0, 0, f"larger than the limit of {self.limits.max_bytes} "
                                        "bytes (prices.max_mb)")
                return
            if len(raw) > cap:
                self.problems.add(self.number, 1, f"line longer than {cap} bytes")
                return
            if self.number == 1:
                raw = raw.removeprefix(_BOM)  # what spreadsheets write first
            yield self._decode(raw)

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            column = len(raw[: exc.start].decode("utf-8", "replace")) + 1
            self.problems.add(self.number, column,
                              f"not UTF-8: byte 0x{raw[exc.start]:02x} (save the file as UTF-8)")
            return raw.decode("utf-8", "replace")


Rows = Iterator[tuple[int, dict[str, Cell]]]


def read_rows(stream: IO[bytes], fmt: Format, limits: Limits, problems: Problems) -> Rows:
    """Each data row as (line, {column name: (text, column)}), in file order.

    Rows with a problem of their shape (too few fields, not a JSON object) are reported
    and skipped; the cells' own rules are `_cells.parse_row`'s."""
    lines = _Lines(stream, limits, problems)
    rows = _csv_rows(lines, problems) if fmt == "csv" else _json_rows(lines, problems)
    for count, row in enumerate(rows, start=1):
        if count > limits.max_rows:
            problems.add(row[0], 1, f"more than {limits.max_rows} rows (prices.max_rows)")
            return
        yield row
        if problems.full:
            break
    if problems.full:
        problems.stopped_at = lines.number


def _unknown(name: str) -> str:
    near = difflib.get_close_matches(name, COLUMNS, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"unknown column {name[:40]!r}{hint}; the columns are {', '.join(COLUMNS)}"


def _header(text: str, line: int, problems: Problems) -> tuple[str, list[str]] | None:
    delimiter = ";" if text.count(";") > text.count(",") else ","
    try:
        cells = next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        problems.add(line, 1, f"not CSV: {exc}")
        return None
    names = [n.strip().lower() for n in cells]
    before = len(problems.items)
    for column, name in enumerate(names, start=1):
        if not name:
            problems.add(line, column, "a column without a name (a separator too many?)")
        elif name not in COLUMNS:
            problems.add(line, column, _unknown(name))
        elif names.index(name) != column - 1:
            problems.add(line, column, f"column {name!r} twice")
    for name in REQUIRED:
        if name not in names:
            problems.add(line, 1, f"the header has no column {name!r} (required: "
                                  f"{', '.join(REQUIRED)})")
    return None if len(problems.items) > before else (delimiter, names)


def _csv_rows(lines: _Lines, problems: Problems) -> Rows:
    texts = iter(lines)
    first = next((t for t in texts if t.strip()), None)
    if first is None:
        if lines.number == 0 and not problems.items:
            problems.add(0, 0, "empty: a CSV price file starts with a header row")
        return
    header = _header(first, lines.number, problems)
    if header is None:
        return
    delimiter, names = header
    reader = csv.reader(texts, delimiter=delimiter, strict=True)
    while True:
        start = lines.number + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(lines.number, 1, f"not CSV: {exc}")
            return
        if not any(v.strip() for v in record):
            continue
        if len(record) != len(names):
            problems.add(start, min(len(record), len(names)) + 1,
                         f"{len(record)} fields, the header has {len(names)}")
            continue
        pairs = enumerate(zip(names, record, strict=True), start=1)
        yield start, {name: (value.strip(), column) for column, (name, value) in pairs}


def _json_rows(lines: _Lines, problems: Problems) -> Rows:
    seen = False
    for text in lines:
        if not text.strip():
            continue
        seen = True
        line = lines.number
        try:
            obj = json.loads(text.rstrip("\r\n"), parse_float=Decimal)
        except json.JSONDecodeError as exc:
            problems.add(line, exc.colno, f"not JSON: {exc.msg}")
            continue
        except RecursionError:
            problems.add(line, 1, "not JSON: nested too deeply")
            continue
        if not isinstance(obj, dict):
            problems.add(line, 1, "a line must be one JSON object: {\"barcode\": ...}")
            continue
        cells = _json_cells(obj, text, line, problems)
        if cells is not None:
            yield line, cells
    if not seen and lines.number == 0 and not problems.items:
        problems.add(0, 0, "empty: no price lines")


def _json_cells(obj: dict[str, Any], text: str, line: int, problems: Problems
                ) -> dict[str, Cell] | None:
    cells: dict[str, Cell] = {}
    ok = True
    for key, value in obj.items():
        column = text.find(json.dumps(key)) + 1 or 1
        if key not in COLUMNS:
            problems.add(line, column, _unknown(key))
            ok = False
            continue
        cell = _json_text(key, value)
        if cell is None:
            ok = False
            kind = "a string" if key in ("barcode", "unit", "recall", "name") else "a number"
            why = " (leading zeros matter)" if key == "barcode" else " or null"
            problems.add(line, column, f"{key}: must be {kind}{why}")
            continue
        cells[key] = (cell, column)
    if "barcode" not in obj:
        problems.add(line, 1, "no \"barcode\"")
        ok = False
    return cells if ok else None


def _json_text(key: str, value: object) -> str | None:
    """The value as the CSV cell that says the same, or None for a value of the wrong kind."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if key in ("barcode", "unit", "recall", "name") or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal) and key not in ("promo_from", "promo_until"):
        return str(value)
    return None



def read_entries(stream: IO[bytes], fmt: Format, normalize: Normalize, limits: Limits,
                 problems: Problems) -> Iterator[tuple[int, int, PriceEntry]]:
    """Each valid row as (line, the barcode's column, entry); the others go to `problems`."""
    for line, cells in read_rows(stream, fmt, limits, problems):
        got = parse_row(cells, normalize)
        if isinstance(got, PriceEntry):
            yield line, cells["barcode"][1], got
        else:
            for column, message in got:
                problems.add(line, column, message)
