"""Data sources (synthetic data, CIFAR10, CSV files, scikit-learn's bundled sets) and their contract.

Importing this package imports neither Lightning nor torchvision: the sources are loaded on
first use, and the datamodule that serves a source to a Trainer is
:mod:`trainlab.data.datamodule`.
"""

from trainlab.lazy_exports import lazy_exports

__all__ = ["BundledData", "CIFAR10Data", "CSVData", "DataSource", "SyntheticData"]

__getattr__ = lazy_exports(
    __name__,
    {
        "BundledData": "trainlab.data.bundled",
        "CIFAR10Data": "trainlab.data.cifar10",
        "CSVData": "trainlab.data.csv_table",
        "DataSource": "trainlab.data.source",
        "SyntheticData": "trainlab.data.synthetic",
    },
)
