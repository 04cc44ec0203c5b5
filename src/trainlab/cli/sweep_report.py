"""A Hydra callback that reports a sweep's failed jobs at its end and fails the command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trainlab.run_dir import RUN_RECORD


class SweepFailureReport(Callback):
    """After ``-m``, lists the jobs whose ``run.json`` is not ``completed`` and exits 1.

    The train entry point records a failing job and returns NaN instead of raising, because
    Hydra's sweeper re-raises the first job exception and would skip this report.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
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
