"""trainlab's Hydra sweepers (``hydra/sweeper=trainlab``, ``hydra/sweeper=trainlab_optuna``).

Hydra instantiates sweepers only from the ``hydra_plugins`` package, so the plugins are declared
here; they are implemented in :mod:`trainlab.sweeps`.
"""
