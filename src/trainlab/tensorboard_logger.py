"""Lightning's TensorBoardLogger with one event file per run: its writer stays open to the end.

Lightning closes a logger's writer at the end of every ``fit`` and ``test``; the next write
opens a new event file. TensorBoard reads a folder's event files in name order, and the names
end ``<second>.<host>.<pid>.<n>`` with an unpadded per-process counter ``n``, so within one
second ``….10`` sorts before ``….9``. A resumed run's fit file (which carries the purge of the
killed run's later steps) could then be read after its own test file, and the purge would drop
the test scalars. One writer per run leaves one file per process and nothing to misorder.
"""

from __future__ import annotations

from collections.abc import Iterable

from lightning.pytorch.loggers import Logger, TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only


class RunTensorBoardLogger(TensorBoardLogger):
    """A TensorBoardLogger whose ``finalize`` flushes instead of closing; :meth:`close` ends it."""

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
