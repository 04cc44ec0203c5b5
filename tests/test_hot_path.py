"""What the per-step cuts in TrainLabModule and build_trainer must keep: the same logs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

from tests.conftest import built, compose_config, planned
from tests.subprocess_runs import scalars
from trainlab.build import RunParts
from trainlab.optimizers import SCHEDULERS


def fitted(run_dir: Path, *overrides: str) -> RunParts:
    """The parts of a run of ``overrides``, fitted with trainlab's builders."""
    parts = built(planned(*overrides, run_dir=run_dir))
    parts.trainer.fit(parts.module, datamodule=parts.datamodule)
    return parts


def fit(run_dir: Path, *overrides: str) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series a fit of ``overrides`` wrote."""
    fitted(run_dir, *overrides)
    return scalars(run_dir)


def onecycle_rates(cfg: DictConfig, total_steps: int) -> list[float]:
    """The rate each step uses under ``cfg``'s onecycle schedule, replayed without training."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=cfg.optimizer.lr)
    params = {k: v for k, v in cfg.scheduler.items() if k != "name"}
    scheduler = SCHEDULERS.get("onecycle").factory(optimizer, total_steps=total_steps, **params)
    rates = []
    for _ in range(total_steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def test_lr_is_logged_on_each_logging_step_with_the_rate_that_step_used(tmp_path: Path) -> None:
    overrides = ("scheduler=onecycle", "trainer.log_every_n_steps=3")
    series = fit(tmp_path, *overrides)
    cfg = compose_config(*overrides)
    steps = [step for step, _ in series["train/lr"]]
    assert steps == [step for step, _ in series["train/loss_step"]]
    assert steps == [2, 5]  # 2 epochs of 4 batches; Lightning logs every 3rd step
    expected = onecycle_rates(cfg, total_steps=8)
    assert [v for _, v in series["train/lr"]] == pytest.approx([expected[2], expected[5]])


def test_epoch_train_metrics_cover_every_training_example(tmp_path: Path) -> None:
    # lr=0 keeps the model fixed, so the epoch's accuracy and F1 must equal the model's on the
    # whole training split, whichever way the per-batch predictions were accumulated.
    parts = fitted(tmp_path, "optimizer.lr=0.0", "trainer.max_epochs=1", "checkpoint.enabled=false")
    module = parts.module
    inputs, targets = parts.datamodule.splits["train"]
    with torch.no_grad():
        logits = module(inputs)
    series = scalars(tmp_path)
    accuracy = MulticlassAccuracy(num_classes=3, average="micro")(logits, targets)
    f1 = MulticlassF1Score(num_classes=3, average="macro")(logits, targets)
    assert series["train/acc"][0][1] == pytest.approx(float(accuracy), abs=1e-7)
    assert series["train/f1"][0][1] == pytest.approx(float(f1), abs=1e-7)
    # The epoch's loss weighs each batch by its size (the last of 240 examples holds 48).
    whole_split_loss = module.loss(logits, targets)
    assert series["train/loss_epoch"][0][1] == pytest.approx(float(whole_split_loss), abs=1e-6)


def test_validation_and_test_metrics_cover_every_example_of_their_split(tmp_path: Path) -> None:
    # Logged once per evaluation from the metric objects; the values must be the model's on the
    # whole split (several batches each), not on the last batch.
    parts = fitted(
        tmp_path, "optimizer.lr=0.0", "trainer.max_epochs=1", "checkpoint.enabled=false",
        "data.batch_size=16",
    )  # fmt: skip
    module, datamodule = parts.module, parts.datamodule
    parts.trainer.test(module, datamodule=datamodule)
    series = scalars(tmp_path)
    for stage in ("val", "test"):
        inputs, targets = datamodule.splits[stage]
        assert len(targets) > 16
        with torch.no_grad():
            logits = module(inputs)
        accuracy = MulticlassAccuracy(num_classes=3, average="micro")(logits, targets)
        f1 = MulticlassF1Score(num_classes=3, average="macro")(logits, targets)
        assert series[f"{stage}/acc"][-1][1] == pytest.approx(float(accuracy), abs=1e-6)
        assert series[f"{stage}/f1"][-1][1] == pytest.approx(float(f1), abs=1e-6)


def test_disabled_checkpointing_writes_no_checkpoint(tmp_path: Path) -> None:
    fit(tmp_path, "checkpoint.enabled=false", "trainer.max_epochs=1")
    assert not list(tmp_path.rglob("*.ckpt"))


def test_command_line_module_imports_neither_torch_nor_lightning() -> None:
    # Keeps `scripts/train.py --help` and `--cfg job` fast: they never train.
    code = (
        "import sys, trainlab.cli.train; print(sorted({'torch', 'lightning'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
