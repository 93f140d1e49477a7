"""A configuration from a file (or a parsed document), and the client id from outside it.

`load` reads the TOML file; `from_dict` walks the document against the schema with the
converter, then runs the rules, and raises one ConfigError with *every* problem, so an
admin fixes a file in one round instead of one error per restart.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from pathlib import Path
from typing import Any

from kiosk.config._convert import build_section, type_name, unknown_key
from kiosk.config._rules import check_rules
from kiosk.config._schema import DEFAULT_PATH, Config
from kiosk.errors import ConfigError

__all__ = ["from_dict", "load", "read_document", "resolve_client_id"]


def load(path: Path | str = DEFAULT_PATH) -> Config:
    """Read and validate the TOML file at `path`; raise ConfigError listing every problem."""
    path = Path(path)
    _, doc = read_document(path)
    return from_dict(doc, source=str(path), base_dir=path.parent, path=path)


def read_document(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its parsed TOML, not yet validated (`kiosk config set` edits
    the text); raise ConfigError saying why the file cannot be read or parsed."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file (pass --config PATH)"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
        return text, tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: malformed TOML: {exc}"]) from None


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
            problems.append(unknown_key(source, name, section_types))
            continue
        if not isinstance(value, dict):
            problems.append(f"{source}: [{name}] must be a table, not {type_name(value)}")
            invalid.add(name)
            continue
        sections[name] = build_section(
            hints[name], value, f"{name}", source, base_dir, problems, invalid
        )
    # Fields that did not validate keep their defaults here, so that the rules can run on
    # everything else in the same round; a rule that reads an invalid field is skipped.
    cfg = Config(**sections, path=path)
    check_rules(cfg, source, invalid, problems)
    if problems:
        raise ConfigError(problems)
    return cfg


def resolve_client_id(cfg: Config, env: typing.Mapping[str, str] | None = None) -> str:
    """`api.client_id`, else RD_CLIENT_ID; raise ConfigError when neither is set.

    Public (it is safe to log), so it stays with the configuration: `kiosk check-config`
    warns about it without loading the API client. The API key is `kiosk.api`'s.
    """
    env = os.environ if env is None else env
    client_id = cfg.api.client_id or env.get("RD_CLIENT_ID", "").strip()
    if not client_id:
        raise ConfigError(["api.client_id: not set (nor RD_CLIENT_ID in the environment)"])
    return client_id
