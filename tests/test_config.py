"""Typed config: Hydra composition with the schema, and signature-typed sections."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ValidationError

from tests.conftest import compose_config, planned
from trainlab.build import build_trainer
from trainlab.config.params import check_params
from trainlab.errors import ConfigError
from trainlab.losses import NATURAL_LOSSES, MSEWithOutputPenalty, loss_spec, losses_for_task
from trainlab.plan import typed_settings
from trainlab.tasks import Task


def test_default_config_is_the_documented_experiment() -> None:
    cfg = compose_config(fast=False)
    assert cfg.data.task == "multiclass"
    assert cfg.data._target_ == "trainlab.data.SyntheticData"
    assert cfg.model._target_ == "trainlab.models.MLP"
    assert (cfg.loss.name, cfg.activation.name, cfg.optimizer.name) == (
        "cross_entropy",
        "relu",
        "sgd",
    )
    assert cfg.scheduler.name == "none" and cfg.seed == 42


def test_overrides_reach_every_field() -> None:
    cfg = compose_config(
        "optimizer=adam",
        "optimizer.lr=0.1",
        "trainer.max_epochs=5",
        "seed=7",
        "loss=mse",
        "loss.reduction=sum",
    )
    assert (cfg.optimizer.name, cfg.optimizer.lr, cfg.trainer.max_epochs, cfg.seed) == (
        "adam",
        0.1,
        5,
        7,
    )
    assert cfg.loss.reduction == "sum"


def test_misspelled_key_fails_at_composition() -> None:
    with pytest.raises(ConfigCompositionException, match="Could not override 'optimizer.lrr'"):
        compose_config("optimizer.lrr=0.1")


def test_wrong_type_in_typed_schema_fails_at_composition() -> None:
    with pytest.raises(ConfigCompositionException, match="trainer.max_epochs=abc") as error:
        compose_config("trainer.max_epochs=abc")
    assert isinstance(error.value.__cause__, ValidationError)
    assert "'abc' of type 'str' could not be converted to Integer" in str(error.value.__cause__)


def test_unknown_option_lists_the_available_ones() -> None:
    with pytest.raises(ConfigCompositionException, match="Could not find 'loss/msee'") as error:
        compose_config("loss=msee")
    assert "bce_with_logits" in str(error.value)


def test_wrong_type_in_a_choice_section_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"Invalid optimizer.lr: Value 'abc' of type 'str' could not be converted to Float\. SGD accepts: lr: float, momentum: float",
    ):
        planned("optimizer.lr=abc", run_dir=tmp_path)


def test_range_errors_come_from_torch_and_the_schema(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match="optimizer.lr=-1.0 is not allowed: optimizer.lr must be >= 0"
    ):
        planned("optimizer.lr=-1", run_dir=tmp_path)
    with pytest.raises(
        ConfigError, match=r"trainer.max_epochs must be >= 1 \(or -1 for no limit\), got 0"
    ):
        typed_settings(compose_config("trainer.max_epochs=0"))


def test_loss_task_mismatch_is_a_config_error(tmp_path: Path) -> None:
    fitting = ", ".join(losses_for_task(Task.REGRESSION))
    with pytest.raises(ConfigError, match=f"Losses for regression data: {fitting}."):
        planned("data=regression", "loss=cross_entropy", run_dir=tmp_path)


@pytest.mark.parametrize("task", list(Task))
def test_each_data_set_brings_its_natural_loss_unless_one_is_named(task: Task) -> None:
    # conf/data/<task>.yaml names its loss itself (so loss.<arg>= overrides compose); it must be
    # the one NATURAL_LOSSES gives data whose task is known only from the file (data=csv).
    cfg = compose_config(f"data={task.value}")
    assert cfg.loss.name == NATURAL_LOSSES[task]
    assert task in loss_spec(cfg.loss.name).tasks
    for named in losses_for_task(task):
        assert compose_config(f"data={task.value}", f"loss={named}").loss.name == named
    assert (
        compose_config(f"data={task.value}", "loss.reduction=sum").loss.name == NATURAL_LOSSES[task]
    )


def test_check_params_types_values_and_refuses_injected() -> None:
    typed = check_params("loss", MSEWithOutputPenalty, {"weight": "0.5"})
    assert typed == {"weight": 0.5, "reduction": "mean"}
    with pytest.raises(
        ConfigError,
        match=r"Invalid loss.wieght: Key 'wieght' not in 'MSEWithOutputPenaltyParams'\. MSEWithOutputPenalty accepts: weight: float, reduction: str\.",
    ):
        check_params("loss", MSEWithOutputPenalty, {"wieght": 1.0})
    with pytest.raises(ConfigError, match="optimizer.params is set by trainlab"):
        check_params("optimizer", torch.optim.SGD, {"params": []}, injected=("params",))


def test_trainer_options_pass_through(tmp_path: Path) -> None:
    run_plan = planned(
        "trainer.precision=bf16-mixed",
        "trainer.log_every_n_steps=7",
        "trainer.max_epochs=3",
        run_dir=tmp_path,
    )
    trainer = build_trainer(run_plan)
    assert (trainer.max_epochs, trainer.log_every_n_steps, trainer.precision) == (
        3,
        7,
        "bf16-mixed",
    )
    assert trainer.logger.log_dir.rstrip("/") == str(tmp_path)
