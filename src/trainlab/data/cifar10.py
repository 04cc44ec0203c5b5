"""CIFAR10 as whole uint8 tensors, normalised and augmented batch by batch on the device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from trainlab.data import cifar10_files
from trainlab.data.cifar10_files import CifarArrays, CifarDataError
from trainlab.data.image_batches import normalize, random_crop, random_flip
from trainlab.data.source import DataSource, Split
from trainlab.data.splits import resolve_size, split_indices
from trainlab.tasks import Task

# Per-channel statistics of the 50,000 CIFAR10 training images (pixel values in 0..1).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
CROP_PADDING = 4
DEFAULT_DATA_DIR = Path("data")


class CIFAR10Data(DataSource):
    """CIFAR10 from a ``cifar-10-batches-py`` folder in ``data_dir`` (downloaded when missing).

    The files are verified and read in the constructor when present, so a bad folder fails before
    training; otherwise :meth:`prepare` downloads them. The five training batches are split into
    train/validation by ``seed``; the test batch is the test set. Images stay uint8 until
    :meth:`transform_batch`, which augments (training only) and normalises each batch on its
    device.

    Augmentation draws from a ``torch.Generator`` seeded by ``(seed, epoch, step)``, not from the
    global RNG, so it is the same in a rerun and in a run resumed from a checkpoint.
    """

    def __init__(
        self,
        seed: int = 0,
        data_dir: str | None = None,
        download: bool = True,
        check_integrity: bool = True,
        val_size: float = 5000,
        batch_size: int = 128,
        augment: bool = True,
    ) -> None:
        super().__init__(seed=seed, batch_size=batch_size)
        self.data_dir = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
        self.download = download
        self.check_integrity = check_integrity
        self.val_size = val_size
        self.augment = augment
        self._class_names: tuple[str, ...] = tuple(
            f"class_{i}" for i in range(cifar10_files.NUM_CLASSES)
        )
        self._arrays: CifarArrays | None = None
        self._generator: torch.Generator | None = None
        # Fail now, before any Trainer exists, unless the files are yet to be downloaded.
        if not download or cifar10_files.files_present(self.data_dir):
            self._read()

    @property
    def task(self) -> Task:
        """Ten classes."""
        return Task.MULTICLASS

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(3, 32, 32)``."""
        return cifar10_files.IMAGE_SHAPE

    @property
    def class_names(self) -> tuple[str, ...]:
        """From ``batches.meta`` once read (``airplane`` …); ``class_0`` … before a download."""
        return self._class_names

    def prepare(self) -> None:
        """Download the archive once when the folder is not there yet."""
        if self.download and not cifar10_files.files_present(self.data_dir):
            cifar10_files.download(self.data_dir)

    def load(self) -> dict[str, Split]:
        """Split the training images by ``seed``; the test batch is the test split."""
        arrays = self._arrays if self._arrays is not None else self._read()
        val_count = self._val_count(len(arrays.train_labels))
        val, train = split_indices(len(arrays.train_labels), [val_count], seed=self.seed + 1)
        self._arrays = None  # the splits hold copies; free the whole arrays
        return {
            "train": (arrays.train_images[train], arrays.train_labels[train]),
            "val": (arrays.train_images[val], arrays.train_labels[val]),
            "test": (arrays.test_images, arrays.test_labels),
        }

    def example_batch(self, size: int) -> Split:
        """The first training images; blank stand-ins of the same shape before a download."""
        if self._arrays is None:
            return (
                torch.zeros((size, *self.input_shape), dtype=torch.uint8),
                torch.zeros(size, dtype=torch.int64),
            )
        return self._arrays.train_images[:size], self._arrays.train_labels[:size]

    def transform_batch(
        self, inputs: torch.Tensor, *, training: bool, step: int, epoch: int
    ) -> torch.Tensor:
        """uint8 images → (augmented when training) normalised float32, on the batch's device."""
        if self.augment and training:
            generator = self._augment_generator(inputs.device, epoch, step)
            inputs = random_flip(random_crop(inputs, CROP_PADDING, generator), generator)
        return normalize(inputs, CIFAR10_MEAN, CIFAR10_STD)

    def _read(self) -> CifarArrays:
        cifar10_files.verify(
            self.data_dir, download_enabled=self.download, check_md5=self.check_integrity
        )
        self._arrays = cifar10_files.load(self.data_dir)
        self._class_names = self._arrays.class_names
        self._val_count(len(self._arrays.train_labels))
        return self._arrays

    def _val_count(self, total: int) -> int:
        try:
            return resolve_size(self.val_size, total, "data.val_size")
        except ValueError as error:
            raise CifarDataError(str(error)) from None

    def _augment_generator(self, device: torch.device, epoch: int, step: int) -> torch.Generator:
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
        state = np.random.SeedSequence((self.seed, epoch, step)).generate_state(1)[0]
        return self._generator.manual_seed(int(state))
