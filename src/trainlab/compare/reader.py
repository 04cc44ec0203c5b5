"""Read a sweep's runs back from disk: run records, Hydra's saved config, TensorBoard events
(or, for runs logged without TensorBoard, the CSV logger's ``metrics.csv``).

Each run folder holds ``.hydra/`` (Hydra's config and overrides), event files, and, when the
run-record writer ran, ``run.json``. The record is preferred; without one, status, metrics,
epochs and wall time are recovered from the event files with TensorBoard's own reader.

Nothing read here may stop a comparison: a record that is not valid JSON, a field of the wrong
type, an unreadable Hydra file or a truncated event file becomes a note on the run (and the
status ``unreadable`` when the record itself cannot be trusted), never an exception.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from tensorboard.backend.event_processing import event_accumulator

from trainlab.csv_metrics import metrics_file, read_curves
from trainlab.run_dir import RUN_RECORD
from trainlab.sweeps.folder import PENDING, read_plan, read_sweep_config

HYDRA_DIR = ".hydra"
EVENT_FILES = "events.out.tfevents.*"
# Written by trainlab.summary when a run finishes, so their presence means "completed".
FINAL_PREFIX = "hp/"
# Logged once per training epoch by TrainLabModule.
EPOCH_METRIC = "train/loss_epoch"
# Per-layer and total gradient norms (trainlab.callbacks.gradient_norms), logged per step.
GRAD_NORM_PREFIX = "grad_norm/"
GRAD_NORM_TOTAL = "grad_norm/total"
# A record that cannot be parsed: the run's outcome is unknown, whatever its event files say.
UNREADABLE = "unreadable"
INCOMPLETE = "incomplete"
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
    seed: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def final_monitor(self) -> float | None:
        """The monitored metric at the end of the run."""
        return self.final_metrics.get(self.monitor)

    @property
    def best_monitor(self) -> float | None:
        """The best value of the monitored metric over the run."""
        return self.best_metrics.get(self.monitor)

    def metrics(self) -> dict[str, float]:
        """Every final metric, ``best/<monitor>``, and the last logged ``grad_norm/*`` values."""
        values = dict(self.final_metrics)
        values.update({f"best/{name}": value for name, value in self.best_metrics.items()})
        for tag, points in self.curves.items():
            if tag.startswith(GRAD_NORM_PREFIX) and points:
                values.setdefault(tag, points[-1][1])
        return values

    def best_of_curve(self, metric: str, mode: str) -> float | None:
        """The best logged value of ``metric`` (``mode`` ``min`` or ``max``), if it was logged."""
        if metric in self.best_metrics:
            return self.best_metrics[metric]
        values = [v for _, v in self.curves.get(metric, []) if math.isfinite(v)]
        if not values:
            return None
        return min(values) if mode == "min" else max(values)

    def layers(self) -> list[str]:
        """Layer names of the per-layer gradient norms, input to output.

        The gradient-norm logger logs the layers in the model's parameter order, and TensorBoard's
        reader keeps tags in the order they first appear, so this is the model's order.
        """
        return [
            tag.removeprefix(GRAD_NORM_PREFIX)
            for tag in self.curves
            if tag.startswith(GRAD_NORM_PREFIX) and tag != GRAD_NORM_TOTAL
        ]


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
    notes: list[str] = []
    record, readable = _load_record(run_dir, notes)
    config = _mapping(_load_hydra(run_dir, "config.yaml", notes))
    monitor = str(config.get("monitor", "val/loss"))
    mode = str(config.get("monitor_mode", "min"))
    events = EventData.load(run_dir, notes)
    overrides = _strings(record.get("overrides"))
    if overrides is None:
        overrides = _strings(_load_hydra(run_dir, "overrides.yaml", notes)) or []

    final = _numbers(record.get("final_metrics")) or events.final_metrics()
    best = _numbers(record.get("best_metrics")) or events.best_metrics(monitor, mode)
    status = _text(record.get("status"))
    if not readable:
        status = UNREADABLE
    elif status is None:
        if record:
            notes.append(f"{RUN_RECORD} has no status: taken from the event files")
        status = events.status(monitor)
    name = str(run_dir.relative_to(sweep_dir)) if run_dir != sweep_dir else run_dir.name
    return RunSummary(
        name=name,
        run_dir=run_dir,
        choices=_choices(overrides),
        status=status,
        monitor=monitor,
        monitor_mode=mode,
        final_metrics=final,
        best_metrics=best,
        epochs=_integer(record.get("epochs_completed"), events.epochs()),
        wall_time_s=_number(record.get("wall_time_s"), events.wall_time_s()),
        job_num=(
            _integer(record["job_num"], None) if "job_num" in record else _job_num(run_dir, notes)
        ),
        error=_text(record.get("error")),
        curves=events.scalars,
        seed=_integer(record.get("seed"), _integer(config.get("seed"), None)),
        notes=notes,
    )


@dataclass
class EventData:
    """Every scalar series of a run's TensorBoard event files, with wall times."""

    scalars: dict[str, list[tuple[int, float]]]
    wall_times: list[float]

    @classmethod
    def load(cls, run_dir: Path, notes: list[str] | None = None) -> EventData:
        """Read all event files directly in ``run_dir`` (Lightning writes them there).

        A run logged without TensorBoard is read from its CSV logger's ``metrics.csv``.
        Problems (a truncated or unreadable file) are appended to ``notes``.
        """
        if not any(run_dir.glob(EVENT_FILES)) and metrics_file(run_dir).is_file():
            return cls(read_curves(run_dir), [])
        notes = notes if notes is not None else []
        for path in sorted(run_dir.glob(EVENT_FILES)):
            if not _records_fill_file(path):
                notes.append(f"{path.name} is truncated or corrupt: its curves may end early")
        accumulator = event_accumulator.EventAccumulator(str(run_dir), size_guidance=_SIZE_GUIDANCE)
        scalars: dict[str, list[tuple[int, float]]] = {}
        wall_times: list[float] = []
        try:
            accumulator.Reload()
            for tag in accumulator.Tags()["scalars"]:
                points = accumulator.Scalars(tag)
                scalars[tag] = [(p.step, p.value) for p in points]
                wall_times += [p.wall_time for p in points]
        except Exception as error:  # any damage in a file TensorBoard's reader did not expect
            notes.append(f"event files unreadable ({type(error).__name__}: {error})")
        return cls(scalars, wall_times)

    def final_metrics(self) -> dict[str, float]:
        """The last value of every metric series (``hp/`` copies, step series, grad norms out)."""
        return {
            tag: points[-1][1]
            for tag, points in self.scalars.items()
            if points
            and tag != "epoch"
            and not tag.startswith((FINAL_PREFIX, GRAD_NORM_PREFIX))
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
            return INCOMPLETE
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


def _records_fill_file(path: Path) -> bool:
    """Whether the event file is a whole number of TFRecords (length, CRC, data, CRC).

    Written by hand because TensorBoard's loaders stop silently at a truncated last record (they
    expect a writer still appending) and no public API says a file was cut short. Only the
    framing is walked (one seek per record), not the CRCs, so it stays cheap on large files.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            offset = 0
            while offset < size:
                header = stream.read(8)
                if len(header) < 8:
                    return False
                (length,) = struct.unpack("<Q", header)
                offset += 8 + 4 + length + 4
                stream.seek(offset)
            return offset == size
    except OSError:
        return False


def _load_record(run_dir: Path, notes: list[str]) -> tuple[dict[str, Any], bool]:
    """The run record (``{}`` when there is none) and whether an existing one could be read."""
    path = run_dir / RUN_RECORD
    if not path.is_file():
        return {}, True
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        notes.append(f"{RUN_RECORD} is not readable JSON ({error})")
        return {}, False
    if not isinstance(record, dict):
        notes.append(f"{RUN_RECORD} holds a {type(record).__name__}, not a run record")
        return {}, False
    return record, True


def _load_hydra(run_dir: Path, name: str, notes: list[str]) -> Any:
    path = run_dir / HYDRA_DIR / name
    if not path.is_file():
        return None
    try:
        return OmegaConf.to_container(OmegaConf.load(path))
    except Exception as error:  # OmegaConf and YAML raise many types for a damaged file
        notes.append(f"{HYDRA_DIR}/{name} is not readable ({type(error).__name__})")
        return None


def _choices(overrides: list[str]) -> dict[str, str]:
    """``["loss=mse", "+x=1"]`` → ``{"loss": "mse", "x": "1"}`` (Hydra's ``+``/``~`` dropped)."""
    choices: dict[str, str] = {}
    for override in overrides:
        key, _, value = override.partition("=")
        choices[key.lstrip("+~")] = value
    return choices


def _job_num(run_dir: Path, notes: list[str]) -> int | None:
    """The job number Hydra saved; single runs save ``???`` (unset), which is no number."""
    hydra = _mapping(_load_hydra(run_dir, "hydra.yaml", notes))
    job = _mapping(_mapping(hydra.get("hydra")).get("job"))
    return _integer(job.get("num"), None)


# The record's fields as the comparison needs them; a field of another type counts as absent.


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str] | None:
    return [str(v) for v in value] if isinstance(value, list) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: Any, default: int | None) -> int | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _number(value: Any, default: float | None) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return default


def _numbers(value: Any) -> dict[str, float]:
    """A ``{name: number}`` mapping; entries that are not numbers are left out."""
    return {
        str(k): float(v)
        for k, v in _mapping(value).items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
