"""Measuring trainlab (``benchmark.py``): its costs against a hand loop, bare Lightning and a peer.

Lives beside the package, not in it. :mod:`settings` names workloads, paths and suites (no torch,
so ``--help`` and argument errors are quick); :mod:`workload` builds the shared data and seeded
model from trainlab's own plan; the paths are :mod:`hand_loop` and :mod:`epoch_hand_loop` (plain
PyTorch), :mod:`lightning_paths` with :mod:`lightning_modules` (bare Lightning and the
lightning-hydra-template-style peer) and :mod:`trainlab_path` (the run trainlab plans and
builds), timed by :mod:`clock`; the suites :mod:`steps`, :mod:`epochs` and :mod:`jobs` interleave
their repeats and report medians (:mod:`report`); :mod:`cli` is the script;
:mod:`fake_cifar10` writes CIFAR-format files for the epochs suite and the tests.
"""
