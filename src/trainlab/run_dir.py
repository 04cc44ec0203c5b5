"""What makes a folder a run directory: its record (read here, written by ``run_record``), its
last checkpoint, and the checks made on it before a run starts.

Free of torch and Lightning, so the command lines can check a run directory (and refuse a bad
one) without paying for importing them.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

from trainlab.errors import ConfigError

RUN_RECORD = "run.json"
LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"


class RunStatus(str, Enum):
    """Where a run stands; ``running`` is left behind only by a process that was killed."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    DIVERGED = "diverged"
    INTERRUPTED = "interrupted"


def record_path(run_dir: Path) -> Path:
    """``run_dir/run.json``."""
    return Path(run_dir) / RUN_RECORD


def read_record(run_dir: Path) -> dict[str, Any]:
    """The run record of ``run_dir``; :class:`ConfigError` if ``run_dir`` is not a run directory."""
    path = record_path(run_dir)
    if not path.is_file():
        raise ConfigError(f"{run_dir} is not a trainlab run directory: it has no {RUN_RECORD}")
    return json.loads(path.read_text())


def check_fresh_run_dir(run_dir: Path, resume: bool) -> None:
    """Refuse to start a new run where one already ran, so no earlier run is ever overwritten."""
    if not resume and record_path(run_dir).exists():
        raise ConfigError(
            f"{run_dir} already holds a run ({RUN_RECORD} exists); choose a new hydra.run.dir, "
            f"or continue that run with resume=true (python scripts/rerun.py {run_dir} --resume)"
        )


def last_checkpoint(run_dir: Path) -> Path:
    """``run_dir/checkpoints/last.ckpt``; :class:`ConfigError` when the run never saved one."""
    path = Path(run_dir) / LAST_CHECKPOINT
    if not path.is_file():
        raise ConfigError(
            f"resume=true but {path} does not exist: the run never finished an epoch "
            "(or ran with checkpoint.enabled=false), so there is nothing to resume; start it anew"
        )
    return path
