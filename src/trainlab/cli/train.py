"""``python scripts/train.py [overrides]``: one run, or a sweep with ``-m``."""

from __future__ import annotations

import logging
import math
import sys
import warnings
from pathlib import Path

import hydra
from omegaconf import DictConfig

from trainlab.config.schema import register_schema
from trainlab.config.search_path import register_project_configs
from trainlab.errors import ConfigError, UnsupportedLaunch, UnusableCheckpoint
from trainlab.outcome import Ending, Outcome
from trainlab.paths import CONFIG_DIR

log = logging.getLogger("trainlab")
# Endings that stop the process, a sweep's remaining jobs included.
STOPPED = (Ending.SIGTERM, Ending.CTRL_C)

register_schema()
register_project_configs()
# conf/hydra/launcher/submitit_slurm.yaml deliberately shadows the submitit plugin's config of the
# same name, to be validated against it; Hydra warns about that matching on every launch.
warnings.filterwarnings(
    "ignore", message=r"\s*'hydra/launcher/submitit_slurm' is validated against"
)


@hydra.main(config_path=str(CONFIG_DIR), config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    """Plan and execute one run; return the monitored metric (for Hydra sweepers).

    The exit code follows :data:`trainlab.outcome.ENDINGS`: 2 for bad input (nothing trained),
    3 when training diverged, 143 (SIGTERM) or 130 (Ctrl-C) when stopped (resumable with
    ``rerun.py RUN_DIR --resume``), 1 for any other failure. In a sweep a job that does not
    complete is recorded in its ``run.json`` and returns NaN, so the other jobs still run and
    :class:`~trainlab.cli.sweep_report.SweepFailureReport` lists it at the end.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from trainlab.plan import plan

    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    in_sweep = hydra_cfg.mode == RunMode.MULTIRUN
    try:
        run_plan = plan(cfg, run_dir, [str(o) for o in hydra_cfg.overrides.task])
    except ConfigError as error:
        outcome = Outcome(Ending.BAD_INPUT, run_dir, error=error)
    else:
        # Lightning (seconds to import) only once the plan holds.
        from trainlab.cli.console import route_library_logs
        from trainlab.execute import execute

        route_library_logs()
        outcome = execute(run_plan)
        if not run_plan.first_process:
            # Extra DDP ranks leave reporting to rank 0, and exit quietly when stopped: a rank
            # failing on its own makes Lightning kill rank 0 while it writes its checkpoint.
            if outcome.ending in STOPPED:
                log.warning("Interrupted: %s", outcome.error_text)
            if outcome.ending in (Ending.COMPLETED, *STOPPED):
                return None
            sys.exit(outcome.exit_code)
    return report(outcome, cfg, in_sweep)


def report(outcome: Outcome, cfg: DictConfig, in_sweep: bool) -> float:
    """Say how the run ended; exit with its code, or in a sweep record it and return the metric.

    A sweep goes on after a job that did not complete, unless the process was told to stop or
    no job of it could run (:class:`~trainlab.errors.UnsupportedLaunch`).
    """
    if outcome.ending is Ending.COMPLETED:
        log.info("Final metrics: %s", {k: round(v, 6) for k, v in sorted(outcome.metrics.items())})
        log.info("Run directory: %s", outcome.run_dir)
        return outcome.metrics.get(cfg.monitor, math.nan)
    if outcome.ending is Ending.FAILED and not isinstance(outcome.error, OSError):
        log.error("the run failed", exc_info=outcome.error)  # a bug: keep its traceback
    print(outcome.message(), file=sys.stderr)
    if isinstance(outcome.error, UnusableCheckpoint):
        from trainlab.run_record import mark_unresumable

        mark_unresumable(outcome.run_dir, outcome.error_text or "unusable checkpoint")
    if not in_sweep or outcome.ending in STOPPED or isinstance(outcome.error, UnsupportedLaunch):
        sys.exit(outcome.exit_code)
    if outcome.ending is Ending.BAD_INPUT:
        from trainlab.run_record import record_refusal

        record_refusal(outcome.run_dir, cfg, outcome.error_text or "bad input")
    return math.nan


if __name__ == "__main__":
    main()
