"""Batches sliced from tensors already in memory.

Written by hand because torch's DataLoader fetches and collates one sample at a time, which
costs more than a small model's whole step; here a batch is one ``index_select``. Lightning only
injects a ``DistributedSampler`` into real DataLoaders, so this loader shards by rank itself.
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


def distributed_rank_and_size() -> tuple[int, int]:
    """``(rank, world_size)`` of the initialised process group, ``(0, 1)`` without one."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class InMemoryBatchLoader:
    """Iterates over ``(inputs, targets)`` batches of equal-length tensors.

    ``shuffle=True`` draws a new :class:`EpochPermutation` order each epoch. The tensors may
    live on any device; the permutation is moved there once per epoch.

    Under distributed training each rank takes every ``world_size``-th position of the epoch's
    order, starting at its rank (as torch's ``DistributedSampler``; ``rank`` and ``world_size``
    default to the process group's). Shuffled (training) loaders give every rank the same number
    of examples, dropping at most ``world_size - 1`` per epoch (different ones each epoch),
    because DDP steps all ranks in lockstep; unshuffled (evaluation) loaders give each example to
    exactly one rank, so evaluation metrics synced across ranks cover the split exactly once.
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
        rank: int | None = None,
        world_size: int | None = None,
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
        default_rank, default_size = distributed_rank_and_size()
        self.rank = default_rank if rank is None else rank
        self.world_size = default_size if world_size is None else world_size
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank must be in [0, {self.world_size}), got {self.rank}")

    def shard_size(self) -> int:
        """How many examples this rank sees per epoch."""
        if self.sampler is not None:
            return len(self.inputs) // self.world_size
        return len(range(self.rank, len(self.inputs), self.world_size))

    def __len__(self) -> int:
        full, rest = divmod(self.shard_size(), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        examples = self.shard_size()
        count = len(self) * self.batch_size if self.drop_last else examples
        if self.sampler is None and self.world_size == 1:
            for start in range(0, count, self.batch_size):
                stop = min(start + self.batch_size, count)
                yield self.inputs[start:stop], self.targets[start:stop]
            return
        order = (
            self.sampler.indices() if self.sampler is not None else torch.arange(len(self.inputs))
        )
        order = order[self.rank : examples * self.world_size : self.world_size]
        order = order.to(self.inputs.device)
        for start in range(0, count, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.inputs.index_select(0, index), self.targets.index_select(0, index)
