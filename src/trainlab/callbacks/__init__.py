"""Lightning callbacks trainlab adds to every run."""

from trainlab.callbacks.divergence import DivergenceDetector
from trainlab.callbacks.epoch_end_publisher import EpochEndPublisher
from trainlab.callbacks.gradient_norms import GradientNormLogger
from trainlab.callbacks.histograms import ActivationHistogramLogger, WeightHistogramLogger
from trainlab.callbacks.interrupt_checkpoint import InterruptCheckpoint
from trainlab.callbacks.rng_state import GlobalRNGState
from trainlab.callbacks.synced_sigterm import SyncedSigterm

__all__ = [
    "ActivationHistogramLogger",
    "DivergenceDetector",
    "EpochEndPublisher",
    "GlobalRNGState",
    "GradientNormLogger",
    "InterruptCheckpoint",
    "SyncedSigterm",
    "WeightHistogramLogger",
]
