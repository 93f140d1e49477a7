"""Rows read straight from the pages of a SQLite file that SQLite itself refuses to open.

When the first page is garbage (the header, the schema), SQLite cannot say where any
table lives, yet every other page still holds its rows. This reads the file format
(https://www.sqlite.org/fileformat2.html) the way `sqlite3 .recover` does: each table
b-tree leaf page (type 13) is decoded cell by cell, overflow chains followed, and the
newest committed copy of a page in the `-wal` file wins over the main file's.

What it cannot know, it says: the records carry no table name, so the caller matches
them to tables by shape (`kiosk.store.salvage`). Pages on the free list are skipped
when the header can still be read; when it cannot, a page freed before the damage may
still hold rows deleted long ago, and they come back.

Pure functions over bytes; bounded by the file's size (one pass, one page in memory
at a time besides the WAL's index of page offsets).
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["Record", "Value", "carve"]

Value = int | float | str | bytes | None

_MAGIC = b"SQLite format 3\x00"
_WAL_MAGICS = (0x377F0682, 0x377F0683)
_PAGE_SIZES = (512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)
_LEAF_TABLE = 13
_BTREE_TYPES = (2, 5, 10, 13)
_MAX_OVERFLOW = 4096
"""Overflow pages followed for one cell at most (a loop in a damaged chain ends here)."""


@dataclass(frozen=True)
class Record:
    """One row as stored: its rowid and its values in column order."""

    page: int
    rowid: int
    values: tuple[Value, ...]


@dataclass
class _File:
    fh: BinaryIO
    size: int
    page_size: int
    reserved: int
    pages: int
    wal: dict[int, int]  # page number -> offset of its newest committed copy in the WAL
    wal_fh: BinaryIO | None

    def page(self, n: int) -> bytes | None:
        if n < 1:
            return None
        if self.wal_fh is not None and n in self.wal:
            self.wal_fh.seek(self.wal[n])
            data = self.wal_fh.read(self.page_size)
        else:
            self.fh.seek((n - 1) * self.page_size)
            data = self.fh.read(self.page_size)
        return data if len(data) == self.page_size else None


def carve(path: Path, page_size_hint: int | None = None) -> tuple[list[Record], int, bool]:
    """Every readable row of every table leaf page of `path` (and its `-wal`).

    Returns (records, pages that could not be decoded, header_read).
    """
    wal_path = path.with_name(path.name + "-wal")
    with path.open("rb") as fh:
        head = fh.read(100)
        size = path.stat().st_size
        header_ok = len(head) == 100 and head.startswith(_MAGIC)
        wal_fh = wal_path.open("rb") if wal_path.exists() else None
        try:
            wal_size = _wal_page_size(wal_fh)
            page_size, reserved = _header_page_size(head) if header_ok else (0, 0)
            if not page_size:
                page_size = wal_size or _guess_page_size(fh, size, page_size_hint)
            wal = _wal_index(wal_fh, page_size) if wal_fh is not None else {}
            pages = max([size // page_size, *wal.keys()])
            f = _File(fh, size, page_size, reserved, pages, wal, wal_fh)
            first = f.page(1) or b""
            header_ok = len(first) >= 100 and first.startswith(_MAGIC)
            skip = _free_pages(f, first) if header_ok else set()
            records: list[Record] = []
            bad = 0
            for n in range(1, pages + 1):
                if n in skip:
                    continue
                data = f.page(n)
                if data is None:
                    bad += 1
                    continue
                bad += _leaf_records(f, n, data, records)
            return records, bad, header_ok
        finally:
            if wal_fh is not None:
                wal_fh.close()


def _header_page_size(head: bytes) -> tuple[int, int]:
    (raw,) = struct.unpack(">H", head[16:18])
    size = 65536 if raw == 1 else raw
    return (size, head[20]) if size in _PAGE_SIZES else (0, 0)


def _wal_page_size(wal: BinaryIO | None) -> int:
    if wal is None:
        return 0
    wal.seek(0)
    head = wal.read(32)
    if len(head) < 32:
        return 0
    magic, _version, size = struct.unpack(">III", head[:12])
    return size if magic in _WAL_MAGICS and size in _PAGE_SIZES else 0


def _wal_index(wal: BinaryIO, page_size: int) -> dict[int, int]:
    """Newest copy of each page among the WAL's committed frames, as SQLite sees them:
    the current salt and an unbroken running checksum (a frame torn by a power cut, and
    every frame after it, do not count)."""
    wal.seek(0)
    head = wal.read(32)
    if len(head) < 32 or _wal_page_size(wal) != page_size:
        return {}
    order = ">" if struct.unpack(">I", head[:4])[0] & 1 else "<"
    sums = _wal_checksum(order, head[:24], (0, 0))
    if struct.pack(">II", *sums) != head[24:32]:
        return {}
    salt = head[16:24]
    index: dict[int, int] = {}
    pending: dict[int, int] = {}
    offset = 32
    while True:
        wal.seek(offset)
        frame = wal.read(24 + page_size)
        if len(frame) < 24 + page_size or frame[8:16] != salt:
            break
        sums = _wal_checksum(order, frame[24:], _wal_checksum(order, frame[:8], sums))
        if struct.pack(">II", *sums) != frame[16:24]:
            break
        page, commit = struct.unpack(">II", frame[:8])
        pending[page] = offset + 24
        if commit:  # the last frame of a transaction: everything before it counts
            index.update(pending)
            pending.clear()
        offset += 24 + page_size
    return index


def _wal_checksum(order: str, data: bytes, sums: tuple[int, int]) -> tuple[int, int]:
    """SQLite's WAL checksum (https://www.sqlite.org/fileformat2.html#walcksm)."""
    s0, s1 = sums
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def _guess_page_size(fh: BinaryIO, size: int, hint: int | None) -> int:
    """The page size at which the most page starts hold a well-formed b-tree page
    (`hint`, else 4096, when none does).

    A count, not a share: a multiple of the true size looks at every other page only
    (and its share over a few looks can be one lucky look out of one); at a fraction,
    the true pages' content reaches past the candidate's end and the starts in between
    are mid-page bytes. A tie goes to the smaller size. Empty pages (an empty table, its
    index) count as much as full ones: a file may hold several.
    """
    best, found = 0, 0
    for candidate in _PAGE_SIZES:
        good = 0
        for n in range(2, size // candidate + 1):  # page 1 starts with the damaged header
            fh.seek((n - 1) * candidate)
            good += _is_btree_page(fh, candidate)
        if good > found:
            best, found = candidate, good
    return best or hint or 4096


def _is_btree_page(fh: BinaryIO, page_size: int) -> bool:
    """Whether the page starting at `fh`'s position is laid out as SQLite lays out a
    b-tree page of `page_size` bytes: header, cell pointers, and content area inside it.
    The reserved bytes at the end are not known here (at most 255)."""
    head = fh.read(12)
    if len(head) < 12 or head[0] not in _BTREE_TYPES:
        return False
    free, cells, content, fragmented = struct.unpack(">HHHB", head[1:8])
    start: int = content or 65536
    header = 8 if head[0] in (10, 13) else 12
    if fragmented > 60 or not header + 2 * cells <= start <= page_size:
        return False
    if free and not start <= free <= page_size - 4:
        return False
    if cells == 0:  # emptied or never filled: SQLite puts the content start at the end
        return free == 0 and start >= page_size - 255
    if cells > page_size // 4:
        return False
    pointers = (head + fh.read(max(0, header + 2 * cells - 12)))[header:header + 2 * cells]
    if len(pointers) < 2 * cells:
        return False
    return all(start <= at < page_size for (at,) in struct.iter_unpack(">H", pointers))


def _free_pages(f: _File, first: bytes) -> set[int]:
    """The pages on the free list (trunks and leaves), as far as its chain can be read."""
    trunk, total = struct.unpack(">II", first[32:40])
    free: set[int] = set()
    while trunk and trunk not in free and len(free) <= total:
        free.add(trunk)
        data = f.page(trunk)
        if data is None:
            break
        nxt, count = struct.unpack(">II", data[:8])
        count = min(count, (f.page_size - 8) // 4)
        free.update(struct.unpack(f">{count}I", data[8:8 + 4 * count]))
        trunk = nxt
    return free


def _leaf_records(f: _File, n: int, data: bytes, out: list[Record]) -> int:
    """Append the rows of page `n` if it is a table leaf; how many cells were unreadable."""
    base = 100 if n == 1 else 0
    if data[base] != _LEAF_TABLE:
        return 0
    cells: int = struct.unpack(">H", data[base + 3:base + 5])[0]
    usable = f.page_size - f.reserved
    if base + 8 + 2 * cells > usable:
        return 1
    bad = 0
    found: list[Record] = []
    for i in range(cells):
        (at,) = struct.unpack(">H", data[base + 8 + 2 * i:base + 10 + 2 * i])
        try:
            if not base + 8 + 2 * cells <= at < usable:
                raise ValueError(f"cell {i} of page {n} points outside it")
            length, at = _varint(data, at)
            rowid, at = _varint(data, at)
            if rowid >= 1 << 63:
                rowid -= 1 << 64
            found.append(Record(n, rowid, _decode(_payload(f, data, at, length, usable))))
        except (IndexError, ValueError, struct.error):  # UnicodeDecodeError is a ValueError
            bad += 1
    if any(a.rowid >= b.rowid for a, b in itertools.pairwise(found)):
        return cells  # a leaf's rowids ascend: this is not one (or it is torn), trust none
    out.extend(found)
    return bad


def _payload(f: _File, data: bytes, at: int, length: int, usable: int) -> bytes:
    most = usable - 35
    if length <= most:
        return data[at:at + length]
    least = (usable - 12) * 32 // 255 - 23
    local = least + (length - least) % (usable - 4)
    if local > most:
        local = least
    parts = [data[at:at + local]]
    (nxt,) = struct.unpack(">I", data[at + local:at + local + 4])
    remaining = length - local
    for _ in range(_MAX_OVERFLOW):
        if remaining <= 0:
            break
        page = f.page(nxt)
        if page is None:
            raise ValueError(f"overflow page {nxt} is missing")
        take = min(remaining, usable - 4)
        parts.append(page[4:4 + take])
        remaining -= take
        (nxt,) = struct.unpack(">I", page[:4])
    if remaining > 0:
        raise ValueError("overflow chain too long")
    return b"".join(parts)


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | data[at + 8], at + 9


_INT_SIZES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def _decode(payload: bytes) -> tuple[Value, ...]:
    header_len, at = _varint(payload, 0)
    if not 0 < header_len <= len(payload):
        raise ValueError("record header out of bounds")
    types = []
    while at < header_len:
        kind, at = _varint(payload, at)
        types.append(kind)
    values: list[Value] = []
    at = header_len
    for kind in types:
        if kind in (0, 8, 9):
            values.append(None if kind == 0 else kind - 8)
        elif kind in _INT_SIZES:
            width = _INT_SIZES[kind]
            values.append(int.from_bytes(payload[at:at + width], "big", signed=True))
            at += width
        elif kind == 7:
            values.append(struct.unpack(">d", payload[at:at + 8])[0])
            at += 8
        elif kind >= 12:
            width = (kind - 12) // 2
            chunk = payload[at:at + width]
            values.append(chunk.decode("utf-8") if kind % 2 else chunk)
            at += width
        else:
            raise ValueError(f"reserved serial type {kind}")
        if at > len(payload):
            raise ValueError("record runs past its payload")
    if at != len(payload):
        raise ValueError("record does not fill its payload")
    return tuple(values)
