"""Data sources (synthetic data, CIFAR10, CSV files, scikit-learn's bundled sets) and their contract.

Importing this package imports neither Lightning nor torchvision: the sources are loaded on
first use, and the datamodule that serves a source to a Trainer is
:mod:`trainlab.data.datamodule`.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["BundledData", "CIFAR10Data", "CSVData", "DataSource", "SyntheticData"]

_LAZY = {
    "BundledData": "trainlab.data.bundled",
    "CIFAR10Data": "trainlab.data.cifar10",
    "CSVData": "trainlab.data.csv_table",
    "DataSource": "trainlab.data.source",
    "SyntheticData": "trainlab.data.synthetic",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'trainlab.data' has no attribute {name!r}")
