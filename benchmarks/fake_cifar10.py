"""A data set of any size written in the exact ``cifar-10-batches-py`` format.

The tests read it as CIFAR10 without the 170 MB download; the epochs suite of ``benchmark.py``
trains on it, so its epochs read files, split, augment and normalise as a CIFAR10 run does.
Each class has its own smooth colour pattern, plus pixel noise, so the CIFAR CNN learns it in a
few dozen steps: a high accuracy proves files → tensors → normalisation → CNN → metrics.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

CLASS_NAMES = [f"shape{i}" for i in range(10)]
TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]


def class_patterns(seed: int = 0) -> np.ndarray:
    """(10, 3, 32, 32) float patterns in 0..1: random 4×4 colour grids upsampled smoothly."""
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand(10, 3, 4, 4, generator=generator)
    return F.interpolate(coarse, size=(32, 32), mode="bilinear", align_corners=False).numpy()


def make_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 (N, 3072) rows: each label's pattern plus uniform noise, in CIFAR's CHW order."""
    patterns = class_patterns()[labels]
    noisy = 0.6 * patterns + 0.4 * rng.random(patterns.shape)
    return (noisy * 255).round().astype(np.uint8).reshape(len(labels), -1)


def write_batch(path: Path, labels: np.ndarray, rng: np.random.Generator, name: str) -> None:
    """One pickled batch dict with CIFAR's keys."""
    content = {
        "batch_label": name,
        "labels": [int(label) for label in labels],
        "data": make_images(labels, rng),
        "filenames": [f"img_{i:05d}.png" for i in range(len(labels))],
    }
    path.write_bytes(pickle.dumps(content))


def write_cifar10(
    data_dir: Path, per_batch: int = 100, test_count: int = 200, seed: int = 0
) -> Path:
    """Write ``data_dir/cifar-10-batches-py`` (balanced classes); return ``data_dir``."""
    folder = data_dir / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for index, name in enumerate(TRAIN_FILES, start=1):
        labels = rng.permutation(np.arange(per_batch) % 10)
        write_batch(folder / name, labels, rng, f"training batch {index} of 5")
    test_labels = rng.permutation(np.arange(test_count) % 10)
    write_batch(folder / "test_batch", test_labels, rng, "testing batch 1 of 1")
    meta = {"label_names": CLASS_NAMES, "num_cases_per_batch": per_batch, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))
    return data_dir
