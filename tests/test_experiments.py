"""``conf/experiment/``: each composes, wins over train.yaml, and teaches its lesson for real."""

from __future__ import annotations

import pytest
import yaml
from hydra import compose, initialize_config_dir

from tests.conftest import compose_config
from trainlab.config.schema import register_schema
from trainlab.paths import CONFIG_DIR

EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))


def sweep_params(*overrides: str) -> dict[str, str]:
    """The ``hydra.sweeper.params`` an experiment defines, from Hydra's own composition."""
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("train", overrides=list(overrides), return_hydra_config=True)
    return dict(cfg.hydra.sweeper.params or {})


def test_every_teaching_experiment_exists() -> None:
    assert set(EXPERIMENTS) == {
        "activation_shootout",
        "bce_vs_mse",
        "cifar10_baseline",
        "optimizer_shootout",
        "vanishing_gradients",
    }


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_is_global_and_defines_its_comparison(name: str) -> None:
    text = (CONFIG_DIR / "experiment" / f"{name}.yaml").read_text()
    assert text.startswith("# @package _global_\n")
    params = yaml.safe_load(text)["hydra"]["sweeper"]["params"]
    assert all("," in str(values) for values in params.values()), params


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_its_sweep_values_compose(name: str) -> None:
    params = sweep_params(f"experiment={name}")
    assert params
    for key, values in params.items():
        for value in str(values).split(","):
            cfg = compose_config(
                f"experiment={name}", f"{key}={value}", "trainer.max_epochs=2", fast=False
            )
            assert cfg.trainer.max_epochs == 2  # the command line still wins over experiments


def test_experiment_values_win_over_train_yaml() -> None:
    cfg = compose_config("experiment=vanishing_gradients")
    assert list(cfg.model.hidden_sizes) == [32] * 8
    assert cfg.activation.name == "sigmoid"
    assert cfg.grad_norms.histograms is True
    cfg = compose_config("experiment=bce_vs_mse")
    assert cfg.data.task == "binary"
    assert cfg.loss.name == "bce"
    assert (cfg.monitor, cfg.monitor_mode) == ("val/acc", "max")
    assert cfg.optimizer.lr == experiment_yaml("bce_vs_mse")["optimizer"]["lr"]
    assert cfg.init.name == "default"
    cfg = compose_config("experiment=vanishing_gradients", "activation=relu")
    assert cfg.init.name == "xavier_uniform"  # the experiment's, over train.yaml's default


def experiment_yaml(name: str) -> dict:
    """``conf/experiment/<name>.yaml`` as written."""
    return yaml.safe_load((CONFIG_DIR / "experiment" / f"{name}.yaml").read_text())


# The experiments whose lessons tests/test_lessons.py checks; cifar10_baseline needs the files.
LESSONS = [name for name in EXPERIMENTS if name != "cifar10_baseline"]


@pytest.mark.parametrize("name", LESSONS)
def test_lessons_are_swept_over_five_seeds_with_their_loss_named(name: str) -> None:
    declared = experiment_yaml(name)
    assert str(declared["hydra"]["sweeper"]["params"]["seed"]) == "0,1,2,3,4"
    assert any("override /loss" in str(entry) for entry in declared["defaults"])


def test_optimizer_shootout_spells_out_sgd_variants() -> None:
    momentum = compose_config("experiment=optimizer_shootout", "optimizer=sgd_momentum").optimizer
    assert (momentum.name, momentum.momentum, momentum.nesterov) == ("sgd", 0.9, False)
    nesterov = compose_config("experiment=optimizer_shootout", "optimizer=sgd_nesterov").optimizer
    assert (nesterov.name, nesterov.momentum, nesterov.nesterov) == ("sgd", 0.9, True)
