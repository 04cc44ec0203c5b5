"""Checkpoint files written atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins import TorchCheckpointIO

from trainlab.atomic_write import temporary_path


class AtomicCheckpointIO(TorchCheckpointIO):
    """Saves each checkpoint to a temporary file beside it, then renames it into place.

    ``os.replace`` within one folder is atomic, so a run killed while saving leaves the previous
    ``last.ckpt`` intact (at worst a stray ``.*.tmp`` file), never a truncated one.

    While ``holding`` (:class:`~trainlab.callbacks.RunCheckpoint` decides when), a saved
    checkpoint is written in full but renamed into place only by :meth:`publish`;
    :meth:`discard` drops it instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self.holding = False
        self._held: dict[Path, Path] = {}  # target → its written temporary file

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} does not take storage_options")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = temporary_path(target)
        try:
            with open(temporary, "wb") as file:
                torch.save(checkpoint, file)
                file.flush()
                os.fsync(file.fileno())
            if self.holding:
                self._held[target] = temporary
                return
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            self._held.pop(target, None)
            raise

    def publish(self) -> None:
        """Rename the held checkpoints into place, in the order they were saved."""
        for target, temporary in self._held.items():
            os.replace(temporary, target)
        self._held.clear()

    def discard(self) -> None:
        """Drop the held checkpoints: the files in place stay as they are."""
        for temporary in self._held.values():
            temporary.unlink(missing_ok=True)
        self._held.clear()
