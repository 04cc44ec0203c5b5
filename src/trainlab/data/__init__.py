"""Datamodules: synthetic regression/binary/multiclass data and CIFAR10."""

from trainlab.data.synthetic import SyntheticDataModule

__all__ = ["SyntheticDataModule"]
