"""Bad input costs a message before any training: exit code, message, no checkpoints, and no
earlier run's file touched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from tests.conftest import FAST_OVERRIDES
from tests.subprocess_runs import RERUN, TRAIN, file_bytes, imported_modules, run_script
from trainlab.losses import losses_for_task
from trainlab.tasks import Task

# (overrides, exit code, what the message must say): the bad value and what is allowed.
BAD_INPUT = {
    "unknown loss": (["loss=xyz"], 1, ["Could not find 'loss/xyz'", "Available options", "cross_entropy", "bce_with_logits"]),
    "unknown activation": (["activation=xyz"], 1, ["Could not find 'activation/xyz'", "leaky_relu", "tanh"]),
    "unknown optimizer": (["optimizer=xyz"], 1, ["Could not find 'optimizer/xyz'", "adamw", "sgd"]),
    "unknown data": (["data=xyz"], 1, ["Could not find 'data/xyz'", "multiclass", "regression"]),
    "unknown model": (["model=xyz"], 1, ["Could not find 'model/xyz'", "cifar_cnn", "mlp"]),
    "misspelled key": (["optimizer.lrr=0.1"], 1, ["Could not override 'optimizer.lrr'", "Key 'lrr' is not in struct"]),
    "misspelled top-level key": (["sed=1"], 1, ["Could not override 'sed'", "Key 'sed' not in 'TrainConfig'"]),
    "wrong type": (["optimizer.lr=abc"], 2, ["Invalid optimizer.lr: Value 'abc' of type 'str' could not be converted to Float", "SGD accepts: lr: float"]),
    "wrong type in the schema": (["trainer.max_epochs=abc"], 1, ["trainer.max_epochs=abc", "'abc' of type 'str' could not be converted to Integer"]),
    "negative learning rate": (["optimizer.lr=-1"], 2, ["optimizer.lr=-1.0 is not allowed: optimizer.lr must be >= 0"]),
    "zero epochs": (["trainer.max_epochs=0"], 2, ["trainer.max_epochs must be >= 1 (or -1 for no limit), got 0"]),
    "negative validation fraction": (["data.val_size=-0.2"], 2, ["data.val_size must be a count >= 1 or a fraction in (0, 1), got -0.2"]),
    "zero samples": (["data.n_samples=0"], 2, ["data.n_samples must be >= 3, got 0"]),
    "classification loss on regression": (["data=regression", "loss=cross_entropy"], 2, ["Loss 'cross_entropy' does not support regression data", f"Losses for regression data: {', '.join(losses_for_task(Task.REGRESSION))}."]),
    "binary loss on multiclass": (["data=multiclass", "loss=bce"], 2, ["Loss 'bce' does not support multiclass data (it supports: binary)", f"Losses for multiclass data: {', '.join(losses_for_task(Task.MULTICLASS))}."]),
    "resume with nothing to resume": (["resume=true"], 2, ["is not a trainlab run directory: it has no run.json"]),
    "step schedule of zero epochs": (["scheduler=step", "scheduler.step_size=0"], 2, ["scheduler.step_size=0 is not allowed: scheduler.step_size must be >= 1"]),
    "one-cycle warm-up beyond the run": (["scheduler=onecycle", "scheduler.pct_start=2"], 2, ["scheduler.pct_start=2.0 is not allowed: scheduler.pct_start must be in [0, 1]"]),
    "unreduced loss": (["loss.reduction=none"], 2, ["loss.reduction='none' is not allowed: loss.reduction must be one of 'mean', 'sum' (training needs one number per batch)"]),
    "beta out of range": (["optimizer=adam", "optimizer.betas=[1.5,0.9]"], 2, ["optimizer.betas=[1.5, 0.9] is not allowed: optimizer.betas must be a list whose every element is in [0, 1)"]),
    "negative final learning rate": (["scheduler=cosine", "scheduler.eta_min=-1"], 2, ["scheduler.eta_min=-1.0 is not allowed: scheduler.eta_min must be >= 0"]),
    "monitor a metric never logged": (["monitor=val/nonexistent"], 2, ["monitor='val/nonexistent' is not a metric this multiclass run logs; choose one of: val/loss, val/acc"]),
    "a GPU that is not there": (["trainer.accelerator=gpu"], 2, ["trainer.accelerator=gpu but no CUDA GPU is visible"]),
    "negative seed": (["seed=-1"], 2, ["seed must be >= 0"]),
}  # fmt: skip
if torch.cuda.is_available():
    del BAD_INPUT["a GPU that is not there"]


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run whose files no later mistake may change."""
    run_dir = tmp_path_factory.mktemp("earlier") / "run"
    result = run_script(TRAIN, *FAST_OVERRIDES, f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr
    return run_dir


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_fails_before_training(case: str, earlier_run: Path, tmp_path: Path) -> None:
    overrides, exit_code, expected = BAD_INPUT[case]
    before = file_bytes(earlier_run)
    run_dir = tmp_path / "run"
    result = run_script(
        TRAIN,
        *FAST_OVERRIDES,
        *overrides,
        f"hydra.run.dir={run_dir}",
        python_options=("-X", "importtime"),
    )
    assert result.returncode == exit_code, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    if exit_code == 2:
        assert "trainlab: error: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not (run_dir / "checkpoints").exists()
    assert not list(run_dir.glob("events.out.tfevents.*"))
    assert file_bytes(earlier_run) == before
    imported = imported_modules(result.stderr)
    assert "hydra" in imported
    assert "lightning" not in imported  # the plan refuses before Lightning (seconds) is imported


@pytest.mark.slow
def test_a_fresh_run_into_an_earlier_runs_directory_is_refused(earlier_run: Path) -> None:
    before = file_bytes(earlier_run)
    result = run_script(TRAIN, *FAST_OVERRIDES, "seed=1", f"hydra.run.dir={earlier_run}")
    assert result.returncode == 2
    assert f"trainlab: error: {earlier_run} already holds a run (run.json exists)" in result.stderr
    assert "resume=true" in result.stderr
    assert file_bytes(earlier_run) == before  # .hydra/ and train.log included


@pytest.mark.slow
def test_rerun_of_a_folder_that_is_not_a_run(earlier_run: Path, tmp_path: Path) -> None:
    before = file_bytes(earlier_run)
    for args in ([str(tmp_path)], [str(tmp_path), "--resume"], [str(earlier_run.parent)]):
        result = run_script(RERUN, *args, python_options=("-X", "importtime"))
        assert result.returncode == 2, args
        assert "is not a trainlab run directory: it has no run.json" in result.stderr
        assert not {"torch", "lightning"} & imported_modules(result.stderr)
    assert file_bytes(earlier_run) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("run.json", "run.json is not a readable run record"),
        (".hydra/overrides.yaml", "overrides.yaml is not readable YAML"),
    ],
)
def test_rerun_of_a_damaged_run_names_the_file(
    earlier_run: Path, tmp_path: Path, damage: str, message: str
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(earlier_run, copy)
    (copy / damage).write_text("{not: [valid")
    before = file_bytes(copy)
    result = run_script(RERUN, str(copy), "--into", str(tmp_path / "again"))
    assert result.returncode == 2, result.stderr
    assert f"trainlab: error: {copy / damage}" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr
    assert file_bytes(copy) == before and not (tmp_path / "again").exists()
