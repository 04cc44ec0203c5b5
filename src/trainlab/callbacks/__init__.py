"""Lightning callbacks trainlab adds to every run."""

from trainlab.callbacks.gradient_norms import GradientNormLogger

__all__ = ["GradientNormLogger"]
