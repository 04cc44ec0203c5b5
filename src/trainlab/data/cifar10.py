"""CIFAR10 as whole uint8 tensors, sliced into batches on the training device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from trainlab.data import cifar10_files
from trainlab.data.cifar10_files import CifarArrays, CifarDataError
from trainlab.data.image_batches import normalize, random_crop, random_flip
from trainlab.data.in_memory import InMemoryDataModule
from trainlab.data.splits import resolve_size, split_indices
from trainlab.paths import PROJECT_ROOT
from trainlab.tasks import Task

# Per-channel statistics of the 50,000 CIFAR10 training images (pixel values in 0..1).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
CROP_PADDING = 4
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"


class CIFAR10DataModule(InMemoryDataModule):
    """CIFAR10 from a ``cifar-10-batches-py`` folder in ``data_dir`` (downloaded when missing).

    The files are verified and read in the constructor when present, so a bad folder fails before
    training; otherwise ``prepare_data`` downloads them. The five training batches are split into
    train/validation by ``seed``; the test batch is the test set. Images stay uint8 until
    :meth:`on_after_batch_transfer`, which augments (training only) and normalises each batch on
    the device. On a GPU the whole data set is moved there once, in :meth:`setup`.

    Augmentation draws from a ``torch.Generator`` seeded by ``(seed, epoch, global_step)``, not
    from the global RNG, so it is the same in a rerun and in a run resumed from a checkpoint.
    """

    task = Task.MULTICLASS
    input_shape = cifar10_files.IMAGE_SHAPE
    num_outputs = cifar10_files.NUM_CLASSES

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
        self.class_names: tuple[str, ...] = tuple(f"class_{i}" for i in range(self.num_outputs))
        self._arrays: CifarArrays | None = None
        self._generator: torch.Generator | None = None
        # Fail now, before any Trainer exists, unless the files are yet to be downloaded.
        if not download or cifar10_files.files_present(self.data_dir):
            self._read()

    def prepare_data(self) -> None:
        """Download the archive once when the folder is not there yet."""
        if self.download and not cifar10_files.files_present(self.data_dir):
            cifar10_files.download(self.data_dir)

    def setup(self, stage: str | None = None) -> None:
        """Split the training images by ``seed`` and put every split on the trainer's device."""
        if self.splits:
            return
        arrays = self._arrays if self._arrays is not None else self._read()
        val_count = self._val_count(len(arrays.train_labels))
        val, train = split_indices(len(arrays.train_labels), [val_count], seed=self.seed + 1)
        device = self._device()
        for name, images, labels in (
            ("train", arrays.train_images[train], arrays.train_labels[train]),
            ("val", arrays.train_images[val], arrays.train_labels[val]),
            ("test", arrays.test_images, arrays.test_labels),
        ):
            self.splits[name] = (images.to(device), labels.to(device))
        self._arrays = None  # the splits hold copies; free the host arrays

    def on_after_batch_transfer(
        self, batch: tuple[torch.Tensor, torch.Tensor], dataloader_idx: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 images → (augmented when training) normalised floats, on the batch's device."""
        images, labels = batch
        if self.trainer is None:
            return normalize(images, CIFAR10_MEAN, CIFAR10_STD), labels
        if self.augment and self.trainer.training:
            generator = self._augment_generator(images.device)
            images = random_flip(random_crop(images, CROP_PADDING, generator), generator)
        # Lightning casts float inputs for "bf16-true"/"64-true" before this hook, when they were
        # still uint8; cast the normalised floats now (a no-op for 32-true and mixed precision).
        inputs = self.trainer.precision_plugin.convert_input(
            normalize(images, CIFAR10_MEAN, CIFAR10_STD)
        )
        return inputs, labels

    def _read(self) -> CifarArrays:
        cifar10_files.verify(
            self.data_dir, download_enabled=self.download, check_md5=self.check_integrity
        )
        self._arrays = cifar10_files.load(self.data_dir)
        self.class_names = self._arrays.class_names
        self._val_count(len(self._arrays.train_labels))
        return self._arrays

    def _val_count(self, total: int) -> int:
        try:
            return resolve_size(self.val_size, total, "data.val_size")
        except ValueError as error:
            raise CifarDataError(str(error)) from None

    def _device(self) -> torch.device:
        if self.trainer is None:
            return torch.device("cpu")
        return self.trainer.strategy.root_device

    def _augment_generator(self, device: torch.device) -> torch.Generator:
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
        step = (self.seed, self.trainer.current_epoch, self.trainer.global_step)
        state = np.random.SeedSequence(step).generate_state(1)[0]
        return self._generator.manual_seed(int(state))
