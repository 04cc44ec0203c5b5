"""``python scripts/train.py [overrides]``: one run, or a sweep with ``-m``."""

from __future__ import annotations

import logging
import math
import signal
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from trainlab.cli.console import route_lightning_logs
from trainlab.config.schema import register_schema
from trainlab.errors import ConfigError
from trainlab.paths import CONFIG_DIR

log = logging.getLogger("trainlab")

register_schema()


@hydra.main(config_path=str(CONFIG_DIR), config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    """Train one configuration; return the monitored metric (for Hydra sweepers).

    Exit codes: 2 for bad input (nothing trained), 3 when training diverged. In a sweep a failing
    job is recorded in its ``run.json`` and returns NaN, so the other jobs still run and
    :class:`~trainlab.cli.sweep_report.SweepFailureReport` lists the failures at the end.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    # heavy (torch, Lightning): not needed for --help
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from trainlab.callbacks import DivergedError
    from trainlab.run_record import record_failure
    from trainlab.train import train

    route_lightning_logs()
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    in_sweep = HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        metrics = train(cfg, run_dir)
    except (ConfigError, DivergedError) as error:
        log.error("%s", error)
        print(f"trainlab: error: {error}", file=sys.stderr)
        if not in_sweep:
            sys.exit(2 if isinstance(error, ConfigError) else 3)
        record_failure(run_dir, cfg, error)
        return math.nan
    except SIGTERMException:
        # Lightning stops at the next step and raises this SystemExit without an exit code (0).
        print(
            f"trainlab: error: stopped by SIGTERM; continue with: "
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
    log.info("Final metrics: %s", {k: round(v, 6) for k, v in sorted(metrics.items())})
    log.info("Run directory: %s", run_dir)
    return metrics.get(cfg.monitor)
