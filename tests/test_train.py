"""Real Lightning training through trainlab's builders and ``train()``."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch

from tests.conftest import built, compose_config, planned, train
from tests.subprocess_runs import scalars
from trainlab.class_report import ClassReport
from trainlab.data.datamodule import InMemoryDataModule
from trainlab.losses import losses_for_task
from trainlab.module import TrainLabModule
from trainlab.tasks import Task

SUPPORTED = [(loss, task.value) for task in Task for loss in losses_for_task(task)]


@pytest.mark.parametrize(("loss", "task"), SUPPORTED)
def test_every_supported_loss_and_task_learns(loss: str, task: str, tmp_path: Path) -> None:
    parts = built(
        planned(
            f"data={task}", f"loss={loss}", "optimizer=adam", "optimizer.lr=0.01",
            "trainer.max_epochs=3", "logger=none", "checkpoint.enabled=false",
            "grad_norms.enabled=false", run_dir=tmp_path,
        )
    )  # fmt: skip
    module, datamodule = parts.module, parts.datamodule
    datamodule.setup("fit")
    before = validation_loss(module, datamodule)
    parts.trainer.fit(module, datamodule=datamodule)
    after = validation_loss(module, datamodule)
    assert after < 0.8 * before, f"{loss} on {task}: val/loss {before:.4f} -> {after:.4f}"


def validation_loss(module: TrainLabModule, datamodule: InMemoryDataModule) -> float:
    """The loss over the whole validation split, computed directly."""
    inputs, targets = datamodule.splits["val"]
    with torch.no_grad():
        output = module(inputs)
        return module.loss(
            module.adapter.loss_input(output), module.adapter.loss_target(targets)
        ).item()


def test_train_returns_metrics_and_writes_tensorboard(tmp_path: Path) -> None:
    cfg = compose_config("optimizer=adam", "optimizer.lr=0.02", "trainer.max_epochs=4")
    metrics = train(cfg, tmp_path)
    assert metrics["test/acc"] > 0.7  # three classes: chance is 1/3
    assert math.isclose(
        metrics["best/val/loss"], min(v for _, v in scalars(tmp_path)["val/loss"]), rel_tol=1e-6
    )
    series = scalars(tmp_path)
    for tag in ("train/loss_step", "train/loss_epoch", "train/lr", "val/loss", "val/acc", "val/f1",
                "test/loss", "test/acc", "grad_norm/total", "grad_norm/hidden1", "grad_norm/hidden2",
                "grad_norm/output", "hp/test_acc", "hp/best_val_loss"):  # fmt: skip
        assert tag in series, tag
    assert len(series["val/loss"]) == 4
    steps_per_epoch = math.ceil(240 / 64)  # 400 samples minus 20% val and 20% test
    assert [s for s, _ in series["grad_norm/total"]] == list(range(1, 4 * steps_per_epoch, 2))
    assert all(v > 0 for _, v in series["grad_norm/total"])
    assert series["train/lr"][0][1] == pytest.approx(0.02)
    assert (tmp_path / "checkpoints" / "best.ckpt").is_file()
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()


def test_regression_metrics_and_same_seed_same_numbers(tmp_path: Path) -> None:
    cfg = compose_config("data=regression", "loss=mse", "logger=none", "checkpoint.enabled=false")
    first = train(cfg, tmp_path / "a")
    second = train(cfg, tmp_path / "b")
    assert {"val/mse", "val/mae", "val/r2", "test/mse"} <= set(first)
    assert first == second
    # With mse on regression, the logged loss is the mse metric.
    assert first["val/loss"] == pytest.approx(first["val/mse"], rel=1e-5)
    third = train(
        compose_config(
            "data=regression", "loss=mse", "logger=none", "checkpoint.enabled=false", "seed=1"
        ),
        tmp_path / "c",
    )
    assert third["val/loss"] != first["val/loss"]


def test_gradients_are_clipped_to_the_configured_norm(tmp_path: Path) -> None:
    parts = built(
        planned(
            "optimizer.lr=1.0", "trainer.gradient_clip_val=0.001", "trainer.max_steps=1",
            "logger=none", "checkpoint.enabled=false", "run_test=false", run_dir=tmp_path,
        )
    )  # fmt: skip
    before = [p.detach().clone() for p in parts.module.parameters()]
    parts.trainer.fit(parts.module, datamodule=parts.datamodule)
    moved = torch.cat(
        [(p.detach() - b).flatten() for p, b in zip(parts.module.parameters(), before, strict=True)]
    )
    # One SGD step of lr 1 moves the weights by exactly the clipped gradient: norm 0.001.
    assert moved.norm().item() == pytest.approx(0.001, rel=1e-3)


def test_the_confusion_figure_grows_with_the_classes() -> None:
    """Half an inch per class from 4 to 8 inches: three classes are drawn at 4.5 inches."""
    sizes = {}
    for count in (2, 3, 10, 40):
        report = ClassReport([f"class {i}" for i in range(count)])
        report.update(torch.arange(count), torch.arange(count))
        figure = report.figure()
        sizes[count] = tuple(figure.get_size_inches())
        plt.close(figure)
    assert sizes == {2: (4.0, 4.0), 3: (4.5, 4.5), 10: (8.0, 8.0), 40: (8.0, 8.0)}
