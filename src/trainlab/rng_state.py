"""Global random-number-generator states, kept in checkpoints for exact resumption."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def global_rng_states() -> dict[str, Any]:
    """Python's, NumPy's and torch's (and CUDA's, once used) global RNG states.

    Lightning checkpoints the model, optimizer and loops but not these, so without them a
    resumed run would draw different random numbers (dropout, a user's augmentation) from the
    uninterrupted one. trainlab's own data order and augmentation need nothing: they depend only
    on (seed, epoch, step).

    Lightning's own ``_collect_rng_states`` keeps NumPy's state as an array, which torch's
    ``weights_only`` loading (Lightning's default for ``ckpt_path``) refuses; here every state
    is a tensor, an int or a tuple of ints.
    """
    kind, keys, position, has_gauss, cached_gauss = np.random.get_state()
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached_gauss),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["torch.cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_global_rng_states(states: dict[str, Any]) -> None:
    """Put back the states :func:`global_rng_states` returned."""
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached_gauss = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached_gauss))
    torch.set_rng_state(states["torch"])
    if "torch.cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["torch.cuda"])
