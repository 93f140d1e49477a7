"""Exit statuses of every `kiosk` command, defined once.

sysexits(3) where it matters to systemd or a script: the unit's
`RestartPreventExitStatus=78` stops a restart loop on a bad configuration, and
`kiosk lookup` of text that is no valid barcode says so with 65, apart from argparse's
2 for a bad command line.
"""

from __future__ import annotations

__all__ = ["EX_CONFIG", "EX_DATAERR", "EX_FAILURE", "EX_OK", "EX_USAGE"]

EX_OK = 0
EX_FAILURE = 1  # anything else: the reason is printed or logged
EX_USAGE = 2  # a bad command line (argparse's own status)
EX_DATAERR = 65  # the input is not what it must be: a barcode that is not valid
EX_CONFIG = 78  # a bad or unreadable configuration
