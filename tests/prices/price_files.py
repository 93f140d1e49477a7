"""Price files written by hand for the tests, one import of them, and a server of them."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kiosk.prices import Limits, PriceBook
from kiosk.scanner import gs1_gtin
from kiosk.scanner.gs1 import check_digit

HEADER = "barcode,price,promo_price,promo_from,promo_until,unit_price,unit,age_limit,recall,name"
GOOD = f"""{HEADER}
012345678905,1.29,0.99,2026-12-01,2026-12-31,1.29,100 g,,,Fish sticks
4006381333931,2.50,,,,,,18,,
96385074,1,,,,,,,Recalled: listeria,
"""
"""Three valid rows: a promotion with a unit price, an age limit, a recall."""
GOOD_BARCODES = ("012345678905", "4006381333931", "96385074")


def write(tmp_path: Path, text: str | bytes, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def load(book: PriceBook, path: Path, limits: Limits | None = None) -> list[str]:
    """Import `path`; its problems as text (empty: accepted)."""
    outcome = book.import_file(path, gs1_gtin, limits or Limits())
    return [str(p) for p in outcome.problems]


def gtin(body: str) -> str:
    """`body` with its GS1 check digit: a barcode every file takes."""
    return body + check_digit(body)


@dataclass
class Served:
    """What the loopback server answers, and what it was asked."""

    body: bytes = GOOD.encode()
    etag: str = '"v1"'
    status: int = 200
    requests: list[dict[str, str]] = field(default_factory=list)


@contextlib.contextmanager
def serve_prices() -> Iterator[tuple[str, Served]]:
    """A price file over HTTP on loopback (real TCP), with ETag; its URL and state."""
    served = Served()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append(dict(self.headers))
            if served.status != 200:
                self.send_error(served.status)
            elif self.headers.get("If-None-Match") == served.etag:
                self.send_response(304)
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header("ETag", served.etag)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(served.body)))
                self.end_headers()
                self.wfile.write(served.body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/prices.csv", served
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
