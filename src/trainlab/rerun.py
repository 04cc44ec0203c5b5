"""Rerun a recorded run in a new directory and compare, or resume it in its own directory."""

from __future__ import annotations

import math
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from trainlab.config.search_path import recorded_search_path
from trainlab.entry_points import command_argv
from trainlab.run_dir import read_record, recorded_overrides

RERUN_ROOT = Path("outputs") / "reruns"


def rerun_overrides(run_dir: Path) -> list[str]:
    """The overrides that start ``run_dir``'s run again (its recorded ones, less ``resume``)."""
    read_record(run_dir)  # a clear error first when run_dir is not a run directory
    # A resumed run recorded resume=true; the caller decides whether this run resumes.
    return [o for o in recorded_overrides(run_dir) if o.split("=", 1)[0].lstrip("+~") != "resume"]


def new_run_dir() -> Path:
    """A fresh directory for a rerun, named by the time to the microsecond."""
    return RERUN_ROOT / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")


def run_train(overrides: list[str]) -> int:
    """Run the training command with ``overrides`` in a subprocess; its exit code.

    The same installation's command: the checkout's ``scripts/train.py`` when this process came
    from the checkout's scripts, else the installed package's ``trainlab.cli.train``.
    """
    return subprocess.run([*command_argv("train"), *overrides], check=False).returncode


def rerun(run_dir: Path, into: Path) -> int:
    """Train ``run_dir``'s configuration again in ``into``; the training's exit code.

    The run's extra config folders (the user's project's ``conf/``) are searched again.
    """
    overrides = [*rerun_overrides(run_dir), *recorded_search_path(run_dir)]
    return run_train([*overrides, run_dir_override(into)])


def resume(run_dir: Path) -> int:
    """Continue ``run_dir``'s run in ``run_dir`` from its last checkpoint; the exit code.

    The run's plan takes the config from the run's own record (``.hydra/config.yaml``).
    """
    read_record(run_dir)  # a clear error first when run_dir is not a run directory
    return run_train([run_dir_override(run_dir), "resume=true"])


def run_dir_override(run_dir: Path) -> str:
    """``hydra.run.dir=<run_dir>``, quoted for Hydra's parser."""
    return path_override("hydra.run.dir", run_dir)


def path_override(key: str, path: Path) -> str:
    """``<key>=<path>``, quoted for Hydra's parser (spaces, ``=``, ``,``, quotes)."""
    escaped = str(path).replace("\\", "\\\\").replace("'", "\\'")
    return f"{key}='{escaped}'"


def metric_differences(
    original: Mapping[str, float], rerun_metrics: Mapping[str, float]
) -> list[str]:
    """Names of metrics that are not exactly equal (or present in only one run)."""
    names = sorted(set(original) | set(rerun_metrics))
    return [n for n in names if not _same(original.get(n), rerun_metrics.get(n))]


def comparison_table(original: Mapping[str, float], rerun_metrics: Mapping[str, float]) -> str:
    """``metric  original  rerun  diff`` rows, differing metrics marked with ``*``."""
    names = sorted(set(original) | set(rerun_metrics))
    differing = set(metric_differences(original, rerun_metrics))
    rows = [("metric", "original", "rerun", "diff")]
    for name in names:
        a, b = original.get(name), rerun_metrics.get(name)
        diff = "" if a is None or b is None else f"{b - a:.3g}"
        rows.append((f"{'*' if name in differing else ' '} {name}", _fmt(a), _fmt(b), diff))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def _fmt(value: float | None) -> str:
    return "-" if value is None else repr(value)
