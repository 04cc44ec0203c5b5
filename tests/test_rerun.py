"""``scripts/rerun.py``: a recorded run reproduced value for value, and compared."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.conftest import FAST_OVERRIDES, compose_config, train
from tests.subprocess_runs import RERUN, record, run_cli_cases, run_script, scalars
from trainlab.rerun import comparison_table, metric_differences
from trainlab.run_record import write_record


def test_comparison_names_every_differing_metric() -> None:
    original = {"val/loss": 0.5, "val/acc": 0.75, "test/acc": 0.5}
    rerun = {"val/loss": 0.5000001, "val/acc": 0.75, "train/loss": 1.0}
    assert metric_differences(original, rerun) == ["test/acc", "train/loss", "val/loss"]
    assert metric_differences(original, dict(original)) == []
    table = comparison_table(original, rerun).splitlines()
    assert table[0].split() == ["metric", "original", "rerun", "diff"]
    assert table[-1].split() == ["*", "val/loss", "0.5", "0.5000001", "1e-07"]
    assert "  val/acc" in table[3] and table[3].split()[1:] == ["0.75", "0.75", "0"]
    assert table[1].split() == ["*", "test/acc", "0.5", "-"]


def test_two_deterministic_runs_agree_value_for_value(tmp_path: Path) -> None:
    cfg = compose_config("trainer.deterministic=true", "optimizer=adam", "grad_norms.enabled=false")
    try:
        first = train(cfg, tmp_path / "first")
        second = train(cfg, tmp_path / "second")
    finally:
        torch.use_deterministic_algorithms(False)  # Lightning set it for the whole process
    assert first == second
    assert scalars(tmp_path / "first") == scalars(tmp_path / "second")
    assert len(scalars(tmp_path / "first")["train/loss_step"]) == 4


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two recorded runs to rerun, one with Adam and one with the defaults, trained through
    ``train.py``'s entry point in one process (each rerun is a process of its own)."""
    folder = tmp_path_factory.mktemp("originals")
    runs = {"adam": folder / "adam", "default": folder / "default"}
    trained = run_cli_cases(
        {
            "adam": [*FAST_OVERRIDES, "optimizer=adam", f"hydra.run.dir={runs['adam']}"],
            "default": [*FAST_OVERRIDES, f"hydra.run.dir={runs['default']}"],
        },
        folder / "cases",
    )
    for name, result in trained.items():
        assert result.exit_code == 0, (name, result.stderr)
    return runs


@pytest.mark.slow
def test_rerun_reproduces_a_run_exactly(originals: dict[str, Path], tmp_path: Path) -> None:
    original, again = originals["adam"], tmp_path / "again"
    result = run_script(RERUN, str(original), "--into", str(again))
    assert result.returncode == 0, result.stderr
    metrics = record(original)["final_metrics"]
    assert f"all {len(metrics)} final metrics are identical" in result.stdout
    assert "val/loss" in result.stdout and "test/acc" in result.stdout
    assert record(again)["final_metrics"] == metrics
    assert record(again)["overrides"] == record(original)["overrides"]
    assert scalars(again) == scalars(original)  # every TensorBoard value, step for step


@pytest.mark.slow
def test_rerun_reports_differences_and_exits_1(originals: dict[str, Path], tmp_path: Path) -> None:
    original = originals["default"]  # only this test uses it
    tampered = record(original)  # an original the rerun cannot match
    tampered["final_metrics"]["val/loss"] += 1e-6
    write_record(original, tampered)
    result = run_script(RERUN, str(original), "--into", str(tmp_path / "again"))
    assert result.returncode == 1
    assert "1 metrics differ: val/loss" in result.stdout
    assert "* val/loss" in result.stdout
