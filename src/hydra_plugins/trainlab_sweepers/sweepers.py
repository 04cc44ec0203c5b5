"""The plugin classes and their configs; Hydra imports this module when it scans for plugins.

Kept light (no torch, no Optuna) because every ``train.py`` start imports it. No
``from __future__ import annotations``: Hydra executes this module before registering it in
``sys.modules``, where ``dataclasses`` would look the string annotations up.
"""

import importlib.util
from dataclasses import dataclass
from typing import Any, Optional

from hydra._internal.core_plugins.basic_sweeper import BasicSweeperConf
from hydra.core.config_store import ConfigStore

from trainlab.sweeps import grid

# OmegaConf 2.3 reads these annotations at runtime and does not accept `X | None`.
# ruff: noqa: UP045


class TrainlabSweeper(grid.ResumableGridSweeper):
    """``hydra/sweeper=trainlab``: see :class:`trainlab.sweeps.grid.ResumableGridSweeper`."""


@dataclass
class TrainlabSweeperConf(BasicSweeperConf):
    """Hydra's basic sweeper's config, and whether this start resumes the sweep."""

    _target_: str = "hydra_plugins.trainlab_sweepers.sweepers.TrainlabSweeper"
    resume: bool = False
    retry_failed: bool = False


ConfigStore.instance().store(
    group="hydra/sweeper", name="trainlab", node=TrainlabSweeperConf, provider="trainlab"
)

if importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is not None:
    from hydra_plugins.hydra_optuna_sweeper.config import OptunaSweeperConf
    from hydra_plugins.hydra_optuna_sweeper.optuna_sweeper import OptunaSweeper

    class TrainlabOptunaSweeper(OptunaSweeper):
        """``hydra/sweeper=trainlab_optuna``: see :mod:`trainlab.sweeps.optuna_search`."""

        def __init__(
            self, *args: Any, resume: bool = False, retry_failed: bool = False, **kwargs: Any
        ) -> None:
            # Optuna is imported when a search starts, not when Hydra scans for plugins.
            from trainlab.sweeps.optuna_search import ResumableOptunaSearch

            self.sweeper = ResumableOptunaSearch(
                *args, **kwargs, resume=resume, retry_failed=retry_failed
            )

    @dataclass
    class TrainlabOptunaSweeperConf(OptunaSweeperConf):
        """hydra-optuna-sweeper's config with the study stored in the sweep folder."""

        _target_: str = "hydra_plugins.trainlab_sweepers.sweepers.TrainlabOptunaSweeper"
        storage: Optional[Any] = "sqlite:///${hydra.sweep.dir}/optuna.db"
        resume: bool = False
        retry_failed: bool = False

    ConfigStore.instance().store(
        group="hydra/sweeper",
        name="trainlab_optuna",
        node=TrainlabOptunaSweeperConf,
        provider="trainlab",
    )
