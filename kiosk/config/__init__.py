"""Configuration: a typed schema, read from TOML, with every problem reported at once.

- `_schema`: one frozen dataclass per section, its defaults, bounds and docs;
- `_convert`: the generic converter of a TOML table against a dataclass, which collects
  every problem (unknown keys with a "did you mean", wrong types, out-of-range numbers,
  unknown choices);
- `_rules`: the checks of one value or between fields that a type cannot say;
- `_urls`: the URL policy (https://, plain http:// on loopback only; passwords masked);
- `_load`: the file read, converted, then checked, raising one `ConfigError` with every
  problem, so an admin fixes a file in one round instead of one error per restart;
- `_edit`: keys set in a file's text, the rest kept, the result validated as a whole
  (`kiosk config set`).

The API key is not part of the file nor of this package: `kiosk.api` reads it.
"""

from kiosk.config._edit import set_keys, value_of_arg
from kiosk.config._load import from_dict, load, read_document, resolve_client_id
from kiosk.config._schema import (
    DEFAULT_PATH,
    ApiConfig,
    Config,
    DisplayConfig,
    FleetConfig,
    MetricsConfig,
    PricesConfig,
    ScannerConfig,
    StorageConfig,
)
from kiosk.config._urls import is_loopback_host, mask_url, url_problem

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
    "from_dict",
    "is_loopback_host",
    "load",
    "mask_url",
    "read_document",
    "resolve_client_id",
    "set_keys",
    "url_problem",
    "value_of_arg",
]
