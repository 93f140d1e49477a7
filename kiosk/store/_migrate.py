"""Schema migrations: the version a file is at is `PRAGMA user_version`.

`migrations[i]` (a list of SQL statements) takes the schema from version i to i+1; all
that a file lacks run in one transaction, so a crash leaves it at its old version. A
file newer than this release is refused rather than guessed at (a downgrade).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from kiosk.store._sqlite import rollback
from kiosk.store.errors import StoreError

__all__ = ["migrate"]


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]], name: str) -> None:
    """Bring the schema of `conn` (the file `name`) up to `len(migrations)`."""
    target = len(migrations)
    if conn.execute("PRAGMA user_version").fetchone()[0] == target:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > target:
            raise StoreError(
                f"{name} has schema version {version}, newer than this kiosk's "
                f"{target}: it was written by a newer release; move it away to downgrade"
            )
        for i in range(version, target):
            for statement in migrations[i]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version={target}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
