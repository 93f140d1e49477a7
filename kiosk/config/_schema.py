"""The schema: one frozen dataclass per TOML section, with defaults, bounds and docs.

Each field's metadata carries its bounds or allowed values (`min`, `max`, `choices`)
and a one-line description; `_convert` reads them, so a bound is written once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_PATH",
    "ApiConfig",
    "Config",
    "DisplayConfig",
    "FleetConfig",
    "MetricsConfig",
    "PricesConfig",
    "ScannerConfig",
    "StorageConfig",
    "devices",
]

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")


def _opt(default: Any, doc: str, **rules: Any) -> Any:
    """A schema field: its default, what it means, and rules (`min`, `max`, `choices`)."""
    meta = {"doc": doc, **rules}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ApiConfig:
    base_url: str = _opt(
        "https://images.retaildigitals.com/api/v1",
        "Retail Digitals API base URL; plain http:// only for a loopback host",
    )
    client_id: str = _opt("", "API client id (public); RD_CLIENT_ID may stand in for it")
    api_key_file: Path | None = _opt(
        None, "file holding the API key (mode 0600); the systemd credential rd_api_key wins"
    )
    connect_timeout_s: float = _opt(3.0, "TCP/TLS connect timeout", min=0.1, max=60)
    read_timeout_s: float = _opt(5.0, "timeout for each read from the API", min=0.1, max=120)
    lookup_deadline_s: float = _opt(
        10.0, "wall-clock deadline for one lookup (token, API call, image)", min=0.5, max=300
    )
    low_balance_warning: float = _opt(
        50.0, "warn once when credits remaining fall below this", min=0
    )
    max_credits_per_hour: float = _opt(
        150.0, "lookups stop spending past this in any hour (scans are queued); 0: no limit",
        min=0,
    )
    max_credits_per_day: float = _opt(
        1000.0, "lookups stop spending past this in any 24 hours; 0: no limit", min=0
    )
    ca_file: Path | None = _opt(
        None, "extra CA certificate(s) to trust, PEM, besides the system's /etc/ssl/certs"
    )
    proxy: str = _opt(
        "", "HTTP(S) proxy URL, credentials allowed (never printed); empty: HTTPS_PROXY / "
        "NO_PROXY from the environment, else direct"
    )


@dataclass(frozen=True)
class ScannerConfig:
    kind: Literal["hid", "serial"] = _opt("hid", "reader type", choices=("hid", "serial"))
    device: str | list[str] = _opt(
        "auto",
        'device path (or list of paths for several readers); "auto" picks HID readers by name',
    )
    name_pattern: str = _opt(
        "(?i)barcode|scanner|symbol|honeywell|zebra|datalogic|newland|netum|hid keyboard",
        'regular expression matched against device names when device = "auto"',
    )
    layout: Literal["us", "uk", "de", "fr"] = _opt(
        "us", "keyboard layout the HID reader is set to", choices=("us", "uk", "de", "fr")
    )
    baudrate: int = _opt(9600, "serial baud rate", min=1200, max=4_000_000)
    inter_key_timeout_ms: int = _opt(
        50, "a scan without terminator ends after this much silence", min=5, max=2000
    )
    strip_prefix: str = _opt("", "prefix removed from serial frames, e.g. an AIM id ']E0'")
    strip_suffix: str = _opt("", "suffix removed from serial frames")
    duplicate_window_s: float = _opt(
        1.5, "same code again from the same reader within this time is a double read", min=0
    )


@dataclass(frozen=True)
class DisplayConfig:
    mode: Literal["shopper", "staff"] = _opt(
        "shopper", "card layout: shopper (large, simple) or staff (every detail)",
        choices=("shopper", "staff"),
    )
    fullscreen: bool = _opt(True, "full screen on the attached display (no window frame)")
    size: list[int] = _opt(
        [800, 480], "screen size [width, height] in pixels: the window's, and the layout's "
        "while no screen is connected"
    )
    output: str = _opt(
        "", 'the display connector to use, e.g. "HDMI-A-1" or "DSI-1"; empty: the first '
        "connected one"
    )
    rotation: int = _opt(
        0, "how far the panel is turned clockwise from its normal position, in degrees; "
        "the kiosk turns its picture back", choices=(0, 90, 180, 270),
    )
    store_name: str = _opt("Welcome", "shown on the idle screen")
    logo: Path | None = _opt(None, "optional PNG logo for the idle screen")
    scanner_position: Literal["below", "above", "left", "right"] = _opt(
        "below", "where the scanner is, relative to the screen (the idle screen points there)",
        choices=("below", "above", "left", "right"),
    )
    card_seconds: float = _opt(20.0, "a card returns to the idle screen after this", min=1)
    dim_after_s: float = _opt(0.0, "dim the idle screen after this (0: never)", min=0)
    blank_after_s: float = _opt(0.0, "blank the idle screen after this (0: never)", min=0)
    backlight: str = _opt(
        "", 'panel backlight dimmed and switched off with the idle screen: "" none (paint '
        'only), "auto" (the first in /sys/class/backlight) or its sysfs directory',
    )
    brightness_percent: float = _opt(
        100.0, "backlight brightness while awake, % of the panel's maximum", min=1, max=100,
    )
    font: Path | None = _opt(None, "TTF font covering Latin and Hebrew (default: DejaVu Sans)")


@dataclass(frozen=True)
class StorageConfig:
    state_dir: Path = _opt(Path("/var/lib/kiosk"), "queue database and refresh token")
    cache_dir: Path = _opt(Path("/var/cache/kiosk"), "product and image cache")
    product_ttl_days: float = _opt(7.0, "a cached product is fresh this long", min=0)
    miss_ttl_s: float = _opt(3600.0, "an unknown barcode is not asked again for this long", min=0)
    cache_max_mb: float = _opt(200.0, "cache size bound (least recently used evicted)", min=1)


@dataclass(frozen=True)
class MetricsConfig:
    textfile: str = _opt(
        "", "Prometheus text file for node_exporter's textfile collector, on tmpfs, e.g. "
        "/run/kiosk/metrics.prom; empty: no metrics"
    )
    interval_s: float = _opt(5.0, "the metrics file is rewritten this often", min=1, max=300)

    @property
    def path(self) -> Path | None:
        return Path(self.textfile) if self.textfile else None


@dataclass(frozen=True)
class FleetConfig:
    store: str = _opt("", "this kiosk's store, as KIOSK_STORE on every journal entry; "
                      "empty: none")
    lane: str = _opt("", "its place in the store (a lane, an aisle), as KIOSK_LANE on "
                     "every journal entry; empty: none")

    def journal_fields(self) -> dict[str, str]:
        """The labels a chain's admin filters a central journal on, those that are set."""
        fields = {"KIOSK_STORE": self.store, "KIOSK_LANE": self.lane}
        return {name: value for name, value in fields.items() if value}


@dataclass(frozen=True)
class PricesConfig:
    path: Path | None = _opt(
        None, "the store's price file on this machine (CSV or JSON lines, docs/prices.md), "
        "checked for changes every poll"
    )
    url: str = _opt("", "an https:// URL of the price file, polled with ETag / "
                    "If-Modified-Since through the API's trust store and proxy; empty: none")
    poll_interval_s: float = _opt(
        60.0, "how often the path and the URL are checked for a new file", min=5, max=86400
    )
    max_mb: float = _opt(50.0, "a larger price file is refused", min=0.01, max=1024)
    max_rows: int = _opt(500_000, "a price file with more rows is refused", min=1,
                         max=10_000_000)
    currency: str = _opt("EUR", "ISO 4217 code of the prices' currency, e.g. EUR, USD, ILS")
    skip_api_for_unknown: bool = _opt(
        False, "a barcode in the price file that the API does not know (or while offline) "
        "gets a price card with its name, and no credit is spent asking the API"
    )


@dataclass(frozen=True)
class Config:
    api: ApiConfig = field(default_factory=ApiConfig)
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    prices: PricesConfig = field(default_factory=PricesConfig)
    path: Path | None = field(default=None, metadata={"internal": True})

    @property
    def scanner_devices(self) -> list[str]:
        return devices(self.scanner.device)


def devices(device: str | list[str]) -> list[str]:
    """`scanner.device` as a list: one path, several, or ["auto"]."""
    return [device] if isinstance(device, str) else list(device)
