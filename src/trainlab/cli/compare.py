"""``python scripts/compare.py SWEEP_DIR``: one row per run of a sweep, and optionally a plot."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from trainlab.compare.reader import NoRunsError, read_sweep
from trainlab.compare.table import FORMATS, render, sort_runs


def parser() -> argparse.ArgumentParser:
    """The command line of ``scripts/compare.py``."""
    p = argparse.ArgumentParser(
        prog="compare.py",
        description="Compare the runs of a sweep (e.g. outputs/multirun/<time>): their chosen "
        "values, final and best monitored metric, epochs, wall time and status.",
    )
    p.add_argument("sweep_dir", help="a sweep folder, or any folder holding run folders")
    p.add_argument(
        "--sort",
        metavar="METRIC",
        help="sort by a final metric (val/acc), best/<metric>, epochs or wall_time_s "
        "(default: the monitored metric, best first)",
    )
    p.add_argument("--descending", action="store_true", default=None, help="largest first")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format")
    p.add_argument("--plot", metavar="FILE.png", help="also draw loss and gradient-norm curves")
    p.add_argument("--log-scale", action="store_true", help="logarithmic y axes in the plot")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Print the comparison; return the exit status (2 when there are no runs)."""
    args = parser().parse_args(argv)
    try:
        runs = read_sweep(args.sweep_dir)
    except NoRunsError as error:
        print(f"trainlab: error: {error}", file=sys.stderr)
        return 2
    runs = sort_runs(runs, args.sort, args.descending)
    print(render(runs, args.format))
    if args.plot:
        from trainlab.compare.plot import plot_runs  # matplotlib: only when plotting

        path = plot_runs(runs, args.plot, log_scale=args.log_scale, title=args.sweep_dir)
        print(f"plot written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
