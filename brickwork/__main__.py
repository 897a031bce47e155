"""``python -m brickwork`` runs the command line."""

import sys

from brickwork.cli import main

sys.exit(main())
