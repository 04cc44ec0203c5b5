"""How a sweep ends, first run or ``--resume``: the failure report, the comparison, the exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trainlab.run_dir import RUN_RECORD, RunStatus, rerun_command

# Jobs stopped before they ended: the sweep can continue them.
RESUMABLE = (RunStatus.RUNNING.value, RunStatus.INTERRUPTED.value)


class SweepFailureReport(Callback):
    """After ``-m`` (a sweep or its resume), :func:`finish_sweep`, exiting with its status.

    The train entry point records a failing job and returns NaN instead of raising, because
    Hydra's sweeper re-raises the first job exception and would skip this report.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        code = finish_sweep(Path(str(config.hydra.sweep.dir)))
        if code:
            sys.exit(code)


def finish_sweep(sweep_dir: Path) -> int:
    """End the sweep in ``sweep_dir``, however it ran; the command's exit status.

    Prints and writes the sweep's comparison, then lists the jobs whose ``run.json`` is not
    ``completed`` (status 1 if any).
    """
    report_comparison(sweep_dir)
    records = [json.loads(p.read_text()) for p in sorted(sweep_dir.glob(f"**/{RUN_RECORD}"))]
    report = failure_report(sweep_dir, records)
    if report is None:
        return 0
    print(report, file=sys.stderr)
    return 1


def failure_report(sweep_dir: Path, records: list[dict[str, Any]]) -> str | None:
    """The jobs that did not complete, with overrides, status and error; None when all did."""
    failed = [r for r in records if r.get("status") != RunStatus.COMPLETED.value]
    if not failed:
        return None
    lines = [f"trainlab: error: {len(failed)} of {len(records)} sweep jobs did not complete:"]
    for record in sorted(failed, key=lambda r: r.get("job_num") or 0):
        overrides = " ".join(record.get("overrides", []))
        lines.append(
            f"  job #{record.get('job_num')} [{overrides}] {record.get('status')}: "
            f"{record.get('error')}\n    {record.get('run_dir')}"
        )
    if any(r.get("status") in RESUMABLE for r in failed):
        lines.append(f"continue the stopped jobs with: {rerun_command(sweep_dir, resume=True)}")
    return "\n".join(lines)


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
