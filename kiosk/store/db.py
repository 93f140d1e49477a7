"""One SQLite file, opened so that a kiosk on an SD card survives what happens to it.

Choices, and why:

- WAL with `synchronous=FULL`: a commit is one append to the WAL plus one fdatasync,
  and it is durable when `commit` returns, so "saved" on screen is true even if the
  power goes a millisecond later. Readers never wait for the writer.
- Two connections per file: the writer (behind a lock, `BEGIN IMMEDIATE` so that two
  processes queue on busy_timeout instead of failing a lock upgrade) and a reader
  (`query_only`) that the UI thread uses while the drainer's fsync is in flight.
- `PRAGMA quick_check` on open (milliseconds for a kiosk-sized file, see the bench),
  and the same corruption codes caught during operation: the damaged file is moved
  aside as `<name>.corrupt-<timestamp>` for inspection, a new one is started, every
  row still readable in the damaged one is copied into it (`kiosk.store.salvage`), and
  ONE warning says what was kept and lost. Raising instead would make systemd restart
  the daemon into the same corrupt file forever. Only the newest moved-aside copies
  are kept (`prune_copies`), so a card that keeps failing does not fill up.
- A disk that is full or read-only is a state, not a crash: writes raise
  `StoreWriteError` (logged once when the state starts and once when it ends) and
  reads keep working from whatever could be opened.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from kiosk.atomic import fsync_dir
from kiosk.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreWriteError, WriteFailure
from kiosk.store.files import unlink_quietly
from kiosk.store.salvage import prune_copies, salvage_into

__all__ = ["BUSY_TIMEOUT_MS", "Database", "classify"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
_PRAGMAS = (
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


class _QuickCheckFailed(sqlite3.DatabaseError):
    """`PRAGMA quick_check` answered something other than "ok"."""


def classify(exc: BaseException) -> Failure | None:
    """What kind of trouble an exception from SQLite or the file system means."""
    if isinstance(exc, _QuickCheckFailed):
        return "corrupt"
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None:
            return None
        return _SQLITE_FAILURES.get(code & 0xFF)
    if isinstance(exc, OSError):
        return _ERRNO_FAILURES.get(exc.errno or 0, "io")
    return None


_DESCRIBE: dict[str, str] = {
    "full": "the disk is full",
    "readonly": "the file system is read-only or not writable",
    "io": "the disk reported an I/O error",
}


class Database:
    """A SQLite file (or `:memory:` when `path` is None) with a schema and a health state.

    `migrations[i]` (a list of SQL statements) takes the schema from version i to i+1,
    as recorded in `PRAGMA user_version`.
    `what` names the consequence of losing the file, for the one warning line.
    `salvage`: rows still readable in a damaged file are copied into its replacement
    (every table of the schema), so a bad page costs the rows on it, not all of them.
    `repair` runs after them in the same transaction (the cache names its image files
    again) and returns a phrase for the journal line, or None.
    Thread-safe: `read` and `write` may be called from any thread.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        migrations: Sequence[Sequence[str]],
        what: str,
        readonly: bool = False,
        check_on_open: bool = True,
        salvage: bool = True,
        repair: Callable[[sqlite3.Connection], str | None] | None = None,
        page_size: int | None = None,
    ) -> None:
        self._page_size = page_size
        self.path = path
        self._salvage = salvage
        self._repair = repair
        self._damage: tuple[str, Path] | None = None  # (reason, moved-aside copy)
        self.readonly = readonly
        self._migrations = tuple(migrations)
        self._what = what
        self._check_on_open = check_on_open
        self._wlock = threading.RLock()
        self._rlock: threading.RLock = self._wlock if path is None else threading.RLock()
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._generation = 0
        self._failing: WriteFailure | None = None
        self._closed = False
        with self._wlock, self._rlock:
            self._open()
        if path is not None and not readonly:
            prune_copies(path)  # copies left by an older release, which kept them all

    # --- public -------------------------------------------------------------------

    @property
    def failing(self) -> WriteFailure | None:
        """Why the last write failed, or None when writing works."""
        return self._failing

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in one `BEGIN IMMEDIATE` transaction and commit it durably."""
        for attempt in (0, 1):
            with self._wlock:
                conn = self._writer_or_raise()
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    result = fn(conn)
                    conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    _rollback(conn)
                    kind = classify(exc)
                    if kind == "corrupt" and attempt == 0 and not self.readonly:
                        self._recover(self._generation, exc)
                        continue
                    raise self._translate(exc, kind) from exc
                except BaseException:
                    _rollback(conn)
                    raise
                self._note_ok()
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on the reader connection (never blocked by the writer's fsync)."""
        for attempt in (0, 1):
            generation = self._generation
            with self._rlock:
                conn = self._reader
                if conn is None:
                    raise StoreError(f"{self._name()} is closed")
                try:
                    return fn(conn)
                except sqlite3.Error as exc:
                    kind = classify(exc)
                    if kind != "corrupt" or attempt == 1 or self.readonly:
                        raise self._translate(exc, kind) from exc
                    damage = exc
            self._recover(generation, damage)
        raise AssertionError("unreachable")  # pragma: no cover

    def integrity_check(self) -> list[str]:
        """Full `PRAGMA integrity_check` rows (["ok"] when sound). Slow: tests and tools."""
        return self.read(lambda c: [r[0] for r in c.execute("PRAGMA integrity_check")])

    def close(self) -> None:
        with self._wlock, self._rlock:
            self._closed = True
            self._close_connections()

    # --- opening and recovery ----------------------------------------------------------

    def _name(self) -> str:
        return str(self.path) if self.path is not None else ":memory:"

    def _open(self) -> None:
        if self.path is None:
            conn = _connect(":memory:")
            self._migrate(conn)
            self._writer = self._reader = conn
            return
        if self.readonly:
            self._open_readonly(self.path)
            return
        for attempt in (0, 1):
            try:
                self._open_writable(self.path)
                return
            except sqlite3.Error as exc:
                self._close_connections()
                kind = classify(exc)
                if kind == "corrupt" and attempt == 0:
                    if self._move_aside(str(exc)):
                        continue
                elif kind in ("full", "readonly", "io"):
                    self.note_failure(kind, exc)
                else:
                    raise self._translate(exc, kind) from exc
            except OSError as exc:  # the directory could not be created
                self._close_connections()
                self.note_failure(classify(exc), exc)  # type: ignore[arg-type]
            break
        if self._damage is not None:
            reason, moved_to = self._damage
            self._damage = None
            logger.warning("%s was damaged (%s): moved it to %s, but no new one could be "
                           "started; its readable rows stay in the moved file; %s",
                           self.path, reason, moved_to.name, self._what)
        # Could not open for writing: serve reads from what can be read.
        self._open_readonly(self.path)

    def _open_writable(self, path: Path) -> None:
        """Open writer and reader; only a complete success replaces the current pair."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = reader = None
        try:
            writer = _connect(str(path))
            if self._page_size is not None:
                writer.execute(f"PRAGMA page_size={int(self._page_size)}")  # new files only
            if self._check_on_open:
                rows = [r[0] for r in writer.execute("PRAGMA quick_check")]
                if rows != ["ok"]:
                    raise _QuickCheckFailed("quick_check: " + "; ".join(rows[:3]))
            mode = writer.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                logger.warning("%s: could not switch to WAL (journal_mode=%s)", path, mode)
            self._migrate(writer)
            reader = _connect(str(path))
            reader.execute("PRAGMA query_only=ON")
        except UnicodeDecodeError as exc:  # SQLite's message quoted a garbled schema
            for conn in (reader, writer):
                if conn is not None:
                    conn.close()
            raise _QuickCheckFailed(f"the schema is garbled ({exc.reason})") from exc
        except BaseException:
            for conn in (reader, writer):
                if conn is not None:
                    conn.close()
            raise
        self._close_connections()
        self._writer, self._reader = writer, reader
        self._note_ok()
        if self._damage is not None:
            self._restore(writer)

    def _open_readonly(self, path: Path) -> None:
        """Reader only: the file read-only, or an empty in-memory schema if that fails.

        On a read-only file system a WAL database without its -shm file cannot be opened
        normally; `immutable=1` still reads everything checkpointed (all of it after a
        clean shutdown).
        """
        conn: sqlite3.Connection | None = None
        if path.exists():
            for query in ("?mode=ro", "?mode=ro&immutable=1"):
                try:
                    conn = self._connect_readonly(path.resolve().as_uri() + query)
                    break
                except (sqlite3.Error, UnicodeDecodeError) as exc:
                    if classify(exc) == "corrupt" and self.readonly:
                        raise StoreCorrupt(
                            f"{path} is damaged ({exc}); the daemon will replace it") from exc
                    failure = exc
            else:
                logger.warning("%s cannot be opened even for reading: %s", path, failure)
        if conn is None:
            conn = _connect(":memory:")
            self._migrate(conn)
        conn.execute("PRAGMA query_only=ON")
        self._close_connections()
        self._reader = conn

    def _connect_readonly(self, uri: str) -> sqlite3.Connection | None:
        conn = _connect(uri, uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            conn.close()
            raise
        if version != len(self._migrations):
            logger.warning("%s has schema version %d, this kiosk reads %d; showing it as empty",
                           uri, version, len(self._migrations))
            conn.close()
            return None
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        target = len(self._migrations)
        if conn.execute("PRAGMA user_version").fetchone()[0] == target:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > target:
                raise StoreError(
                    f"{self._name()} has schema version {version}, newer than this kiosk's "
                    f"{target}: it was written by a newer release; move it away to downgrade"
                )
            for i in range(version, target):
                for statement in self._migrations[i]:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target}")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

    def _recover(self, generation: int, exc: sqlite3.Error) -> None:
        """Replace a file found damaged during operation (once per damage, any thread)."""
        with self._wlock, self._rlock:
            if generation != self._generation or self._closed:
                return  # another thread already did it
            self._generation += 1
            self._close_connections()
            assert self.path is not None  # an in-memory database cannot be damaged on disk
            if self._move_aside(str(exc)):
                self._open()
            else:
                self._open_readonly(self.path)

    def _move_aside(self, reason: str) -> bool:
        assert self.path is not None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        dest = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while dest.exists():
            n += 1
            dest = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, dest)
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists():
                os.replace(wal, dest.with_name(dest.name + "-wal"))
            unlink_quietly(self.path.with_name(self.path.name + "-shm"))
            fsync_dir(self.path.parent)
        except OSError as exc:
            logger.error(
                "%s is damaged (%s) and could not be moved aside (%s); %s is unavailable "
                "until it is removed by hand",
                self.path, reason, exc.strerror, self._what,
            )
            return False
        self._damage = (reason, dest)
        prune_copies(self.path)
        return True

    def _restore(self, writer: sqlite3.Connection) -> None:
        """Copy what the damaged file still holds into the new one; the ONE warning line."""
        assert self._damage is not None
        reason, moved_to = self._damage
        self._damage = None
        summary = ""
        if self._salvage:
            writer.execute("BEGIN IMMEDIATE")
            try:
                report = salvage_into(moved_to, writer, page_size_hint=self._page_size)
                repaired = self._repair(writer) if self._repair is not None else None
                writer.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                _rollback(writer)
                summary = f"; nothing could be copied from it ({exc})"
            else:
                summary = "; " + report.describe() + (f"; {repaired}" if repaired else "")
        logger.warning(
            "%s was damaged (%s): moved it to %s and started a new one%s; %s",
            self.path, reason, moved_to.name, summary, self._what,
        )

    def _close_connections(self) -> None:
        for conn in {id(c): c for c in (self._reader, self._writer) if c is not None}.values():
            try:
                conn.close()
            except sqlite3.Error as exc:
                logger.warning("closing %s: %s", self._name(), exc)
        self._reader = self._writer = None

    # --- write health ----------------------------------------------------------------

    def _writer_or_raise(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"{self._name()} is closed")
        if self._writer is None and not self.readonly and self.path is not None:
            # Degraded since open: the disk may be writable again.
            with self._rlock:
                try:
                    self._open_writable(self.path)
                except (sqlite3.Error, OSError) as exc:
                    found = classify(exc)
                    if found in ("full", "readonly", "io"):
                        self.note_failure(found, exc)
                    else:
                        logger.debug("reopening %s for writing failed: %s", self.path, exc)
        if self._writer is None:
            kind: WriteFailure = self._failing or "readonly"
            raise StoreWriteError(f"{self._name()}: {_DESCRIBE[kind]}", kind=kind)
        return self._writer

    def _translate(self, exc: sqlite3.Error, kind: Failure | None) -> Exception:
        if kind in ("full", "readonly", "io"):
            self.note_failure(kind, exc)
            message = f"{self._name()}: {_DESCRIBE[kind]} ({exc})"
            return StoreWriteError(message, kind=kind)
        if kind == "busy":
            return StoreBusy(f"{self._name()} stayed locked by another process: {exc}")
        if kind == "corrupt":
            return StoreCorrupt(f"{self._name()} is damaged: {exc}")
        return exc

    def note_failure(self, kind: WriteFailure, exc: BaseException) -> None:
        """Log the start of a write failure once (also used for the image files)."""
        if self._failing != kind:
            logger.warning("%s: cannot write, %s (%s)", self._name(), _DESCRIBE[kind], exc)
        self._failing = kind

    def _note_ok(self) -> None:
        if self._failing is not None:
            logger.warning("%s: writing works again", self._name())
            self._failing = None


def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(
        target, uri=uri, isolation_level=None, check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    return conn


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            logger.warning("rollback failed: %s", exc)
