"""Time trainlab's training path against a hand-written PyTorch loop. See README and `--help`."""

import sys

from trainlab.benchmark.cli import main

if __name__ == "__main__":
    sys.exit(main())
