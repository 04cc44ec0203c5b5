"""trainlab: compare losses, activations and optimizers on Lightning, Hydra and TensorBoard.

``LOSSES``, ``ACTIVATIONS``, ``OPTIMIZERS`` and ``SCHEDULERS`` are imported on first use, so
importing the package (and ``scripts/train.py --help``) does not pay for importing torch.
"""

from trainlab.lazy_exports import lazy_exports

__all__ = ["ACTIVATIONS", "LOSSES", "OPTIMIZERS", "SCHEDULERS", "Registry"]

__getattr__ = lazy_exports(
    __name__,
    {
        "LOSSES": "trainlab.losses",
        "ACTIVATIONS": "trainlab.activations",
        "OPTIMIZERS": "trainlab.optimizers",
        "SCHEDULERS": "trainlab.optimizers",
        "Registry": "trainlab.registry",
    },
)
