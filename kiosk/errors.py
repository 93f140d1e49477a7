"""The one exception tree of kiosk.

Every error the kiosk raises on purpose derives from `KioskError`, with one subclass
per layer, so callers can catch a layer's failures without catching bugs::

    KioskError
    ├── ConfigError          bad or unreadable configuration (exit 78, EX_CONFIG)
    ├── ApiError             anything from the Retail Digitals API (see kiosk.api.errors)
    ├── StoreError           queue / cache database or files
    └── DisplayError         the screen could not be initialised or drawn

The scanner layer has none: a reader that cannot be opened or is lost is retried by its
own thread and reported through its status callback (kiosk.scanner), never raised.

Messages never contain an API key or a token: they are shown to staff and logged.
"""

from __future__ import annotations

__all__ = ["ApiError", "ConfigError", "DisplayError", "KioskError", "StoreError"]


class KioskError(Exception):
    """Base of every error the kiosk raises deliberately."""


class ConfigError(KioskError):
    """The configuration is missing, malformed or invalid.

    `problems` holds one human line per problem, each naming the file and the key.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ApiError(KioskError):
    """The Retail Digitals API could not answer a request as needed.

    Carries the HTTP `status`, the API's error `code` and the `request_id` when the API
    gave them, so a journal line or a support ticket can quote them whichever subclass
    (kiosk.api.errors) was raised.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    @property
    def reason(self) -> str:
        """A short machine-friendly reason for the journal's REASON field."""
        return self.code or type(self).__name__.lower()


class StoreError(KioskError):
    """The queue or cache on disk could not be read or written."""


class DisplayError(KioskError):
    """The display could not be initialised or drawn."""
