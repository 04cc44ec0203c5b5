"""Where a small synthetic run's time goes: py-spy samples of real commands, by category.

py-spy samples the process from outside (no instrumentation, so no distortion of Lightning's
hot path) and writes collapsed stacks that speedscope and flamegraph.pl open. Neither tool
sums a profile into a few named parts, so :func:`categorize` does that by hand: each sample
goes to the first category one of whose markers appears in its stack.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from trainlab.benchmark.overhead import TRAIN_SCRIPT
from trainlab.run_dir import RUN_RECORD, RunStatus, read_record

# Ordered: a sample counts once, for the first category that matches. Specific parts of a
# training step come before the Lightning loop that calls them; the trainlab and Hydra
# catch-alls come last because every sample of a run is under both.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("imports", ("_find_and_load",)),
    ("checkpoint saves", ("save_checkpoint",)),
    ("TensorBoard writes", ("tensorboard/", "TensorBoardLogger")),
    ("trainlab callbacks (gradient norms, RNG, divergence, SIGTERM)", ("trainlab/callbacks/",)),
    (
        "Lightning logging (self.log)",
        ("LightningModule.log", "_LoggerConnector", "_ResultCollection"),
    ),
    ("validation and test steps", ("_EvaluationLoop.run",)),
    ("training step: forward and loss", ("TrainLabModule.training_step",)),
    ("training step: backward", ("_engine_run_backward",)),
    ("Lightning step closure", ("Closure.closure",)),
    ("optimizer update", ("torch/optim/",)),
    ("data set-up and batches", ("trainlab/data/",)),
    ("Lightning loops, hooks and set-up", ("lightning/",)),
    ("trainlab: build, run record, summary", ("trainlab/",)),
    ("Hydra: compose and launch jobs", ("hydra/",)),
)
OTHER = "other"
# py-spy's sample of a thread running native code with no Python frame above it (loading
# shared libraries at import, torch's own threads) has an empty stack.
NATIVE = "native code with no Python frame"

SWEEP_OVERRIDES = (
    "loss=mse,l1,huber",
    "activation=relu,tanh",
    "optimizer=sgd,adam",
    "data=regression",
)
SWEEP_RUNS = 12


def categorize(collapsed: Iterable[str]) -> Counter[str]:
    """Samples per category from py-spy's raw output (``frame;frame;... count`` per line)."""
    counts: Counter[str] = Counter()
    for line in collapsed:
        stack, separator, count = line.rstrip("\n").rpartition(" ")
        if not separator or not count.isdigit():
            continue
        counts[_category(stack) if stack else NATIVE] += int(count)
    return counts


def _category(stack: str) -> str:
    for name, markers in CATEGORIES:
        if any(marker in stack for marker in markers):
            return name
    return OTHER


def py_spy_executable() -> str:
    """Path of the ``py-spy`` command; a clear error when it is not installed."""
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        raise ValueError("the profile suite needs py-spy: pip install py-spy")
    return found


def record(argv: Sequence[str], output: Path, rate: int) -> tuple[float, int]:
    """Run ``python argv`` under py-spy, writing its collapsed stacks to ``output``.

    Returns the command's wall seconds and the samples py-spy failed to read.
    """
    command = [
        py_spy_executable(), "record", "--nonblocking", "--rate", str(rate),
        "--format", "raw", "--output", str(output), "--", sys.executable, *argv,
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall_s = time.perf_counter() - started
    check_recorded(output, argv, result)
    errors = re.search(r"Errors: (\d+)", result.stdout + result.stderr)
    return wall_s, int(errors.group(1)) if errors else 0


def check_recorded(
    output: Path, argv: Sequence[str], result: subprocess.CompletedProcess[str]
) -> None:
    """Raise unless py-spy's run ``result`` left samples in ``output``.

    py-spy exits 0 even when the profiled command fails; :func:`check_runs_completed` sees that.
    """
    if result.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
        raise ValueError(
            f"py-spy recorded no samples of python {' '.join(argv)} (exit {result.returncode}): "
            f"{(result.stdout + result.stderr).strip()[-500:]}"
        )


def check_runs_completed(directory: Path, expected: int) -> None:
    """Raise unless ``directory`` holds ``expected`` run records, all ``completed``."""
    statuses = [read_record(path.parent)["status"] for path in directory.rglob(RUN_RECORD)]
    if len(statuses) != expected or set(statuses) != {RunStatus.COMPLETED.value}:
        raise ValueError(
            f"the profiled command did not complete: {len(statuses)} of {expected} run records "
            f"in {directory}, statuses {sorted(set(statuses))}; its train.log says why"
        )


def profile_commands(profile_dir: Path, rate: int) -> dict[str, Any]:
    """Profile the default job and the 12-run synthetic sweep; seconds per category of each."""
    taken = [p.name for p in profile_dir.iterdir()] if profile_dir.is_dir() else []
    if taken:
        raise ValueError(
            f"--profile-dir {profile_dir} is not empty ({', '.join(sorted(taken)[:3])}); "
            "name a new or empty folder, so no earlier profile or run is overwritten"
        )
    quiet = "trainer.enable_progress_bar=false"
    commands = {
        "default_job": (
            [str(TRAIN_SCRIPT), quiet, f"hydra.run.dir={profile_dir / 'default_job'}"], 1
        ),
        "sweep_12_runs": (
            [
                str(TRAIN_SCRIPT), "-m", *SWEEP_OVERRIDES, quiet,
                f"hydra.sweep.dir={profile_dir / 'sweep_12_runs'}",
            ],
            SWEEP_RUNS,
        ),
    }  # fmt: skip
    report: dict[str, Any] = {"rate_hz": rate, "profiles": {}}
    for name, (argv, runs) in commands.items():
        output = profile_dir / f"{name}.collapsed.txt"
        wall_s, errors = record(argv, output, rate)
        check_runs_completed(profile_dir / name, runs)
        counts = categorize(output.read_text().splitlines())
        total = sum(counts.values())
        report["profiles"][name] = {
            "command": ["python", *argv],
            "runs": runs,
            "collapsed_stacks": str(output),
            "wall_s": wall_s,
            "sampled_s": total / rate,
            "unread_samples": errors,
            "seconds": {category: count / rate for category, count in counts.most_common()},
            "share": {category: count / total for category, count in counts.most_common()},
        }
    return report


def format_profile(report: dict[str, Any]) -> str:
    """One table per profiled command: category, seconds, share of the samples."""
    lines = []
    for name, profile in report["profiles"].items():
        lines.append(
            f"[{name}] {profile['wall_s']:.2f} s wall under py-spy; {profile['sampled_s']:.2f} s "
            f"sampled at {report['rate_hz']} Hz ({profile['unread_samples']} samples unread)"
        )
        for category, seconds in profile["seconds"].items():
            lines.append(f"  {category:<66} {seconds:7.2f} s {profile['share'][category]:6.1%}")
    return "\n".join(lines)
