"""Rerun a recorded run and compare, or resume it with --resume. See README.md and `--help`."""

import sys

from trainlab.cli.rerun import main

if __name__ == "__main__":
    sys.exit(main())
