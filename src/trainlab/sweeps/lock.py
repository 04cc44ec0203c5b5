"""One live process per sweep: ``train.py -m`` holds the sweep folder's lock while it runs."""

from __future__ import annotations

import atexit
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trainlab.sweeps.folder import SweepBusy, hold_sweep


class SweepLock(Callback):
    """Takes the sweep folder's lock when a sweep (or its resume) starts, for the process's life.

    So ``rerun.py SWEEP --resume`` refuses a sweep that is still running, and a second resume of
    the same sweep refuses too. A lock left by a killed process is free (the kernel released it);
    taking it over says so. The lock is released at exit, after the end-of-sweep report.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            lock = hold_sweep(sweep_dir)
        except SweepBusy as error:
            # SystemExit: Hydra turns a callback's exception into a warning and carries on.
            print(f"trainlab: error: {error}", file=sys.stderr)
            sys.exit(2)
        if lock.stale_holder is not None:
            print(
                f"trainlab: taking over the sweep lock of {sweep_dir} from {lock.stale_holder}, "
                "which stopped without releasing it",
                file=sys.stderr,
            )
        atexit.register(lock.release)
