"""Which card and connector the kiosk shows on: from sysfs trees the tests build.

The trees copy what the machines have: a Pi 4 (vc4 is card0 or card1 depending on which
driver bound first; v3d has no connectors), a Pi 5 (card0 the render-only v3d, card1 the
display with a writeback connector), a DSI-only panel and a QEMU guest's virtio-gpu.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.display.kms import NoOutput, Output, choose_output, connectors


def drm(tmp_path: Path, cards: dict[str, dict[str, str]]) -> Path:
    """A /sys/class/drm: `cards` maps "card1" to {connector: status}; modes for connected."""
    root = tmp_path / "drm"
    root.mkdir(parents=True)
    (root / "renderD128").mkdir()
    (root / "version").write_text("drm 1.1.0 20060810\n")
    for card, outputs in cards.items():
        (root / card).mkdir()
        for name, status in outputs.items():
            d = root / f"{card}-{name}"
            d.mkdir()
            (d / "status").write_text(status + "\n")
            (d / "enabled").write_text("enabled\n" if status == "connected" else "disabled\n")
            (d / "modes").write_text("1920x1080\n1280x720\n" if status == "connected" else "")
    return root


PI4 = {"card0": {}, "card1": {"HDMI-A-1": "connected", "HDMI-A-2": "disconnected"}}
PI4_OTHER_ORDER = {"card0": {"HDMI-A-1": "connected", "HDMI-A-2": "disconnected"},
                   "card1": {}}
PI5 = {"card0": {}, "card1": {"HDMI-A-1": "connected", "HDMI-A-2": "disconnected",
                              "Writeback-1": "unknown"}}


@pytest.mark.parametrize(("cards", "card"), [(PI4, 1), (PI4_OTHER_ORDER, 0), (PI5, 1)],
                         ids=["pi4", "pi4-v3d-last", "pi5"])
def test_the_connected_hdmi_picks_the_card_whatever_its_number(
        tmp_path: Path, cards: dict[str, dict[str, str]], card: int) -> None:
    assert choose_output(drm(tmp_path, cards)) == Output(card, "HDMI-A-1", (1920, 1080))


def test_the_second_hdmi_port_when_only_it_is_connected(tmp_path: Path) -> None:
    root = drm(tmp_path, {"card0": {}, "card1": {"HDMI-A-1": "disconnected",
                                                 "HDMI-A-2": "connected",
                                                 "Writeback-1": "unknown"}})
    assert choose_output(root) == Output(1, "HDMI-A-2", (1920, 1080))


def test_a_writeback_connector_is_never_chosen(tmp_path: Path) -> None:
    root = drm(tmp_path, {"card1": {"Writeback-1": "connected"}})
    assert [c.name for c in connectors(root)] == []
    assert choose_output(root) == NoOutput("no display: no display card")


def test_a_dsi_panel_alone(tmp_path: Path) -> None:
    assert choose_output(drm(tmp_path, {"card0": {"DSI-1": "connected"}})) == Output(
        0, "DSI-1", (1920, 1080))


def test_nothing_connected_says_what_is_there(tmp_path: Path) -> None:
    root = drm(tmp_path, {"card0": {}, "card1": {"HDMI-A-1": "disconnected",
                                                 "HDMI-A-2": "disconnected"}})
    assert choose_output(root) == NoOutput(
        "no display: HDMI-A-1 disconnected, HDMI-A-2 disconnected")
    one = drm(tmp_path / "one", {"card0": {"Virtual-1": "disconnected"}})
    assert str(choose_output(one)) == "no display: Virtual-1 disconnected"


def test_no_display_card_at_all(tmp_path: Path) -> None:
    # A Pi 5 before vc4 has bound: only the render-only v3d; or no DRM driver at all.
    assert choose_output(drm(tmp_path, {"card0": {}})) == NoOutput("no display: no display card")
    assert choose_output(tmp_path / "no-drm") == NoOutput("no display: no display card")


def test_a_pinned_output_wins_over_the_first_connected(tmp_path: Path) -> None:
    root = drm(tmp_path, {"card0": {"DSI-1": "connected"},
                          "card1": {"HDMI-A-1": "connected"}})
    assert choose_output(root) == Output(0, "DSI-1", (1920, 1080))
    assert choose_output(root, "HDMI-A-1") == Output(1, "HDMI-A-1", (1920, 1080))


def test_a_pinned_output_that_is_off_or_absent_is_not_replaced(tmp_path: Path) -> None:
    root = drm(tmp_path, PI5 | {"card1": {"HDMI-A-1": "connected",
                                          "HDMI-A-2": "disconnected"}})
    assert choose_output(root, "HDMI-A-2") == NoOutput("no display: HDMI-A-2 disconnected")
    assert choose_output(root, "DSI-1") == NoOutput(
        "no display: DSI-1 not found (this machine has HDMI-A-1, HDMI-A-2)")


def test_cards_sort_by_number_and_unreadable_status_is_not_connected(tmp_path: Path) -> None:
    root = drm(tmp_path, {"card10": {"HDMI-A-1": "connected"},
                          "card2": {"HDMI-A-1": "connected"}})
    assert choose_output(root).card == 2  # type: ignore[union-attr]
    (root / "card2-HDMI-A-1" / "status").unlink()  # the card going away under us
    assert choose_output(root) == Output(10, "HDMI-A-1", (1920, 1080))
