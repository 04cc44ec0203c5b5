"""CIFAR10: verified batch files → uint8 tensors → device-side normalisation/augmentation → CNN."""

from __future__ import annotations

import pickle
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from omegaconf import DictConfig
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torchvision.transforms.v2 import functional as TF

from benchmarks.fake_cifar10 import CLASS_NAMES, write_cifar10
from tests.conftest import built, compose_config
from tests.subprocess_runs import TRAIN, run_script
from trainlab.build import build_module
from trainlab.data import CIFAR10Data
from trainlab.data.cifar10 import CIFAR10_MEAN, CIFAR10_STD
from trainlab.data.cifar10_files import CifarDataError
from trainlab.data.datamodule import InMemoryDataModule
from trainlab.data.image_batches import crop_at, normalize, random_crop, random_flip
from trainlab.data.loaders import EpochPermutation
from trainlab.errors import ConfigError
from trainlab.plan import RunPlan, plan
from trainlab.tasks import Task

SKIPPED_WARNING = "checksums of .* were NOT verified"
needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """500 training images (5 batches of 100) and 200 test images."""
    return write_cifar10(tmp_path / "cifar")


def source(data_dir: Path, **kwargs: object) -> CIFAR10Data:
    """An offline source over the generated copy (whose checksums cannot match)."""
    options = {"download": False, "check_integrity": False, "val_size": 100, **kwargs}
    with pytest.warns(UserWarning, match=SKIPPED_WARNING):
        return CIFAR10Data(data_dir=str(data_dir), **options)


def cifar_plan(data_dir: Path, run_dir: Path, *overrides: str) -> RunPlan:
    """The plan of ``cifar_config`` (its checksum warning expected)."""
    with pytest.warns(UserWarning, match=SKIPPED_WARNING):
        return plan(cifar_config(data_dir, *overrides), run_dir)


def cifar_config(data_dir: Path, *overrides: str) -> DictConfig:
    """The real composed config for ``data=cifar10 model=cifar_cnn`` over the generated copy."""
    return compose_config(
        "data=cifar10",
        "model=cifar_cnn",
        f"data.data_dir={data_dir}",
        "data.download=false",
        "data.check_integrity=false",
        "data.val_size=100",
        "data.batch_size=50",
        "trainer.accelerator=cpu",
        "trainer.enable_progress_bar=false",
        *overrides,
        fast=False,
    )


def batch_file(data_dir: Path, name: str) -> Path:
    return data_dir / "cifar-10-batches-py" / name


def test_batches_are_read_once_into_uint8_tensors(data_dir: Path) -> None:
    data = source(data_dir)
    splits = data.load()
    train_images, train_labels = splits["train"]
    val_images, _ = splits["val"]
    test_images, test_labels = splits["test"]
    assert train_images.dtype == torch.uint8 and train_labels.dtype == torch.int64
    assert train_images.shape == (400, 3, 32, 32) and val_images.shape == (100, 3, 32, 32)
    assert test_images.shape == (200, 3, 32, 32)
    assert data.class_names == tuple(CLASS_NAMES)
    assert (data.task, data.input_shape, data.num_outputs) == (Task.MULTICLASS, (3, 32, 32), 10)
    raw = pickle.loads(batch_file(data_dir, "test_batch").read_bytes())
    assert torch.equal(test_images, torch.from_numpy(raw["data"]).reshape(-1, 3, 32, 32))
    assert test_labels.tolist() == raw["labels"]


def test_val_size_fraction_holds_out_that_share(data_dir: Path) -> None:
    splits = source(data_dir, val_size=0.1).load()
    assert len(splits["val"][0]) == 50 and len(splits["train"][0]) == 450


def test_split_follows_the_seed(data_dir: Path) -> None:
    def val_images(seed: int) -> torch.Tensor:
        return source(data_dir, seed=seed).load()["val"][0]

    assert torch.equal(val_images(3), val_images(3))
    assert not torch.equal(val_images(3), val_images(4))


def test_missing_folder_without_download_names_path_and_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(CifarDataError, match=r"nowhere/cifar-10-batches-py does not exist") as info:
        CIFAR10Data(data_dir=str(missing), download=False)
    assert "data.download=true" in str(info.value) and "data.data_dir" in str(info.value)


def test_missing_folder_with_download_defers_to_prepare_data(tmp_path: Path) -> None:
    data = CIFAR10Data(data_dir=str(tmp_path / "later"), download=True)
    assert data.class_names[0] == "class_0"
    inputs, targets = data.example_batch(2)  # stand-ins until the download
    assert inputs.shape == (2, 3, 32, 32) and inputs.dtype == torch.uint8 and len(targets) == 2


def test_missing_file_is_named(data_dir: Path) -> None:
    batch_file(data_dir, "data_batch_3").unlink()
    with pytest.raises(CifarDataError, match=r"cifar-10-batches-py/data_batch_3 is missing"):
        CIFAR10Data(data_dir=str(data_dir), download=False, check_integrity=False)


def test_checksums_reject_a_copy_unless_integrity_checks_are_off(data_dir: Path) -> None:
    with pytest.raises(CifarDataError, match=r"data_batch_1 fails its MD5 check") as info:
        CIFAR10Data(data_dir=str(data_dir), download=False)
    assert "data.check_integrity=false" in str(info.value)
    assert source(data_dir).class_names == tuple(CLASS_NAMES)  # warns, then accepts it


@pytest.mark.filterwarnings("ignore:data.check_integrity=false")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a pickle", "it cannot be unpickled"),
        (pickle.dumps([1, 2]), "expected a dict, got list"),
        (pickle.dumps({"data": np.zeros((2, 3072), np.uint8)}), r"keys \['labels'\] are missing"),
        (
            pickle.dumps({"data": np.zeros((2, 1024), np.uint8), "labels": [0, 1]}),
            r"'data' must be uint8 of shape \(N, 3072\), got uint8 \(2, 1024\)",
        ),
        (
            pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 10]}),
            r"labels must lie in 0..9, got 0..10",
        ),
    ],
)
def test_invalid_batch_is_refused(data_dir: Path, content: bytes, message: str) -> None:
    batch_file(data_dir, "data_batch_2").write_bytes(content)
    with pytest.raises(
        CifarDataError, match=rf"data_batch_2 is not a valid CIFAR batch: {message}"
    ):
        CIFAR10Data(data_dir=str(data_dir), download=False, check_integrity=False)


def test_data_errors_are_config_errors_raised_by_the_plan(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        plan(cifar_config(tmp_path / "absent"), tmp_path / "run")


def test_normalisation_uses_cifar_statistics(data_dir: Path) -> None:
    dm = InMemoryDataModule(source(data_dir, augment=True))
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    labels = torch.arange(4)
    # No trainer attached, so not training: normalised only, never augmented.
    normalised, same_labels = dm.on_after_batch_transfer((images, labels), 0)
    expected = TF.normalize(images.float() / 255, list(CIFAR10_MEAN), list(CIFAR10_STD))
    assert normalised.dtype == torch.float32 and same_labels is labels
    torch.testing.assert_close(normalised, expected)


def test_crop_matches_torchvision_crop_of_the_padded_image() -> None:
    images = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    padded = torch.nn.functional.pad(images, (4, 4, 4, 4))
    top, left = torch.tensor([[0], [3], [8]]), torch.tensor([[8], [1], [0]])
    cropped = crop_at(padded, top, left, 32, 32)
    for i in range(3):
        expected = TF.crop(padded[i], int(top[i]), int(left[i]), 32, 32)
        assert torch.equal(cropped[i], expected)


def test_augmentation_is_per_image_and_reproducible() -> None:
    images = torch.arange(64 * 3 * 32 * 32, dtype=torch.float32).reshape(64, 3, 32, 32)

    def augment(seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        return random_flip(random_crop(images, 4, generator), generator)

    first = augment(0)
    assert first.shape == images.shape
    assert torch.equal(first, augment(0)) and not torch.equal(first, augment(1))
    unchanged = (first == images).flatten(1).all(1)
    assert 0 < int(unchanged.sum()) < 16  # most images moved, each by its own draw


def test_channels_last_and_compile_options_build_the_same_network(
    data_dir: Path, tmp_path: Path
) -> None:
    module = build_module(
        cifar_plan(data_dir, tmp_path / "a", "model.channels_last=true", "compile=true")
    )
    plain = build_module(cifar_plan(data_dir, tmp_path / "b"))
    assert module.model._compiled_call_impl is not None
    conv = module.model.layers.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert list(module.class_report.class_names) == CLASS_NAMES
    plain.model.load_state_dict(module.model.state_dict())  # same names: compile is in place
    images = torch.randn(2, 3, 32, 32)
    # .forward() runs eagerly (calling the module would compile it, which is slow on CPU).
    torch.testing.assert_close(module.model.forward(images), plain.model(images))


@pytest.mark.slow
def test_cli_run_learns_the_patterns_and_logs_the_class_report(
    data_dir: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    result = run_script(
        TRAIN,
        "data=cifar10",
        "model=cifar_cnn",
        f"data.data_dir={data_dir}",
        "data.download=false",
        "data.check_integrity=false",
        "data.val_size=100",
        "data.batch_size=50",
        "data.augment=false",
        "optimizer=adam",
        "optimizer.lr=0.003",
        "trainer.max_epochs=3",
        "trainer.accelerator=cpu",
        "trainer.enable_progress_bar=false",
        "trainer.log_every_n_steps=4",
        f"hydra.run.dir={run_dir}",
    )
    assert result.returncode == 0, result.stderr
    assert "checksums of" in result.stderr and "NOT verified" in result.stderr
    events = EventAccumulator(str(run_dir), size_guidance={"images": 0})
    events.Reload()
    scalars = events.Tags()["scalars"]
    assert events.Scalars("test/acc")[-1].value >= 0.9
    for name in CLASS_NAMES:
        assert events.Scalars(f"test/acc_class/{name}")[-1].value >= 0.75, name
    image = events.Images("test/confusion_matrix")[-1]
    # Ten classes: 8 inches at 100 dpi, so every label and count stays legible.
    assert (image.width, image.height) == (800, 800)
    assert image.encoded_image_string.startswith(b"\x89PNG")
    assert "val/acc" in scalars


# A CIFAR10 folder that is not there, named on the command line: tests/test_bad_input.py.


Batch = tuple[torch.Tensor, torch.Tensor]


class FirstBatches(L.Callback):
    """Keeps the first training and validation inputs as the module receives them."""

    def __init__(self) -> None:
        self.inputs: dict[str, torch.Tensor] = {}

    def on_train_batch_start(
        self, trainer: L.Trainer, module: L.LightningModule, batch: Batch, batch_idx: int
    ) -> None:
        self.inputs.setdefault("train", batch[0].clone())

    def on_validation_batch_start(
        self,
        trainer: L.Trainer,
        module: L.LightningModule,
        batch: Batch,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self.inputs.setdefault("val", batch[0].clone())


def fit_one_short_epoch(
    data_dir: Path, run_dir: Path, *overrides: str
) -> tuple[InMemoryDataModule, L.Trainer, FirstBatches]:
    """Fit one epoch (one validation batch, no logger or checkpoints) recording first batches."""
    parts = built(
        cifar_plan(
            data_dir,
            run_dir,
            *overrides,
            "trainer.max_epochs=1",
            "trainer.limit_val_batches=1",
            "logger=none",
            "checkpoint.enabled=false",
        )
    )
    batches = FirstBatches()
    parts.trainer.callbacks.append(batches)
    parts.trainer.fit(parts.module, datamodule=parts.datamodule)
    return parts.datamodule, parts.trainer, batches


@pytest.mark.slow
def test_augmentation_changes_training_batches_only_and_is_reproducible(
    data_dir: Path, tmp_path: Path
) -> None:
    def fit(name: str) -> tuple[InMemoryDataModule, torch.Tensor, dict[str, torch.Tensor]]:
        dm, trainer, batches = fit_one_short_epoch(
            data_dir, tmp_path / name, "data.augment=true", "trainer.limit_train_batches=3"
        )
        weights = trainer.lightning_module.model.layers.conv1.weight.detach().clone()
        return dm, weights, batches.inputs

    dm, weights, inputs = fit("a")
    _, weights_again, inputs_again = fit("b")
    assert torch.equal(weights, weights_again)
    assert torch.equal(inputs["train"], inputs_again["train"])
    train_images, _ = dm.splits["train"]
    first_batch = train_images[EpochPermutation(len(train_images), seed=42).indices()[:50]]
    assert inputs["train"].dtype == torch.float32 and inputs["train"].shape == (50, 3, 32, 32)
    assert not torch.equal(inputs["train"], normalize(first_batch, CIFAR10_MEAN, CIFAR10_STD))
    val_batch = dm.splits["val"][0][:50]
    assert torch.equal(inputs["val"], normalize(val_batch, CIFAR10_MEAN, CIFAR10_STD))


@pytest.mark.slow
def test_true_precision_gets_inputs_in_its_dtype(data_dir: Path, tmp_path: Path) -> None:
    _, trainer, batches = fit_one_short_epoch(
        data_dir, tmp_path, "trainer.precision=64-true", "trainer.limit_train_batches=2"
    )
    assert batches.inputs["train"].dtype == torch.float64
    assert torch.isfinite(trainer.callback_metrics["train/loss_epoch"])


@pytest.mark.gpu
@needs_gpu
def test_gpu_keeps_the_data_on_the_device_and_trains_in_bf16(
    data_dir: Path, tmp_path: Path
) -> None:
    parts = built(
        cifar_plan(
            data_dir,
            tmp_path,
            "model.channels_last=true",
            "trainer.max_epochs=1",
            "trainer.accelerator=gpu",
            "trainer.devices=1",
            "trainer.precision=bf16-mixed",
            "logger=none",
            "checkpoint.enabled=false",
        )
    )
    trainer, dm = parts.trainer, parts.datamodule
    trainer.fit(parts.module, datamodule=dm)
    images, labels = dm.splits["train"]
    assert images.is_cuda and labels.is_cuda and images.dtype == torch.uint8
    assert torch.isfinite(trainer.callback_metrics["train/loss_epoch"])
