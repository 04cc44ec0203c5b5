"""Continuing a run in its own directory from its last checkpoint."""

from __future__ import annotations

from pathlib import Path

import torch

from trainlab.errors import ConfigError

LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"


def last_checkpoint(run_dir: Path) -> Path:
    """``run_dir/checkpoints/last.ckpt``; :class:`ConfigError` when the run never saved one."""
    path = Path(run_dir) / LAST_CHECKPOINT
    if not path.is_file():
        raise ConfigError(
            f"resume=true but {path} does not exist: the run never finished an epoch "
            "(or ran with checkpoint.enabled=false), so there is nothing to resume; start it anew"
        )
    return path


def logged_step(checkpoint: Path) -> int:
    """The logger step a resumed run continues from: the checkpoint's global step."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=False, mmap=True)
    return int(state["global_step"])
