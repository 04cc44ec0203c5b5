"""A Hydra callback that ends every sweep with its comparison, then reports failed jobs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trainlab.run_dir import RUN_RECORD


class SweepFailureReport(Callback):
    """After ``-m``: prints the grouped comparison and writes it to the sweep folder
    (``comparison.md``, ``comparison.json``), then lists the jobs whose ``run.json`` is not
    ``completed`` and exits 1 if there are any.

    The train entry point records a failing job and returns NaN instead of raising, because
    Hydra's sweeper re-raises the first job exception and would skip this report.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        report_comparison(sweep_dir)
        records = [json.loads(p.read_text()) for p in sorted(sweep_dir.glob(f"**/{RUN_RECORD}"))]
        failed = [r for r in records if r.get("status") != "completed"]
        if not failed:
            return
        lines = [f"trainlab: error: {len(failed)} of {len(records)} sweep jobs did not complete:"]
        for record in sorted(failed, key=lambda r: r.get("job_num") or 0):
            overrides = " ".join(record.get("overrides", []))
            lines.append(
                f"  job #{record.get('job_num')} [{overrides}] {record.get('status')}: "
                f"{record.get('error')}\n    {record.get('run_dir')}"
            )
        print("\n".join(lines), file=sys.stderr)
        sys.exit(1)


def report_comparison(sweep_dir: Path) -> None:
    """Print the sweep's comparison and say where it was written (nothing when it has no runs)."""
    # Imported here: Hydra builds this callback for every run, and only a finished sweep needs
    # scipy and TensorBoard's reader.
    from trainlab.compare.reader import NoRunsError
    from trainlab.compare.report import MARKDOWN_FILE, write_sweep_comparison

    try:
        table = write_sweep_comparison(sweep_dir)
    except NoRunsError:
        return
    print(f"\n{table}\n\ncomparison written to {sweep_dir / MARKDOWN_FILE} (and .json)")
