"""The one exception tree of kiosk.

Every error the kiosk raises on purpose derives from `KioskError`, with one subclass
per layer, so callers can catch a layer's failures without catching bugs::

    KioskError
    ├── ConfigError          bad or unreadable configuration (exit 78, EX_CONFIG)
    ├── ScannerError         a reader could not be opened or read
    ├── ApiError             anything from the Retail Digitals API (see kiosk.api.errors)
    ├── StoreError           queue / cache database or files
    └── DisplayError         the screen could not be initialised or drawn

Messages never contain an API key or a token: they are shown to staff and logged.
"""

from __future__ import annotations

__all__ = ["ApiError", "ConfigError", "DisplayError", "KioskError", "ScannerError", "StoreError"]


class KioskError(Exception):
    """Base of every error the kiosk raises deliberately."""


class ConfigError(KioskError):
    """The configuration is missing, malformed or invalid.

    `problems` holds one human line per problem, each naming the file and the key.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ScannerError(KioskError):
    """A barcode reader could not be opened or read."""


class ApiError(KioskError):
    """The Retail Digitals API could not answer a request as needed."""


class StoreError(KioskError):
    """The queue or cache on disk could not be read or written."""


class DisplayError(KioskError):
    """The display could not be initialised or drawn."""
