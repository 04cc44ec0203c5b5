"""``scripts/train.py`` as a user runs it: Hydra's real command line, in a subprocess (answers
given before anything trains share one, through the same entry point)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.conftest import FAST_OVERRIDES
from tests.subprocess_runs import TRAIN, CliResult, record, run_cli_cases, run_script, run_sweep
from trainlab.config.search_path import recorded_search_path

pytestmark = pytest.mark.slow  # every test runs the entry point: a process start, or a training


def run_train(*args: str) -> subprocess.CompletedProcess[str]:
    """``scripts/train.py args`` to completion, output captured."""
    return run_script(TRAIN, *args)


def scalar_tags(run_dir: Path) -> list[str]:
    events = EventAccumulator(str(run_dir))
    events.Reload()
    return events.Tags()["scalars"]


@pytest.mark.parametrize("fresh_interpreter", [True, False], ids=["fresh", "preloaded"])
def test_single_run_writes_run_dir_and_tensorboard(fresh_interpreter: bool, tmp_path: Path) -> None:
    """As a user runs it, and with Lightning imported before Hydra sets up logging (as a
    user's own module or a program embedding trainlab may do): its lines reach train.log once."""
    run_dir = tmp_path / "run"
    result = run_script(
        TRAIN, *FAST_OVERRIDES, f"hydra.run.dir={run_dir}", fresh_interpreter=fresh_interpreter
    )
    assert result.returncode == 0, result.stderr
    tags = scalar_tags(run_dir)
    for tag in (
        "train/loss_step",
        "val/loss",
        "val/acc",
        "test/acc",
        "grad_norm/total",
        "grad_norm/hidden1",
        "grad_norm/output",
    ):
        assert tag in tags, tag
    # Fit, test and the hyperparameter summary share one writer: one event file per run.
    assert len(list(run_dir.glob("events.out.tfevents.*"))) == 1
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    log = (run_dir / "train.log").read_text()
    assert "Final metrics:" in log
    assert log.count("GPU available") == 1


def test_multirun_makes_one_directory_per_combination(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = run_sweep(sweep, "loss=mse,l1", "data=regression", *FAST_OVERRIDES)
    assert result.returncode == 0, result.stderr
    runs = sorted(p.parent.name for p in sweep.glob("*/.hydra"))
    assert len(runs) == 2
    assert all("loss=" in name for name in runs)
    for name in runs:
        assert "val/mse" in scalar_tags(sweep / name)


@pytest.fixture(scope="module")
def quick_answers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, CliResult]]:
    """A bad value and ``--help``, answered before anything trains, through ``train.py``'s
    entry point in one process: the folder the bad value aimed at, and both results."""
    folder = tmp_path_factory.mktemp("answers")
    run_dir = folder / "run"
    results = run_cli_cases(
        {
            "bad value": [*FAST_OVERRIDES, "optimizer.lr=abc", f"hydra.run.dir={run_dir}"],
            "help": ["--help"],
        },
        folder / "cases",
    )
    return run_dir, results


def test_bad_value_exits_before_training_with_a_clear_message(
    quick_answers: tuple[Path, dict[str, CliResult]],
) -> None:
    run_dir, results = quick_answers
    result = results["bad value"]
    assert result.exit_code == 2
    assert (
        "trainlab: error: Invalid optimizer.lr: Value 'abc' of type 'str' could not be converted to Float"
        in result.stderr
    )
    assert not (run_dir / "checkpoints").exists()
    assert not list(run_dir.glob("events.out.tfevents.*"))


def test_help_lists_the_config_groups(quick_answers: tuple[Path, dict[str, CliResult]]) -> None:
    result = quick_answers[1]["help"]
    assert result.exit_code == 0
    for group in ("loss:", "activation:", "optimizer:", "data:", "model:", "scheduler:"):
        assert group in result.stdout
    assert "bce_with_logits" in result.stdout


USER_LOSS = '''
import math

import torch
from torch import nn

from trainlab.losses import LOSSES, LossSpec, ModelOutput, TargetKind
from trainlab.tasks import Task


@LOSSES.register("log_cosh", info=LossSpec(frozenset(Task), ModelOutput.VALUES, TargetKind.REAL))
class LogCosh(nn.Module):
    """mean(log(cosh(input - target))), computed without overflow."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        d = input - target
        return (d + nn.functional.softplus(-2 * d) - math.log(2)).mean()
'''


def train_with_user_loss(project: Path, loss: str, module: str) -> subprocess.CompletedProcess[str]:
    """Train ``loss=<loss>`` from ``project``, a folder holding ``my_losses.py`` (``module``)
    and ``conf/loss/<loss>.yaml``, into ``project/run``."""
    (project / "my_losses.py").write_text(module)
    (project / "conf" / "loss").mkdir(parents=True)
    (project / "conf" / "loss" / f"{loss}.yaml").write_text(f"name: {loss}\n")
    return run_script(
        TRAIN, *FAST_OVERRIDES, "data=regression", f"loss={loss}", "imports=[my_losses]",
        f"hydra.searchpath=[file://{project / 'conf'}]", f"hydra.run.dir={project / 'run'}",
        cwd=project,
    )  # fmt: skip


def test_a_loss_registered_in_the_users_own_module_trains_from_the_command_line(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    result = train_with_user_loss(tmp_path, "log_cosh", USER_LOSS)
    assert result.returncode == 0, result.stderr
    saved = record(run_dir)
    assert saved["status"] == "completed"
    # A rerun searches the same folder again, wherever it is started from.
    assert recorded_search_path(run_dir) == [f"hydra.searchpath=['file://{tmp_path / 'conf'}']"]
    final = saved["final_metrics"]
    # log cosh d lies between d²/2 - d⁴/12 and d²/2: the logged loss is the user's, not mse.
    assert 0.3 * final["val/mse"] < final["val/loss"] <= 0.5 * final["val/mse"] + 1e-6


PER_EXAMPLE_LOSS = '''
import torch
from torch import nn

from trainlab.losses import LOSSES, LossSpec, ModelOutput, TargetKind
from trainlab.tasks import Task


@LOSSES.register("per_example", info=LossSpec(frozenset(Task), ModelOutput.VALUES, TargetKind.REAL))
class PerExample(nn.Module):
    """Squared errors, one per example: no reduction, so nothing to train on."""

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (input - target) ** 2
'''


def test_the_plans_dry_step_refuses_what_no_constructor_checks(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result = train_with_user_loss(tmp_path, "per_example", PER_EXAMPLE_LOSS)
    assert result.returncode == 2, result.stderr
    assert (
        "trainlab: error: loss=per_example returns a (4,) tensor, not one number per batch"
        in result.stderr
    )
    assert not run_dir.exists() or not any(run_dir.iterdir())
