"""The cache's SQL index: which products, image files and misses the cache holds.

One file (`cache_dir/cache.db`) with four tables: `products` (the answer as JSON, when
it was fetched and what it cost, its byte count and last access), `images` (the file
that holds each image of a product, with its size and CRC-32), `misses` (barcodes the
API did not know) and `totals` (running counts kept by triggers, so the byte bound is
checked on every put without summing the table). Each function here is one statement
or a few, run inside the caller's transaction or read (`Database.write`/`read`); the
policy (what to keep, when to evict) is `kiosk.store.cache`'s.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

__all__ = [
    "CACHE_MIGRATIONS",
    "add_image",
    "drop_images",
    "fetched_at",
    "find",
    "forget",
    "image_files",
    "image_row",
    "put_miss",
    "referenced_files",
    "totals",
    "update_bytes",
    "upsert_product",
]

CACHE_MIGRATIONS = (
    (
        """CREATE TABLE products (
            barcode TEXT PRIMARY KEY CHECK (typeof(barcode) = 'text'),
            product TEXT NOT NULL,
            updated_at TEXT,
            fetched_at REAL NOT NULL,
            credits REAL NOT NULL DEFAULT 0,
            last_access REAL NOT NULL,
            bytes INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX products_by_access ON products (last_access)",
        """CREATE TABLE images (
            barcode TEXT NOT NULL REFERENCES products (barcode) ON DELETE CASCADE,
            key TEXT NOT NULL,
            file TEXT NOT NULL,
            size INTEGER NOT NULL,
            crc INTEGER NOT NULL,
            PRIMARY KEY (barcode, key)
        )""",
        """CREATE TABLE misses (
            barcode TEXT PRIMARY KEY CHECK (typeof(barcode) = 'text'),
            missed_at REAL NOT NULL
        )""",
        "CREATE INDEX misses_by_time ON misses (missed_at)",
        # Running totals kept by triggers: the byte bound is checked on every put
        # without summing the whole table.
        """CREATE TABLE totals (
            id INTEGER PRIMARY KEY CHECK (id = 0),
            products INTEGER NOT NULL,
            bytes INTEGER NOT NULL
        )""",
        "INSERT INTO totals VALUES (0, 0, 0)",
        """CREATE TRIGGER products_ai AFTER INSERT ON products BEGIN
            UPDATE totals SET products = products + 1, bytes = bytes + NEW.bytes;
        END""",
        """CREATE TRIGGER products_ad AFTER DELETE ON products BEGIN
            UPDATE totals SET products = products - 1, bytes = bytes - OLD.bytes;
        END""",
        """CREATE TRIGGER products_au AFTER UPDATE OF bytes ON products BEGIN
            UPDATE totals SET bytes = bytes - OLD.bytes + NEW.bytes;
        END""",
    ),
)

ImageRow = tuple[str, int, int]
"""(file name, size, CRC-32) of one image."""


def find(c: sqlite3.Connection, barcode: str, key: str) -> tuple[Any, Any]:
    """(product row with image `key`'s file, None) or (None, the miss row or None)."""
    row = c.execute(
        "SELECT p.product, p.fetched_at, p.updated_at, p.credits, i.file, i.size, i.crc "
        "FROM products p LEFT JOIN images i ON i.barcode = p.barcode AND i.key = ? "
        "WHERE p.barcode = ?",
        (key, barcode),
    ).fetchone()
    if row is not None:
        return row, None
    return None, c.execute("SELECT missed_at FROM misses WHERE barcode = ?", (barcode,)).fetchone()


def fetched_at(c: sqlite3.Connection, barcode: str) -> float | None:
    """When `barcode`'s product or miss was stored, or None."""
    row = c.execute(
        "SELECT fetched_at FROM products WHERE barcode = ? "
        "UNION ALL SELECT missed_at FROM misses WHERE barcode = ?",
        (barcode, barcode),
    ).fetchone()
    return None if row is None else float(row[0])


def image_row(c: sqlite3.Connection, barcode: str, key: str) -> ImageRow | None:
    row = c.execute(
        "SELECT file, size, crc FROM images WHERE barcode = ? AND key = ?", (barcode, key)
    ).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def totals(c: sqlite3.Connection) -> tuple[int, int, int]:
    """(products, bytes, misses)."""
    products, size, misses = c.execute(
        "SELECT products, bytes, (SELECT COUNT(*) FROM misses) FROM totals"
    ).fetchone()
    return products, size, misses


def image_files(c: sqlite3.Connection, barcode: str) -> dict[str, ImageRow]:
    """Every image of `barcode`, by key."""
    return {r[0]: (r[1], r[2], r[3]) for r in c.execute(
        "SELECT key, file, size, crc FROM images WHERE barcode = ?", (barcode,))}


def referenced_files(c: sqlite3.Connection) -> set[str]:
    return {r[0] for r in c.execute("SELECT file FROM images")}


def upsert_product(c: sqlite3.Connection, barcode: str, text: str, updated_at: str | None,
                   now: float, credits: float) -> None:
    """The product's row, new or replacing the old one (its byte count is `update_bytes`')."""
    c.execute(
        "INSERT INTO products (barcode, product, updated_at, fetched_at, credits, "
        "last_access, bytes) VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (barcode) DO UPDATE "
        "SET product = excluded.product, updated_at = excluded.updated_at, "
        "fetched_at = excluded.fetched_at, credits = excluded.credits, "
        "last_access = excluded.last_access",
        (barcode, text, updated_at, now, credits, now),
    )
    c.execute("DELETE FROM misses WHERE barcode = ?", (barcode,))


def drop_images(c: sqlite3.Connection, barcode: str, keys: Iterable[str]) -> None:
    c.executemany("DELETE FROM images WHERE barcode = ? AND key = ?",
                  [(barcode, key) for key in keys])


def add_image(c: sqlite3.Connection, barcode: str, key: str, row: ImageRow, *,
              replace: bool = False) -> None:
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    c.execute(f"{verb} INTO images (barcode, key, file, size, crc) VALUES (?, ?, ?, ?, ?)",
              (barcode, key, *row))


def update_bytes(c: sqlite3.Connection, barcode: str) -> None:
    """Bring the product's byte count (JSON + image files) up to date."""
    c.execute(
        "UPDATE products SET bytes = length(CAST(product AS BLOB)) + "
        "COALESCE((SELECT SUM(size) FROM images WHERE images.barcode = products.barcode), 0) "
        "WHERE barcode = ?",
        (barcode,),
    )


def forget(c: sqlite3.Connection, barcode: str) -> list[str]:
    """Delete the product and its image rows; the names of its files."""
    files = [r[0] for r in c.execute("SELECT file FROM images WHERE barcode = ?", (barcode,))]
    c.execute("DELETE FROM images WHERE barcode = ?", (barcode,))
    c.execute("DELETE FROM products WHERE barcode = ?", (barcode,))
    return files


def put_miss(c: sqlite3.Connection, barcode: str, now: float, ttl_s: float) -> list[str]:
    """Note a miss (forgetting any product) and drop expired ones; the files to remove."""
    files = forget(c, barcode)
    c.execute("INSERT OR REPLACE INTO misses (barcode, missed_at) VALUES (?, ?)", (barcode, now))
    c.execute("DELETE FROM misses WHERE missed_at < ?", (now - ttl_s,))
    return files
