"""Running one training across processes: which launches are refused, and SLURM's environment.

Lightning's ``ddp`` strategy re-executes the command line once per extra local process. Under
Hydra it appends ``hydra.run.dir=<this run's directory>`` and ``hydra.output_subdir=null``, so a
single run's ranks share one run directory; trainlab's records, loggers and checkpoints write on
rank 0 only. Under ``-m`` that re-execution would start the whole sweep again in every extra
process (Lightning issue 11300, Hydra issue 2070), so it is refused before training.
"""

from __future__ import annotations

import signal

import lightning as L
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from lightning.fabric.plugins.environments import SLURMEnvironment

from trainlab.errors import UnsupportedLaunch
from trainlab.lightning_state import processes_started_by_relaunch

MULTIRUN_DDP_MESSAGE = (
    "-m (multirun) cannot run DDP on {processes} processes per job (trainer.strategy=ddp): "
    "Lightning's DDP launcher re-runs this command line once per extra process, which would "
    "start the whole sweep again in each of them (Lightning issue 11300, Hydra issue 2070). "
    "Supported alternatives: trainer.strategy=ddp_spawn (starts the processes from inside the "
    "job, so local sweeps work); hydra/launcher=submitit_slurm with hydra.launcher.tasks_per_node "
    "equal to trainer.devices (SLURM starts one task per GPU); or one run at a time without -m."
)


def is_multirun() -> bool:
    """Whether this process runs a job of a Hydra sweep (``-m``)."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def check_launch(trainer: L.Trainer) -> None:
    """Refuse a Hydra sweep whose jobs would re-execute the command line to start DDP ranks."""
    processes = processes_started_by_relaunch(trainer)
    if processes >= 2 and is_multirun():
        raise UnsupportedLaunch(MULTIRUN_DDP_MESSAGE.format(processes=processes))


def cluster_plugins() -> list[SLURMEnvironment]:
    """Lightning's SLURM environment when running under SLURM, with auto-requeue on SIGUSR1.

    ``hydra/launcher=submitit_slurm`` asks SLURM for ``--signal=USR1@90``: Lightning then saves
    ``hpc_ckpt_<n>.ckpt`` in the run directory, requeues the job, and the requeued job resumes
    from it.
    """
    if not SLURMEnvironment.detect():
        return []
    return [SLURMEnvironment(auto_requeue=True, requeue_signal=signal.SIGUSR1)]
