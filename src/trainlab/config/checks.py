"""The checks of a run's config that need no Lightning, made before importing it.

Importing Lightning takes seconds, so the command line runs these first: a mistyped or
out-of-range value in the schema or in the loss, activation, init, optimizer or scheduler section,
or ``resume=true`` with nothing to resume, costs a message in about the time torch takes to
import. The data, model and trainer sections are checked as they are built
(:mod:`trainlab.build`): their classes are Lightning's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from trainlab.activations import ACTIVATIONS
from trainlab.config.params import check_params
from trainlab.config.schema import TrainConfig
from trainlab.errors import ConfigError
from trainlab.initializers import INITIALIZERS
from trainlab.initializers import INJECTED as INIT_INJECTED
from trainlab.losses import LOSSES
from trainlab.optimizers import OPTIMIZERS, SCHEDULERS
from trainlab.registry import Registry, UnknownNameError
from trainlab.run_dir import last_checkpoint


def check_config(cfg: DictConfig, run_dir: Path) -> None:
    """Raise :class:`ConfigError` for the first bad value these checks can see."""
    validate_schema(cfg)
    registry_params("activation", ACTIVATIONS, cfg.activation)
    registry_params("loss", LOSSES, cfg.loss)
    init_params(cfg)
    optimizer_params(cfg)
    scheduler_params(cfg)
    if cfg.resume:
        last_checkpoint(run_dir)


def validate_schema(cfg: DictConfig) -> None:
    """Run the typed schema's range checks (each dataclass's ``__post_init__``)."""
    if OmegaConf.get_type(cfg) is TrainConfig:
        OmegaConf.to_object(cfg)


def registry_params(section: str, registry: Registry[Any], cfg: DictConfig, **kw: Any) -> dict:
    """``{"name": ..., **typed params}`` of a section that names its entry of ``registry``."""
    params = OmegaConf.to_container(cfg, resolve=True)
    name = params.pop("name", None)
    if name is None:
        raise ConfigError(
            f"{section}.name is missing; choose one of: {', '.join(registry.names())}"
        )
    try:
        entry = registry.get(name)
    except UnknownNameError as error:
        raise ConfigError(f"{section}: {error}") from None
    return {"name": entry.name, **check_params(section, entry.factory, params, **kw)}


def init_params(cfg: DictConfig) -> dict[str, Any]:
    """The typed ``init`` section: the initialiser's name and its arguments."""
    return registry_params("init", INITIALIZERS, cfg.init, injected=INIT_INJECTED)


def optimizer_params(cfg: DictConfig) -> dict[str, Any]:
    """The typed ``optimizer`` section, its learning rate checked."""
    params = registry_params("optimizer", OPTIMIZERS, cfg.optimizer, injected=("params",))
    lr = params.get("lr")
    if isinstance(lr, (int, float)) and lr < 0:
        # torch's own message ("Invalid learning rate: -1.0") does not say what is allowed.
        raise ConfigError(
            f"optimizer: Invalid learning rate: {float(lr)}; optimizer.lr must be >= 0"
        )
    return params


def scheduler_params(cfg: DictConfig) -> dict[str, Any] | None:
    """The typed ``scheduler`` section, or None for ``scheduler=none``."""
    if cfg.get("scheduler") is None or cfg.scheduler.get("name") in (None, "none"):
        return None
    return registry_params(
        "scheduler", SCHEDULERS, cfg.scheduler, injected=("optimizer", "total_steps")
    )
