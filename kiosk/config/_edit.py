"""Setting keys in a configuration file's text, keeping everything else as it was.

What `kiosk config set` (and install-pi through it) does to /etc/kiosk/kiosk.toml: the
line of each key is rewritten in place, with its indentation and its comment; a key
the file lacks goes after the last one of its section, a missing section at the end.
Every other line, comments and blank lines included, stays byte for byte.

Nothing is written unless the whole result is valid: `set_keys` validates the document
as it will be with the same schema as `load` (so a value is refused exactly as the
daemon would refuse it, with every other problem of the file), then checks that the
edited text parses to exactly that document, which catches a layout it cannot edit in
place (an inline table, dotted keys) instead of writing something else.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.config._convert import convert, field_type
from kiosk.config._load import from_dict
from kiosk.config._schema import Config
from kiosk.errors import ConfigError

__all__ = ["set_keys", "value_of_arg"]

# The documented example marks the values that are only examples; once a value is set,
# that mark no longer holds (any other comment describes the key and stays).
_EXAMPLE_MARK = "# example"
_MISSING = object()
_HEADER = re.compile(r"\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?")


def value_of_arg(dotted: str, arg: str, source: str) -> Any:
    """The value a command-line VALUE stands for, for the key `dotted`.

    A TOML literal ("HDMI-A-1" in quotes, 90, 2.5, true, [800, 480]) when it is one the
    key takes; otherwise, for a key that takes a string (or a path), the VALUE as it is,
    so `display.output HDMI-A-1` needs no quotes through the shell. A VALUE that is
    neither is returned as what it is (a literal, else the string), for the validation
    to say what the key expects. Raises ConfigError for an unknown key ("did you mean").
    """
    tp = field_type(Config, dotted, source)
    try:
        parsed = tomllib.loads(f"v = {arg}")
    except tomllib.TOMLDecodeError:
        parsed = {}
    literal = parsed.get("v", arg) if set(parsed) == {"v"} else arg  # not one line: as it is
    for candidate in (literal, arg):
        problems: list[str] = []
        convert(tp, candidate, dotted, None, problems)
        if not problems:
            return candidate
    return literal


def set_keys(text: str, changes: Sequence[tuple[str, Any]], *, path: Path) -> str:
    """`text` with each `section.key` of `changes` set to its value, validated as a whole.

    Raises ConfigError with every problem of the resulting file (the file is then left
    as it is), or with one line when the file's layout cannot be edited in place.
    """
    source = str(path)
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source}: malformed TOML: {exc}"]) from None
    expected = copy.deepcopy(before)
    for dotted, value in changes:
        field_type(Config, dotted, source)  # an unknown key is refused before anything
        section, _, key = dotted.partition(".")
        table = expected.setdefault(section, {})
        if isinstance(table, dict):
            table[key] = value
    from_dict(expected, source=source, base_dir=path.parent, path=path)
    for dotted, value in changes:
        section, _, key = dotted.partition(".")
        old = before.get(section, {}).get(key, _MISSING)
        if type(old) is type(value) and old == value:
            continue  # the line stays as it is written (`rotation=0`, `2.50`)
        text = _set_line(text, section, key, _render(value))
    try:
        after = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        after = None
    if after != expected:
        names = ", ".join(dotted for dotted, _ in changes)
        raise ConfigError([
            f"{source}: {names}: cannot be set in place in this file's layout (an inline "
            "table or dotted keys?); edit it by hand, then run kiosk check-config"])
    return text


def _render(value: Any) -> str:
    """A value of the schema's types as a TOML literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # 90, 2.5, 1e+20, inf: all TOML
    if isinstance(value, str):
        # JSON's escapes are TOML's, but for DEL, which TOML wants escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    raise TypeError(f"no TOML literal for {type(value).__name__}")  # validated before


def _set_line(text: str, section: str, key: str, literal: str) -> str:
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _HEADER.fullmatch(line.rstrip("\r\n"))]
    start = next((i for i in headers if _section_of(lines[i]) == section), None)
    if start is None:
        tail = "" if not text or text.endswith("\n") else "\n"
        gap = "\n" if text.strip() else ""
        return f"{text}{tail}{gap}[{section}]\n{key} = {literal}\n"
    end = next((i for i in headers if i > start), len(lines))
    key_line = re.compile(rf"(\s*){re.escape(key)}\s*=")
    last = start  # the last line of the section's last key, or its header
    i = start + 1
    while i < end:
        extent = _extent(lines, i, end)
        if extent is None:  # a comment or a blank line
            i += 1
            continue
        match = key_line.match(lines[i])
        if match:
            new = match.group(1) + f"{key} = {literal}"
            if extent == i:  # a value over several lines loses the comments inside it
                new += _comment(lines[i], len(new))
            ending = "\r\n" if lines[extent].endswith("\r\n") else "\n"
            lines[i : extent + 1] = [new + ending]
            return "".join(lines)
        last = extent
        i = extent + 1  # past a value over several lines, whatever its lines look like
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, f"{key} = {literal}\n")
    return "".join(lines)


def _section_of(line: str) -> str:
    match = _HEADER.fullmatch(line.rstrip("\r\n"))
    return match.group(1) if match else ""


def _extent(lines: list[str], first: int, end: int) -> int | None:
    """The last line of the key/value that starts on line `first`, or None when that
    line starts none (a comment, a blank line)."""
    if not lines[first].strip() or lines[first].lstrip().startswith("#"):
        return None
    for last in range(first, end):
        try:
            tomllib.loads("".join(lines[first : last + 1]))
        except tomllib.TOMLDecodeError:
            continue
        return last
    return None


def _comment(line: str, width: int) -> str:
    """The comment after the value on `line`, at its column if the new value leaves
    room (else one space after it); "" when there is none, or only the example mark."""
    body = line.rstrip("\r\n")
    whole = tomllib.loads(body)
    for at in (i for i, char in enumerate(body) if char == "#"):
        try:
            if tomllib.loads(body[:at]) != whole:
                continue
        except tomllib.TOMLDecodeError:
            continue
        comment = body[at:]
        if comment.strip() == _EXAMPLE_MARK:
            return ""
        return " " * max(1, at - width) + comment
    return ""

