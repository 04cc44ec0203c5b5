"""What one timed run of a benchmark path hands back: the trained network and its clock readings."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from benchmarks.clock import FitClock


@dataclass
class StepRun:
    """A steps-suite run: the network, the timed window's seconds and the last training loss."""

    model: nn.Module
    seconds: float
    last_loss: float


@dataclass
class EpochRun:
    """An epochs-suite run: the network and the clock of its whole fit."""

    model: nn.Module
    clock: FitClock
