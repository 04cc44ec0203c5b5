"""``python scripts/rerun.py RUN_DIR [--resume]``: reproduce a run, or continue it after a crash;
``python scripts/rerun.py SWEEP_DIR --resume | --status``: continue a sweep, or show its jobs."""

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
            "continue an interrupted run in RUN_DIR from its checkpoints/last.ckpt. For a sweep "
            "folder, --resume continues the sweep where it stopped and --status lists its jobs."
        ),
    )
    parser.add_argument(
        "run_dir",
        type=Path,
        help="a run directory (it holds run.json), or a sweep folder (it holds multirun.yaml)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in RUN_DIR from its last checkpoint, or the sweep in SWEEP_DIR: "
        "completed jobs are kept, stopped ones continue, the others start",
    )
    parser.add_argument(
        "--status",
        action="store_true",
        help="list the sweep's jobs: completed, running, interrupted, failed, diverged, pending",
    )
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="with --resume on a sweep: run its failed and diverged jobs again too",
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
    from trainlab.run_dir import read_record, record_path

    args = parse_args(argv)
    try:
        if args.status or args.retry_failed or is_sweep_dir(args.run_dir):
            return sweep_main(args)
        if args.resume:
            if not record_path(args.run_dir).is_file():
                raise ConfigError(
                    f"{args.run_dir} is not a trainlab run directory: it has no run.json (nor a "
                    "sweep folder: it has no multirun.yaml), so there is nothing to resume"
                )
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


def is_sweep_dir(path: Path) -> bool:
    """Whether ``path`` is a sweep folder (Hydra's ``multirun.yaml`` is in it)."""
    from trainlab.sweeps.folder import SWEEP_CONFIG

    return (Path(path) / SWEEP_CONFIG).is_file()


def sweep_main(args: argparse.Namespace) -> int:
    """``--resume`` or ``--status`` on a sweep folder; raises ConfigError for anything else."""
    from trainlab.sweeps import resume

    if args.status:
        print(resume.sweep_status(args.run_dir))
        return 0
    if args.resume:
        return resume.resume_sweep(args.run_dir, retry_failed=args.retry_failed)
    if args.retry_failed:
        raise ConfigError(
            "--retry-failed goes with --resume: rerun.py SWEEP_DIR --resume --retry-failed"
        )
    raise ConfigError(
        f"{args.run_dir} is a sweep folder: continue it with --resume, list its jobs with "
        "--status, or rerun one of its jobs by its own folder"
    )


if __name__ == "__main__":
    sys.exit(main())
