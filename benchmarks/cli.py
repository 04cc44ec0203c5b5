"""``python benchmarks/benchmark.py``: the command line, and printing each suite's table and JSON."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.settings import (
    DEFAULT_STEP_PATHS,
    EPOCH_PATHS,
    JOB_PROBES,
    MODELS,
    STEP_PATHS,
    SUITES,
    JobSweep,
    StepWindow,
    Workload,
)

# Which suites read each suite-specific option; any other suite refuses it.
OPTION_SUITES: dict[str, tuple[str, ...]] = {
    "model": ("steps", "epochs"),
    "batch_size": ("steps", "epochs"),
    "samples": ("steps", "epochs"),
    "precision": ("steps", "epochs"),
    "channels_last": ("steps", "epochs"),
    "compile": ("steps", "epochs"),
    "paths": ("steps", "epochs"),
    "steps": ("steps", "jobs"),
    "warmup_steps": ("steps", "jobs"),
    "epochs": ("epochs",),
    "jobs": ("jobs",),
    "job_samples": ("jobs",),
    "job_epochs": ("jobs",),
    "probes": ("jobs",),
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; see ``--help``."""
    parser = argparse.ArgumentParser(
        prog="benchmark.py",
        description=(
            "Time trainlab against a hand-written PyTorch loop, bare Lightning and a "
            "lightning-hydra-template-style module: steady steps (--suite steps), whole epochs "
            "with validation, checkpoints and logging (--suite epochs), or whole train.py "
            "processes and sweeps (--suite jobs). Paths run interleaved; medians are reported."
        ),
    )
    parser.add_argument("--suite", choices=SUITES, default="steps")
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto")
    parser.add_argument("--repeats", type=int, default=3, help="runs per path; medians reported")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        help=(
            "torch's intra-op threads (jobs: OMP_NUM_THREADS of each process); default: torch's. "
            "On a machine shared with other work, 1 keeps OpenMP threads from waiting on each "
            "other's time slices, which slows small steps tenfold at random"
        ),
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--work-dir", type=Path, help="keep every run's folder here (default: a temporary one)"
    )
    trained = parser.add_argument_group("what steps and epochs train")
    trained.add_argument(
        "--model",
        help=(
            "comma-separated, one table each (default: mlp,cifar_cnn): mlp, the default job's "
            "MLP on its synthetic data; cifar_cnn, the CIFAR10 CNN"
        ),
    )
    trained.add_argument(
        "--batch-size", type=int, help="default: the model's data config (64, 128)"
    )
    trained.add_argument(
        "--samples",
        type=int,
        help=(
            "mlp: data.n_samples (default 100000); cifar_cnn: random training images for steps "
            "(default 50000), images in the CIFAR-format files for epochs (default 5000)"
        ),
    )
    trained.add_argument("--precision", choices=("32-true", "bf16-mixed"))
    trained.add_argument("--channels-last", action="store_true", default=None)
    trained.add_argument("--compile", action="store_true", default=None, help="torch.compile")
    trained.add_argument(
        "--paths",
        help=(
            f"comma-separated paths; steps: {', '.join(STEP_PATHS)} (default: "
            f"{', '.join(DEFAULT_STEP_PATHS)}); epochs: {', '.join(EPOCH_PATHS)} (default: all)"
        ),
    )
    steps = parser.add_argument_group("steps (and the jobs suite's per-step time)")
    steps.add_argument(
        "--steps", type=int, help="timed steps per run (default: mlp 900, cifar_cnn 50, jobs 300)"
    )
    steps.add_argument(
        "--warmup-steps",
        type=int,
        help="untimed first steps (default: mlp and jobs 20, cifar_cnn 10)",
    )
    epochs = parser.add_argument_group("epochs")
    epochs.add_argument("--epochs", type=int, help="epochs per fit, >= 2 (default 3)")
    jobs = parser.add_argument_group("jobs")
    jobs.add_argument("--jobs", help="N,M: jobs in the two sweeps, N < M (default 2,6)")
    jobs.add_argument("--job-samples", type=int, help="data.n_samples of a tiny job (default 200)")
    jobs.add_argument("--job-epochs", type=int, help="trainer.max_epochs of a tiny job (default 1)")
    jobs.add_argument(
        "--probes",
        help=f"comma-separated probes to time (default: all of {', '.join(JOB_PROBES)})",
    )
    args = parser.parse_args(argv)
    for name, suites in OPTION_SUITES.items():
        if getattr(args, name) is not None and args.suite not in suites:
            option = "--" + name.replace("_", "-")
            parser.error(f"{option} applies to --suite {' or '.join(suites)}, not {args.suite}")
    try:
        check_values(args)
    except ValueError as error:
        parser.error(str(error))
    return args


def check_values(args: argparse.Namespace) -> None:
    """Counts in range, known names; raises ValueError naming the option."""
    for name in (
        "repeats",
        "threads",
        "batch_size",
        "samples",
        "steps",
        "job_samples",
        "job_epochs",
    ):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if args.warmup_steps is not None and args.warmup_steps < 1:
        # Step 0 pays one-off costs (allocator, cuDNN autotuning, compilation): never time it.
        raise ValueError(f"--warmup-steps must be >= 1, got {args.warmup_steps}")
    if args.epochs is not None and args.epochs < 2:
        raise ValueError(
            f"--epochs must be >= 2 (the first epoch is not steady), got {args.epochs}"
        )
    args.model = names_from("--model", args.model, tuple(MODELS))
    cifar_files = args.suite == "epochs" and "cifar_cnn" in (args.model or MODELS)
    if cifar_files and args.samples is not None and args.samples < 50:
        raise ValueError(f"--samples must be >= 50 for CIFAR-format files, got {args.samples}")
    args.paths = names_from(
        "--paths", args.paths, EPOCH_PATHS if args.suite == "epochs" else STEP_PATHS
    )
    args.probes = names_from("--probes", args.probes, JOB_PROBES)
    if args.jobs is not None:
        parts = args.jobs.split(",")
        if len(parts) != 2 or not all(part.isdigit() for part in parts):
            raise ValueError(f"--jobs takes N,M (two counts), got {args.jobs!r}")
        fewer, more = (int(part) for part in parts)
        if not 1 <= fewer < more:
            raise ValueError(f"--jobs N,M needs 1 <= N < M, got {args.jobs}")
        args.jobs = (fewer, more)


def names_from(option: str, text: str | None, allowed: Sequence[str]) -> list[str] | None:
    """``a,b`` as a list of known names; None when the option was not given."""
    if text is None:
        return None
    names = [name for name in text.split(",") if name]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise ValueError(
            f"{option}: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(allowed)}"
        )
    return names


def workload_from(args: argparse.Namespace, model: str) -> Workload:
    """The :class:`Workload` of ``model`` the command line names, with its defaults filled in."""
    from benchmarks.workload import resolve_device

    defaults = MODELS[model]
    default_samples = defaults.epochs_samples if args.suite == "epochs" else defaults.steps_samples
    return Workload(
        device=resolve_device(args.device).type,
        model=model,
        batch_size=args.batch_size or defaults.batch_size,
        samples=args.samples or default_samples,
        precision=args.precision or Workload.precision,
        channels_last=bool(args.channels_last),
        compile=bool(args.compile),
        seed=args.seed,
    )


def window_from(args: argparse.Namespace, model: str | None = None) -> StepWindow:
    """The :class:`StepWindow` the command line names, with ``model``'s defaults filled in."""
    defaults = MODELS[model] if model else StepWindow()
    return StepWindow(
        steps=args.steps or defaults.steps,
        warmup_steps=args.warmup_steps or defaults.warmup_steps,
    )


def model_title(workload: Workload) -> str:
    """The line above a model's table: what it trains."""
    extras = [name for name in ("channels_last", "compile") if getattr(workload, name)]
    return (
        f"{workload.model}: batch {workload.batch_size}, {workload.samples} samples, "
        f"{workload.precision}{''.join(f', {extra}' for extra in extras)}, {workload.device}"
    )


def run_suite(args: argparse.Namespace) -> tuple[str, list[dict[str, Any]], bool]:
    """Run the chosen suite: its tables, its JSON-ready reports (one per model, or the jobs'),
    and whether its checks held."""
    if args.suite in ("steps", "epochs"):
        tables, reports = [], []
        for model in args.model or list(MODELS):
            workload = workload_from(args, model)
            work_dir = args.work_dir / model if args.work_dir else None
            if args.suite == "steps":
                from benchmarks.steps import format_steps_table, measure_steps

                paths = args.paths or list(DEFAULT_STEP_PATHS)
                window = window_from(args, model)
                report = measure_steps(workload, window, paths, args.repeats, work_dir)
                table = format_steps_table(report)
            else:
                from benchmarks.epochs import format_epochs_table, measure_epochs

                paths = args.paths or list(EPOCH_PATHS)
                epochs = args.epochs or 3
                report = measure_epochs(workload, epochs, paths, args.repeats, work_dir)
                table = format_epochs_table(report)
            tables.append(f"{model_title(workload)}\n{table}")
            reports.append(report.as_dict())
        return "\n\n".join(tables), reports, True
    from benchmarks.jobs import format_jobs_table, measure_jobs

    fewer, more = args.jobs or (JobSweep.jobs, JobSweep.more_jobs)
    sweep = JobSweep(
        jobs=fewer,
        more_jobs=more,
        samples=args.job_samples or JobSweep.samples,
        epochs=args.job_epochs or JobSweep.epochs,
    )
    report = measure_jobs(
        sweep,
        args.probes or list(JOB_PROBES),
        args.repeats,
        workload_from(args, "mlp"),
        window_from(args),
        args.work_dir,
        args.threads,
    )
    return format_jobs_table(report), [report.as_dict()], not report.metrics_mismatches


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print its tables and JSON; 0, or 1 when a job's metrics changed."""
    args = parse_args(argv)
    _quiet_lightning()
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    from benchmarks.report import environment

    result: dict[str, Any] = {"suite": args.suite, "environment": environment()}
    try:
        table, result["results"], checks_held = run_suite(args)
    except ValueError as error:
        print(f"benchmark: error: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # a probe of the jobs suite exited with the wrong code
        print(f"benchmark: error: {error}", file=sys.stderr)
        return 1
    # What else ran on the machine meanwhile, to judge the spread by.
    result["environment"]["load_average_after"] = list(os.getloadavg())
    print(table)
    print(json.dumps(result, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if not checks_held:
        print("benchmark: error: a job's final metrics changed with where it ran", file=sys.stderr)
        return 1
    return 0


def _quiet_lightning() -> None:
    # "GPU available", "max_steps reached" and tips would interleave with the table. Imported
    # first because importing lightning.pytorch sets its logger's level to INFO.
    import lightning.pytorch  # noqa: F401

    from trainlab.cli.console import route_library_logs

    route_library_logs()
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="lightning")
    # The epochs suite writes its own CIFAR-format files: they have no official checksums.
    warnings.filterwarnings("ignore", message="data.check_integrity=false")
