"""``python benchmarks/benchmark.py``: argument parsing and output of the throughput benchmark."""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import warnings
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from benchmarks.settings import TRAINLAB_VARIANTS, Workload

DEFAULTS = Workload()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; see ``--help``."""
    parser = argparse.ArgumentParser(
        prog="benchmark.py",
        description=(
            "Train the same model on the same tensors with trainlab's full path and with a "
            "hand-written PyTorch loop; print samples/s and the ratio."
        ),
    )
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto")
    parser.add_argument("--model", choices=("cifar_cnn", "mlp"), default=DEFAULTS.model)
    parser.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size)
    parser.add_argument(
        "--precision", choices=("32-true", "bf16-mixed"), default=DEFAULTS.precision
    )
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--steps", type=int, default=DEFAULTS.steps, help="timed steps per run")
    parser.add_argument("--warmup-steps", type=int, default=DEFAULTS.warmup_steps)
    parser.add_argument(
        "--samples", type=int, default=DEFAULTS.samples, help="random images (default: CIFAR10's)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per path; medians reported")
    parser.add_argument(
        "--variants",
        default=",".join(TRAINLAB_VARIANTS),
        help=f"comma-separated trainlab variants to time (default: all of {', '.join(TRAINLAB_VARIANTS)})",
    )
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed)
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    for name in ("batch_size", "steps", "samples", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.warmup_steps < 1:
        # Step 0 pays one-off costs (allocator, cuDNN autotuning, compilation): never time it.
        parser.error(f"--warmup-steps must be >= 1, got {args.warmup_steps}")
    args.variants = [name for name in args.variants.split(",") if name]
    unknown = [name for name in args.variants if name not in TRAINLAB_VARIANTS]
    if unknown:
        parser.error(
            f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(TRAINLAB_VARIANTS)}"
        )
    return args


def workload_from_args(args: argparse.Namespace) -> Workload:
    """The :class:`Workload` named by the command line."""
    values = {f.name: getattr(args, f.name) for f in fields(Workload)}
    return Workload(**values)


def environment() -> dict[str, Any]:
    """Versions and hardware, so a number can be traced to the machine that produced it."""
    import lightning
    import torch

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print a table and JSON; return the exit status."""
    args = parse_args(argv)
    _quiet_lightning()
    from benchmarks.workload import resolve_device

    try:
        workload = workload_from_args(args)
        device = resolve_device(workload.device)
        workload = Workload(**{**workload.__dict__, "device": device.type})
        from benchmarks.throughput import format_table, measure_throughput

        report = measure_throughput(workload, args.variants, args.repeats, environment())
        result = report.as_dict()
        table = format_table(report)
    except ValueError as error:
        print(f"benchmark: error: {error}", file=sys.stderr)
        return 2
    print(table)
    print(json.dumps(result, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _quiet_lightning() -> None:
    # "GPU available", "max_steps reached" and tips would interleave with the table. Imported
    # first because importing lightning.pytorch sets its logger's level to INFO.
    import lightning.pytorch  # noqa: F401

    from trainlab.cli.console import route_lightning_logs

    route_lightning_logs()
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="lightning")
