"""trainlab: compare losses, activations and optimizers on Lightning, Hydra and TensorBoard.

``LOSSES``, ``ACTIVATIONS``, ``OPTIMIZERS`` and ``SCHEDULERS`` are imported on first use, so
importing the package (and ``scripts/train.py --help``) does not pay for importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ACTIVATIONS", "LOSSES", "OPTIMIZERS", "SCHEDULERS", "Registry"]

_LAZY = {
    "LOSSES": "trainlab.losses",
    "ACTIVATIONS": "trainlab.activations",
    "OPTIMIZERS": "trainlab.optimizers",
    "SCHEDULERS": "trainlab.optimizers",
    "Registry": "trainlab.registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'trainlab' has no attribute {name!r}")
