"""Continuing a run in its own directory from its last checkpoint (``trainlab.run_dir``)."""

from __future__ import annotations

from pathlib import Path

import torch


def logged_step(checkpoint: Path) -> int:
    """The logger step a resumed run continues from: the checkpoint's global step."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=False, mmap=True)
    return int(state["global_step"])
