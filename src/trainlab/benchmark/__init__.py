"""``scripts/benchmark.py``: trainlab's training path against a hand-written PyTorch loop.

:mod:`workload` builds the shared model, tensors and batch order; :mod:`hand_loop` and
:mod:`trainlab_path` train them; :mod:`throughput` alternates the two and reports samples/s;
:mod:`overhead` splits a small synthetic run's wall time into start-up and training.
"""
