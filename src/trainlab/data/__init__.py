"""Datamodules: synthetic regression/binary/multiclass data and CIFAR10."""

from trainlab.data.cifar10 import CIFAR10DataModule
from trainlab.data.synthetic import SyntheticDataModule

__all__ = ["CIFAR10DataModule", "SyntheticDataModule"]
