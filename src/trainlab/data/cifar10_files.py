"""The ``cifar-10-batches-py`` folder: download, verify and read it into tensors.

File names, URL and MD5 checksums are torchvision's own (``torchvision.datasets.CIFAR10``); the
batches are read with one ``pickle.load`` each into a single uint8 tensor, not image by image.
"""

from __future__ import annotations

import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision.datasets import CIFAR10
from torchvision.datasets.utils import check_integrity, download_and_extract_archive

from trainlab.errors import ConfigError

IMAGE_SHAPE = (3, 32, 32)
NUM_CLASSES = 10
TRAIN_FILES = tuple(name for name, _ in CIFAR10.train_list)
TEST_FILE = CIFAR10.test_list[0][0]
META_FILE = CIFAR10.meta["filename"]
CHECKSUMS = {name: md5 for name, md5 in (*CIFAR10.train_list, *CIFAR10.test_list)} | {
    META_FILE: CIFAR10.meta["md5"]
}
_SKIPPED_CHECKSUMS = (
    "data.check_integrity=false: the MD5 checksums of {folder} were NOT verified; "
    "results may not be comparable with the official CIFAR10"
)


class CifarDataError(ConfigError):
    """The CIFAR10 folder is missing, incomplete, corrupt or not in the CIFAR batch format."""


@dataclass(frozen=True)
class CifarArrays:
    """The whole data set: uint8 images (N, 3, 32, 32) and int64 labels (N,) per split."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    class_names: tuple[str, ...]


def batches_folder(data_dir: str | Path) -> Path:
    """Where ``cifar-10-batches-py`` lives inside ``data_dir``."""
    return Path(data_dir) / CIFAR10.base_folder


def files_present(data_dir: str | Path) -> bool:
    """Whether every file of the folder exists (their contents are checked by :func:`verify`)."""
    folder = batches_folder(data_dir)
    return all((folder / name).is_file() for name in CHECKSUMS)


def download(data_dir: str | Path) -> None:
    """Fetch and unpack torchvision's CIFAR10 archive into ``data_dir`` (MD5 checked; archive removed)."""
    try:
        download_and_extract_archive(
            CIFAR10.url,
            str(data_dir),
            filename=CIFAR10.filename,
            md5=CIFAR10.tgz_md5,
            remove_finished=True,
        )
    # URLError is an OSError (offline, proxy, disk full); a bad archive MD5 is a RuntimeError.
    except (OSError, RuntimeError) as error:
        raise CifarDataError(
            f"downloading CIFAR10 from {CIFAR10.url} into {data_dir} failed: {error}. "
            f"Place an existing {CIFAR10.base_folder} folder there and set data.download=false"
        ) from None


def verify(data_dir: str | Path, *, download_enabled: bool, check_md5: bool) -> None:
    """Raise :class:`CifarDataError` naming the path and the fix unless the folder is usable.

    With ``check_md5=False`` only the layout is checked, and a warning says checksums were skipped.
    """
    folder = batches_folder(data_dir)
    if not folder.is_dir():
        fix = (
            "the download did not create it"
            if download_enabled
            else "set data.download=true to download it (170 MB), or point data.data_dir at the "
            f"folder that contains {CIFAR10.base_folder}"
        )
        raise CifarDataError(f"CIFAR10 folder {folder} does not exist; {fix}")
    for name, md5 in CHECKSUMS.items():
        path = folder / name
        if not path.is_file():
            raise CifarDataError(
                f"CIFAR10 file {path} is missing; the folder must hold "
                f"{', '.join(CHECKSUMS)}. Delete {folder} and set data.download=true to fetch a "
                "complete copy"
            )
        if check_md5 and not check_integrity(str(path), md5):
            raise CifarDataError(
                f"CIFAR10 file {path} fails its MD5 check (expected {md5}): it is corrupt or not "
                f"the official file. Delete {folder} and set data.download=true to fetch it again, "
                "or set data.check_integrity=false to use this copy as it is"
            )
    if not check_md5:
        warnings.warn(_SKIPPED_CHECKSUMS.format(folder=folder), UserWarning, stacklevel=2)


def load(data_dir: str | Path) -> CifarArrays:
    """Read the five training batches, the test batch and the class names, checking their format."""
    folder = batches_folder(data_dir)
    train = [_read_batch(folder / name) for name in TRAIN_FILES]
    test_images, test_labels = _read_batch(folder / TEST_FILE)
    return CifarArrays(
        train_images=torch.cat([images for images, _ in train]),
        train_labels=torch.cat([labels for _, labels in train]),
        test_images=test_images,
        test_labels=test_labels,
        class_names=_read_class_names(folder / META_FILE),
    )


def _unpickle(path: Path) -> dict[str, Any]:
    # latin1 as torchvision does: the official batches were pickled by Python 2.
    try:
        with path.open("rb") as file:
            content = pickle.load(file, encoding="latin1")
    except Exception as error:
        raise CifarDataError(
            f"CIFAR10 file {path} is not a valid CIFAR batch: it cannot be unpickled ({error})"
        ) from None
    if not isinstance(content, dict):
        raise CifarDataError(
            f"CIFAR10 file {path} is not a valid CIFAR batch: expected a dict, "
            f"got {type(content).__name__}"
        )
    return content


def _read_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    content = _unpickle(path)
    missing = [key for key in ("data", "labels") if key not in content]
    if missing:
        raise CifarDataError(
            f"CIFAR10 file {path} is not a valid CIFAR batch: keys {missing} are missing "
            f"(found {sorted(content)})"
        )
    data = np.asarray(content["data"])
    labels = np.asarray(content["labels"])
    pixels = int(np.prod(IMAGE_SHAPE))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != pixels:
        raise CifarDataError(
            f"CIFAR10 file {path} is not a valid CIFAR batch: 'data' must be uint8 of shape "
            f"(N, {pixels}), got {data.dtype} {data.shape}"
        )
    if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
        raise CifarDataError(
            f"CIFAR10 file {path} is not a valid CIFAR batch: 'labels' must be {len(data)} "
            f"integers, got {labels.dtype} {labels.shape}"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise CifarDataError(
            f"CIFAR10 file {path} is not a valid CIFAR batch: labels must lie in "
            f"0..{NUM_CLASSES - 1}, got {labels.min()}..{labels.max()}"
        )
    images = torch.from_numpy(data.reshape(-1, *IMAGE_SHAPE).copy())
    return images, torch.from_numpy(labels.astype(np.int64))


def _read_class_names(path: Path) -> tuple[str, ...]:
    content = _unpickle(path)
    names = content.get(CIFAR10.meta["key"])
    if not isinstance(names, list) or len(names) != NUM_CLASSES:
        raise CifarDataError(
            f"CIFAR10 file {path} is not a valid CIFAR meta file: '{CIFAR10.meta['key']}' must be "
            f"a list of {NUM_CLASSES} class names, got {names!r}"
        )
    return tuple(str(name) for name in names)
