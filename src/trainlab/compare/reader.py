"""Read a sweep's runs back from disk: run records, Hydra's saved config, TensorBoard events.

Each run folder holds ``.hydra/`` (Hydra's config and overrides), event files, and, when the
run-record writer ran, ``run.json``. The record is preferred; without one, status, metrics,
epochs and wall time are recovered from the event files with TensorBoard's own reader.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from tensorboard.backend.event_processing import event_accumulator

from trainlab.run_dir import RUN_RECORD
from trainlab.sweeps.folder import PENDING, read_plan, read_sweep_config

HYDRA_DIR = ".hydra"
# Written by trainlab.summary when a run finishes, so their presence means "completed".
FINAL_PREFIX = "hp/"
# Logged once per training epoch by TrainLabModule.
EPOCH_METRIC = "train/loss_epoch"
# Keep every scalar point; skip the heavy payloads the comparison never reads.
_SIZE_GUIDANCE = {
    event_accumulator.SCALARS: 0,
    event_accumulator.HISTOGRAMS: 1,
    event_accumulator.TENSORS: 1,
    event_accumulator.IMAGES: 1,
    event_accumulator.AUDIO: 1,
    event_accumulator.COMPRESSED_HISTOGRAMS: 1,
}


class NoRunsError(FileNotFoundError):
    """The folder holds no run folders (none with ``.hydra/`` or ``run.json``)."""


@dataclass
class RunSummary:
    """One run of a sweep, as the comparison sees it."""

    name: str
    run_dir: Path
    choices: dict[str, str]
    status: str
    monitor: str
    monitor_mode: str
    final_metrics: dict[str, float]
    best_metrics: dict[str, float]
    epochs: int | None
    wall_time_s: float | None
    job_num: int | None = None
    error: str | None = None
    curves: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    @property
    def final_monitor(self) -> float | None:
        """The monitored metric at the end of the run."""
        return self.final_metrics.get(self.monitor)

    @property
    def best_monitor(self) -> float | None:
        """The best value of the monitored metric over the run."""
        return self.best_metrics.get(self.monitor)


def find_run_dirs(sweep_dir: Path) -> list[Path]:
    """Every folder under ``sweep_dir`` (itself included) that holds a run, sorted by path."""
    markers = [*sweep_dir.rglob(f"{HYDRA_DIR}/config.yaml"), *sweep_dir.rglob(RUN_RECORD)]
    dirs = {m.parent.parent if m.parent.name == HYDRA_DIR else m.parent for m in markers}
    return sorted(dirs)


def read_sweep(sweep_dir: Path | str) -> list[RunSummary]:
    """All runs under ``sweep_dir``; raises :class:`NoRunsError` when there are none."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise NoRunsError(f"{sweep_dir} is not a folder")
    run_dirs = find_run_dirs(sweep_dir)
    pending = pending_runs(sweep_dir, set(run_dirs))
    if not run_dirs and not pending:
        raise NoRunsError(
            f"no runs under {sweep_dir}: expected run folders holding .hydra/ or {RUN_RECORD} "
            "(a sweep folder is outputs/multirun/<time>/)"
        )
    return [read_run(run_dir, sweep_dir) for run_dir in run_dirs] + pending


def pending_runs(sweep_dir: Path, started: set[Path]) -> list[RunSummary]:
    """The jobs of the sweep's plan that have not started (not in ``started``), status ``pending``."""
    plan = read_plan(sweep_dir)
    if plan is None:
        return []
    config = read_sweep_config(sweep_dir)
    return [
        RunSummary(
            name=job.subdir,
            run_dir=sweep_dir / job.subdir,
            choices=_choices(list(job.overrides)),
            status=PENDING,
            monitor=str(config.get("monitor", "val/loss")),
            monitor_mode=str(config.get("monitor_mode", "min")),
            final_metrics={},
            best_metrics={},
            epochs=None,
            wall_time_s=None,
            job_num=job.num,
        )
        for job in plan.jobs
        if sweep_dir / job.subdir not in started
    ]


def read_run(run_dir: Path, sweep_dir: Path) -> RunSummary:
    """One run from its record (when present), its Hydra config and its event files."""
    record = _load_record(run_dir)
    config = _load_hydra(run_dir, "config.yaml") or {}
    monitor = str(config.get("monitor", "val/loss"))
    mode = str(config.get("monitor_mode", "min"))
    events = EventData.load(run_dir)
    overrides = record.get("overrides") or _load_hydra(run_dir, "overrides.yaml") or []

    final = record.get("final_metrics") or events.final_metrics()
    best = record.get("best_metrics") or events.best_metrics(monitor, mode)
    name = str(run_dir.relative_to(sweep_dir)) if run_dir != sweep_dir else run_dir.name
    return RunSummary(
        name=name,
        run_dir=run_dir,
        choices=_choices(overrides),
        status=record.get("status") or events.status(monitor),
        monitor=monitor,
        monitor_mode=mode,
        final_metrics={k: float(v) for k, v in final.items()},
        best_metrics={k: float(v) for k, v in best.items()},
        epochs=record.get("epochs_completed", events.epochs()),
        wall_time_s=record.get("wall_time_s", events.wall_time_s()),
        job_num=record.get("job_num", _job_num(run_dir)),
        error=record.get("error"),
        curves=events.scalars,
    )


@dataclass
class EventData:
    """Every scalar series of a run's TensorBoard event files, with wall times."""

    scalars: dict[str, list[tuple[int, float]]]
    wall_times: list[float]

    @classmethod
    def load(cls, run_dir: Path) -> EventData:
        """Read all event files directly in ``run_dir`` (Lightning writes them there)."""
        accumulator = event_accumulator.EventAccumulator(str(run_dir), size_guidance=_SIZE_GUIDANCE)
        accumulator.Reload()
        scalars: dict[str, list[tuple[int, float]]] = {}
        wall_times: list[float] = []
        for tag in accumulator.Tags()["scalars"]:
            points = accumulator.Scalars(tag)
            scalars[tag] = [(p.step, p.value) for p in points]
            wall_times += [p.wall_time for p in points]
        return cls(scalars, wall_times)

    def final_metrics(self) -> dict[str, float]:
        """The last value of every metric series (``hp/`` copies and step series left out)."""
        return {
            tag: points[-1][1]
            for tag, points in self.scalars.items()
            if points
            and tag != "epoch"
            and not tag.startswith(FINAL_PREFIX)
            and not tag.endswith("_step")
        }

    def best_metrics(self, monitor: str, mode: str) -> dict[str, float]:
        """``{monitor: best value}`` over the run, or nothing if it was never logged."""
        values = [v for _, v in self.scalars.get(monitor, []) if math.isfinite(v)]
        if not values:
            return {}
        return {monitor: min(values) if mode == "min" else max(values)}

    def status(self, monitor: str) -> str:
        """``completed``, ``diverged`` (non-finite final loss) or ``incomplete`` (no summary)."""
        finished = any(tag.startswith(FINAL_PREFIX) for tag in self.scalars)
        if not finished:
            return "incomplete"
        finals = self.final_metrics()
        watched = [v for k, v in finals.items() if k == monitor or k.endswith("loss")]
        return "completed" if all(math.isfinite(v) for v in watched) else "diverged"

    def epochs(self) -> int | None:
        """Training epochs completed: one ``train/loss_epoch`` point each."""
        points = self.scalars.get(EPOCH_METRIC)
        return len(points) if points else None

    def wall_time_s(self) -> float | None:
        """Seconds between the first and the last event written."""
        return max(self.wall_times) - min(self.wall_times) if self.wall_times else None


def _load_record(run_dir: Path) -> dict[str, Any]:
    path = run_dir / RUN_RECORD
    return json.loads(path.read_text()) if path.is_file() else {}


def _load_hydra(run_dir: Path, name: str) -> Any:
    path = run_dir / HYDRA_DIR / name
    return OmegaConf.to_container(OmegaConf.load(path)) if path.is_file() else None


def _choices(overrides: list[str]) -> dict[str, str]:
    """``["loss=mse", "+x=1"]`` → ``{"loss": "mse", "x": "1"}`` (Hydra's ``+``/``~`` dropped)."""
    choices: dict[str, str] = {}
    for override in overrides:
        key, _, value = override.partition("=")
        choices[key.lstrip("+~")] = value
    return choices


def _job_num(run_dir: Path) -> int | None:
    hydra = _load_hydra(run_dir, "hydra.yaml")
    num = (hydra or {}).get("hydra", {}).get("job", {}).get("num")
    return int(num) if num is not None else None
