"""Lightning callbacks trainlab adds to every run."""

from trainlab.callbacks.divergence import DivergenceDetector
from trainlab.callbacks.gradient_norms import GradientNormLogger
from trainlab.callbacks.histograms import ActivationHistogramLogger, WeightHistogramLogger
from trainlab.callbacks.run_checkpoint import RunCheckpoint
from trainlab.callbacks.synced_sigterm import SyncedSigterm

__all__ = [
    "ActivationHistogramLogger",
    "DivergenceDetector",
    "GradientNormLogger",
    "RunCheckpoint",
    "SyncedSigterm",
    "WeightHistogramLogger",
]
