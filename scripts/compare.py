"""Compare the runs of a sweep. See README.md and `--help`."""

import sys

from trainlab.cli.compare import main

if __name__ == "__main__":
    sys.exit(main())
