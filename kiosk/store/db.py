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

`Database` is the lifecycle (open, degrade, recover, health); the connection's pragmas
and what an error means are `kiosk.store._sqlite`, the schema versions
`kiosk.store._migrate`, moving a damaged file aside `kiosk.store._damaged`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from kiosk.store._damaged import move_aside, prune_copies
from kiosk.store._migrate import migrate
from kiosk.store._sqlite import DESCRIBE, Failure, QuickCheckFailed, classify, connect, rollback
from kiosk.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreWriteError, WriteFailure
from kiosk.store.salvage import salvage_into

__all__ = ["Database"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


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
                    rollback(conn)
                    kind = classify(exc)
                    if kind == "corrupt" and attempt == 0 and not self.readonly:
                        self._recover(self._generation, exc)
                        continue
                    raise self._translate(exc, kind) from exc
                except BaseException:
                    rollback(conn)
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
            conn = connect(":memory:")
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
            writer = connect(str(path))
            if self._page_size is not None:
                writer.execute(f"PRAGMA page_size={int(self._page_size)}")  # new files only
            if self._check_on_open:
                rows = [r[0] for r in writer.execute("PRAGMA quick_check")]
                if rows != ["ok"]:
                    raise QuickCheckFailed("quick_check: " + "; ".join(rows[:3]))
            mode = writer.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                logger.warning("%s: could not switch to WAL (journal_mode=%s)", path, mode)
            self._migrate(writer)
            reader = connect(str(path))
            reader.execute("PRAGMA query_only=ON")
        except UnicodeDecodeError as exc:  # SQLite's message quoted a garbled schema
            for conn in (reader, writer):
                if conn is not None:
                    conn.close()
            raise QuickCheckFailed(f"the schema is garbled ({exc.reason})") from exc
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
            conn = connect(":memory:")
            self._migrate(conn)
        conn.execute("PRAGMA query_only=ON")
        self._close_connections()
        self._reader = conn

    def _connect_readonly(self, uri: str) -> sqlite3.Connection | None:
        conn = connect(uri, uri=True)
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
        migrate(conn, self._migrations, self._name())

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
        dest = move_aside(self.path, reason, self._what)
        if dest is None:
            return False
        self._damage = (reason, dest)
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
                rollback(writer)
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
            raise StoreWriteError(f"{self._name()}: {DESCRIBE[kind]}", kind=kind)
        return self._writer

    def _translate(self, exc: sqlite3.Error, kind: Failure | None) -> Exception:
        if kind in ("full", "readonly", "io"):
            self.note_failure(kind, exc)
            message = f"{self._name()}: {DESCRIBE[kind]} ({exc})"
            return StoreWriteError(message, kind=kind)
        if kind == "busy":
            return StoreBusy(f"{self._name()} stayed locked by another process: {exc}")
        if kind == "corrupt":
            return StoreCorrupt(f"{self._name()} is damaged: {exc}")
        return exc

    def note_failure(self, kind: WriteFailure, exc: BaseException) -> None:
        """Log the start of a write failure once (also used for the image files)."""
        if self._failing != kind:
            logger.warning("%s: cannot write, %s (%s)", self._name(), DESCRIBE[kind], exc)
        self._failing = kind

    def _note_ok(self) -> None:
        if self._failing is not None:
            logger.warning("%s: writing works again", self._name())
            self._failing = None

