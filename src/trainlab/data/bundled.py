"""Real data sets that ship inside scikit-learn (no download): digits, breast cancer, diabetes.

They need the ``sklearn`` extra (``pip install 'trainlab[sklearn]'``); scikit-learn is imported
only when one is chosen.
"""

from __future__ import annotations

import importlib

import torch

from trainlab.data.tabular import TabularData, encode_targets
from trainlab.errors import ConfigError

# name → (scikit-learn loader, task): 8×8 digit images (1797 × 64, 10 classes), breast cancer
# diagnoses (569 × 30, malignant/benign), diabetes progression after a year (442 × 10).
BUNDLED = {
    "digits": ("load_digits", "multiclass"),
    "breast_cancer": ("load_breast_cancer", "binary"),
    "diabetes": ("load_diabetes", "regression"),
}


class BundledData(TabularData):
    """scikit-learn's bundled data set ``name``, split and standardised as any table."""

    def __init__(
        self,
        name: str,
        seed: int = 0,
        val_size: float = 0.2,
        test_size: float = 0.2,
        batch_size: int = 64,
        standardize_target: bool = True,
    ) -> None:
        if name not in BUNDLED:
            raise ConfigError(f"data.name={name!r} is not one of: {', '.join(BUNDLED)}")
        loader, task = BUNDLED[name]
        try:
            datasets = importlib.import_module("sklearn.datasets")
        except ImportError:
            raise ConfigError(
                f"data={name} needs scikit-learn: pip install 'trainlab[sklearn]'"
            ) from None
        bunch = getattr(datasets, loader)()
        labels = [str(value) for value in bunch.target.tolist()]
        targets = encode_targets(labels, task, f"the {name} target")
        super().__init__(
            features=torch.tensor(bunch.data, dtype=torch.float64),
            targets=targets,
            seed=seed,
            val_size=val_size,
            test_size=test_size,
            batch_size=batch_size,
            standardize_target=standardize_target,
        )
        self.name = name
