"""Lightning callbacks trainlab adds to every run."""

from trainlab.callbacks.gradient_norms import GradientNormLogger
from trainlab.callbacks.interrupt_checkpoint import InterruptCheckpoint

__all__ = ["GradientNormLogger", "InterruptCheckpoint"]
