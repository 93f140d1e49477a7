"""How kiosk opens a SQLite connection, and what SQLite's and the disk's errors mean.

Every connection gets the same pragmas (`connect`): `synchronous=FULL` so a commit is
durable when it returns, a busy timeout so two processes queue instead of failing, a
bounded WAL. `classify` maps an exception to the one word the store acts on: "corrupt"
(move the file aside and salvage it), "full" / "readonly" / "io" (a state: writes are
refused, reads go on), "busy" (another process holds the lock too long).
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from typing import Literal

from kiosk.store.errors import WriteFailure

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DESCRIBE",
    "Failure",
    "QuickCheckFailed",
    "classify",
    "connect",
    "rollback",
]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    # After a checkpoint the WAL is cut back to this size instead of staying at its peak.
    "PRAGMA journal_size_limit=4194304",
)

Failure = Literal["full", "readonly", "io", "corrupt", "busy"]

_SQLITE_FAILURES: dict[int, Failure] = {
    5: "busy",  # SQLITE_BUSY
    6: "busy",  # SQLITE_LOCKED
    8: "readonly",  # SQLITE_READONLY
    10: "io",  # SQLITE_IOERR (EFBIG and some ENOSPC paths land here)
    11: "corrupt",  # SQLITE_CORRUPT
    13: "full",  # SQLITE_FULL
    14: "readonly",  # SQLITE_CANTOPEN: directory missing or not writable
    26: "corrupt",  # SQLITE_NOTADB
}
_ERRNO_FAILURES: dict[int, WriteFailure] = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EFBIG: "full",
    errno.EROFS: "readonly",
    errno.EACCES: "readonly",
    errno.EPERM: "readonly",
}


class QuickCheckFailed(sqlite3.DatabaseError):
    """`PRAGMA quick_check` answered something other than "ok"."""


def classify(exc: BaseException) -> Failure | None:
    """What kind of trouble an exception from SQLite or the file system means."""
    if isinstance(exc, QuickCheckFailed):
        return "corrupt"
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None:
            return None
        return _SQLITE_FAILURES.get(code & 0xFF)
    if isinstance(exc, OSError):
        return _ERRNO_FAILURES.get(exc.errno or 0, "io")
    return None


DESCRIBE: dict[str, str] = {
    "full": "the disk is full",
    "readonly": "the file system is read-only or not writable",
    "io": "the disk reported an I/O error",
}


def connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(
        target, uri=uri, isolation_level=None, check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            logger.warning("rollback failed: %s", exc)
