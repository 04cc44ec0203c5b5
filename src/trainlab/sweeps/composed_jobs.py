"""Each sweep's config groups composed once per choice of them; each job's values set on a copy.

Written by hand because Hydra has no such cache. Its launchers compose every job from scratch
(about 0.1 s each: the defaults tree, every config file read and merged), and trainlab's sweepers
also compose every job first (to write the sweep's plan and refuse a job that does not compose
before anything runs). In a sweep over seeds or learning rates the jobs differ only in values
(``seed=3``, ``optimizer.lr=0.1``), which Hydra applies after composing the groups; so this loader
composes each choice of groups once, through Hydra, and sets each job's values on a copy with
Hydra's own override functions, as Hydra's composition ends. Those are Hydra 1.3's internals
(``ConfigLoaderImpl._apply_overrides_to_config``, ``get_overrides_dirname``), so the tests
compare every job's config, flags and errors with Hydra's own composition of it.
"""

from __future__ import annotations

import copy
from typing import Any

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.config_loader import ConfigLoader
from hydra.core.config_search_path import ConfigSearchPath
from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType, ValueType
from hydra.plugins.config_source import ConfigSource
from hydra.types import HydraContext, RunMode, TaskFunction
from omegaconf import DictConfig, OmegaConf, read_write


class ComposedOnce(ConfigLoader):
    """Hydra's config loader, composing each choice of a sweep's config groups once.

    :meth:`load_sweep_config` splits a job's overrides into config group choices and values the
    way Hydra does (a key is a group when its folder exists on the config search path). When
    every override is a plain ``key=value`` (no ``+``, ``~`` or ``@package``), the groups are
    composed once for each distinct choice of them and each job's values are applied to a copy;
    any other job is composed whole, once, and copied for its later loads (its launch after its
    planning). Everything else is the wrapped loader's. A launcher that runs jobs in other
    processes (joblib, submitit) gets this loader pickled without its configs and composes there.
    """

    def __init__(self, loader: ConfigLoader) -> None:
        self._loader = loader
        self._composed: dict[tuple[int, tuple[str, ...]], DictConfig] = {}
        self._groups: dict[tuple[int, str], frozenset[str]] = {}

    def load_sweep_config(
        self, master_config: DictConfig, sweep_overrides: list[str]
    ) -> DictConfig:
        overrides = OverridesParser.create().parse_overrides(sweep_overrides)
        shareable = all(_is_plain(override) for override in overrides)
        is_value = [
            shareable and not self._is_group(master_config, override.key_or_group)
            for override in overrides
        ]
        values = [override for override, value in zip(overrides, is_value, strict=True) if value]
        composed = [
            line for line, value in zip(sweep_overrides, is_value, strict=True) if not value
        ]
        key = (id(master_config), tuple(composed))
        if key not in self._composed:
            self._composed[key] = self._loader.load_sweep_config(master_config, composed)
        config = copy.deepcopy(self._composed[key])
        if values:
            _apply_values(config, values, overrides)
            OmegaConf.copy_cache(from_config=master_config, to_config=config)
        return config

    def _is_group(self, master_config: DictConfig, key: str) -> bool:
        """Whether ``key`` names a config group on the sweep's search path (Hydra's test)."""
        parent, _, name = key.rpartition("/")
        cache_key = (id(master_config), parent)
        if cache_key not in self._groups:
            self._groups[cache_key] = frozenset(
                self._loader.get_group_options(
                    parent,
                    results_filter=ObjectType.GROUP,
                    config_name=master_config.hydra.job.config_name,
                    overrides=list(master_config.hydra.overrides.hydra),
                )
            )
        return name in self._groups[cache_key]

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
        return {"_loader": self._loader, "_composed": {}, "_groups": {}}


def _is_plain(override: Override) -> bool:
    """``key=value`` of one value: no ``+``/``~``, package, sweep or dict; not Hydra's own key."""
    return (
        override.type == OverrideType.CHANGE
        and override.package is None
        and override.value_type == ValueType.ELEMENT
        and not isinstance(override.value(), dict)
        and not override.is_hydra_override()
    )


def _apply_values(config: DictConfig, values: list[Override], overrides: list[Override]) -> None:
    """End a job's composition as Hydra's ``load_configuration`` does once its groups are merged:
    its values applied in order, then all its overrides recorded in ``hydra.overrides.task`` and
    ``hydra.job.override_dirname``."""
    ConfigLoaderImpl._apply_overrides_to_config(values, config)
    job = config.hydra.job
    with read_write(config.hydra):
        config.hydra.overrides.task = [override.input_line for override in overrides]
        job.override_dirname = get_overrides_dirname(
            overrides=overrides,
            kv_sep=job.config.override_dirname.kv_sep,
            item_sep=job.config.override_dirname.item_sep,
            exclude_keys=job.config.override_dirname.exclude_keys,
        )


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
