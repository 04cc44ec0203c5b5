"""Data sources (synthetic regression/binary/multiclass data, CIFAR10) and their contract.

Importing this package imports neither Lightning nor torchvision: the sources are loaded on
first use, and the datamodule that serves a source to a Trainer is
:mod:`trainlab.data.datamodule`.
"""

from trainlab.lazy_exports import lazy_exports

__all__ = ["CIFAR10Data", "DataSource", "SyntheticData"]

__getattr__ = lazy_exports(
    __name__,
    {
        "CIFAR10Data": "trainlab.data.cifar10",
        "DataSource": "trainlab.data.source",
        "SyntheticData": "trainlab.data.synthetic",
    },
)
