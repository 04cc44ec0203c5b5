"""A sweep composes each choice of its config groups once, and every job's config is the one
Hydra itself would compose for it."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hydra import initialize_config_dir
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.config_loader import ConfigLoader
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from trainlab.config.schema import register_schema
from trainlab.paths import CONFIG_DIR
from trainlab.sweeps.composed_jobs import ComposedOnce


class CountingLoader(ConfigLoaderImpl):
    """Hydra's own config loader, counting the job configs it composes."""

    composed = 0

    def load_sweep_config(
        self, master_config: DictConfig, sweep_overrides: list[str]
    ) -> DictConfig:
        type(self).composed += 1
        return super().load_sweep_config(master_config, sweep_overrides)


@pytest.fixture
def hydra_loader() -> Iterator[ConfigLoaderImpl]:
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        real = GlobalHydra.instance().config_loader()
        assert isinstance(real, ConfigLoaderImpl)
        loader = CountingLoader(config_search_path=real.config_search_path)
        CountingLoader.composed = 0
        yield loader


def sweep_config(loader: ConfigLoaderImpl) -> DictConfig:
    return loader.load_configuration("train", ["seed=0"], run_mode=RunMode.MULTIRUN)


def test_a_planned_job_is_launched_with_the_config_composed_for_its_plan(
    hydra_loader: ConfigLoaderImpl,
) -> None:
    master = sweep_config(hydra_loader)
    once = ComposedOnce(hydra_loader)
    planned = once.load_sweep_config(master, ["seed=3", "optimizer=adam"])
    expected = OmegaConf.to_container(planned)
    with open_dict(planned):  # what the planning sweeper and launchers do with their copy
        planned.hydra.job.num = 7
    launched = once.load_sweep_config(master, ["seed=3", "optimizer=adam"])
    assert CountingLoader.composed == 1
    assert OmegaConf.to_container(launched) == expected
    assert (launched.seed, launched.optimizer.name) == (3, "adam")
    assert OmegaConf.to_container(launched) == OmegaConf.to_container(
        hydra_loader.load_sweep_config(master, ["seed=3", "optimizer=adam"])
    )


def composed_by(loader: ConfigLoader, master: DictConfig, overrides: list[str]) -> Any:
    """What ``loader`` composes for a job: its config and flags, or its error."""
    try:
        config = loader.load_sweep_config(master, overrides)
    except ConfigCompositionException as error:
        return f"{error}; caused by {error.__cause__!r}"
    return (
        OmegaConf.to_container(config),
        OmegaConf.is_struct(config),
        OmegaConf.is_readonly(config.hydra),
        OmegaConf.is_struct(config.hydra),
    )


JOBS = [
    ["seed=1"],
    ["seed=2"],
    ["seed=2"],
    ["optimizer=adam", "seed=1", "optimizer.lr=0.01"],
    ["optimizer.lr=0.02", "seed=2", "optimizer=adam"],
    ["optimizer=sgd", "optimizer.momentum=0.9", "seed=1"],
    ["data=binary", "loss=bce_with_logits", "activation=tanh", "seed=3"],
    ["+extra=1", "seed=1"],  # not plain: composed whole
    ["trainer.max_epochs=2", "~logger", "seed=1"],
    ["seed=abc"],  # a value that does not fit its field
    ["sede=1"],  # a key that is not in the config
    ["optimizer=nope", "seed=1"],  # a group option that does not exist
    ["optimizer=adam", "seed=abc"],
]


def test_every_job_is_the_config_hydra_composes_for_it(hydra_loader: ConfigLoaderImpl) -> None:
    master = sweep_config(hydra_loader)
    once = ComposedOnce(hydra_loader)
    for overrides in JOBS:
        assert composed_by(once, master, overrides) == composed_by(
            hydra_loader, master, overrides
        ), overrides


def test_jobs_that_differ_only_in_values_share_one_composition_of_their_groups(
    hydra_loader: ConfigLoaderImpl,
) -> None:
    master = sweep_config(hydra_loader)
    once = ComposedOnce(hydra_loader)
    for seed in range(4):
        for lr in (0.1, 0.01):
            job = once.load_sweep_config(
                master, ["optimizer=adam", f"seed={seed}", f"optimizer.lr={lr}"]
            )
            assert (job.seed, job.optimizer.lr, job.optimizer.name) == (seed, lr, "adam")
            assert job.hydra.job.override_dirname == f"optimizer.lr={lr},optimizer=adam,seed={seed}"
    assert CountingLoader.composed == 1
    once.load_sweep_config(master, ["optimizer=sgd", "seed=0"])
    once.load_sweep_config(master, ["optimizer=sgd", "seed=1"])
    assert CountingLoader.composed == 2


def test_a_group_on_the_sweeps_own_search_path_is_a_group(
    hydra_loader: ConfigLoaderImpl, tmp_path: Path
) -> None:
    (tmp_path / "extra").mkdir()
    for option, epochs in (("short", 1), ("long", 30)):
        (tmp_path / "extra" / f"{option}.yaml").write_text(
            f"# @package _global_\ntrainer:\n  max_epochs: {epochs}\n"
        )
    master = hydra_loader.load_configuration(
        "train", ["seed=0", f"hydra.searchpath=[file://{tmp_path}]"], run_mode=RunMode.MULTIRUN
    )
    once = ComposedOnce(hydra_loader)
    # `extra` is a group only there: Hydra refuses it as a choice outside the defaults list,
    # where a value of that name would be refused with another message.
    for overrides in (["extra=long", "seed=4"], ["+extra=long", "seed=4"], ["seed=5"]):
        assert composed_by(once, master, overrides) == composed_by(hydra_loader, master, overrides)
    assert "No match in the defaults list" in composed_by(once, master, ["extra=long", "seed=4"])
    assert once.load_sweep_config(master, ["+extra=long", "seed=4"]).trainer.max_epochs == 30


def test_a_loader_sent_to_another_process_leaves_its_configs_behind(
    hydra_loader: ConfigLoaderImpl,
) -> None:
    master = sweep_config(hydra_loader)
    once = ComposedOnce(hydra_loader)
    once.load_sweep_config(master, ["seed=1"])
    sent = pickle.loads(pickle.dumps(once))
    assert sent.load_sweep_config(master, ["seed=1"]).seed == 1
    assert CountingLoader.composed == 2  # composed again where it was sent
    assert once.load_sweep_config(master, ["seed=1"]).seed == 1
    assert CountingLoader.composed == 2  # here, the planned config is still there
