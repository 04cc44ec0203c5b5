"""In a sweep, a diverging or failing job does not stop the others; the sweep reports them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.subprocess_runs import record, run_sweep


@pytest.mark.slow
def test_failed_jobs_are_reported_after_the_others_finish(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = run_sweep(
        sweep, "data=regression", "loss=mse", "optimizer=sgd", "optimizer.lr=1e6,0.05,-1",
        "data.n_samples=400", "trainer.max_epochs=2", "trainer.accelerator=cpu",
        "trainer.enable_progress_bar=false",
    )  # fmt: skip
    assert result.returncode == 1
    jobs = {record(p.parent)["job_num"]: record(p.parent) for p in sweep.glob("*/run.json")}
    assert [jobs[n]["status"] for n in range(3)] == ["diverged", "completed", "failed"]
    assert "optimizer.lr must be >= 0" in jobs[2]["error"]
    assert jobs[1]["epochs_completed"] == 2 and jobs[1]["final_metrics"]["val/mse"] > 0
    assert "optimizer.lr=1000000.0" in jobs[0]["overrides"]
    assert (Path(jobs[1]["run_dir"]) / "checkpoints" / "last.ckpt").is_file()
    report = result.stderr[result.stderr.index("2 of 3 sweep jobs did not complete") :]
    assert "job #0 [" in report and "optimizer.lr=1000000.0" in report
    assert "diverged: training diverged at step" in report
    assert "job #2 [" in report and "failed: optimizer.lr=-1.0 is not allowed" in report
    assert "job #1" not in report
