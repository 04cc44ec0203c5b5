"""``python scripts/train.py [overrides]``: one run, or a sweep with ``-m``."""

from __future__ import annotations

import logging
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
    """Train one configuration; return the monitored metric (for Hydra sweepers)."""
    from hydra.core.hydra_config import HydraConfig

    from trainlab.train import train  # heavy (torch, Lightning): not needed for --help

    route_lightning_logs()
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        metrics = train(cfg, run_dir)
    except ConfigError as error:
        log.error("%s", error)
        print(f"trainlab: error: {error}", file=sys.stderr)
        sys.exit(2)
    log.info("Final metrics: %s", {k: round(v, 6) for k, v in sorted(metrics.items())})
    log.info("Run directory: %s", run_dir)
    return metrics.get(cfg.monitor)
