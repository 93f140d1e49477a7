"""The only code that talks to Retail Digitals: tokens, the cheapest lookup, the image."""

from kiosk.api.auth import TokenAuth
from kiosk.api.client import ApiClient, LookupResult, client_for, make_http_client
from kiosk.api.errors import (
    ApiError,
    BadRequest,
    CredentialsRefused,
    InsufficientCredits,
    NotFound,
    PermanentError,
    RateLimited,
    RetryableError,
    ServerError,
    TransportError,
)
from kiosk.api.pricing import Pricing
from kiosk.api.tokens import RefreshTokenFile

__all__ = [
    "ApiClient",
    "ApiError",
    "BadRequest",
    "CredentialsRefused",
    "InsufficientCredits",
    "LookupResult",
    "NotFound",
    "PermanentError",
    "Pricing",
    "RateLimited",
    "RefreshTokenFile",
    "RetryableError",
    "ServerError",
    "TokenAuth",
    "TransportError",
    "client_for",
    "make_http_client",
]
