"""Logging for remote admins: journald with structured fields, or plain stderr.

Under systemd every line goes to the journal through `systemd.journal.JournalHandler`
with `SYSLOG_IDENTIFIER=kiosk`, and events carry fields admins filter on::

    journalctl -u kiosk KIOSK_EVENT=scan OUTCOME=queued

Without a journal socket (a developer's terminal) the same records are printed as
plain lines on stderr, the fields appended as `KEY=value`. Messages carry no
timestamps: journald keeps its own.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["JOURNAL_SOCKET", "event", "setup_logging"]

JOURNAL_SOCKET = "/run/systemd/journal/socket"
# Lower-case, so journald drops it: the fields themselves are sent as upper-case attributes.
_FIELD_PREFIX = "kiosk_fields"


class _StderrFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {record.getMessage()}"
        fields: Mapping[str, Any] = getattr(record, _FIELD_PREFIX, {})
        if fields:
            line += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(level: int = logging.INFO, *, journal: bool | None = None) -> str:
    """Send the root logger to journald when its socket exists, else to stderr.

    Returns "journal" or "stderr". httpx's per-request INFO lines are kept at WARNING:
    the kiosk logs one line per scan itself.
    """
    use_journal = os.path.exists(JOURNAL_SOCKET) if journal is None else journal
    handler: logging.Handler
    if use_journal:
        from systemd.journal import JournalHandler

        handler = JournalHandler(SYSLOG_IDENTIFIER="kiosk")
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_StderrFormatter())
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


def _field(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
