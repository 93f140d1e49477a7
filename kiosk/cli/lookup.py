"""`kiosk lookup BARCODE`: one lookup through the daemon's own client and cache.

An admin's tool over SSH: it answers exactly what a scan of that code would show (and
costs exactly what the scan would: nothing when the cache is fresh), and says why not
when it cannot.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from kiosk import config as config_mod
from kiosk.api import client_for, make_http_client
from kiosk.config import Config
from kiosk.daemon import Lookups, ScanResult
from kiosk.errors import ConfigError, StoreError
from kiosk.exitcodes import EX_CONFIG, EX_DATAERR, EX_FAILURE, EX_OK
from kiosk.outcome import SHOWS_PRODUCT, Outcome
from kiosk.sanitize import escape_controls
from kiosk.scanner import Invalid, normalize
from kiosk.store import Store

__all__ = ["lookup_command"]



def lookup_command(cfg: Config, barcode: str, *, as_json: bool = False) -> int:
    verdict = normalize(barcode.strip())
    if isinstance(verdict, Invalid):
        _say(as_json, {"barcode": barcode, "outcome": Outcome.INVALID, "reason": verdict.reason,
                       "credits": 0.0},
             f"{barcode}: not a valid product code ({verdict.reason}); nothing was charged")
        return EX_DATAERR
    try:
        config_mod.resolve_client_id(cfg)
    except ConfigError as exc:
        print("error: " + "; ".join(exc.problems), file=sys.stderr)
        return EX_CONFIG
    try:
        store = Store.from_config(cfg.storage)
    except StoreError as exc:
        print(f"error: the kiosk's store cannot be opened: {exc}", file=sys.stderr)
        return EX_FAILURE
    try:
        with make_http_client(cfg.api) as http:
            api = client_for(cfg, http, ledger=store.spending)
            answer = Lookups(store, api).lookup(verdict.gtin, "cli", queue_on_failure=False)
            remaining = api.state.credits_remaining
    finally:
        store.close()
    _say(as_json, _as_dict(answer, remaining), _as_text(answer, remaining))
    found = answer.outcome in SHOWS_PRODUCT or answer.outcome is Outcome.NOT_FOUND
    return EX_OK if found else EX_FAILURE


def _say(as_json: bool, data: dict[str, Any], text: str) -> None:
    # The product is clean (kiosk.product), but reasons and ids came from the API too.
    print(json.dumps(data, ensure_ascii=False, indent=2) if as_json
          else "\n".join(escape_controls(line) for line in text.splitlines()))


def _as_dict(answer: ScanResult, remaining: float | None) -> dict[str, Any]:
    return {
        "barcode": answer.barcode, "outcome": answer.outcome, "credits": answer.credits,
        "credits_remaining": remaining, "from_cache": answer.from_cache, "stale": answer.stale,
        "request_id": answer.request_id, "reason": answer.reason, "error_code": answer.error_code,
        "has_image": answer.image is not None,
        "product": answer.product.to_record() if answer.product else None,
    }


def _as_text(answer: ScanResult, remaining: float | None) -> str:
    cost = f"cost {answer.credits:g} credits"
    if remaining is not None:
        cost += f" ({remaining:g} left)"
    if answer.outcome is Outcome.NOT_FOUND:
        how = "remembered from an earlier lookup" if answer.from_cache else "the API says so"
        return f"{answer.barcode}: not in the catalog ({how}); {cost}"
    if answer.outcome not in SHOWS_PRODUCT or answer.product is None:
        rid = f", request {answer.request_id}" if answer.request_id else ""
        return f"{answer.barcode}: could not be looked up now ({answer.reason}{rid}); {cost}"
    p = answer.product
    source = "from the cache" + (" (stale)" if answer.stale else "") if answer.from_cache else (
        "looked up")
    lines = [f"{p.barcode}  {p.name or '(no name)'}", f"  brand       {p.brand or '-'}"]
    if p.net_weight:
        lines.append(f"  net weight  {p.net_weight}")
    if p.hechshers:
        lines.append("  kosher      " + ", ".join(
            f"{h.symbol} ({h.dairy_meat_pareve or 'unspecified'})" for h in p.hechshers))
    if p.bracha:
        lines.append(f"  bracha      {p.bracha}")
    lines.append(f"  allergens   {', '.join(p.allergens) if p.allergens else 'none listed'}")
    lines.append(f"  image       {'front image' if answer.image else 'none'}")
    lines.append(f"  {source}; {cost}")
    return "\n".join(lines)
