"""A NaN or infinite loss stops the run at once, keeps the last good checkpoint, says why."""

from __future__ import annotations

import math
import re
from pathlib import Path

import lightning as L
import pytest
import torch

from tests.conftest import built, compose_config, execute_config, planned
from tests.subprocess_runs import TRAIN, record, run_script
from trainlab.callbacks import DivergenceDetector
from trainlab.errors import DivergedError
from trainlab.execute import fit_and_test
from trainlab.outcome import Ending

DIVERGING = ("data=regression", "loss=mse", "optimizer=sgd", "optimizer.lr=1e6")


def test_a_huge_learning_rate_stops_the_run_as_diverged(tmp_path: Path) -> None:
    outcome = execute_config(compose_config(*DIVERGING, "logger=none"), tmp_path)
    assert outcome.ending is Ending.DIVERGED and outcome.exit_code == 3
    assert isinstance(outcome.error, DivergedError)
    message = str(outcome.error)
    assert message.startswith("training diverged at step 3: train loss is nan")
    assert "the last finite loss was " in message and "at step 2" in message
    saved = record(tmp_path)
    assert (saved["status"], saved["error"]) == ("diverged", message)
    assert saved["global_step"] == 3 and saved["epochs_completed"] == 0


class _PoisonWeightsInSecondEpoch(L.Callback):
    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, *args) -> None:
        if trainer.current_epoch == 1 and trainer.global_step == 6:
            with torch.no_grad():
                next(pl_module.parameters()).fill_(math.inf)


def test_the_last_good_checkpoint_is_kept(tmp_path: Path) -> None:
    run_plan = planned("logger=none", "trainer.max_epochs=3", run_dir=tmp_path)
    parts = built(run_plan)
    parts.trainer.callbacks.append(_PoisonWeightsInSecondEpoch())
    outcome = fit_and_test(run_plan, parts)
    assert outcome.ending is Ending.DIVERGED
    assert "at step 7: train loss is nan" in str(outcome.error)
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)
    assert (last["epoch"], last["global_step"]) == (0, 4)
    assert all(torch.isfinite(w).all() for w in last["state_dict"].values())
    assert record(tmp_path)["epochs_completed"] == 1


def test_detector_names_a_first_step_with_no_finite_loss_before_it() -> None:
    detector = DivergenceDetector()
    trainer = L.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False)
    with pytest.raises(DivergedError, match="train loss is inf, and no step before it"):
        detector.on_train_batch_end(trainer, None, {"loss": torch.tensor(math.inf)}, None, 0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_cuda_divergence_is_caught_before_any_checkpoint(tmp_path: Path) -> None:
    cfg = compose_config(*DIVERGING, "logger=none", "trainer.accelerator=gpu")
    outcome = execute_config(cfg, tmp_path)
    assert outcome.ending is Ending.DIVERGED
    assert re.search(r"at step \d+: train loss is (nan|inf)", str(outcome.error))
    assert record(tmp_path)["status"] == "diverged"
    assert not (tmp_path / "checkpoints").exists()


@pytest.mark.slow
def test_cli_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result = run_script(
        TRAIN, *DIVERGING, "trainer.accelerator=cpu", "data.n_samples=400",
        f"hydra.run.dir={run_dir}",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "trainlab: error: training diverged at step 3: train loss is nan" in result.stderr
    assert record(run_dir)["status"] == "diverged"
    assert not (run_dir / "checkpoints").exists()
