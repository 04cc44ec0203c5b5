"""``python scripts/train.py [overrides]``: one run, or a sweep with ``-m``."""

from __future__ import annotations

import logging
import math
import signal
import sys
import warnings
from pathlib import Path

import hydra
from omegaconf import DictConfig

from trainlab.cli.console import route_lightning_logs
from trainlab.config.schema import register_schema
from trainlab.errors import ConfigError, DivergedError, RunInterrupted, UnsupportedLaunch
from trainlab.paths import CONFIG_DIR

log = logging.getLogger("trainlab")

register_schema()
# conf/hydra/launcher/submitit_slurm.yaml deliberately shadows the submitit plugin's config of the
# same name, to be validated against it; Hydra warns about that matching on every launch.
warnings.filterwarnings(
    "ignore", message=r"\s*'hydra/launcher/submitit_slurm' is validated against"
)


@hydra.main(config_path=str(CONFIG_DIR), config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    """Train one configuration; return the monitored metric (for Hydra sweepers).

    Exit codes: 2 for bad input (nothing trained), 3 when training diverged, 143 when SIGTERM
    stopped it (state saved for ``rerun.py RUN_DIR --resume``). In a sweep a failing job is
    recorded in its ``run.json`` and returns NaN, so the other jobs still run and
    :class:`~trainlab.cli.sweep_report.SweepFailureReport` lists the failures at the end.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from trainlab.config.checks import check_config

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    in_sweep = HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        # Before Lightning is imported (seconds): a bad value costs a message, not the wait.
        check_config(cfg, run_dir)
    except ConfigError as error:
        return _stop(error, cfg, run_dir, in_sweep)

    # heavy (Lightning): not needed for --help or bad input
    from trainlab.distributed import is_global_zero
    from trainlab.run_record import record_failure
    from trainlab.train import train

    route_lightning_logs()
    try:
        metrics = train(cfg, run_dir)
    except (ConfigError, DivergedError) as error:
        return _stop(error, cfg, run_dir, in_sweep)
    except RunInterrupted as interrupted:
        log.warning("Interrupted: %s", interrupted)
        if not is_global_zero():
            # Exit quietly: a failing extra rank makes Lightning SIGKILL rank 0 while it writes.
            sys.exit(0)
        print(
            f"trainlab: interrupted: {interrupted}; continue with: "
            f"python scripts/rerun.py {run_dir} --resume",
            file=sys.stderr,
        )
        sys.exit(128 + signal.SIGTERM)
    except Exception as error:
        if not in_sweep:
            raise
        log.exception("job failed: %s", error)
        record_failure(run_dir, cfg, error)
        return math.nan
    if not is_global_zero():
        return None
    log.info("Final metrics: %s", {k: round(v, 6) for k, v in sorted(metrics.items())})
    log.info("Run directory: %s", run_dir)
    return metrics.get(cfg.monitor)


def _stop(
    error: ConfigError | DivergedError, cfg: DictConfig, run_dir: Path, in_sweep: bool
) -> float:
    """Report a run that cannot go on; exit 2 (bad input) or 3 (diverged).

    In a sweep the job is recorded as failed and returns NaN so the other jobs still run, unless
    no job of the sweep could run (:class:`~trainlab.errors.UnsupportedLaunch`).
    """
    log.error("%s", error)
    print(f"trainlab: error: {error}", file=sys.stderr)
    if not in_sweep or isinstance(error, UnsupportedLaunch):
        sys.exit(2 if isinstance(error, ConfigError) else 3)
    from trainlab.run_record import record_failure  # imports Lightning: only sweeps pay for it

    record_failure(run_dir, cfg, error)
    return math.nan
