"""``scripts/benchmark.py``: trainlab's training path against a hand-written PyTorch loop.

:mod:`settings` names a workload and the variants; :mod:`workload` builds the shared model,
tensors and batch order; :mod:`hand_loop` and :mod:`trainlab_path` train them, timed by
:mod:`clock`; :mod:`throughput` alternates the paths and reports samples/s; :mod:`overhead`
splits a small synthetic run's wall time into start-up and training; :mod:`profile` sums py-spy
samples of real commands by category; :mod:`cli` is the script.
"""
