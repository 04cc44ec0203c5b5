"""``python scripts/rerun.py RUN_DIR [--resume]``: reproduce a run, or continue it after a crash."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trainlab.errors import ConfigError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of ``scripts/rerun.py``."""
    parser = argparse.ArgumentParser(
        prog="rerun.py",
        description=(
            "Rerun RUN_DIR's recorded configuration in a new directory and compare its final "
            "metrics with the original's (exit 0 when identical, 1 when not), or with --resume "
            "continue an interrupted run in RUN_DIR from its checkpoints/last.ckpt."
        ),
    )
    parser.add_argument("run_dir", type=Path, help="a run directory (it holds run.json)")
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in RUN_DIR from its last checkpoint"
    )
    parser.add_argument(
        "--into",
        type=Path,
        default=None,
        help="directory for the rerun (default outputs/reruns/<time>)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 identical / resumed to completion, 1 different or failed, 2 bad input."""
    from trainlab import rerun
    from trainlab.run_dir import read_record

    args = parse_args(argv)
    try:
        if args.resume:
            return rerun.resume(args.run_dir)
        into = args.into or rerun.new_run_dir()
        code = rerun.rerun(args.run_dir, into)
    except ConfigError as error:
        print(f"trainlab: error: {error}", file=sys.stderr)
        return 2
    if code != 0:
        print(f"trainlab: error: the rerun in {into} failed (exit code {code})", file=sys.stderr)
        return 1
    original = read_record(args.run_dir)["final_metrics"]
    repeated = read_record(into)["final_metrics"]
    print(f"original: {args.run_dir}\nrerun:    {into}\n")
    print(rerun.comparison_table(original, repeated))
    differing = rerun.metric_differences(original, repeated)
    if differing:
        print(f"\n{len(differing)} metrics differ: {', '.join(differing)}")
        return 1
    print(f"\nall {len(original)} final metrics are identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
