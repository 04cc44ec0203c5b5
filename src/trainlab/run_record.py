"""The run record: ``run.json`` in each run directory, written from the start to the end of a run.

This is the one place that writes it. Other tools (``rerun.py``, sweep reports, comparisons) read
it with :func:`trainlab.run_dir.read_record`; its keys are the contract listed in :data:`RECORD_KEYS`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig

from trainlab.errors import DivergedError, RunInterrupted
from trainlab.paths import PROJECT_ROOT
from trainlab.run_dir import RunStatus, read_record, record_path
from trainlab.summary import final_metrics

RECORD_KEYS = (
    "status", "seed", "command", "overrides", "job_num", "run_dir", "started_at", "ended_at",
    "wall_time_s", "final_metrics", "best_metrics", "epochs_completed", "global_step", "error",
    "environment", "git",
)  # fmt: skip
PACKAGES = ("torch", "lightning", "hydra-core", "torchmetrics", "omegaconf", "numpy", "tensorboard")


def write_record(run_dir: Path, record: Mapping[str, Any]) -> None:
    """Write ``run.json`` atomically: a reader sees the old record or the new, never half of one."""
    path = record_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)


def environment() -> dict[str, Any]:
    """Versions of Python and the libraries that decide a run's numbers, and the device used."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        **{name: _version(name) for name in PACKAGES},
        "cuda_available": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version()
        info["device_name"] = torch.cuda.get_device_name()
    return info


def git_state(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The project's commit and whether its tree had uncommitted changes; nulls without git."""
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


class RunRecord:
    """Keeps ``run_dir/run.json`` current: ``running`` at the start, the outcome at the end.

    With ``write=False`` (extra DDP ranks) the record is kept in memory only.
    """

    def __init__(self, run_dir: Path, record: dict[str, Any], write: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.record = record
        self.write = write
        self._started = time.monotonic()
        self._earlier_wall_time = float(record.get("wall_time_s") or 0.0)

    @classmethod
    def start(
        cls, run_dir: Path, cfg: DictConfig, resumed: bool = False, write: bool = True
    ) -> RunRecord:
        """Write a ``running`` record; a resumed run keeps its record and adds ``resumed_at``."""
        now = _now()
        resumed = resumed and record_path(run_dir).is_file()
        record: dict[str, Any] = read_record(run_dir) if resumed else {"started_at": now}
        if resumed:
            record["resumed_at"] = [*record.get("resumed_at", []), now]
        command, overrides, job_num = _invocation()
        if not resumed or "command" not in record:  # a resumed run keeps how it was started
            record.update(command=command, overrides=overrides, job_num=job_num)
        record.update(
            status=RunStatus.RUNNING.value,
            seed=int(cfg.seed),
            run_dir=str(Path(run_dir).resolve()),
            ended_at=None,
            error=None,
            environment=environment(),
            git=git_state(),
        )
        record.setdefault("final_metrics", {})
        record.setdefault("best_metrics", {})
        record.setdefault("epochs_completed", 0)
        record.setdefault("global_step", 0)
        record.setdefault("wall_time_s", 0.0)
        run = cls(run_dir, record, write)
        if write:
            write_record(run_dir, record)
        return run

    @contextmanager
    def tracking(self, trainer: L.Trainer) -> Iterator[None]:
        """Record how the enclosed fitting ends: completed, failed, diverged or interrupted."""
        try:
            yield
        except DivergedError as error:
            self.finish(RunStatus.DIVERGED, trainer, error=str(error))
            raise
        except (KeyboardInterrupt, SIGTERMException, RunInterrupted) as error:
            self.finish(RunStatus.INTERRUPTED, trainer, error=str(error) or "interrupted")
            raise
        except SystemExit:
            # Lightning turns Ctrl-C during fit into sys.exit(1) after marking the trainer.
            status = RunStatus.INTERRUPTED if trainer.interrupted else RunStatus.FAILED
            self.finish(status, trainer, error="interrupted")
            raise
        except BaseException as error:
            self.finish(RunStatus.FAILED, trainer, error=f"{type(error).__name__}: {error}")
            raise

    def finish(
        self,
        status: RunStatus,
        trainer: L.Trainer | None = None,
        metrics: Mapping[str, float] | None = None,
        error: str | None = None,
    ) -> None:
        """Write the outcome, the metrics and the progress reached."""
        self.record.update(
            status=status.value,
            ended_at=_now(),
            wall_time_s=self._earlier_wall_time + time.monotonic() - self._started,
            error=error,
        )
        if trainer is not None:
            self.record.update(
                final_metrics=dict(metrics) if metrics is not None else final_metrics(trainer),
                best_metrics=_best_metrics(trainer),
                epochs_completed=int(trainer.current_epoch),
                global_step=int(trainer.global_step),
            )
        if self.write:
            write_record(self.run_dir, self.record)


def record_failure(run_dir: Path, cfg: DictConfig, error: BaseException) -> None:
    """Record a run that failed before it started training (bad input in a sweep's job).

    A run that started has recorded its own outcome already; that record is left as it is.
    """
    if record_path(run_dir).exists():
        return
    run = RunRecord.start(run_dir, cfg)
    run.finish(RunStatus.FAILED, error=f"{type(error).__name__}: {error}")


def _best_metrics(trainer: L.Trainer) -> dict[str, float]:
    checkpoint = trainer.checkpoint_callback
    score = getattr(checkpoint, "best_model_score", None)
    if score is None:
        return {}
    return {str(checkpoint.monitor): float(score)}


def _invocation() -> tuple[list[str], list[str], int | None]:
    """The command line, Hydra's task overrides, and the job number within a sweep."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return list(sys.argv), [], None
    hydra_cfg = HydraConfig.get()
    overrides = [str(o) for o in hydra_cfg.overrides.task]
    job_num = int(hydra_cfg.job.num) if hydra_cfg.mode == RunMode.MULTIRUN else None
    return list(sys.argv), overrides, job_num


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=10
    )
    return result.stdout.strip()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
