"""Lightning's TensorBoardLogger with one event file per run, and one event per logging call.

Lightning closes a logger's writer at the end of every ``fit`` and ``test``; the next write
opens a new event file. TensorBoard reads a folder's event files in name order, and the names
end ``<second>.<host>.<pid>.<n>`` with an unpadded per-process counter ``n``, so within one
second ``….10`` sorts before ``….9``. A resumed run's fit file (which carries the purge of the
killed run's later steps) could then be read after its own test file, and the purge would drop
the test scalars. One writer per run leaves one file per process and nothing to misorder.

Lightning writes each scalar as its own event (``add_scalar``): about 45 µs a scalar on the
2-core machine, most of it the event's own cost (proto, queue, record). A logging step writes
about ten (loss, learning rate, gradient norms), so the scalars of one ``log_metrics`` call go
into one event of several values, which TensorBoard reads back as the same tags, steps and values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lightning.fabric.utilities.logger import _add_prefix
from lightning.pytorch.loggers import Logger, TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from tensorboard.compat.proto.summary_pb2 import Summary
from torch import Tensor
from torch.utils.tensorboard.summary import scalar


class RunTensorBoardLogger(TensorBoardLogger):
    """A TensorBoardLogger whose ``finalize`` flushes instead of closing; :meth:`close` ends it.
    Each :meth:`log_metrics` call is one event."""

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float | Tensor], step: int | None = None) -> None:
        if any(isinstance(value, dict) for value in metrics.values()):
            super().log_metrics(metrics, step)  # add_scalars: one event file per key
            return
        metrics = _add_prefix(metrics, self._prefix, self.LOGGER_JOIN_CHAR)
        try:
            values = [
                scalar(tag, value.item() if isinstance(value, Tensor) else value).value[0]
                for tag, value in metrics.items()
            ]
        except (TypeError, ValueError) as error:
            raise ValueError(f"you tried to log {metrics} which is not all scalars") from error
        if values:
            self.experiment.file_writer.add_summary(Summary(value=values), step)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        if self._experiment is not None:
            self._experiment.flush()
        if status == "success":
            self.save()

    @rank_zero_only
    def close(self) -> None:
        """Flush and close the run's event file (a later write would open a new one)."""
        if self._experiment is not None:
            self._experiment.close()


def close_event_files(loggers: Iterable[Logger]) -> None:
    """At a run's end: close the event file of each :class:`RunTensorBoardLogger` in ``loggers``."""
    for logger in loggers:
        if isinstance(logger, RunTensorBoardLogger):
            logger.close()
