"""Which process of a launch this is, read from the launchers' environment without Lightning.

A run's plan needs this before Lightning is imported: extra DDP processes join the run folder
that the first process claimed, instead of claiming it themselves.
"""

from __future__ import annotations

import os

# The variables Lightning reads, in its order (lightning.fabric.utilities.rank_zero._get_rank):
# torchrun and Lightning's own launcher set RANK/LOCAL_RANK, SLURM sets SLURM_PROCID, LSF
# JSM_NAMESPACE_RANK. A test checks both agree.
RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")


def launch_rank() -> int:
    """This process's global rank as the launcher set it; 0 without a launcher."""
    for key in RANK_VARIABLES:
        value = os.environ.get(key)
        if value is not None:
            return int(value)
    return 0


def slurm_requeued() -> bool:
    """Whether SLURM requeued this job (Lightning's auto-requeue): it continues in its folder.

    Lightning restores the ``hpc_ckpt_<n>.ckpt`` it saved before the requeue by itself.
    """
    return int(os.environ.get("SLURM_RESTART_COUNT", "0")) > 0
