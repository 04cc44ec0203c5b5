"""The comparison a sweep leaves in its folder: ``comparison.md`` and ``comparison.json``."""

from __future__ import annotations

from pathlib import Path

from trainlab.compare.comparison import compare_sweep
from trainlab.compare.grouped_table import render_comparison
from trainlab.compare.reader import read_sweep

MARKDOWN_FILE = "comparison.md"
JSON_FILE = "comparison.json"


def write_sweep_comparison(sweep_dir: Path | str) -> str:
    """Compare the runs under ``sweep_dir``, write both files there, return the text table.

    Raises :class:`~trainlab.compare.reader.NoRunsError` when the folder holds no runs.
    """
    sweep_dir = Path(sweep_dir)
    comparison = compare_sweep(read_sweep(sweep_dir))
    markdown = render_comparison(comparison, "markdown")
    (sweep_dir / MARKDOWN_FILE).write_text(f"# Comparison of {sweep_dir}\n\n{markdown}\n")
    (sweep_dir / JSON_FILE).write_text(render_comparison(comparison, "json") + "\n")
    return render_comparison(comparison, "table")
