"""Admin surfaces show API text escaped: systemd's STATUS=, the status file, `kiosk
status`, `kiosk lookup`. An escape sequence cannot repaint a terminal and a newline
cannot add a line to what systemd or a script reads."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.api.responses import safe_token
from kiosk.cli.status import collect, render_text
from kiosk.config import from_dict
from kiosk.daemon.health import Health, status_line
from kiosk.daemon.lookups import Lookups
from kiosk.daemon.systemd import Notifier
from kiosk.display import StatusInfo, Text
from kiosk.display.chrome import status_bar
from kiosk.display.text import FontMeasure
from kiosk.display.theme import scale_for
from kiosk.product import Product
from kiosk.store import StatusFile, Store
from tests.barcodes import CEREAL, FISH

EVIL = "server_error\nSTATUS=all good\x1b[2J\x1b]0;pwned\x07\u202e"


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def clean(text: str) -> bool:
    return not any(ch in text for ch in "\n\r\x1b\x07\u202e")


def test_status_is_one_line_whatever_the_api_said(notify_socket: socket.socket) -> None:
    health = Health(online=True, last_error=f"server error (503 {EVIL})")
    Notifier().status(status_line(health))
    message = notify_socket.recv(4096).decode()
    assert message.startswith("STATUS=online") and message.count("STATUS=") == 2
    assert message.count("\n") == 0 and clean(message)  # the second is escaped text


def test_the_status_file_and_kiosk_status_escape_api_text(tmp_path: Path) -> None:
    status = StatusFile(tmp_path)
    status.write(Health(online=False, last_error=EVIL).snapshot("staff"))
    stored = json.loads(status.path.read_text())
    assert clean(stored["last_error"])
    shown = render_text({"last_error": EVIL, "queue_set_aside": {CEREAL: EVIL}})
    assert shown.count("\n") == 1 and clean(shown.replace("\n", "", 1))


def test_error_codes_and_request_ids_are_tokens_or_escaped() -> None:
    assert safe_token("barcode_not_found") == "barcode_not_found"
    assert safe_token("req_01H8Y3G7Z8mnpqrsw") == "req_01H8Y3G7Z8mnpqrsw"
    escaped = safe_token(EVIL)
    assert escaped is not None and clean(escaped) and len(escaped) <= 80
    assert safe_token(["not", "a", "string"]) is None


def test_the_staff_bar_says_how_many_scans_are_set_aside(measure: FontMeasure) -> None:
    bar = status_bar(measure, scale_for((800, 480)), 800, StatusInfo(set_aside=2))
    assert any(isinstance(c, Text) and c.text == "2 set aside" for c in bar)


def test_kiosk_status_lists_what_was_set_aside(tmp_path: Path) -> None:
    cfg = from_dict({"storage": {"state_dir": str(tmp_path / "state"),
                                 "cache_dir": str(tmp_path / "cache")}})
    with Store.from_config(cfg.storage) as store:
        store.queue.enqueue(CEREAL, "serial:0", "network")
        store.queue.enqueue(FISH, "serial:0", "network")
        store.queue.set_aside(CEREAL, f"internal error ({EVIL})")
    status = collect(cfg)
    assert status["queue_depth"] == 1
    assert list(status["queue_set_aside"]) == [CEREAL]
    assert clean(render_text(status).replace("\n", ""))


def test_an_entry_cached_by_an_older_version_is_cleaned_when_read(tmp_path: Path) -> None:
    """The crash loop of the review: a product with a NUL cached for days crashed the
    daemon on every scan of it. Read back, it goes through the same constructor."""
    old = json.dumps({"product_meta": {"product_name": "Fish\x00Sticks",
                                       "brand": {"not": "text"}}})
    with Store.open(tmp_path / "state", tmp_path / "cache") as store:
        store.cache.put(FISH, Product(FISH))
        store._cache_db.write(lambda c: c.execute(  # as an older version wrote it
            "UPDATE products SET product = ? WHERE barcode = ?", (old, FISH)))
        answer = Lookups(store, None).from_cache(FISH)
    assert answer is not None and answer.product is not None
    assert (answer.product.name, answer.product.brand) == ("FishSticks", None)
