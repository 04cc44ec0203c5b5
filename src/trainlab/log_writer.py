"""The one place a run's own writes reach its loggers: metrics, hyperparameters, text, figures,
histograms, each to every logger that takes it.

Every Lightning logger takes metrics and hyperparameters; :data:`RICH_WRITES` is the table of
what else each one takes and how. A run declares up front what it will write
(:func:`trainlab.build.planned_writes`), and :meth:`LogWriter.attach` says once, before
training, what a chosen logger will not get; the writes themselves then skip it silently.
Lightning's own ``self.log`` metrics reach every logger through Lightning. The writer is kept
beside its Trainer, not in its callback list, so it costs no step anything.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Collection, Sequence
from typing import Any

import lightning as L
import torch
from lightning.pytorch.loggers import CSVLogger, Logger, MLFlowLogger, TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from matplotlib.figure import Figure

log = logging.getLogger("trainlab")

TEXT, FIGURE, HISTOGRAM = "text", "figure", "histogram"
WRITE_NAMES = {TEXT: "config text", FIGURE: "figures", HISTOGRAM: "histograms"}


def _tensorboard_text(logger: Any, tag: str, text: str, step: int) -> None:
    # Four leading spaces per line make TensorBoard's markdown show it as code.
    logger.experiment.add_text(tag, "\n".join("    " + line for line in text.splitlines()), step)


def _tensorboard_figure(logger: Any, tag: str, figure: Figure, step: int) -> None:
    logger.experiment.add_figure(tag, figure, step, close=False)


def _tensorboard_histogram(logger: Any, tag: str, values: torch.Tensor, step: int) -> None:
    logger.experiment.add_histogram(tag, values, step)


def _mlflow_text(logger: Any, tag: str, text: str, step: int) -> None:
    logger.experiment.log_text(logger.run_id, text, f"{tag}.txt")


def _mlflow_figure(logger: Any, tag: str, figure: Figure, step: int) -> None:
    logger.experiment.log_figure(logger.run_id, figure, f"{tag}.png")


# Beyond metrics and hyperparameters: what each logger class takes, and the call that writes it.
RICH_WRITES: dict[type[Logger], dict[str, Callable[..., None]]] = {
    TensorBoardLogger: {
        TEXT: _tensorboard_text,
        FIGURE: _tensorboard_figure,
        HISTOGRAM: _tensorboard_histogram,
    },
    MLFlowLogger: {TEXT: _mlflow_text, FIGURE: _mlflow_figure},
    CSVLogger: {},
}


# The names trainlab's logger registry builds each class under, for messages.
LOGGER_NAMES: dict[type[Logger], str] = {
    TensorBoardLogger: "tensorboard",
    CSVLogger: "csv",
    MLFlowLogger: "mlflow",
}


def _by_class(table: dict[type[Logger], Any], logger: Logger, default: Any) -> Any:
    """``table``'s entry for ``logger``'s class or nearest listed base class, else ``default``."""
    return next((table[cls] for cls in type(logger).__mro__ if cls in table), default)


def logger_name(logger: Logger) -> str:
    """The registry name of ``logger`` (``tensorboard``, ``csv``, ``mlflow``), else its class."""
    return _by_class(LOGGER_NAMES, logger, type(logger).__name__)


def rich_writes(logger: Logger) -> dict[str, Callable[..., None]]:
    """What ``logger`` takes besides metrics and hyperparameters (a subclass takes its base's)."""
    return _by_class(RICH_WRITES, logger, {})


_WRITERS: weakref.WeakKeyDictionary[L.Trainer, LogWriter] = weakref.WeakKeyDictionary()


class LogWriter:
    """Writes to every logger of a run what it takes; one per Trainer, found by :meth:`of`.

    ``planned`` are the kinds (:data:`TEXT`, :data:`FIGURE`, :data:`HISTOGRAM`) the run will
    write, checked against what each logger takes.
    """

    def __init__(self, loggers: Sequence[Logger], planned: Collection[str] = ()) -> None:
        self.loggers = list(loggers)
        self.planned = [kind for kind in WRITE_NAMES if kind in planned]

    @classmethod
    def attach(cls, trainer: L.Trainer, planned: Collection[str]) -> LogWriter:
        """Make the writer of ``trainer``'s run; rank 0 warns once about what a logger skips."""
        writer = _WRITERS[trainer] = cls(trainer.loggers, planned)
        if rank_zero_only.rank == 0:
            writer.say_skipped()
        return writer

    @classmethod
    def of(cls, trainer: L.Trainer) -> LogWriter:
        """The writer of ``trainer``'s run (a Trainer built without one writes to its loggers)."""
        return _WRITERS.get(trainer) or cls(trainer.loggers)

    def takes(self, kind: str) -> bool:
        """Whether any logger of the run takes ``kind`` (callbacks skip computing it otherwise)."""
        return any(kind in rich_writes(logger) for logger in self.loggers)

    def skipped(self) -> dict[str, list[str]]:
        """``{logger name: [planned kinds it does not take]}``, for the loggers that skip any."""
        skipped = {}
        for logger in self.loggers:
            missing = [k for k in self.planned if k not in rich_writes(logger)]
            if missing:
                skipped[logger_name(logger)] = missing
        return skipped

    def say_skipped(self) -> None:
        """One warning naming, per logger, the planned kinds it does not take (if any)."""
        skipped = self.skipped()
        if not skipped:
            return
        takers = [logger_name(lg) for lg in self.loggers if logger_name(lg) not in skipped]
        parts = "; ".join(
            f"logger {name} does not take {', '.join(WRITE_NAMES[k] for k in kinds)}"
            for name, kinds in skipped.items()
        )
        where = f"written to {', '.join(takers)} only" if takers else "not written"
        log.warning("%s: those are %s", parts, where)

    def metrics(self, values: dict[str, float], step: int) -> None:
        """Scalar metrics at ``step`` to every logger."""
        for logger in self.loggers:
            logger.log_metrics(values, step=step)

    def hyperparams(self, params: dict[str, Any], metrics: dict[str, float]) -> None:
        """The run's choices; TensorBoard also pairs them with ``metrics`` (its HParams tab).

        MLflow refuses to change a logged parameter: a run resumed to train longer keeps the
        first ``trainer.max_epochs`` there (its ``run.json`` and config have the new one).
        """
        for logger in self.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.log_hyperparams(params, metrics=metrics)
            elif isinstance(logger, MLFlowLogger):
                logged = logger.experiment.get_run(logger.run_id).data.params
                logger.log_hyperparams({k: v for k, v in params.items() if k not in logged})
            else:
                logger.log_hyperparams(params)

    def text(self, tag: str, text: str, step: int = 0) -> None:
        """A text (the resolved config) to the loggers that take text."""
        self._write(TEXT, tag, text, step)

    def figure(self, tag: str, figure: Figure, step: int) -> None:
        """A matplotlib figure to the loggers that take figures; then the figure is closed."""
        import matplotlib.pyplot as plt

        self._write(FIGURE, tag, figure, step)
        plt.close(figure)

    def histogram(self, tag: str, values: torch.Tensor, step: int) -> None:
        """A histogram of ``values`` (on the host) to the loggers that take histograms."""
        self._write(HISTOGRAM, tag, values, step)

    def flush(self) -> None:
        """Make every logger write what it holds to disk (or its store)."""
        for logger in self.loggers:
            logger.save()

    def _write(self, kind: str, tag: str, value: Any, step: int) -> None:
        for logger in self.loggers:
            write = rich_writes(logger).get(kind)
            if write is not None:
                write(logger, tag, value, step)
