"""``run.json``: written at the start, updated however a run ends."""

from __future__ import annotations

import signal
from pathlib import Path

import lightning as L
import pytest

from tests.conftest import built, compose_config, planned, train
from tests.subprocess_runs import record
from trainlab.errors import ConfigError
from trainlab.execute import fit_and_test
from trainlab.outcome import ENDINGS, Ending
from trainlab.run_dir import RunStatus
from trainlab.run_record import RECORD_KEYS, write_record


def test_completed_run_records_everything(tmp_path: Path) -> None:
    cfg = compose_config("logger=none", "seed=3")
    metrics = train(cfg, tmp_path)
    saved = record(tmp_path)
    assert set(RECORD_KEYS) <= set(saved)
    assert saved["status"] == "completed" and saved["error"] is None
    assert saved["final_metrics"] == metrics
    assert saved["best_metrics"] == {"val/loss": metrics["best/val/loss"]}
    assert (saved["seed"], saved["epochs_completed"], saved["job_num"]) == (3, 2, None)
    assert saved["global_step"] == 2 * 4  # 240 training samples in batches of 64
    assert saved["wall_time_s"] > 0 and saved["started_at"] < saved["ended_at"]
    env = saved["environment"]
    assert env["torch"] and env["lightning"] and env["hydra-core"] and env["torchmetrics"]
    assert env["python"].count(".") == 2
    assert len(saved["git"]["commit"]) == 40 and isinstance(saved["git"]["dirty"], bool)
    assert not list(tmp_path.glob(".run.json.*"))  # the temporary file was renamed


def test_a_fresh_run_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    write_record(tmp_path, {"status": "completed"})
    before = (tmp_path / "run.json").read_bytes()
    with pytest.raises(ConfigError, match="already holds a run"):
        planned("logger=none", run_dir=tmp_path)
    assert (tmp_path / "run.json").read_bytes() == before
    assert not (tmp_path / "checkpoints").exists()


class _PressCtrlC(L.Callback):
    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        if trainer.global_step == 3:
            raise KeyboardInterrupt


def test_ctrl_c_during_fit_is_recorded_as_interrupted(tmp_path: Path) -> None:
    run_plan = planned("logger=none", "trainer.max_epochs=3", run_dir=tmp_path)
    parts = built(run_plan)
    parts.trainer.callbacks.append(_PressCtrlC())
    handler = signal.getsignal(signal.SIGINT)
    try:
        # Lightning turns KeyboardInterrupt into sys.exit(1) after a graceful shutdown.
        outcome = fit_and_test(run_plan, parts)
    finally:
        signal.signal(signal.SIGINT, handler)  # Lightning ignores further Ctrl-C
    assert outcome.ending is Ending.CTRL_C and outcome.exit_code == 130
    assert "--resume" in outcome.message()
    saved = record(tmp_path)
    assert saved["status"] == "interrupted"
    assert (saved["global_step"], saved["epochs_completed"]) == (3, 0)


class _FailAtStep(L.Callback):
    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        if trainer.global_step == 2:
            raise RuntimeError("disk full")


def test_an_exception_is_recorded_as_failed_with_its_message(tmp_path: Path) -> None:
    run_plan = planned("logger=none", run_dir=tmp_path)
    parts = built(run_plan)
    parts.trainer.callbacks.append(_FailAtStep())
    outcome = fit_and_test(run_plan, parts)
    assert outcome.ending is Ending.FAILED and outcome.exit_code == 1
    saved = record(tmp_path)
    assert (saved["status"], saved["error"]) == ("failed", "RuntimeError: disk full")
    assert saved["ended_at"] is not None and saved["global_step"] == 2


def test_every_ending_has_a_status_an_exit_code_and_a_message(tmp_path: Path) -> None:
    codes = {rule.exit_code for rule in ENDINGS.values()}
    assert len(codes) == len(Ending)  # each ending tells itself apart by its exit code
    assert set(ENDINGS) == set(Ending)
    assert {rule.status for rule in ENDINGS.values()} == set(RunStatus) - {RunStatus.RUNNING}
