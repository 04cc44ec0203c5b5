"""``run.json``: written at the start, updated however a run ends."""

from __future__ import annotations

import signal
from pathlib import Path

import lightning as L
import pytest

from tests.conftest import compose_config
from tests.subprocess_runs import record
from trainlab.build import build_datamodule, build_module, build_trainer
from trainlab.errors import ConfigError
from trainlab.run_dir import check_fresh_run_dir
from trainlab.run_record import RECORD_KEYS, RunRecord, write_record
from trainlab.train import train


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
        train(compose_config("logger=none"), tmp_path)
    assert (tmp_path / "run.json").read_bytes() == before
    assert not (tmp_path / "checkpoints").exists()
    check_fresh_run_dir(tmp_path, resume=True)  # resuming it is allowed


class _PressCtrlC(L.Callback):
    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        if trainer.global_step == 3:
            raise KeyboardInterrupt


def test_ctrl_c_during_fit_is_recorded_as_interrupted(tmp_path: Path) -> None:
    cfg = compose_config("logger=none", "trainer.max_epochs=3")
    datamodule = build_datamodule(cfg)
    module = build_module(cfg, datamodule)
    trainer = build_trainer(cfg, tmp_path)
    trainer.callbacks.append(_PressCtrlC())
    run = RunRecord.start(tmp_path, cfg)
    assert record(tmp_path)["status"] == "running"
    handler = signal.getsignal(signal.SIGINT)
    try:
        # Lightning turns KeyboardInterrupt into sys.exit(1) after a graceful shutdown.
        with pytest.raises(SystemExit), run.tracking(trainer):
            trainer.fit(module, datamodule=datamodule)
    finally:
        signal.signal(signal.SIGINT, handler)  # Lightning ignores further Ctrl-C
    saved = record(tmp_path)
    assert saved["status"] == "interrupted"
    assert (saved["global_step"], saved["epochs_completed"]) == (3, 0)


def test_an_exception_is_recorded_as_failed_with_its_message(tmp_path: Path) -> None:
    cfg = compose_config("logger=none")
    run = RunRecord.start(tmp_path, cfg)
    with pytest.raises(RuntimeError), run.tracking(build_trainer(cfg, tmp_path)):
        raise RuntimeError("disk full")
    saved = record(tmp_path)
    assert (saved["status"], saved["error"]) == ("failed", "RuntimeError: disk full")
    assert saved["ended_at"] is not None
