"""Configuration: a typed schema, read from TOML, with every problem reported at once.

The schema is the set of frozen dataclasses below; each field's metadata carries its
bounds or allowed values and a one-line description. `load()` walks the TOML document
against the schema and collects *every* problem (unknown keys with a "did you mean",
wrong types, out-of-range numbers, unknown enum values, then the `_rule` checks of one
value or between fields, each on whatever fields validated) before raising one
`ConfigError`, so an admin fixes a file in one round instead of one error per restart.

The API key is not part of the file: it is resolved by `resolve_api_key()` from a
systemd credential, a key file or the environment, and held in a `Secret` that never
prints itself.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import re
import tomllib
import types
import typing
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kiosk.errors import ConfigError

__all__ = [
    "DEFAULT_PATH",
    "ApiConfig",
    "Config",
    "DisplayConfig",
    "FleetConfig",
    "MetricsConfig",
    "ScannerConfig",
    "Secret",
    "StorageConfig",
    "is_loopback_host",
    "load",
    "mask_url",
    "resolve_api_key",
    "resolve_client_id",
    "url_problem",
]

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")
CREDENTIAL_NAME = "rd_api_key"


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
class Config:
    api: ApiConfig = field(default_factory=ApiConfig)
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    path: Path | None = field(default=None, metadata={"internal": True})

    @property
    def scanner_devices(self) -> list[str]:
        return _devices(self.scanner.device)


def _devices(device: str | list[str]) -> list[str]:
    return [device] if isinstance(device, str) else list(device)


class Secret:
    """A secret string that never shows itself in `str`, `repr` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


# --- loading and validation -------------------------------------------------------------


def load(path: Path | str = DEFAULT_PATH) -> Config:
    """Read and validate the TOML file at `path`; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file (pass --config PATH)"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read: {exc.strerror}"]) from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: malformed TOML: {exc}"]) from None
    return from_dict(doc, source=str(path), base_dir=path.parent, path=path)


def from_dict(
    doc: dict[str, Any], *, source: str = "<config>", base_dir: Path | None = None,
    path: Path | None = None,
) -> Config:
    """Validate an already-parsed document (used by `load` and by tests)."""
    problems: list[str] = []
    invalid: set[str] = set()
    sections: dict[str, Any] = {}
    section_types = {
        f.name: f.type for f in dataclasses.fields(Config) if not f.metadata.get("internal")
    }
    hints = typing.get_type_hints(Config)
    for name, value in doc.items():
        if name not in section_types:
            problems.append(_unknown(source, name, section_types))
            continue
        if not isinstance(value, dict):
            problems.append(f"{source}: [{name}] must be a table, not {_tname(value)}")
            invalid.add(name)
            continue
        sections[name] = _build(
            hints[name], value, f"{name}", source, base_dir, problems, invalid
        )
    # Fields that did not validate keep their defaults here, so that the rules can run on
    # everything else in the same round; a rule that reads an invalid field is skipped.
    cfg = Config(**sections, path=path)
    _check_rules(cfg, source, invalid, problems)
    if problems:
        raise ConfigError(problems)
    return cfg


def _build(
    cls: type, table: dict[str, Any], prefix: str, source: str, base_dir: Path | None,
    problems: list[str], invalid: set[str],
) -> Any:
    """The section `cls` from the fields of `table` that validated; `invalid` gets the rest."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            problems.append(_unknown(source, f"{prefix}.{key}", fields, leaf=key))
            continue
        where = f"{source}: {prefix}.{key}"
        converted = _convert(hints[key], value, where, base_dir, problems)
        problem = None if converted is _INVALID else _out_of_bounds(
            fields[key].metadata, converted, value)
        if problem is not None:
            problems.append(f"{where}: {problem}")
        if converted is _INVALID or problem is not None:
            invalid.add(f"{prefix}.{key}")
            continue
        values[key] = converted
    return cls(**values)


def _out_of_bounds(meta: typing.Mapping[str, Any], converted: Any, value: Any) -> str | None:
    if "choices" in meta and converted not in meta["choices"]:
        choices = ", ".join(repr(c) for c in meta["choices"])
        return f"{value!r} is not one of {choices}"
    if isinstance(converted, int | float) and not isinstance(converted, bool):
        if "min" in meta and converted < meta["min"]:
            return f"{value!r} is below the minimum {meta['min']}"
        if "max" in meta and converted > meta["max"]:
            return f"{value!r} is above the maximum {meta['max']}"
    return None


_INVALID = object()


def _convert(tp: Any, value: Any, where: str, base_dir: Path | None, problems: list[str]) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in args if a is not type(None)]
        # Try each alternative quietly; report against the first if none fits.
        for option in options:
            scratch: list[str] = []
            out = _convert(option, value, where, base_dir, scratch)
            if not scratch:
                return out
        names = " or ".join(_tp_name(o) for o in options)
        problems.append(f"{where}: expected {names}, got {_tname(value)} {value!r}")
        return _INVALID
    if origin is Literal:
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string, got {_tname(value)} {value!r}")
            return _INVALID
        return value
    if origin is list:
        (item_tp,) = args
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list, got {_tname(value)} {value!r}")
            return _INVALID
        items = [_convert(item_tp, v, f"{where}[{i}]", base_dir, problems)
                 for i, v in enumerate(value)]
        return _INVALID if _INVALID in items else items
    if tp is bool:
        if not isinstance(value, bool):
            problems.append(f"{where}: expected true or false, got {_tname(value)} {value!r}")
            return _INVALID
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where}: expected an integer, got {_tname(value)} {value!r}")
            return _INVALID
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{where}: expected a number, got {_tname(value)} {value!r}")
            return _INVALID
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string, got {_tname(value)} {value!r}")
            return _INVALID
        return value
    if tp is Path:
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: expected a path string, got {_tname(value)} {value!r}")
            return _INVALID
        p = Path(value).expanduser()
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        return p
    raise TypeError(f"unsupported schema type {tp!r}")  # a bug in the schema, not the file


# --- rules across a field's value or between fields ------------------------------------

_Check = typing.Callable[..., str | None]


@dataclass(frozen=True)
class _Rule:
    fields: tuple[str, ...]  # "section.key"; problems are reported against the first
    check: _Check


_RULES: list[_Rule] = []


def _rule(*fields: str) -> typing.Callable[[_Check], _Check]:
    """Register a check that gets the values of `fields`, in order, and says what is wrong.

    A rule sees only the fields it names, so it runs exactly when those validated: a type
    error elsewhere in the file does not hide its problem, and a field already reported
    as invalid is not reported a second time.
    """
    hints = typing.get_type_hints(Config)
    for dotted in fields:
        section, _, key = dotted.partition(".")
        cls = hints.get(section)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)
                and key in {f.name for f in dataclasses.fields(cls)}):
            raise TypeError(f"rule on unknown field {dotted!r}")  # a bug in the schema

    def register(check: _Check) -> _Check:
        _RULES.append(_Rule(fields, check))
        return check

    return register


def _check_rules(cfg: Config, source: str, invalid: set[str], problems: list[str]) -> None:
    for rule in _RULES:
        if any(f in invalid or f.partition(".")[0] in invalid for f in rule.fields):
            continue
        values = [getattr(getattr(cfg, s), k) for s, _, k in
                  (f.partition(".") for f in rule.fields)]
        problem = rule.check(*values)
        if problem is not None:
            problems.append(f"{source}: {rule.fields[0]}: {problem}")


@_rule("api.base_url")
def _base_url_is_https(base_url: str) -> str | None:
    return url_problem(base_url)


@_rule("api.proxy")
def _proxy_is_a_url(proxy: str) -> str | None:
    if not proxy:
        return None
    try:
        parts = urllib.parse.urlsplit(proxy)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        return f"{mask_url(proxy)!r} is not an http:// or https:// URL with a host"
    return None


@_rule("api.max_credits_per_hour", "api.max_credits_per_day")
def _hour_within_day(per_hour: float, per_day: float) -> str | None:
    if per_hour and per_day and per_hour > per_day:
        return (f"{per_hour:g} is more than api.max_credits_per_day ({per_day:g}): an hour "
                "cannot allow more than a day")
    return None


@_rule("api.ca_file")
def _ca_file_exists(ca_file: Path | None) -> str | None:
    if ca_file is not None and not ca_file.is_file():
        return f"{ca_file}: no such file"
    return None


@_rule("display.size")
def _size_is_a_screen(size: list[int]) -> str | None:
    if len(size) != 2:
        return f"expected [width, height], got {size!r}"
    if not all(160 <= v <= 7680 for v in size):
        return f"{size!r} must be between 160 and 7680 pixels"
    return None


_OUTPUT = re.compile(r"[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*-[0-9]+")


@_rule("display.output")
def _output_is_a_connector(output: str) -> str | None:
    # The names the kernel gives connectors in /sys/class/drm (cardN-<name>): a type and
    # a number. Unknown types are allowed (a new driver's), a path or a card is not.
    if output and not _OUTPUT.fullmatch(output):
        return (f"{output!r} is not a connector name such as \"HDMI-A-1\" or \"DSI-1\" "
                "(see ls /sys/class/drm)")
    return None


@_rule("scanner.device")
def _device_is_named(device: str | list[str]) -> str | None:
    devices = _devices(device)
    if not devices or any(not d for d in devices):
        return 'must name a device or be "auto"'
    return None


@_rule("scanner.device", "scanner.kind")
def _serial_device_is_a_port(device: str | list[str], kind: str) -> str | None:
    if kind == "serial" and "auto" in _devices(device):
        return 'a serial reader needs a port path such as /dev/serial/by-id/…, not "auto"'
    return None


@_rule("scanner.name_pattern")
def _name_pattern_compiles(name_pattern: str) -> str | None:
    try:
        re.compile(name_pattern)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    return None


@_rule("metrics.textfile")
def _textfile_is_a_prom_file(textfile: str) -> str | None:
    # node_exporter reads only *.prom files; a relative path would depend on the
    # daemon's working directory, which systemd sets to /.
    if not textfile:
        return None
    path = Path(textfile)
    if not path.is_absolute():
        return f"{textfile!r} must be an absolute path, e.g. /run/kiosk/metrics.prom"
    if path.suffix != ".prom" or path.name == ".prom":
        return f"{textfile!r} must end in .prom (node_exporter reads only those files)"
    return None


_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")


@_rule("fleet.store")
@_rule("fleet.lane")
def _label_is_plain(label: str) -> str | None:
    # A label is typed on journalctl's command line and matched exactly there: keep it
    # to what needs no quoting beyond a space, and short enough to read in a column.
    if label and not _LABEL.fullmatch(label):
        return (f"{label!r}: up to 64 letters, digits, spaces, '.', '_' or '-', starting "
                "with a letter or digit, e.g. \"berlin-mitte\"")
    return None


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


def _unknown(source: str, dotted: str, known: Any, leaf: str | None = None) -> str:
    leaf = leaf or dotted
    close = difflib.get_close_matches(leaf, list(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{source}: {dotted}: unknown key{hint}"


def _tname(value: Any) -> str:
    return {
        bool: "a boolean", int: "an integer", float: "a number", str: "a string",
        list: "a list", dict: "a table",
    }.get(type(value), type(value).__name__)


def _tp_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return "a list"
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
            Path: "a path"}.get(tp, str(tp))


# --- secrets -------------------------------------------------------------------------


def resolve_api_key(cfg: Config, env: typing.Mapping[str, str] | None = None) -> Secret:
    """Find the API key: systemd credential, then `api.api_key_file`, then RD_API_KEY.

    Read on every call, so that replacing the key file (after a key rotation) is picked
    up without a restart: a key file newer than the credential wins over it, because the
    credential is systemd's copy from when the service started.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    cred_dir = env.get("CREDENTIALS_DIRECTORY")
    candidates: list[Path] = []
    if cred_dir:
        candidates.append(Path(cred_dir) / CREDENTIAL_NAME)
    if cfg.api.api_key_file is not None:
        candidates.append(cfg.api.api_key_file)
        if len(candidates) == 2 and _newer(cfg.api.api_key_file, candidates[0]):
            # systemd copies the credential when the service starts; a key file replaced
            # since (a rotated key) is the current one.
            candidates.reverse()
    if cfg.api.api_key_file is not None:  # also when the credential copy of it is used
        _refuse_if_others_read(cfg.api.api_key_file)
    for candidate in candidates:
        try:
            key = candidate.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(f"{candidate}: cannot be read: {exc.strerror}")
            continue
        if key:
            return Secret(key)
        problems.append(f"{candidate}: is empty")
    if env.get("RD_API_KEY", "").strip():
        return Secret(env["RD_API_KEY"].strip())
    where = ", ".join(str(c) for c in candidates) or "no key file configured"
    problems.append(
        f"no API key found (looked in: {where}; environment RD_API_KEY); "
        "set api.api_key_file or LoadCredential=rd_api_key"
    )
    raise ConfigError(problems)


def _refuse_if_others_read(path: Path) -> None:
    """A key file every local user can read is refused: the key is a secret."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing or unreadable: reported where it is read
    if mode & 0o004:
        raise ConfigError([
            f"{path}: readable by every user (mode {mode & 0o777:04o}); the API key is a "
            f"secret: run `sudo chmod 600 {path}` (owner kiosk), then replace the key in "
            "the Retail Digitals web UI if others could have read it"])


def _newer(path: Path, than: Path) -> bool:
    try:
        return os.access(path, os.R_OK) and path.stat().st_mtime > than.stat().st_mtime
    except OSError:
        return False


def resolve_client_id(cfg: Config, env: typing.Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    client_id = cfg.api.client_id or env.get("RD_CLIENT_ID", "").strip()
    if not client_id:
        raise ConfigError(["api.client_id: not set (nor RD_CLIENT_ID in the environment)"])
    return client_id
