"""Bad input costs a message before any training: exit code, message, no checkpoints, and no
earlier run's file touched."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from tests.conftest import FAST_OVERRIDES
from tests.subprocess_runs import (
    RERUN,
    TRAIN,
    CliResult,
    file_bytes,
    imported_modules,
    run_cli_cases,
    run_script,
)
from tests.test_tabular_data import write_csv
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
INTO_EARLIER_RUN = "a fresh run into an earlier run's folder"
DDP_SWEEP = "a sweep of DDP jobs"
ABSENT_CIFAR10 = "a CIFAR10 folder that is not there"
BAD_CSV = "a CSV file with text in a numeric column"


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run whose files no later mistake may change."""
    run_dir = tmp_path_factory.mktemp("earlier") / "run"
    result = run_script(TRAIN, *FAST_OVERRIDES, f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr
    return run_dir


@dataclass(frozen=True)
class Refusals:
    """Every bad command line's result, and the earlier run's files before any of them ran."""

    results: dict[str, CliResult]
    earlier_run_before: dict[str, bytes]
    folder: Path


@pytest.fixture(scope="module")
def refusals(earlier_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Refusals:
    """Each case of :data:`BAD_INPUT` through ``train.py``'s entry point, all in one process
    (``tests/cli_cases.py``), plus a fresh run aimed at the earlier run's folder, a sweep of
    DDP jobs, a CIFAR10 run from a folder that is not there and a run on a bad CSV file."""
    before = file_bytes(earlier_run)
    folder = tmp_path_factory.mktemp("refused")
    cases = {
        case: [*FAST_OVERRIDES, *overrides, f"hydra.run.dir={folder / str(number)}"]
        for number, (case, (overrides, _, _)) in enumerate(BAD_INPUT.items())
    }
    cases[INTO_EARLIER_RUN] = [*FAST_OVERRIDES, "seed=1", f"hydra.run.dir={earlier_run}"]
    cases[DDP_SWEEP] = [
        "-m", *FAST_OVERRIDES, "trainer=ddp", "trainer.devices=2", "seed=1,2",
        f"hydra.sweep.dir={folder / 'ddp_sweep'}",
    ]  # fmt: skip
    cases[ABSENT_CIFAR10] = [
        "data=cifar10", "model=cifar_cnn", f"data.data_dir={folder / 'absent'}",
        "data.download=false", f"hydra.run.dir={folder / 'cifar10'}",
    ]  # fmt: skip
    bad_csv = write_csv(folder / "bad.csv", {"a": [1, "x"], "y": [0, 1]})
    cases[BAD_CSV] = [
        "data=csv",
        f"data.path={bad_csv}",
        "data.target=y",
        f"hydra.run.dir={folder / 'csv'}",
    ]
    # A fresh interpreter, to see that each refusal comes before Lightning is imported.
    results = run_cli_cases(cases, folder / "cases", fresh_interpreter=True)
    return Refusals(results, before, folder)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_fails_before_training(case: str, refusals: Refusals, earlier_run: Path) -> None:
    _, exit_code, expected = BAD_INPUT[case]
    result = refusals.results[case]
    assert result.exit_code == exit_code, result.output
    for text in expected:
        assert text in result.output, result.output
    if exit_code == 2:
        assert "trainlab: error: " in result.output
    assert "Traceback" not in result.output
    run_dir = refusals.folder / str(list(BAD_INPUT).index(case))
    assert not (run_dir / "checkpoints").exists()
    assert not list(run_dir.glob("events.out.tfevents.*"))
    assert file_bytes(earlier_run) == refusals.earlier_run_before
    # The plan refuses before Lightning (seconds of imports) is imported.
    assert result.lightning_imported is False


@pytest.mark.slow
def test_a_fresh_run_into_an_earlier_runs_directory_is_refused(
    refusals: Refusals, earlier_run: Path
) -> None:
    result = refusals.results[INTO_EARLIER_RUN]
    assert result.exit_code == 2
    assert f"trainlab: error: {earlier_run} already holds a run (run.json exists)" in result.output
    assert "resume=true" in result.output
    assert file_bytes(earlier_run) == refusals.earlier_run_before  # .hydra/, train.log included


@pytest.mark.slow
def test_multirun_with_ddp_stops_before_training_with_the_alternatives(
    refusals: Refusals,
) -> None:
    result = refusals.results[DDP_SWEEP]
    assert result.exit_code == 2
    assert "trainlab: error: -m (multirun) cannot run DDP on 2 processes per job" in result.stderr
    for alternative in ("trainer.strategy=ddp_spawn", "hydra/launcher=submitit_slurm"):
        assert alternative in result.stderr
    sweep = refusals.folder / "ddp_sweep"
    assert not list(sweep.rglob("*.ckpt")) and not list(sweep.rglob("events.out.tfevents*"))


@pytest.mark.slow
def test_cli_reports_a_cifar10_data_error_before_training(refusals: Refusals) -> None:
    result = refusals.results[ABSENT_CIFAR10]
    assert result.exit_code == 2
    assert "trainlab: error: CIFAR10 folder" in result.stderr
    assert "absent/cifar-10-batches-py does not exist" in result.stderr
    assert not list((refusals.folder / "cifar10").glob("events.out.tfevents.*"))


@pytest.mark.slow
def test_a_bad_file_stops_the_command_line_before_training(refusals: Refusals) -> None:
    result = refusals.results[BAD_CSV]
    path = refusals.folder / "bad.csv"
    assert result.exit_code == 2
    assert f"trainlab: error: column 'a' of {path} is not numeric (line 3: 'x')" in result.stderr
    run_dir = refusals.folder / "csv"
    assert not run_dir.exists() or not list(run_dir.iterdir())  # Hydra may make it; nothing in it


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
