"""The URL policy: where the kiosk may send a request, and how a URL is shown.

One rule for the API's base URL (a config rule, and `make_http_client`), the photos'
signed URLs (`ApiClient`) and the sandbox's address (`kiosk sandbox`): https://, or plain
http:// on loopback only. A proxy URL may carry a password, which `mask_url` hides
wherever a URL is printed.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

__all__ = ["is_loopback_host", "mask_url", "url_problem"]


def url_problem(url: str) -> str | None:
    """Why `url` cannot be reached: it must be https://, plain http:// only on loopback.

    The one rule for the API's base URL (checked here and by `make_http_client`) and for
    the photos' signed URLs (`ApiClient`), so a card cannot be swapped on the way."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        return f"{url!r} is not an http(s) URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return (f"plain http:// is allowed only for a loopback host (got {parts.hostname!r}); "
                "use https://")
    return None


def mask_url(url: str) -> str:
    """`url` with its password (a proxy's credentials) replaced by ****, for any output.

    Textual, so that it never raises, even on a URL urllib cannot parse: everything
    between the user name's colon and the last @ before the host goes."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):[^/]*@", r"\1:****@", url)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
