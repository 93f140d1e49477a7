"""The stop gate on a real httpx client (a MockTransport): once closed nothing new is
sent, a photo's body stops at its next chunk, and an API answer already arriving (it is
paid for) is read to its end."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kiosk.api.errors import TransportError
from kiosk.daemon.shutdown import StopGate
from tests.helpers import MOCK_BASE, mock_http


class Api:
    def __init__(self, gate: StopGate) -> None:
        self.gate = gate
        self.seen: list[str] = []

    def body(self, first: bytes, rest: list[bytes]) -> Iterator[bytes]:
        yield first
        self.gate.close()  # SIGTERM arrives while the body is on its way
        yield from rest

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url.path)
        if request.url.path.endswith("/photo"):
            return httpx.Response(200, headers={"Content-Type": "image/jpeg"},
                                  content=self.body(b"\xff\xd8", [b"\x00" * 10, b"\xff\xd9"]))
        return httpx.Response(200, headers={"Content-Type": "application/json"},
                              content=self.body(b'{"product": ', [b'"paid"', b"}"]))


@pytest.fixture
def gated() -> Iterator[tuple[httpx.Client, Api]]:
    gate = StopGate()
    api = Api(gate)
    client = mock_http(api)
    gate.install(client)
    yield client, api
    client.close()


def test_a_photo_being_read_is_abandoned_when_the_kiosk_stops(
        gated: tuple[httpx.Client, Api]) -> None:
    client, _ = gated
    with pytest.raises(TransportError, match="photo abandoned, the kiosk is stopping"):
        client.get(f"{MOCK_BASE}/image/token/photo")


def test_an_answer_already_arriving_is_read_whole_then_nothing_new_is_sent(
        gated: tuple[httpx.Client, Api]) -> None:
    client, api = gated
    answer = client.get(f"{MOCK_BASE}/products/017000161563")
    assert answer.json() == {"product": "paid"}  # the gate closed halfway: read anyway
    with pytest.raises(TransportError, match="not sent, the kiosk is stopping") as refused:
        client.get(f"{MOCK_BASE}/products/000413000222")
    assert refused.value.code == "deadline"  # the client does not retry a request out of time
    assert api.seen == ["/api/v1/products/017000161563"]


def test_the_clients_own_hooks_stay_in_front_of_the_gates() -> None:
    client = mock_http(lambda request: httpx.Response(204))
    own = {name: list(hooks) for name, hooks in client.event_hooks.items()}
    StopGate().install(client)
    for name in ("request", "response"):
        assert client.event_hooks[name][:-1] == own[name]
    client.close()
