"""Rerun a recorded run in a new directory and compare, or resume it in its own directory."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from omegaconf import OmegaConf

from trainlab.errors import ConfigError
from trainlab.paths import PROJECT_ROOT
from trainlab.run_dir import read_record

TRAIN_SCRIPT = PROJECT_ROOT / "scripts" / "train.py"
RERUN_ROOT = Path("outputs") / "reruns"


def recorded_overrides(run_dir: Path) -> list[str]:
    """The command-line overrides ``run_dir``'s run was started with (Hydra's overrides.yaml)."""
    read_record(run_dir)  # a clear error first when run_dir is not a run directory
    path = Path(run_dir) / ".hydra" / "overrides.yaml"
    if not path.is_file():
        raise ConfigError(
            f"{run_dir} is not a trainlab run directory: it has no .hydra/overrides.yaml"
        )
    overrides = [str(o) for o in OmegaConf.to_container(OmegaConf.load(path))]
    # A resumed run recorded resume=true; the caller decides whether this run resumes.
    return [o for o in overrides if o.split("=", 1)[0].lstrip("+~") != "resume"]


def new_run_dir() -> Path:
    """A fresh directory for a rerun, named by the time to the microsecond."""
    return RERUN_ROOT / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")


def run_train(overrides: list[str]) -> int:
    """Run ``scripts/train.py`` with ``overrides`` in a subprocess; its exit code."""
    return subprocess.run([sys.executable, str(TRAIN_SCRIPT), *overrides], check=False).returncode


def rerun(run_dir: Path, into: Path) -> int:
    """Train ``run_dir``'s configuration again in ``into``; the training's exit code."""
    return run_train([*recorded_overrides(run_dir), run_dir_override(into)])


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
