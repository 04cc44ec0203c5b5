"""The CSV logger's ``metrics.csv``: where it lies in a run folder, its curves read back, and the
rows a resumed run keeps.

Free of torch and Lightning, so ``compare.py`` reads runs logged to CSV without importing them.
Lightning's CSVLogger writes one row per logged step, a column per metric (empty where that
step did not log it) and a ``step`` column.
"""

from __future__ import annotations

import csv
from pathlib import Path

CSV_DIR = "csv"
METRICS_FILE = "metrics.csv"
STEP = "step"


def metrics_file(run_dir: Path | str) -> Path:
    """``<run_dir>/csv/metrics.csv``."""
    return Path(run_dir) / CSV_DIR / METRICS_FILE


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a ``metrics.csv`` as written (empty when there is no file)."""
    if not path.is_file():
        return []
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def rows_before(path: Path, step: int) -> list[dict[str, str]]:
    """The rows of ``path`` logged before ``step`` (a resumed run drops the later ones)."""
    return [row for row in read_rows(path) if int(float(row[STEP])) < step]


def read_curves(run_dir: Path | str) -> dict[str, list[tuple[int, float]]]:
    """Every metric of the run's ``metrics.csv`` as ``tag -> [(step, value), ...]``."""
    curves: dict[str, list[tuple[int, float]]] = {}
    for row in read_rows(metrics_file(run_dir)):
        step = int(float(row[STEP]))
        for tag, text in row.items():
            if tag != STEP and text:
                curves.setdefault(tag, []).append((step, float(text)))
    return curves
