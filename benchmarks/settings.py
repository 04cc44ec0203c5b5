"""Benchmark settings, free of torch imports so ``benchmark.py --help`` and errors are quick."""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_SHAPE = (3, 32, 32)
NUM_CLASSES = 10
CIFAR10_TRAIN_SIZE = 50_000


@dataclass(frozen=True)
class Workload:
    """One benchmark setting; both paths run ``warmup_steps + steps + 1`` optimizer steps.

    Only the ``steps`` between the start of step ``warmup_steps`` and the start of step
    ``warmup_steps + steps`` are timed; the extra last step lets both clocks stop at a batch
    start, where Lightning's own hooks can read them (see :mod:`benchmarks.clock`).
    """

    device: str = "cpu"
    model: str = "cifar_cnn"
    batch_size: int = 128
    precision: str = "32-true"
    channels_last: bool = False
    compile: bool = False
    steps: int = 50
    warmup_steps: int = 10
    samples: int = CIFAR10_TRAIN_SIZE
    seed: int = 0

    @property
    def total_steps(self) -> int:
        """Optimizer steps each path runs."""
        return self.warmup_steps + self.steps + 1


HAND_LOOP = "hand_loop"
# Variant name → train_trainlab keyword arguments. "trainlab" is what a default run does.
TRAINLAB_VARIANTS: dict[str, dict[str, bool]] = {
    "trainlab": {"grad_norms": True, "progress_bar": False},
    "trainlab_no_grad_norms": {"grad_norms": False, "progress_bar": False},
    "trainlab_progress_bar": {"grad_norms": True, "progress_bar": True},
}
