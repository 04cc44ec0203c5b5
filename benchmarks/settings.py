"""Benchmark settings, free of torch imports so ``benchmark.py --help`` and errors are quick."""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_SHAPE = (3, 32, 32)
NUM_CLASSES = 10
CIFAR10_TRAIN_SIZE = 50_000

SUITES = ("steps", "epochs", "jobs")

HAND_LOOP = "hand_loop"
BARE_LIGHTNING = "bare_lightning"
PEER = "peer"
TRAINLAB = "trainlab"
# What every timed path is compared with, in the tables and in the JSON's ``ratios``.
REFERENCES = (HAND_LOOP, BARE_LIGHTNING, PEER)
# trainlab variant → plan switches; "trainlab" is a default run. Steps suite only.
TRAINLAB_VARIANTS: dict[str, dict[str, bool]] = {
    TRAINLAB: {"grad_norms": True, "progress_bar": False},
    "trainlab_no_grad_norms": {"grad_norms": False, "progress_bar": False},
    "trainlab_progress_bar": {"grad_norms": True, "progress_bar": True},
}
STEP_PATHS = (*REFERENCES, *TRAINLAB_VARIANTS)
DEFAULT_STEP_PATHS = (*REFERENCES, TRAINLAB)
EPOCH_PATHS = (*REFERENCES, TRAINLAB)
# The jobs suite's probes, by group (see benchmarks/jobs.py); "sweeps" times two sweeps.
JOB_PROBES = ("imports", "help", "bad_input", "default_job", "single_job", "sweeps")


@dataclass(frozen=True)
class ModelDefaults:
    """A model's natural job: its data set's batch size, how many examples each suite uses, and
    the steps suite's window (timed and untimed steps)."""

    batch_size: int
    steps_samples: int
    epochs_samples: int
    steps: int
    warmup_steps: int


# mlp: the default job (data=multiclass, 4 → 64 → 64 → 3), in the shape of issue 17's user
# measurement (data.n_samples=100000: 938 training steps an epoch). cifar_cnn: CIFAR10's
# training-set size for steps; a tenth of it for whole epochs, so repeats stay short on 2 cores;
# fewer timed steps, each about 100 ms on one CPU thread.
MODELS: dict[str, ModelDefaults] = {
    "mlp": ModelDefaults(
        batch_size=64, steps_samples=100_000, epochs_samples=100_000, steps=900, warmup_steps=20
    ),
    "cifar_cnn": ModelDefaults(
        batch_size=128,
        steps_samples=CIFAR10_TRAIN_SIZE,
        epochs_samples=CIFAR10_TRAIN_SIZE // 10,
        steps=50,
        warmup_steps=10,
    ),
}


@dataclass(frozen=True)
class Workload:
    """What every path of a suite trains: model, data size, batch, precision, device, seed.

    ``samples`` is ``data.n_samples`` for the MLP's synthetic data (60 % of it trains), the
    number of random training images for the CNN's steps, and the number of images in the five
    CIFAR-format training files for the CNN's epochs (10 % of them held out for validation).
    """

    device: str = "cpu"
    model: str = "mlp"
    batch_size: int = 64
    samples: int = 100_000
    precision: str = "32-true"
    channels_last: bool = False
    compile: bool = False
    seed: int = 0


@dataclass(frozen=True)
class StepWindow:
    """Each run takes ``warmup_steps + steps + 1`` optimizer steps; only ``steps`` are timed.

    The window runs from the start of step ``warmup_steps`` to the start of step
    ``warmup_steps + steps``; the extra last step lets every clock stop at a batch start, where
    Lightning's own hooks can read it (see :mod:`benchmarks.clock`).
    """

    steps: int = 300
    warmup_steps: int = 20

    @property
    def total_steps(self) -> int:
        """Optimizer steps each path runs."""
        return self.warmup_steps + self.steps + 1


@dataclass(frozen=True)
class JobSweep:
    """The jobs suite's tiny jobs: the default job with ``samples`` examples for ``epochs``.

    Two sweeps of seed replicates time what each extra job costs: ``seed=0..more_jobs-1`` and
    its last ``jobs`` seeds, so each job of the small sweep runs again later in the large one;
    the single job runs seed ``more_jobs - 1`` alone. Each job must end on the same metrics
    wherever it ran.
    """

    jobs: int = 2
    more_jobs: int = 6
    samples: int = 200
    epochs: int = 1

    def overrides(self) -> tuple[str, ...]:
        """The command-line overrides that make a default job tiny."""
        return (f"data.n_samples={self.samples}", f"trainer.max_epochs={self.epochs}")
