"""Data sources (synthetic regression/binary/multiclass data, CIFAR10) and their contract.

Importing this package imports neither Lightning nor torchvision: the sources are loaded on
first use, and the datamodule that serves a source to a Trainer is
:mod:`trainlab.data.datamodule`.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CIFAR10Data", "DataSource", "SyntheticData"]

_LAZY = {
    "CIFAR10Data": "trainlab.data.cifar10",
    "DataSource": "trainlab.data.source",
    "SyntheticData": "trainlab.data.synthetic",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'trainlab.data' has no attribute {name!r}")
