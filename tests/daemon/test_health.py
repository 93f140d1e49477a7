"""The network state machine, as a table: what each thing the API client saw does."""

from __future__ import annotations

import pytest

from kiosk.daemon.health import Health


@pytest.mark.parametrize(("seen", "transitions"), [
    ([True], ["first_answer"]),
    ([False], ["lost"]),
    ([True, True], ["first_answer", None]),
    ([True, False, False, True], ["first_answer", "lost", None, "back"]),
    ([False, True], ["lost", "back"]),
])
def test_set_online_names_each_change_once(seen: list[bool], transitions: list[str | None]
                                           ) -> None:
    health = Health()
    assert [health.set_online(online) for online in seen] == transitions
    assert health.online is seen[-1]
