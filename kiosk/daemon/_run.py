"""`kiosk run`: load the configuration, run the daemon, turn every way it ends into an
exit status for systemd."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk import config as config_mod
from kiosk.daemon._daemon import Daemon
from kiosk.daemon.memory import no_huge_pages, pin_mmap_threshold
from kiosk.daemon.systemd import fatal
from kiosk.errors import ConfigError, DisplayError, StoreError
from kiosk.exitcodes import EX_CONFIG, EX_FAILURE, EX_OK

__all__ = ["run"]

logger = logging.getLogger(__name__)


def run(config_path: Path) -> int:
    """Load the configuration and run the daemon; the exit code for systemd.

    Every way the daemon ends on an error passes through `fatal` here, so that the
    reason reaches the journal and, when `kiosk run` was typed in one, the terminal.
    """
    pin_mmap_threshold()  # before the first image is decoded
    no_huge_pages()  # before khugepaged has collapsed any of the GL stack's regions
    try:
        return Daemon(config_mod.load(config_path)).run()
    except ConfigError as exc:
        for problem in exc.problems:
            fatal(logger, "configuration: %s", problem)
        return EX_CONFIG
    except (DisplayError, StoreError) as exc:  # no screen; a state or cache dir unusable
        fatal(logger, "kiosk cannot run: %s", exc)
        return EX_FAILURE
    except KeyboardInterrupt:
        return EX_OK
    except Exception:
        fatal(logger, "kiosk stopped on an unexpected error", exc_info=True)
        return EX_FAILURE
