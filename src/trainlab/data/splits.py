"""Train/validation/test sizes given as counts or fractions, and seeded splits."""

from __future__ import annotations

import torch


def resolve_size(value: float, total: int, name: str) -> int:
    """``value`` below 1 is a fraction of ``total``; 1 or more is a count."""
    if value <= 0:
        raise ValueError(f"{name} must be a count >= 1 or a fraction in (0, 1), got {value}")
    if value < 1:
        return max(1, round(value * total))
    if value != int(value):
        raise ValueError(f"{name} must be a whole count when >= 1, got {value}")
    if value >= total:
        raise ValueError(f"{name}={int(value)} leaves no training data out of {total} samples")
    return int(value)


def split_indices(total: int, sizes: list[int], seed: int) -> list[torch.Tensor]:
    """Shuffle ``range(total)`` with ``seed`` and cut it into ``sizes`` then the remainder."""
    if sum(sizes) >= total:
        raise ValueError(
            f"held-out sizes {sizes} use all {total} samples; nothing is left to train on"
        )
    order = torch.randperm(total, generator=torch.Generator().manual_seed(seed))
    parts = []
    start = 0
    for size in sizes:
        parts.append(order[start : start + size])
        start += size
    parts.append(order[start:])
    return parts
