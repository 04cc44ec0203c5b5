"""The errors a run ends with: bad user input (before training), divergence, an interruption."""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    """A configuration value that is wrong; the message names it and what is allowed."""


class UnusableCheckpoint(ConfigError):
    """A run's ``last.ckpt`` cannot be read or is not a training checkpoint: it cannot resume."""


class UnsupportedLaunch(ConfigError):
    """A launch no job of the sweep can run (e.g. ``-m`` with DDP); stops the whole sweep."""


class DivergedError(RuntimeError):
    """Training produced a NaN or infinite loss; the message names the step and the losses."""


class RunInterrupted(Exception):
    """Training stopped early on a signal (SIGTERM: pre-emption, a time limit, ``kill``).

    ``checkpoint`` is the saved state to resume from, or None when checkpointing is off.
    """

    def __init__(self, signal_name: str, checkpoint: Path | None) -> None:
        self.signal_name = signal_name
        self.checkpoint = checkpoint
        saved = f"state saved to {checkpoint}" if checkpoint else "no checkpoint saved"
        super().__init__(f"training stopped by {signal_name}; {saved}")
