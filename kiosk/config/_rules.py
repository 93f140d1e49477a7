"""The rules a type cannot say: one field's value, or several fields together.

Each rule is a small function registered with `@_rule("section.key", ...)`; it gets
those fields' values and returns what is wrong, or None. `check_rules` runs them after
the converter, on the fields that validated, so a type error elsewhere hides nothing
and no field is reported twice.
"""

from __future__ import annotations

import dataclasses
import re
import typing
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from kiosk.config._schema import Config, devices
from kiosk.config._urls import mask_url, url_problem

__all__ = ["check_rules"]

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


def check_rules(cfg: Config, source: str, invalid: set[str], problems: list[str]) -> None:
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
    named = devices(device)
    if not named or any(not d for d in named):
        return 'must name a device or be "auto"'
    return None


@_rule("scanner.device", "scanner.kind")
def _serial_device_is_a_port(device: str | list[str], kind: str) -> str | None:
    if kind == "serial" and "auto" in devices(device):
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


@_rule("prices.url")
def _prices_url_is_https(url: str) -> str | None:
    return url_problem(url) if url else None


@_rule("prices.currency")
def _currency_is_a_code(currency: str) -> str | None:
    if not re.fullmatch(r"[A-Z]{3}", currency):
        return f"{currency[:20]!r} is not an ISO 4217 code such as \"EUR\", \"USD\" or \"ILS\""
    return None
