"""The one Lightning datamodule: any :class:`~trainlab.data.source.DataSource`, served in batches."""

from __future__ import annotations

import lightning as L
import torch

from trainlab.data.loaders import InMemoryBatchLoader
from trainlab.data.source import DataSource, Split


class InMemoryDataModule(L.LightningDataModule):
    """Serves a source's ``train``/``val``/``test`` splits from tensors on the training device.

    ``setup`` loads the splits once and moves them to the trainer's device (on a GPU the whole
    data set lives there, so batches are sliced, augmented and normalised without host copies).
    Training batches follow the (seed, epoch) order of :class:`InMemoryBatchLoader`; evaluation
    batches keep the split's order. After each batch reaches its device, the source's
    :meth:`~trainlab.data.source.DataSource.transform_batch` prepares the inputs.
    """

    def __init__(self, source: DataSource) -> None:
        super().__init__()
        self.source = source
        self.splits: dict[str, Split] = {}

    def prepare_data(self) -> None:
        self.source.prepare()

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        device = self.trainer.strategy.root_device if self.trainer else torch.device("cpu")
        self.splits = {
            name: (inputs.to(device), targets.to(device))
            for name, (inputs, targets) in self.source.load().items()
        }

    def train_dataloader(self) -> InMemoryBatchLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> InMemoryBatchLoader:
        return self._loader("val")

    def test_dataloader(self) -> InMemoryBatchLoader:
        return self._loader("test")

    def on_after_batch_transfer(self, batch: Split, dataloader_idx: int) -> Split:
        inputs, targets = batch
        if self.trainer is None:
            return self.source.transform_batch(inputs, training=False, step=0, epoch=0), targets
        inputs = self.source.transform_batch(
            inputs,
            training=self.trainer.training,
            step=self.trainer.global_step,
            epoch=self.trainer.current_epoch,
        )
        # Lightning casts float inputs for "bf16-true"/"64-true" before this hook, when uint8
        # images were not float yet; cast what the source made now (a no-op for 32-true and
        # mixed precision).
        return self.trainer.precision_plugin.convert_input(inputs), targets

    def _loader(self, split: str, shuffle: bool = False) -> InMemoryBatchLoader:
        inputs, targets = self.splits[split]
        return InMemoryBatchLoader(
            inputs, targets, self.source.batch_size, shuffle=shuffle, seed=self.source.seed
        )
