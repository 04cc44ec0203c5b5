"""Lightning callbacks trainlab adds to every run."""

from trainlab.callbacks.gradient_norms import GradientNormLogger
from trainlab.callbacks.histograms import ActivationHistogramLogger, WeightHistogramLogger

__all__ = ["ActivationHistogramLogger", "GradientNormLogger", "WeightHistogramLogger"]
