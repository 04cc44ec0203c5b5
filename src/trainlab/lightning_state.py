"""The questions trainlab asks of Lightning's private state, in one place.

Lightning offers no public API for these; when a Lightning release moves one, only this module
changes (the tests exercise each through a real Trainer).
"""

from __future__ import annotations

import lightning as L
from lightning.pytorch.strategies.launchers import _SubprocessScriptLauncher


def is_logging_step(trainer: L.Trainer) -> bool:
    """Whether Lightning writes logs at this training step (every ``log_every_n_steps``).

    The same flag gates Lightning's own ``LearningRateMonitor``.
    """
    return trainer._logger_connector.should_update_logs


def logger_step(trainer: L.Trainer) -> int:
    """The step Lightning's logger connector writes this batch's metrics at."""
    return trainer.fit_loop.epoch_loop._batches_that_stepped


def stop_as_if_sigterm(trainer: L.Trainer) -> None:
    """Make Lightning stop after this batch exactly as when it receives SIGTERM itself."""
    trainer._signal_connector.received_sigterm = True


def processes_started_by_relaunch(trainer: L.Trainer) -> int:
    """How many processes Lightning starts by re-running the command line; 0 if it does not.

    Lightning's ``ddp`` strategy starts its extra local processes by re-executing ``sys.argv``
    unless a cluster (SLURM, torchrun) started them.
    """
    launcher = trainer.strategy.launcher
    if not isinstance(launcher, _SubprocessScriptLauncher):
        return 0
    if launcher.cluster_environment.creates_processes_externally:
        return 0
    return launcher.num_processes
