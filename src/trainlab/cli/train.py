"""``python scripts/train.py [overrides]``: one run, or a sweep with ``-m``."""

from __future__ import annotations

import logging
import signal
import sys
import warnings
from pathlib import Path

import hydra
from omegaconf import DictConfig

from trainlab.cli.console import route_lightning_logs
from trainlab.config.schema import register_schema
from trainlab.errors import ConfigError, RunInterrupted
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
    """Train one configuration; return the monitored metric (for Hydra sweepers)."""
    from hydra.core.hydra_config import HydraConfig

    from trainlab.distributed import is_global_zero  # heavy (torch, Lightning): not for --help
    from trainlab.train import train

    route_lightning_logs()
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        metrics = train(cfg, run_dir)
    except ConfigError as error:
        log.error("%s", error)
        print(f"trainlab: error: {error}", file=sys.stderr)
        sys.exit(2)
    except RunInterrupted as interrupted:
        log.warning("Interrupted: %s", interrupted)
        if not is_global_zero():
            # Exit quietly: a failing extra rank makes Lightning SIGKILL rank 0 while it writes.
            sys.exit(0)
        print(f"trainlab: interrupted: {interrupted}", file=sys.stderr)
        sys.exit(128 + signal.SIGTERM)
    if not is_global_zero():
        return None
    log.info("Final metrics: %s", {k: round(v, 6) for k, v in sorted(metrics.items())})
    log.info("Run directory: %s", run_dir)
    return metrics.get(cfg.monitor)
