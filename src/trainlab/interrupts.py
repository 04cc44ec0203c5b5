"""Turning Lightning's SIGTERM stop into trainlab's :class:`RunInterrupted`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import lightning as L
from lightning.pytorch.utilities.exceptions import SIGTERMException

from trainlab.callbacks import InterruptCheckpoint
from trainlab.errors import RunInterrupted


@contextmanager
def interrupted_on_sigterm(trainer: L.Trainer) -> Iterator[None]:
    """Raise :class:`RunInterrupted` (with the saved checkpoint) when SIGTERM stops ``trainer``.

    Lightning raises ``SIGTERMException``, a ``SystemExit`` without a code, which would end the
    process with status 0 as if the run had finished.
    """
    try:
        yield
    except SIGTERMException:
        raise RunInterrupted("SIGTERM", saved_interrupt_checkpoint(trainer)) from None


def saved_interrupt_checkpoint(trainer: L.Trainer) -> Path | None:
    """The checkpoint :class:`InterruptCheckpoint` wrote, or None if none was written."""
    paths = [c.path for c in trainer.callbacks if isinstance(c, InterruptCheckpoint)]
    return next((path for path in paths if path.is_file()), None)
