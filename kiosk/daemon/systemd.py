"""What the daemon tells systemd: the journal (logging) and the notify protocol.

**The journal.** Logging for remote admins: journald with structured fields, or plain
stderr.

Under systemd every line goes to the journal through `systemd.journal.JournalHandler`
with `SYSLOG_IDENTIFIER=kiosk`, and events carry fields admins filter on::

    journalctl -u kiosk KIOSK_EVENT=scan OUTCOME=queued

Without a journal that answers (a developer's terminal, or a socket file left behind
by a journald that is gone) the same records are printed as plain lines on stderr,
the fields appended as `KEY=value`. A journald that stops answering later does not
cost a line either: the record goes to stderr instead of a logging traceback.
Messages carry no timestamps: journald keeps its own.

Why the process ends (`fatal`) is also written to stderr when that is a terminal: an
admin who types `kiosk run` is watching it, not the journal. It is written there once,
whether the line reached journald or fell back to stderr anyway.

**The notify protocol** (`Notifier`): READY, STATUS, WATCHDOG, RELOADING, STOPPING.
`systemd.daemon.notify` does nothing when `NOTIFY_SOCKET` is unset (a terminal, a test
without a socket), so the daemon can call these unconditionally.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from kiosk.sanitize import escape_controls

__all__ = ["JOURNAL_SOCKET", "Notifier", "event", "fatal", "journal_answers", "label_entries",
           "setup_logging"]

logger = logging.getLogger(__name__)

JOURNAL_SOCKET = "/run/systemd/journal/socket"
# Lower-case, so journald drops it: the fields themselves are sent as upper-case attributes.
_FIELD_PREFIX = "kiosk_fields"
_TO_TERMINAL = "kiosk_to_terminal"  # lower-case for the same reason


class _StderrFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {record.getMessage()}"
        fields: Mapping[str, Any] = getattr(record, _FIELD_PREFIX, {})
        if fields:
            line += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class _Labels(logging.Filter):
    """Adds the fleet's labels (KIOSK_STORE, KIOSK_LANE) to every record: JournalHandler
    sends a record's upper-case attributes as fields, so each entry, a library's too,
    carries them to the central journal. A record's own field of that name wins."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in self.fields.items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


_LABELS = _Labels()


def label_entries(fields: Mapping[str, str]) -> None:
    """From now on every entry carries `fields` (`FleetConfig.journal_fields()`)."""
    _LABELS.fields = dict(fields)


def journal_answers(path: str = JOURNAL_SOCKET) -> bool:
    """True when journald listens on `path`, not merely when the socket file exists.

    A journald that died (or an image snapshotted with one running) leaves the file
    behind; sending to it fails with ECONNREFUSED on every line.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


def _stderr_handler() -> logging.StreamHandler[TextIO]:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StderrFormatter())
    return handler


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False


def _journal_handler() -> logging.Handler:
    from systemd.journal import JournalHandler

    class _Handler(JournalHandler):  # type: ignore[misc]  # systemd-python is untyped
        """JournalHandler whose records go to stderr while journald does not answer,
        and whose `fatal` records are shown on a terminal stderr as well."""

        fallback = _stderr_handler()
        _fell_back = False  # set by handleError during one emit (under the handler's lock)

        def emit(self, record: logging.LogRecord) -> None:
            self._fell_back = False
            super().emit(record)
            if (getattr(record, _TO_TERMINAL, False) and not self._fell_back
                    and _is_terminal(self.fallback.stream)):
                self.fallback.handle(record)

        def handleError(self, record: logging.LogRecord) -> None:
            self._fell_back = True
            self.fallback.handle(record)

    handler: logging.Handler = _Handler(SYSLOG_IDENTIFIER="kiosk")
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def setup_logging(level: int = logging.INFO, *, journal: bool | None = None) -> str:
    """Send the root logger to journald when it answers, else to stderr.

    Returns "journal" or "stderr". httpx's per-request INFO lines are kept at WARNING:
    the kiosk logs one line per scan itself.
    """
    use_journal = journal_answers() if journal is None else journal
    handler = _journal_handler() if use_journal else _stderr_handler()
    handler.addFilter(_LABELS)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return "journal" if use_journal else "stderr"


def event(logger: logging.Logger, level: int, message: str, /, **fields: Any) -> None:
    """Log `message` with journal fields (upper-case names; None values are left out)."""
    clean = {k.upper(): _field(v) for k, v in fields.items() if v is not None}
    extra: dict[str, Any] = dict(clean)
    extra[_FIELD_PREFIX] = clean
    logger.log(level, "%s", message, extra=extra, stacklevel=2)


def fatal(logger: logging.Logger, message: str, /, *args: Any, exc_info: bool = False) -> None:
    """Log why the process is ending, also on the terminal that started it (if any).

    The one way the daemon says it cannot go on: under systemd the journal line is what
    the admin reads; typed by hand, the exit status alone would be a silent failure.
    """
    logger.error(message, *args, exc_info=exc_info, extra={_TO_TERMINAL: True},
                 stacklevel=2)


def _field(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


class Notifier:
    def __init__(self) -> None:
        usec = os.environ.get("WATCHDOG_USEC", "")
        pid = os.environ.get("WATCHDOG_PID", "")
        enabled = usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid()))
        # Ping at half the watchdog interval, as sd_watchdog_enabled(3) advises.
        self.watchdog_interval = int(usec) / 2e6 if enabled else None
        self._last_ping = float("-inf")
        self._status = ""

    def ready(self, status: str) -> None:
        self._status = status
        self._send(f"READY=1\nSTATUS={_one_line(status)}")

    def status(self, status: str) -> None:
        if status != self._status:
            self._status = status
            self._send(f"STATUS={_one_line(status)}")

    def _send(self, state: str) -> None:
        try:
            from systemd import daemon
        except ImportError:  # pragma: no cover - systemd-python is a dependency
            return
        try:
            daemon.notify(state)
        except OSError as exc:
            logger.debug("sd_notify failed: %s", exc)

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def reloading(self) -> None:
        self._send("RELOADING=1")

    def reloaded(self, status: str) -> None:
        """The end of a reload, refused or done: systemd holds `systemctl reload` (and
        every later job) until READY=1 follows RELOADING=1 (sd_notify(3))."""
        self._status = status
        self._send(f"READY=1\nSTATUS={_one_line(status)}")

    def watchdog(self, now: float | None = None) -> None:
        """Ping if due. Call from the main loop only, so a stuck loop stops the pings."""
        if self.watchdog_interval is None:
            return
        now = time.monotonic() if now is None else now
        if now - self._last_ping >= self.watchdog_interval:
            self._last_ping = now
            self._send("WATCHDOG=1")

    def next_ping(self) -> float | None:
        if self.watchdog_interval is None:
            return None
        return self._last_ping + self.watchdog_interval


def _one_line(status: str) -> str:
    """STATUS= is one line: text from the API (an error code) must not add another."""
    return escape_controls(status, 400)
