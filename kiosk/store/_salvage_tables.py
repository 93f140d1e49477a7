"""The fresh file's tables as salvage sees them, and which table a raw record fits.

Salvage is generic over tables (`kiosk.store.salvage`): whatever the migrations made is
read back from the fresh file's schema (`read_schema`), tables that triggers maintain
apart, since the triggers rebuild them. A record carved from a raw page carries no
table name, so it is matched by its shape (`Table.fits`: the column count, each
value's storage class against the column's affinity, NOT NULL); `table_of` names the
one table it fits, or none when it fits none or several.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from kiosk.store.pages import Value

__all__ = ["MASTER", "Column", "Table", "quote", "read_schema", "table_of"]


@dataclass(frozen=True)
class Column:
    name: str
    affinity: str
    notnull: bool
    has_default: bool


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    ipk: int | None  # index of the INTEGER PRIMARY KEY column (the rowid itself)
    seeded: bool  # the migrations put rows in it: a salvaged row replaces them

    def fits(self, values: tuple[Value, ...]) -> bool:
        """Whether a raw record could be a row of this table (count and storage classes)."""
        if not 0 < len(values) <= len(self.columns):
            return False
        for i, (col, value) in enumerate(zip(self.columns, values, strict=False)):
            if i == self.ipk:
                if value is not None:  # SQLite stores NULL there; the rowid is the value
                    return False
            elif not _storable(col, value):
                return False
        return all(c.has_default or not c.notnull for c in self.columns[len(values):])


def table_of(tables: list[Table], values: tuple[Value, ...]) -> Table | None:
    """The one table a raw record fits (an exact column count wins), or None."""
    matches = [t for t in tables if t.fits(values)]
    exact = [t for t in matches if len(t.columns) == len(values)]
    chosen = exact if exact else matches
    return chosen[0] if len(chosen) == 1 else None


def read_schema(conn: sqlite3.Connection) -> tuple[list[Table], list[Table]]:
    """The fresh file's tables in creation order, and those its triggers maintain."""
    master = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'trigger') "
        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()
    derived: set[str] = set()
    for kind, _name, sql in master:
        if kind == "trigger" and sql:
            body = re.split(r"\bBEGIN\b", sql, maxsplit=1, flags=re.IGNORECASE)[-1]
            derived.update(m.lower() for m in re.findall(
                r"\b(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+[\"`]?(\w+)", body, re.IGNORECASE))
    tables: list[Table] = []
    rebuilt: list[Table] = []
    for kind, name, _sql in master:
        if kind != "table":
            continue
        info = conn.execute(f"PRAGMA table_info({quote(name)})").fetchall()
        columns = tuple(Column(str(r[1]), _affinity(str(r[2] or "")), bool(r[3]),
                               r[4] is not None) for r in info)
        keys = [i for i, r in enumerate(info) if r[5]]
        ipk = keys[0] if len(keys) == 1 and str(info[keys[0]][2]).upper() == "INTEGER" else None
        seeded = conn.execute(f"SELECT 1 FROM {quote(name)} LIMIT 1").fetchone() is not None
        table = Table(name, columns, ipk, seeded)
        (rebuilt if name.lower() in derived else tables).append(table)
    return tables, rebuilt


MASTER = Table("sqlite_master", tuple(
    Column(n, a, False, False) for n, a in (
        ("type", "text"), ("name", "text"), ("tbl_name", "text"), ("rootpage", "integer"),
        ("sql", "text"))), None, False)
"""The schema's own rows, so that its pages are known for what they are."""


def _affinity(declared: str) -> str:
    """SQLite's column affinity rules (https://www.sqlite.org/datatype3.html, 3.1)."""
    upper = declared.upper()
    if "INT" in upper:
        return "integer"
    if any(s in upper for s in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if not upper or "BLOB" in upper:
        return "blob"
    if any(s in upper for s in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"


def _storable(col: Column, value: Value) -> bool:
    """Whether a stored value could have been written to `col` (its storage class)."""
    if value is None:
        return not col.notnull
    if col.affinity in ("integer", "real"):
        return isinstance(value, (int, float))
    if col.affinity == "text":
        return isinstance(value, str)
    return True


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

