"""The logger registry: where a run's metrics go, chosen by name (``logger=tensorboard``).

Each factory takes the run directory (``save_dir``) and, when resuming, the step the run continues
from (``purge_step``), and imports Lightning only when called, so a run's plan can type the
``logger`` section by the factory's signature before Lightning is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trainlab.registry import Registry

if TYPE_CHECKING:
    from lightning.pytorch.loggers import Logger

LOGGERS: Registry[Logger] = Registry("logger")


@LOGGERS.register("tensorboard")
def tensorboard(save_dir: str, purge_step: int | None = None, flush_secs: int = 120) -> Logger:
    """Lightning's TensorBoardLogger writing event files straight into the run directory.

    ``purge_step`` (when resuming) makes TensorBoard readers drop the events a killed run wrote
    at or after that step, so the resumed curves have no duplicate steps.
    """
    from lightning.pytorch.loggers import TensorBoardLogger

    return TensorBoardLogger(
        save_dir,
        name="",
        version="",
        default_hp_metric=False,
        purge_step=purge_step,
        flush_secs=flush_secs,
    )
