"""Lightning callbacks trainlab adds to every run."""

from trainlab.callbacks.divergence import DivergenceDetector
from trainlab.callbacks.gradient_norms import GradientNormLogger
from trainlab.callbacks.histograms import ActivationHistogramLogger, WeightHistogramLogger
from trainlab.callbacks.rng_state import GlobalRNGState
from trainlab.callbacks.run_checkpoint import RunCheckpoint
from trainlab.callbacks.synced_sigterm import SyncedSigterm

__all__ = [
    "ActivationHistogramLogger",
    "DivergenceDetector",
    "GlobalRNGState",
    "GradientNormLogger",
    "RunCheckpoint",
    "SyncedSigterm",
    "WeightHistogramLogger",
]
