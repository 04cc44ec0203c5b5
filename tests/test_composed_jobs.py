"""A sweep job's config is composed once, when planned, and its launch gets that config."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest
from hydra import initialize_config_dir
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.global_hydra import GlobalHydra
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


def test_other_overrides_and_a_second_launch_are_composed_anew(
    hydra_loader: ConfigLoaderImpl,
) -> None:
    master = sweep_config(hydra_loader)
    once = ComposedOnce(hydra_loader)
    once.load_sweep_config(master, ["seed=1"])
    once.load_sweep_config(master, ["seed=1"])
    assert CountingLoader.composed == 1
    assert once.load_sweep_config(master, ["seed=1"]).seed == 1  # taken: composed again
    assert once.load_sweep_config(master, ["seed=2"]).seed == 2
    assert CountingLoader.composed == 3


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
