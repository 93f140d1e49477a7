"""Where the state's writes go: mountinfo texts as the kernel writes them (proc(5))."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.store.durable import parse_mountinfo, placement, volatile_dirs, volatile_warning

# A Pi on its SD card, with a USB stick for the state and the usual tmpfs.
PLAIN = """\
23 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw
24 23 0:5 / /dev rw,relatime shared:2 - devtmpfs udev rw,size=1867684k,nr_inodes=466921,mode=755
25 23 0:22 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=388916k,mode=755
31 23 179:1 / /boot/firmware rw,relatime shared:7 - vfat /dev/mmcblk0p1 rw,fmask=0022
40 23 8:1 / /mnt/kiosk\\040state rw,noatime shared:12 - ext4 /dev/sda1 rw
"""

# raspi-config's overlay file system (the overlayroot initramfs hook): the root an
# overlay, its upper layer in a tmpfs at /media/root-rw, the card read-only below.
OVERLAYROOT = """\
22 1 0:21 / / rw,relatime shared:1 - overlay overlayroot rw,lowerdir=/media/root-ro,\
upperdir=/media/root-rw/overlay,workdir=/media/root-rw/overlay-workdir
23 22 179:2 / /media/root-ro ro,relatime shared:2 - ext4 /dev/mmcblk0p2 ro
24 22 0:20 / /media/root-rw rw,relatime shared:3 - tmpfs tmpfs-root rw,mode=755
25 22 0:22 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,mode=755
41 22 8:3 / /srv/kiosk rw,noatime shared:12 - ext4 /dev/mmcblk0p3 rw
"""


def _place(text: str, directory: str) -> tuple[bool, str]:
    p = placement(directory, parse_mountinfo(text))
    return p.volatile, p.why


def test_a_directory_on_the_card_is_durable() -> None:
    volatile, why = _place(PLAIN, "/var/lib/kiosk")
    assert not volatile and why == "/ (ext4) is kept on disk"


def test_a_directory_under_run_is_in_ram() -> None:
    assert _place(PLAIN, "/run/kiosk/state") == (True, "/run (tmpfs) is in RAM")


def test_an_escaped_mount_point_is_read_as_the_kernel_meant_it() -> None:
    volatile, why = _place(PLAIN, "/mnt/kiosk state/queue")
    assert not volatile and why.startswith("/mnt/kiosk state (ext4)")
    # A sibling whose name only starts the same is not inside it.
    assert _place(PLAIN, "/mnt/kiosk statement")[1].startswith("/ (ext4)")


def test_the_overlay_file_system_keeps_the_root_in_ram() -> None:
    volatile, why = _place(OVERLAYROOT, "/var/lib/kiosk")
    assert volatile
    assert "upper layer /media/root-rw/overlay is in RAM (tmpfs)" in why


def test_a_partition_beside_the_overlay_is_durable() -> None:
    volatile, why = _place(OVERLAYROOT, "/srv/kiosk/state")
    assert not volatile and why.startswith("/srv/kiosk (ext4)")


def test_a_tmpfs_stacked_later_on_the_same_point_wins() -> None:
    text = PLAIN + ("50 23 0:60 / /var/lib/kiosk rw,relatime shared:30 - ext4 /dev/sda2 rw\n"
                    "51 50 0:61 / /var/lib/kiosk rw,relatime shared:31 - tmpfs tmpfs rw\n")
    assert _place(text, "/var/lib/kiosk")[0] is True


@pytest.mark.parametrize(("line", "volatile"), [
    ("60 23 0:70 / /var/lib/kiosk rw - ramfs ramfs rw", True),
    ("60 23 254:0 / /var/lib/kiosk rw - ext4 /dev/zram0 rw", True),
    ("60 23 0:70 / /var/lib/kiosk rw - nfs4 server:/export rw,vers=4.2", False),
])
def test_other_ram_disks(line: str, volatile: bool) -> None:
    assert _place(PLAIN + line + "\n", "/var/lib/kiosk/x")[0] is volatile


def test_an_overlay_whose_upper_layer_is_elsewhere_is_taken_as_durable() -> None:
    # A container's root: its upper layer lives in the host's namespace.
    text = ("500 450 0:52 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/"
            "overlay2/l/A:/var/lib/docker/overlay2/l/B,upperdir=/var/lib/docker/overlay2/"
            "abc/diff,workdir=/var/lib/docker/overlay2/abc/work\n")
    volatile, why = _place(text, "/var/lib/kiosk")
    assert not volatile and "not listed" in why


def test_an_overlay_on_an_overlay_in_ram_is_followed() -> None:
    text = OVERLAYROOT + ("70 22 0:80 / /opt/layer rw - overlay o2 rw,lowerdir=/x,"
                          "upperdir=/media/root-rw/two,workdir=/media/root-rw/w2\n")
    assert _place(text, "/opt/layer/state")[0] is True


def test_lines_of_another_shape_are_skipped() -> None:
    assert parse_mountinfo("garbage\n\n1 2 3\n") == []


def test_volatile_dirs_reads_the_file_and_names_the_fix(tmp_path: Path) -> None:
    info = tmp_path / "mountinfo"
    info.write_text(OVERLAYROOT)
    found = volatile_dirs([Path("/var/lib/kiosk"), Path("/srv/kiosk/cache")], info)
    assert [str(p.directory) for p in found] == ["/var/lib/kiosk"]
    line = volatile_warning(found)
    assert line.startswith("queued scans are kept in RAM: a power cut loses them")
    assert "/var/lib/kiosk" in line and "install-pi --state-dir" in line


def test_volatile_dirs_without_a_readable_table_says_nothing(tmp_path: Path) -> None:
    assert volatile_dirs([Path("/var/lib/kiosk")], tmp_path / "absent") == []


def test_the_real_table_parses() -> None:
    # On any Linux: every directory has a mount, the root at least.
    mounts = parse_mountinfo(Path("/proc/self/mountinfo").read_text())
    assert any(m.mount_point == "/" for m in mounts)
