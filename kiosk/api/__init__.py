"""The only code that talks to Retail Digitals: tokens, the cheapest lookup, the image.

And the only code that holds the API key (`resolve_api_key`, `Secret`).
"""

from kiosk.api._credentials import Secret, resolve_api_key
from kiosk.api.auth import TokenAuth
from kiosk.api.client import ApiClient, LookupResult, client_for
from kiosk.api.errors import (
    ApiError,
    BadRequest,
    ClockWrong,
    CredentialsRefused,
    InsufficientCredits,
    NotFound,
    PermanentError,
    ProxyRefused,
    RateLimited,
    RetryableError,
    ServerError,
    SpendLimited,
    TransportError,
    UntrustedCertificate,
)
from kiosk.api.pricing import Pricing
from kiosk.api.tokens import RefreshTokenFile
from kiosk.api.transport import describe_route, make_http_client, trust_context

__all__ = [
    "ApiClient",
    "ApiError",
    "BadRequest",
    "ClockWrong",
    "CredentialsRefused",
    "InsufficientCredits",
    "LookupResult",
    "NotFound",
    "PermanentError",
    "Pricing",
    "ProxyRefused",
    "RateLimited",
    "RefreshTokenFile",
    "RetryableError",
    "Secret",
    "ServerError",
    "SpendLimited",
    "TokenAuth",
    "TransportError",
    "UntrustedCertificate",
    "client_for",
    "describe_route",
    "make_http_client",
    "resolve_api_key",
    "trust_context",
]
