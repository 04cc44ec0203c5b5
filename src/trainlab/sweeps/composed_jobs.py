"""Each sweep job's config composed once: when the sweeper plans it, reused when it launches.

Written by hand because Hydra has no such cache: its launchers compose every job themselves,
and trainlab's sweepers compose every job first (to write the sweep's plan and refuse a job that
does not compose before anything runs), so each job would be composed twice, about 0.1 s each.
"""

from __future__ import annotations

import copy
from typing import Any

from hydra.core.config_loader import ConfigLoader
from hydra.core.config_search_path import ConfigSearchPath
from hydra.core.object_type import ObjectType
from hydra.plugins.config_source import ConfigSource
from hydra.types import HydraContext, RunMode, TaskFunction
from omegaconf import DictConfig


class ComposedOnce(ConfigLoader):
    """Hydra's config loader, handing a job's config composed at planning to its launch.

    The first :meth:`load_sweep_config` of a sweep config and overrides composes it and keeps an
    untouched copy (the caller may change what it gets: launchers set the job's number); the
    next one for the same sweep config and overrides takes that copy. Everything else is the
    wrapped loader's. A launcher that runs jobs in other processes (joblib, submitit) gets this
    loader pickled without its copies and composes there, as Hydra does.
    """

    def __init__(self, loader: ConfigLoader) -> None:
        self._loader = loader
        self._composed: dict[tuple[int, tuple[str, ...]], DictConfig] = {}

    def load_sweep_config(
        self, master_config: DictConfig, sweep_overrides: list[str]
    ) -> DictConfig:
        key = (id(master_config), tuple(sweep_overrides))
        if key in self._composed:
            return self._composed.pop(key)
        config = self._loader.load_sweep_config(master_config, sweep_overrides)
        self._composed[key] = copy.deepcopy(config)
        return config

    def load_configuration(
        self,
        config_name: str | None,
        overrides: list[str],
        run_mode: RunMode,
        from_shell: bool = True,
        validate_sweep_overrides: bool = True,
    ) -> DictConfig:
        return self._loader.load_configuration(
            config_name, overrides, run_mode, from_shell, validate_sweep_overrides
        )

    def get_search_path(self) -> ConfigSearchPath:
        return self._loader.get_search_path()

    def get_sources(self) -> list[ConfigSource]:
        return self._loader.get_sources()

    def list_groups(self, parent_name: str) -> list[str]:
        return self._loader.list_groups(parent_name)

    def get_group_options(
        self,
        group_name: str,
        results_filter: ObjectType | None = ObjectType.CONFIG,
        config_name: str | None = None,
        overrides: list[str] | None = None,
    ) -> list[str]:
        return self._loader.get_group_options(group_name, results_filter, config_name, overrides)

    def compute_defaults_list(
        self, config_name: str | None, overrides: list[str], run_mode: RunMode
    ) -> Any:
        return self._loader.compute_defaults_list(config_name, overrides, run_mode)

    def __getstate__(self) -> dict[str, Any]:
        return {"_loader": self._loader, "_composed": {}}


class ComposesJobsOnce:
    """A Hydra sweeper (mixed in before it) whose launcher takes each job's config as the sweeper
    composed it when planning the job: its Hydra context's loader is :class:`ComposedOnce`."""

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        context = HydraContext(
            config_loader=ComposedOnce(hydra_context.config_loader),
            callbacks=hydra_context.callbacks,
        )
        super().setup(  # type: ignore[misc]  # the sweeper this is mixed into
            hydra_context=context, task_function=task_function, config=config
        )
