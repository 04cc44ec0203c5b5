"""One row per run: chosen values, final and best monitored metric, epochs, wall time, status."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from trainlab.compare.metrics import infer_mode
from trainlab.compare.reader import RunSummary

FORMATS = ("table", "markdown", "csv", "json")
FIXED_COLUMNS = ("status", "epochs", "wall_time_s")
# Per-run numbers besides metrics that rows can be sorted by.
COLUMNS = ("epochs", "wall_time_s", "job_num")


def varying_choices(runs: Sequence[RunSummary]) -> list[str]:
    """Override keys whose value differs between runs (all keys when there is one run)."""
    keys = list(dict.fromkeys(k for run in runs for k in run.choices))
    if len(runs) == 1:
        return keys
    return [k for k in keys if len({run.choices.get(k) for run in runs}) > 1]


def sort_runs(
    runs: Sequence[RunSummary], metric: str | None = None, descending: bool | None = None
) -> list[RunSummary]:
    """Runs ordered by ``metric`` (default: the monitored one, best first); missing ones last.

    ``metric`` is any final metric (``val/acc``), ``best/<metric>``, a last gradient norm
    (``grad_norm/output``) or a column (``epochs``, ``wall_time_s``). Without ``descending``
    the metric's direction decides (best first: the monitor's mode, or one its name implies);
    ascending for everything else.
    """
    monitor = runs[0].monitor if runs else "val/loss"
    metric = metric or monitor
    if descending is None:
        mode = runs[0].monitor_mode if runs else "min"
        descending = infer_mode(metric, monitor, mode) == "max"

    def key(run: RunSummary) -> tuple[bool, float]:
        value = sort_value(run, metric)
        missing = value is None or math.isnan(value)
        return (missing, 0.0 if missing else (-value if descending else value))

    return sorted(runs, key=key)


def sort_value(run: RunSummary, metric: str) -> float | None:
    """The number ``metric`` names for ``run``: a column or one of :meth:`RunSummary.metrics`."""
    if metric in COLUMNS:
        value = getattr(run, metric)
        return None if value is None else float(value)
    return run.metrics().get(metric)


def rows(runs: Sequence[RunSummary]) -> list[dict[str, Any]]:
    """The table as dicts, one per run, columns in display order."""
    choices = varying_choices(runs)
    result = []
    for run in runs:
        row: dict[str, Any] = {"run": run.name}
        row.update({key: run.choices.get(key, "") for key in choices})
        row[f"final {run.monitor}"] = run.final_monitor
        row[f"best {run.monitor}"] = run.best_monitor
        row.update({column: getattr(run, column) for column in FIXED_COLUMNS})
        if any(r.notes for r in runs):
            row["note"] = "; ".join(run.notes)
        result.append(row)
    return result


def render(runs: Sequence[RunSummary], fmt: str = "table") -> str:
    """The runs as a text ``table``, ``markdown``, ``csv`` or ``json``."""
    if fmt == "json":
        # Strict JSON: NaN/inf (diverged runs) become null.
        return json.dumps(runs_json(runs), indent=2, allow_nan=False)
    return render_rows(rows(runs), fmt)


def runs_json(runs: Sequence[RunSummary]) -> list[dict[str, Any]]:
    """One JSON object per run (NaN and inf as null)."""
    return [_as_json(run) for run in runs]


def render_rows(table: Sequence[dict[str, Any]], fmt: str) -> str:
    """Rows of dicts (columns in order of first appearance) as ``table``, ``markdown`` or ``csv``."""
    header = list(dict.fromkeys(k for row in table for k in row))
    cells = [[_cell(row.get(column)) for column in header] for row in table]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(cells)
        return out.getvalue().rstrip("\n")  # like the other formats: the caller ends the line
    if fmt == "markdown":
        lines = [header, ["---"] * len(header), *cells]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)
    if fmt == "table":
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
        lines = [header, ["-" * w for w in widths], *cells]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            for line in lines
        )
    raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _as_json(run: RunSummary) -> dict[str, Any]:
    return {
        "run": run.name,
        "run_dir": str(run.run_dir),
        "choices": run.choices,
        "status": run.status,
        "monitor": run.monitor,
        "final_monitor": _finite(run.final_monitor),
        "best_monitor": _finite(run.best_monitor),
        "epochs": run.epochs,
        "wall_time_s": run.wall_time_s,
        "job_num": run.job_num,
        "seed": run.seed,
        "error": run.error,
        "notes": run.notes,
        "final_metrics": {k: _finite(v) for k, v in run.final_metrics.items()},
        "best_metrics": {k: _finite(v) for k, v in run.best_metrics.items()},
    }
