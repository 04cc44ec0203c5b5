"""A run's plan: its whole config checked, typed and trial-built once, before Lightning is imported.

:func:`plan` is the one place a run's input is judged. It imports the user's modules, types
every section (the schema, and each registry or ``_target_`` section by the signature of what it
builds), checks the run folder and what a resume may continue, trial-builds the model, loss,
optimizer and scheduler and runs one dry training step with throwaway copies on a few real
samples, so an argument that no constructor checks still fails here, with a message, before
anything is written. Everything after it (:mod:`trainlab.execute`) builds from the plan without
checking again.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from trainlab.activations import ACTIVATIONS
from trainlab.components import (
    Choice,
    Target,
    make_loss,
    make_model,
    make_optimizer,
    make_scheduler,
)
from trainlab.config.params import check_params
from trainlab.config.ranges import check_allowed
from trainlab.config.schema import TrainConfig, TrainerConfig
from trainlab.data.source import DataSource
from trainlab.errors import ConfigError
from trainlab.initializers import DEFAULT as DEFAULT_INIT
from trainlab.initializers import INITIALIZERS
from trainlab.initializers import INJECTED as INIT_INJECTED
from trainlab.loggers import LOGGERS, LoggerSpec
from trainlab.losses import LOSSES, NATURAL_LOSSES, check_loss_fits, loss_spec
from trainlab.metrics import monitorable_metrics
from trainlab.optimizers import OPTIMIZERS, SCHEDULERS
from trainlab.output_transforms import LossAdapter
from trainlab.paths import CONFIG_DIR
from trainlab.ranks import launch_rank, slurm_requeued
from trainlab.registry import Registry, UnknownNameError
from trainlab.resume import ResumePoint, resume_point
from trainlab.run_dir import (
    RunStatus,
    check_fresh_run_dir,
    last_checkpoint,
    read_record,
    recorded_config,
    rerun_command,
)
from trainlab.tasks import Task

T = TypeVar("T")

MODEL_INJECTED = ("input_shape", "num_outputs", "activation")
DATA_INJECTED = ("seed",)
LOGGER_INJECTED = ("save_dir", "purge_step")
# Any count serves to check a schedule's arguments; the run passes Lightning's own estimate.
TRIAL_TOTAL_STEPS = 1000
DRY_STEP_EXAMPLES = 4
# Lightning's accelerator names and precision inputs (lightning.fabric.utilities.types
# _PRECISION_INPUT), named here so they are checked before Lightning is imported; a test checks
# they match Lightning's.
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")
PRECISIONS = (
    "transformer-engine", "transformer-engine-float16", "16-true", "16-mixed", "bf16-true",
    "bf16-mixed", "32-true", "64-true", "64", "32", "16", "bf16", 64, 32, 16,
)  # fmt: skip
# Keys a resume may differ in from the recorded run: the request to resume itself.
RESUME_FREE_KEYS = ("resume",)
# What a resume may raise on purpose, to train a run (even a completed one) for longer.
EXTENDABLE_KEYS = ("trainer.max_epochs", "trainer.max_steps")
# Schedules shaped by the run's whole length: a longer run would bend them, so it is refused.
RUN_LENGTH_SCHEDULES = ("cosine", "onecycle")


@dataclass(frozen=True)
class RunPlan:
    """Everything a run will build, typed and checked; built once by :mod:`trainlab.execute`."""

    cfg: DictConfig
    settings: TrainConfig
    run_dir: Path
    data: DataSource
    model: Target
    activation: Choice
    init: Choice
    loss: Choice
    optimizer: Choice
    scheduler: Choice | None
    loggers: tuple[Choice, ...]
    resume: ResumePoint | None
    first_process: bool
    # Keys a resume raised on purpose (trainer.max_epochs): recorded value → new value.
    extensions: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        """The run's seed: data, split, initialisation and shuffling follow it."""
        return self.settings.seed


def plan(cfg: DictConfig, run_dir: Path, overrides: Sequence[str] = ()) -> RunPlan:
    """Check, type and trial-build every section of ``cfg`` for a run in ``run_dir``.

    ``overrides`` are the command line's (Hydra's task overrides); a resume checks them against
    the recorded run. Raises :class:`ConfigError` for the first bad value, naming it and what is
    allowed. Writes nothing.
    """
    run_dir = Path(run_dir)
    first_process = launch_rank() == 0
    settings = typed_settings(cfg)
    resume = None
    extensions: dict[str, tuple[Any, Any]] = {}
    if settings.resume:
        cfg, extensions = resumed_config(cfg, run_dir, overrides)
        settings = typed_settings(cfg)
        resume = resume_point(run_dir)
    elif first_process and not slurm_requeued():
        check_fresh_run_dir(run_dir)
    import_user_modules(settings.imports)

    data = _build_target("data", cfg.data, DATA_INJECTED, seed=settings.seed)
    if not isinstance(data, DataSource):
        raise ConfigError(
            f"data._target_={cfg.data._target_!r} builds a {type(data).__name__}, not a "
            "trainlab.data.DataSource (see trainlab.data.source for the contract)"
        )
    activation = registry_choice("activation", ACTIVATIONS, cfg.activation)
    init = init_choice(cfg.get("init"))
    if cfg.get("loss") is None:
        cfg = with_natural_loss(cfg, data.task)
    loss = registry_choice("loss", LOSSES, cfg.loss)
    check_loss_fits(loss.name, data.task)
    model = typed_target("model", cfg.model, MODEL_INJECTED)
    optimizer = optimizer_choice(cfg.optimizer)
    scheduler = scheduler_choice(cfg.get("scheduler"))
    loggers = logger_choices(cfg.get("logger"))
    check_trainer(settings.trainer)
    check_monitor(settings.monitor, data)
    dry_step(data, model, activation, init, loss, optimizer, scheduler)
    return RunPlan(
        cfg=cfg,
        settings=settings,
        run_dir=run_dir,
        data=data,
        model=model,
        activation=activation,
        init=init,
        loss=loss,
        optimizer=optimizer,
        scheduler=scheduler,
        loggers=loggers,
        resume=resume,
        first_process=first_process,
        extensions=extensions,
    )


def with_natural_loss(cfg: DictConfig, task: Task) -> DictConfig:
    """``cfg`` with the loss section ``loss=<the task's natural loss>`` would have composed.

    For data whose task is known only from the data (``data=csv``); the run records this loss.
    """
    cfg = cfg.copy()
    cfg.loss = OmegaConf.load(CONFIG_DIR / "loss" / f"{NATURAL_LOSSES[task]}.yaml")
    return cfg


def typed_settings(cfg: DictConfig) -> TrainConfig:
    """``cfg`` as the typed schema, its ranges checked (each dataclass's ``__post_init__``).

    A config Hydra composed is already typed by the schema (its ConfigStore entry), so only
    another (a recorded one) is merged into it first: about 15 ms a job saved.
    """
    try:
        if OmegaConf.get_type(cfg) is not TrainConfig:
            cfg = OmegaConf.merge(OmegaConf.structured(TrainConfig), cfg)
        return OmegaConf.to_object(cfg)
    except OmegaConfBaseException as error:
        raise ConfigError(f"config: {error}") from None


def import_user_modules(names: Sequence[str]) -> None:
    """Import the ``imports`` modules (from the working directory too), so they can register."""
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:
            raise ConfigError(
                f"imports: cannot import {name!r} ({type(error).__name__}: {error}); modules are "
                f"found in the working directory ({os.getcwd()}) and the installed packages"
            ) from None


def resumed_config(
    cfg: DictConfig, run_dir: Path, overrides: Sequence[str]
) -> tuple[DictConfig, dict[str, tuple[Any, Any]]]:
    """The recorded config of the run ``resume=true`` continues, and the keys it extends.

    A resume continues exactly what was recorded: a value the command line sets that differs
    from the record is refused, naming the keys, so a run never mixes two configs. The one
    change allowed is training longer (:data:`EXTENDABLE_KEYS` raised), which may also continue
    a completed run.
    """
    record = read_record(run_dir)
    recorded = recorded_config(run_dir)
    changes = {
        key: (
            OmegaConf.select(recorded, key, default=None),
            OmegaConf.select(cfg, key, default=None),
        )
        for key in _overridden_keys(overrides, cfg)
        if key not in RESUME_FREE_KEYS
    }
    changes = {key: values for key, values in changes.items() if values[0] != values[1]}
    extensions = {key: values for key, values in changes.items() if _extends(key, *values)}
    refused = {key: values for key, values in changes.items() if key not in extensions}
    if refused:
        listed = "; ".join(
            f"{k}: recorded {old!r}, requested {new!r}" for k, (old, new) in refused.items()
        )
        raise ConfigError(
            f"resume=true continues the run recorded in {run_dir}, but the command line changes "
            f"{listed}. Resume without those overrides ({rerun_command(run_dir, resume=True)}), "
            "or start a new run with them"
        )
    schedule = OmegaConf.select(recorded, "scheduler.name", default=None)
    if extensions and schedule in RUN_LENGTH_SCHEDULES:
        raise ConfigError(
            f"scheduler={schedule} shapes the learning rate over the run's whole length, so "
            f"training {run_dir} longer would bend its schedule; start a new run of the longer "
            "length instead"
        )
    if record.get("status") == RunStatus.COMPLETED.value and not extensions:
        epochs = OmegaConf.select(recorded, "trainer.max_epochs", default=None)
        raise ConfigError(
            f"{run_dir} holds a completed run; there is nothing to resume. Rerun it into a new "
            f"folder ({rerun_command(run_dir)}), or train it longer: resume=true "
            f"trainer.max_epochs=N with N above the recorded {epochs}"
        )
    last_checkpoint(run_dir)  # nothing to resume without it
    for key, (_, new) in extensions.items():
        OmegaConf.update(recorded, key, new)
    OmegaConf.update(recorded, "resume", True, force_add=True)
    return recorded, extensions


def _extends(key: str, recorded: Any, requested: Any) -> bool:
    """Whether ``requested`` raises an extendable limit ``recorded`` (-1: none) on purpose."""
    limits = (recorded, requested)
    if key not in EXTENDABLE_KEYS or not all(isinstance(v, int) for v in limits):
        return False
    return recorded >= 1 and requested > recorded


def _overridden_keys(overrides: Sequence[str], cfg: DictConfig) -> list[str]:
    """The config keys the command line sets; every section when one cannot be told apart."""
    keys = []
    for override in overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if key.split(".")[0].split("/")[0] == "hydra":
            continue
        if key not in cfg and "." not in key:
            # A group packaged elsewhere (experiment=...) may change any section.
            return [str(name) for name in cfg]
        keys.append(key)
    return keys


def registry_choice(
    section: str, registry: Registry[Any], cfg: DictConfig, injected: Collection[str] = ()
) -> Choice:
    """The entry of ``registry`` that section ``cfg`` names, with its arguments typed."""
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
    typed = check_params(section, entry.factory, params, injected=injected)
    check_allowed(section, typed)
    return Choice(entry.name, typed)


def logger_choices(cfg: DictConfig | None) -> tuple[Choice, ...]:
    """The ``logger`` section, one entry per logger (``logger.csv``, ...), each typed.

    A logger that needs an optional package (``mlflow``) names the extra that installs it. A
    config recorded before loggers were keyed by name (``{name: tensorboard, flush_secs: 120}``,
    read back by a resume) still names its one logger.
    """
    if cfg is not None and "name" in cfg:
        cfg = OmegaConf.create({str(cfg.name): {k: v for k, v in cfg.items() if k != "name"}})
    choices = []
    for name, params in (cfg or {}).items():
        section = f"logger.{name}"
        if not isinstance(params, DictConfig):
            raise ConfigError(
                f"{section} must be a mapping of the logger's arguments, got {params!r}; choose "
                f"loggers by name: logger=csv, logger=[tensorboard,csv] ({', '.join(LOGGERS.names())})"
            )
        try:
            entry = LOGGERS.get(str(name))
        except UnknownNameError as error:
            raise ConfigError(f"logger: {error}") from None
        needs = entry.info or LoggerSpec()  # a user's logger registered without one
        if needs.module is not None and importlib.util.find_spec(needs.module) is None:
            raise ConfigError(
                f"logger={entry.name} needs the {needs.module} package: pip install "
                f"'trainlab[{needs.extra}]'"
            )
        params = OmegaConf.to_container(params, resolve=True)
        choices.append(
            Choice(entry.name, check_params(section, entry.factory, params, LOGGER_INJECTED))
        )
    return tuple(choices)


def init_choice(cfg: DictConfig | None) -> Choice:
    """The ``init`` section, typed; PyTorch's own for a config recorded before ``init`` existed."""
    if cfg is None:
        return Choice(DEFAULT_INIT)
    return registry_choice("init", INITIALIZERS, cfg, injected=INIT_INJECTED)


def optimizer_choice(cfg: DictConfig) -> Choice:
    """The ``optimizer`` section, typed and checked."""
    return registry_choice("optimizer", OPTIMIZERS, cfg, injected=("params",))


def scheduler_choice(cfg: DictConfig | None) -> Choice | None:
    """The ``scheduler`` section, typed, or None for ``scheduler=none``."""
    if cfg is None or cfg.get("name") in (None, "none"):
        return None
    return registry_choice("scheduler", SCHEDULERS, cfg, injected=("optimizer", "total_steps"))


def typed_target(section: str, cfg: DictConfig, injected: Collection[str]) -> Target:
    """A ``_target_`` section: the class imported, the arguments typed by its signature."""
    params = OmegaConf.to_container(cfg, resolve=True)
    path = params.pop("_target_", None)
    if path is None:
        raise ConfigError(f"{section}._target_ is missing: name the class to build")
    try:
        factory = get_object(path)
    except Exception as error:
        raise ConfigError(f"{section}._target_={path!r} cannot be imported: {error}") from None
    return Target(path, check_params(section, factory, params, injected=injected))


def check_trainer(trainer: TrainerConfig) -> None:
    """The Trainer arguments Lightning would only reject after its seconds-long import."""
    if trainer.accelerator not in ACCELERATORS:
        raise ConfigError(
            f"trainer.accelerator={trainer.accelerator!r} is not one of: {', '.join(ACCELERATORS)}"
        )
    if trainer.accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.accelerator={trainer.accelerator} but no CUDA GPU is visible "
            "(torch.cuda.is_available() is False); use trainer.accelerator=cpu, or auto to take "
            "a GPU when there is one"
        )
    if trainer.precision not in PRECISIONS:
        raise ConfigError(
            f"trainer.precision={trainer.precision!r} is not one of: "
            f"{', '.join(str(p) for p in PRECISIONS if isinstance(p, str))}"
        )


def check_monitor(monitor: str, data: DataSource) -> None:
    """``monitor`` must name a metric the run logs every epoch."""
    allowed = monitorable_metrics(data.task)
    if monitor not in allowed:
        raise ConfigError(
            f"monitor={monitor!r} is not a metric this {data.task} run logs; choose one of: "
            f"{', '.join(allowed)}"
        )


def dry_step(
    data: DataSource,
    model: Target,
    activation: Choice,
    init: Choice,
    loss: Choice,
    optimizer: Choice,
    scheduler: Choice | None,
) -> None:
    """Build throwaway copies and take one training step on a few real examples.

    Many torch constructors accept values they cannot use (``StepLR(step_size=0)``,
    ``MSELoss(reduction="none")``); the step makes each fail here, named by its section.
    """
    network = _built("model", lambda: make_model(model, activation, init, data), model.params)
    criterion = _built("loss", lambda: make_loss(loss), loss.params)
    trial_optimizer = _built(
        "optimizer", lambda: make_optimizer(optimizer, network.parameters()), optimizer.params
    )
    trial_scheduler = (
        _built(
            "scheduler",
            lambda: make_scheduler(scheduler, trial_optimizer, TRIAL_TOTAL_STEPS),
            scheduler.params,
        )
        if scheduler is not None
        else None
    )
    adapter = LossAdapter(loss_spec(loss.name), data.task, data.num_outputs)
    inputs, targets = data.example_batch(DRY_STEP_EXAMPLES)
    inputs = data.transform_batch(inputs, training=True, step=0, epoch=0)
    output = _built("model", lambda: network(inputs), model.params)
    value = _built(
        "loss",
        lambda: criterion(adapter.loss_input(output), adapter.loss_target(targets)),
        loss.params,
    )
    if value.dim() != 0:
        raise ConfigError(
            f"loss={loss.name} returns a {tuple(value.shape)} tensor, not one number per batch, "
            f"so it cannot be trained on ({_describe(loss.params, 'loss')}); use loss.reduction=mean or sum"
        )
    value.backward()
    _built("optimizer", trial_optimizer.step, optimizer.params)
    if trial_scheduler is not None:
        _built("scheduler", trial_scheduler.step, scheduler.params)


def _built(section: str, make: Callable[[], T], params: dict[str, Any]) -> T:
    """``make()``; any error becomes a :class:`ConfigError` naming ``section`` and its values."""
    try:
        return make()
    except ConfigError:
        raise
    except Exception as error:
        raise ConfigError(
            f"{section}: {error} ({type(error).__name__} with {_describe(params, section)})"
        ) from None


def _build_target(section: str, cfg: DictConfig, injected: Collection[str], **values: Any) -> Any:
    target = typed_target(section, cfg, injected)
    return _built(
        section, lambda: get_object(target.path)(**target.params, **values), target.params
    )


def _describe(params: dict[str, Any], section: str = "") -> str:
    prefix = f"{section}." if section else ""
    return ", ".join(f"{prefix}{key}={value!r}" for key, value in params.items()) or "no arguments"
