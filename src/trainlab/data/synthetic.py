"""Synthetic regression, binary and multiclass data from a random teacher, fully seeded."""

from __future__ import annotations

import torch

from trainlab.data.source import DataSource, Split
from trainlab.data.splits import resolve_size, split_indices
from trainlab.tasks import Task

_TEACHER_HIDDEN = 16


class SyntheticData(DataSource):
    """``X ~ U(0, 1)^(n_samples × n_features)`` and targets from a random teacher.

    The teacher is linear (``(X - 0.5) @ W``) or, with ``nonlinear=True``, a random one-hidden-layer
    tanh network. Its scores are standardised, ``noise`` × N(0, 1) is added, then: regression keeps
    the value, binary thresholds at 0, multiclass takes the argmax over ``n_classes`` scores.
    Everything (data, teacher, split) is drawn from ``seed``.
    """

    def __init__(
        self,
        task: str,
        seed: int = 0,
        n_samples: int = 2000,
        n_features: int = 4,
        n_classes: int = 3,
        noise: float = 0.1,
        nonlinear: bool = False,
        val_size: float = 0.2,
        test_size: float = 0.2,
        batch_size: int = 64,
    ) -> None:
        super().__init__(seed=seed, batch_size=batch_size)
        self._task = _parse_task(task)
        _check_positive("data.n_samples", n_samples, minimum=3)
        _check_positive("data.n_features", n_features)
        if self._task is Task.MULTICLASS:
            _check_positive("data.n_classes", n_classes, minimum=2)
        if noise < 0:
            raise ValueError(f"data.noise must be >= 0, got {noise}")
        self.n_samples = n_samples
        self.n_features = n_features
        self.n_classes = n_classes if self._task is Task.MULTICLASS else None
        self.noise = noise
        self.nonlinear = nonlinear
        self.val_count = resolve_size(val_size, n_samples, "data.val_size")
        self.test_count = resolve_size(test_size, n_samples, "data.test_size")
        if self.val_count + self.test_count >= n_samples:
            raise ValueError(
                f"data.val_size ({self.val_count}) + data.test_size ({self.test_count}) leave no "
                f"training data out of data.n_samples={n_samples}"
            )

    @property
    def task(self) -> Task:
        """The task given as ``data.task``."""
        return self._task

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(n_features,)``."""
        return (self.n_features,)

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """``class_0`` … for multiclass data."""
        if self.n_classes is None:
            return None
        return tuple(f"class_{i}" for i in range(self.n_classes))

    def load(self) -> dict[str, Split]:
        """Generate the data set and split it by ``seed``."""
        inputs, targets = self.generate()
        val, test, train = split_indices(
            self.n_samples, [self.val_count, self.test_count], seed=self.seed + 1
        )
        return {
            name: (inputs[index], targets[index])
            for name, index in (("train", train), ("val", val), ("test", test))
        }

    def generate(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All ``n_samples`` inputs and targets, before splitting."""
        generator = torch.Generator().manual_seed(self.seed)
        inputs = torch.rand(self.n_samples, self.n_features, generator=generator)
        n_scores = self.n_classes if self.task is Task.MULTICLASS else 1
        centred = inputs - 0.5
        if self.nonlinear:
            hidden = torch.randn(self.n_features, _TEACHER_HIDDEN, generator=generator)
            centred = torch.tanh(3.0 * centred @ hidden)
        weights = torch.randn(centred.shape[1], n_scores, generator=generator)
        scores = centred @ weights
        scores = (scores - scores.mean(0)) / scores.std(0)
        scores = scores + self.noise * torch.randn(scores.shape, generator=generator)
        if self.task is Task.MULTICLASS:
            return inputs, scores.argmax(dim=1)
        if self.task is Task.BINARY:
            return inputs, (scores[:, 0] > 0).float()
        return inputs, scores[:, 0]


def _parse_task(task: str) -> Task:
    try:
        return Task(task)
    except ValueError:
        allowed = ", ".join(t.value for t in Task)
        raise ValueError(f"data.task must be one of {allowed}; got {task!r}") from None


def _check_positive(name: str, value: int, minimum: int = 1) -> None:
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
