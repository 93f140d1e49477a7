"""`python -m kiosk.cli`: the `kiosk` command without its console script."""

import sys

from kiosk.cli import main

sys.exit(main())
