"""The generic converter: a parsed TOML table against a dataclass, every problem collected.

Knows types, not kiosk: `convert` checks one value against a type hint (unions, literals,
lists, bool, int, float, str, Path), `build_section` a whole table against a dataclass
with the bounds its fields' metadata name, and `unknown_key` turns a typo into a
"did you mean". Problems are appended to the caller's list instead of raised, so one
round reports them all; a value that did not convert is `INVALID` and its dotted name
goes into `invalid`, for the rules to skip.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from pathlib import Path
from typing import Any, Literal

from kiosk.errors import ConfigError

__all__ = [
    "INVALID",
    "build_section",
    "convert",
    "field_type",
    "out_of_bounds",
    "type_name",
    "unknown_key",
]


def build_section(
    cls: type, table: dict[str, Any], prefix: str, source: str, base_dir: Path | None,
    problems: list[str], invalid: set[str],
) -> Any:
    """The section `cls` from the fields of `table` that validated; `invalid` gets the rest."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            problems.append(unknown_key(source, f"{prefix}.{key}", fields, leaf=key))
            continue
        where = f"{source}: {prefix}.{key}"
        converted = convert(hints[key], value, where, base_dir, problems)
        problem = None if converted is INVALID else out_of_bounds(
            fields[key].metadata, converted, value)
        if problem is not None:
            problems.append(f"{where}: {problem}")
        if converted is INVALID or problem is not None:
            invalid.add(f"{prefix}.{key}")
            continue
        values[key] = converted
    return cls(**values)


def out_of_bounds(meta: typing.Mapping[str, Any], converted: Any, value: Any) -> str | None:
    if "choices" in meta and converted not in meta["choices"]:
        choices = ", ".join(repr(c) for c in meta["choices"])
        return f"{value!r} is not one of {choices}"
    if isinstance(converted, int | float) and not isinstance(converted, bool):
        if "min" in meta and converted < meta["min"]:
            return f"{value!r} is below the minimum {meta['min']}"
        if "max" in meta and converted > meta["max"]:
            return f"{value!r} is above the maximum {meta['max']}"
    return None


INVALID = object()


def convert(tp: Any, value: Any, where: str, base_dir: Path | None, problems: list[str]) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in args if a is not type(None)]
        # Try each alternative quietly; report against the first if none fits.
        for option in options:
            scratch: list[str] = []
            out = convert(option, value, where, base_dir, scratch)
            if not scratch:
                return out
        names = " or ".join(_tp_name(o) for o in options)
        problems.append(f"{where}: expected {names}, got {type_name(value)} {value!r}")
        return INVALID
    if origin is Literal:
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string, got {type_name(value)} {value!r}")
            return INVALID
        return value
    if origin is list:
        (item_tp,) = args
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list, got {type_name(value)} {value!r}")
            return INVALID
        items = [convert(item_tp, v, f"{where}[{i}]", base_dir, problems)
                 for i, v in enumerate(value)]
        return INVALID if INVALID in items else items
    if tp is bool:
        if not isinstance(value, bool):
            problems.append(f"{where}: expected true or false, got {type_name(value)} {value!r}")
            return INVALID
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where}: expected an integer, got {type_name(value)} {value!r}")
            return INVALID
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{where}: expected a number, got {type_name(value)} {value!r}")
            return INVALID
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string, got {type_name(value)} {value!r}")
            return INVALID
        return value
    if tp is Path:
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: expected a path string, got {type_name(value)} {value!r}")
            return INVALID
        p = Path(value).expanduser()
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        return p
    raise TypeError(f"unsupported schema type {tp!r}")  # a bug in the schema, not the file



def unknown_key(source: str, dotted: str, known: Any, leaf: str | None = None) -> str:
    leaf = leaf or dotted
    close = difflib.get_close_matches(leaf, list(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{source}: {dotted}: unknown key{hint}"


def type_name(value: Any) -> str:
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


def field_type(schema: type, dotted: str, source: str) -> Any:
    """The type hint of `section.key` in `schema` (a dataclass of section dataclasses).

    Raises ConfigError with the line `build_section` would give for the same mistake,
    "did you mean" included, so a key named on a command line is refused like one in
    the file.
    """
    section, dot, key = dotted.partition(".")
    if not (section and dot and key):
        raise ConfigError([f"{source}: {dotted!r}: name a key as section.key, e.g. "
                           "display.rotation"])
    sections = {f.name: f for f in dataclasses.fields(schema) if not f.metadata.get("internal")}
    if section not in sections:
        raise ConfigError([unknown_key(source, section, sections)])
    cls = typing.get_type_hints(schema)[section]
    keys = {f.name for f in dataclasses.fields(cls)}
    if key not in keys:
        raise ConfigError([unknown_key(source, dotted, keys, leaf=key)])
    return typing.get_type_hints(cls)[key]
