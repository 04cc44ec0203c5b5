"""Measuring trainlab: its training path against a hand-written PyTorch loop (``benchmark.py``).

Lives beside the package, not in it: :mod:`settings` names a workload and the variants;
:mod:`workload` builds the shared model, tensors and batch order; :mod:`hand_loop` and
:mod:`trainlab_path` train them, timed by :mod:`clock`; :mod:`throughput` alternates the paths
and reports samples/s; :mod:`cli` is the script.
"""
