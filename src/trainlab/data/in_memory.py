"""Base datamodule for data held whole in tensors: one batch loader per split."""

from __future__ import annotations

import lightning as L
import torch

from trainlab.data.loaders import InMemoryBatchLoader


class InMemoryDataModule(L.LightningDataModule):
    """Serves ``splits`` (``"train"``, ``"val"``, ``"test"`` → inputs, targets) in batches.

    Subclasses fill :attr:`splits` in ``setup``. Training batches follow the (seed, epoch)
    order of :class:`InMemoryBatchLoader`; evaluation batches keep the split's order.
    """

    def __init__(self, seed: int, batch_size: int) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"data.batch_size must be >= 1, got {batch_size}")
        self.seed = seed
        self.batch_size = batch_size
        self.splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def train_dataloader(self) -> InMemoryBatchLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> InMemoryBatchLoader:
        return self._loader("val")

    def test_dataloader(self) -> InMemoryBatchLoader:
        return self._loader("test")

    def _loader(self, split: str, shuffle: bool = False) -> InMemoryBatchLoader:
        inputs, targets = self.splits[split]
        return InMemoryBatchLoader(
            inputs, targets, self.batch_size, shuffle=shuffle, seed=self.seed
        )
