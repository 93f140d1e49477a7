"""`kiosk config set KEY VALUE ...`: change keys of the configuration file, validated.

The file is edited in place (comments and every other line kept, see
`kiosk.config.set_keys`) and replaced atomically with its mode and owner, and only
when the whole result is valid: a typo in the key or a bad value is refused with one
line per problem and the file stays as it was. Several KEY VALUE pairs are set
together, so fields that depend on each other (scanner.kind serial needs a
scanner.device port) change in one step. Loads the schema only, like check-config.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.atomic import write_atomic
from kiosk.config import read_document, set_keys, value_of_arg
from kiosk.errors import ConfigError
from kiosk.exitcodes import EX_CONFIG, EX_FAILURE, EX_OK, EX_USAGE

__all__ = ["config_set"]


def config_set(path: Path, pairs: Sequence[str], *, stdout: bool = False) -> int:
    """Set each KEY to its VALUE (`pairs` alternates them) in the file at `path`.

    With `stdout`, the edited file goes to standard output and `path` is not written
    (install-pi writes it through its own installer, which counts and prints changes).
    """
    if not pairs or len(pairs) % 2:
        print("error: give KEY VALUE pairs, e.g. display.rotation 90", file=sys.stderr)
        return EX_USAGE
    target = path.resolve()  # a symlinked file is edited where it is, the link kept
    try:
        if target.exists() and not target.is_file():  # a pipe would block, /dev/null go
            raise ConfigError([f"{path}: not a regular file"])
        text, _ = read_document(target)
        changes = _values(path, pairs)
        edited = set_keys(text, changes, path=path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EX_CONFIG
    if stdout:
        sys.stdout.write(edited)
        return EX_OK
    if edited == text:
        print(f"{path}: up to date")
        return EX_OK
    try:
        _replace(target, edited)
    except OSError as exc:
        print(f"error: {path}: cannot be written: {exc.strerror}; not changed", file=sys.stderr)
        return EX_FAILURE
    for key, _ in changes:
        print(f"{path}: set {key}")
    return EX_OK


def _values(path: Path, pairs: Sequence[str]) -> list[tuple[str, Any]]:
    """(KEY, value) for each pair; ConfigError naming every unknown key at once."""
    changes, problems = [], []
    for key, arg in zip(pairs[::2], pairs[1::2], strict=True):
        try:
            changes.append((key, value_of_arg(key, arg, str(path))))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return changes


def _replace(path: Path, text: str) -> None:
    """`path` replaced by `text` atomically, with the mode and (as root) owner it had."""
    before = path.stat()
    write_atomic(path, text.encode("utf-8"), mode=before.st_mode & 0o7777)
    if os.geteuid() == 0 and (before.st_uid, before.st_gid) != (0, 0):
        os.chown(path, before.st_uid, before.st_gid)
