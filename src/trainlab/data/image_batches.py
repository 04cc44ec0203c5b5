"""Normalisation and augmentation of whole uint8 image batches, on whatever device they are.

Hand-written because torchvision's ``RandomCrop``/``RandomHorizontalFlip`` draw one crop and one
flip for a whole batched tensor; here every image gets its own, in a few batched tensor ops.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn import functional as F
from torchvision.transforms.v2 import functional as TF


def normalize(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 (N, C, H, W) in 0..255 → float32 ``(x / 255 - mean) / std`` per channel."""
    return TF.normalize(images.float().div_(255), list(mean), list(std))


def random_crop(images: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Zero-pad by ``padding`` and cut one random (H, W) window per image (torchvision's RandomCrop)."""
    n, _, height, width = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))
    shape = (n, 1)
    top = torch.randint(0, 2 * padding + 1, shape, generator=generator, device=images.device)
    left = torch.randint(0, 2 * padding + 1, shape, generator=generator, device=images.device)
    return crop_at(padded, top, left, height, width)


def crop_at(
    images: torch.Tensor, top: torch.Tensor, left: torch.Tensor, height: int, width: int
) -> torch.Tensor:
    """The (height, width) window at (``top[i]``, ``left[i]``) of each image i; tops/lefts (N, 1)."""
    n, channels, _, full_width = images.shape
    rows = top + torch.arange(height, device=images.device)  # (N, H)
    cols = left + torch.arange(width, device=images.device)  # (N, W)
    # One gather over flattened pixels: 4x faster on CPU than indexing rows and columns.
    flat = (rows[:, :, None] * full_width + cols[:, None, :]).view(n, 1, height * width)
    windows = images.flatten(2).gather(2, flat.expand(n, channels, height * width))
    return windows.view(n, channels, height, width)


def random_flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2."""
    flip = torch.rand(len(images), generator=generator, device=images.device) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(3), images)
