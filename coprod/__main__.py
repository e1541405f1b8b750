"""``python -m coprod``: the command line."""
import sys

from coprod.cli import main

sys.exit(main())
