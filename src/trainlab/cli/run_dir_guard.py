"""A Hydra callback that keeps a new run out of a directory where a run already ran."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from trainlab.errors import ConfigError
from trainlab.run_dir import check_fresh_run_dir, record_path


class FreshRunDirGuard(Callback):
    """Stops before Hydra writes anything when ``hydra.run.dir`` already holds a run.

    Run directories carry microseconds, so this only bites when a directory is given by hand;
    ``train()`` checks again, but by then Hydra would have rewritten the old run's ``.hydra/``.
    Extra DDP ranks, re-launched into the run directory rank 0 started, are let through.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        run_dir = Path(str(OmegaConf.select(config, "hydra.run.dir")))
        if not record_path(run_dir).exists():
            return  # the usual case, decided without importing Lightning

        from trainlab.distributed import is_global_zero, slurm_requeued

        if not is_global_zero():
            return
        try:
            check_fresh_run_dir(
                run_dir, resume=bool(config.get("resume", False)) or slurm_requeued()
            )
        except ConfigError as error:
            print(f"trainlab: error: {error}", file=sys.stderr)
            sys.exit(2)
