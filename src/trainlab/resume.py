"""Where a resumed run continues: its last checkpoint, read and checked before anything starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from trainlab.errors import UnusableCheckpoint
from trainlab.run_dir import last_checkpoint, rerun_command

# What every Lightning training checkpoint holds; one without them cannot be continued.
CHECKPOINT_KEYS = ("global_step", "state_dict", "loops", "optimizer_states")


@dataclass(frozen=True)
class ResumePoint:
    """The checkpoint a run continues from and its optimizer step (the logger's next step)."""

    checkpoint: Path
    global_step: int


def resume_point(run_dir: Path) -> ResumePoint:
    """``run_dir``'s ``checkpoints/last.ckpt``, read whole; :class:`ConfigError` if unusable."""
    path = last_checkpoint(run_dir)
    way_out = (
        f"start the run anew in a new folder ({rerun_command(run_dir)}), or move the "
        "file aside to resume from an earlier copy"
    )
    try:
        # Our own file, written by this run: the full pickle (Lightning reads it the same way).
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:
        raise UnusableCheckpoint(
            f"cannot resume from {path}: it is not a readable checkpoint "
            f"({type(error).__name__}: {error}); it may be truncated or corrupt; {way_out}"
        ) from None
    missing = [key for key in CHECKPOINT_KEYS if not isinstance(state, dict) or key not in state]
    if missing:
        raise UnusableCheckpoint(
            f"cannot resume from {path}: it is not a Lightning training checkpoint "
            f"(missing {', '.join(missing)}); {way_out}"
        )
    return ResumePoint(path, int(state["global_step"]))
