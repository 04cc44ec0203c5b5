"""Batches sliced from tensors already in memory.

Written by hand because torch's DataLoader fetches and collates one sample at a time, which
costs more than a small model's whole step; here a batch is one ``index_select``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch


class EpochPermutation:
    """A shuffled order of ``n`` indices that depends only on (seed, epoch).

    Lightning calls ``set_epoch`` on a loader's ``sampler`` at each epoch start, so a rerun or a
    run resumed at epoch *k* sees exactly the orders of the uninterrupted run.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the order used by the next pass."""
        self.epoch = epoch

    def indices(self) -> torch.Tensor:
        """This epoch's permutation of ``range(n)``."""
        state = np.random.SeedSequence([self.seed, self.epoch]).generate_state(1)[0]
        generator = torch.Generator().manual_seed(int(state))
        return torch.randperm(self.n, generator=generator)


class InMemoryBatchLoader:
    """Iterates over ``(inputs, targets)`` batches of equal-length tensors.

    ``shuffle=True`` draws a new :class:`EpochPermutation` order each epoch. The tensors may
    live on any device; the permutation is moved there once per epoch.
    """

    def __init__(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if len(inputs) != len(targets):
            raise ValueError(
                f"inputs ({len(inputs)}) and targets ({len(targets)}) differ in length"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.inputs = inputs
        self.targets = targets
        self.batch_size = batch_size
        self.drop_last = drop_last
        # DataLoader's attribute names: Lightning calls ``sampler.set_epoch`` each epoch.
        self.sampler = EpochPermutation(len(inputs), seed) if shuffle else None
        self.batch_sampler = None

    def __len__(self) -> int:
        full, rest = divmod(len(self.inputs), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        count = len(self) * self.batch_size if self.drop_last else len(self.inputs)
        if self.sampler is None:
            for start in range(0, count, self.batch_size):
                stop = min(start + self.batch_size, count)
                yield self.inputs[start:stop], self.targets[start:stop]
            return
        order = self.sampler.indices().to(self.inputs.device)
        for start in range(0, count, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.inputs.index_select(0, index), self.targets.index_select(0, index)
