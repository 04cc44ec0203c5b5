"""Global random-number-generator states saved in checkpoints, for exact resumption."""

from __future__ import annotations

import random
from typing import Any

import lightning as L
import numpy as np
import torch


class GlobalRNGState(L.Callback):
    """Stores Python's, NumPy's and torch's global RNG states in each checkpoint and restores them.

    Lightning checkpoints the model, optimizer and loops but not these, so without this a
    resumed run would draw different random numbers (dropout, augmentation) from the
    uninterrupted one. The data order needs nothing: it depends only on (seed, epoch).

    Lightning's own ``_collect_rng_states`` keeps NumPy's state as an array, which torch's
    ``weights_only`` loading (Lightning's default for ``ckpt_path``) refuses; here every state
    is a tensor, an int or a tuple of ints.
    """

    def state_dict(self) -> dict[str, Any]:
        kind, keys, position, has_gauss, cached_gauss = np.random.get_state()
        state: dict[str, Any] = {
            "python": random.getstate(),
            "numpy": (
                kind,
                torch.from_numpy(keys.astype(np.int64)),
                position,
                has_gauss,
                cached_gauss,
            ),
            "torch": torch.get_rng_state(),
        }
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["torch.cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        version, internal, gauss = state_dict["python"]
        random.setstate((version, tuple(internal), gauss))
        kind, keys, position, has_gauss, cached_gauss = state_dict["numpy"]
        np.random.set_state(
            (kind, keys.numpy().astype(np.uint32), position, has_gauss, cached_gauss)
        )
        torch.set_rng_state(state_dict["torch"])
        if "torch.cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["torch.cuda"])
