"""Time trainlab's training path against a hand-written PyTorch loop. See README and `--help`."""

import sys
from pathlib import Path

# Run as a file (python benchmarks/benchmark.py): the repository root holds the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main())
