"""SIGTERM (pre-emption, a time limit) stops a run cleanly with a resumable checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import built, planned
from tests.test_ddp import DDP
from trainlab.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "train.py"
# Endless unless stopped: the test sends SIGTERM once the first epoch has ended.
LONG_RUN = (
    "data.n_samples=400",
    "trainer.max_epochs=100000",
    "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false",
    "run_test=false",
)


def train_until_sigterm(
    run_dir: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Start a run, SIGTERM it after its first epoch-end checkpoint; return it and the signal time."""
    last = run_dir / "checkpoints" / "last.ckpt"
    command = [sys.executable, str(SCRIPT), *LONG_RUN, *args, f"hydra.run.dir={run_dir}"]
    # Own session, so a failure kills every rank instead of leaving the test waiting on them.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not last.is_file():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no epoch ended within 120 s"
            time.sleep(0.2)
        sent = time.time()
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), sent


def assert_interrupted_with_checkpoint(
    result: subprocess.CompletedProcess[str], sent: float, run_dir: Path
) -> dict:
    last = run_dir / "checkpoints" / "last.ckpt"
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert (
        f"trainlab: interrupted: training stopped by SIGTERM; state saved to {last}"
        in result.stderr
    )
    assert last.stat().st_mtime >= sent - 0.01  # written on the signal, not at an epoch end
    checkpoint = torch.load(last, map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] > 0 and "optimizer_states" in checkpoint
    return checkpoint


@pytest.mark.slow
def test_sigterm_saves_last_checkpoint_and_exits_interrupted(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result, sent = train_until_sigterm(run_dir)
    checkpoint = assert_interrupted_with_checkpoint(result, sent, run_dir)

    # Lightning resumes from it: the fit continues from the saved step (the signal may have landed
    # after an epoch's last batch, so allow one more whole epoch after the saved one).
    parts = built(
        planned(
            *LONG_RUN, f"trainer.max_epochs={checkpoint['epoch'] + 2}", run_dir=tmp_path / "resumed"
        )
    )
    trainer = parts.trainer
    trainer.fit(
        parts.module, datamodule=parts.datamodule, ckpt_path=run_dir / "checkpoints" / "last.ckpt"
    )
    assert trainer.global_step > checkpoint["global_step"]
    assert trainer.current_epoch == checkpoint["epoch"] + 2


@pytest.mark.slow
def test_sigterm_stops_every_ddp_rank_and_rank_zero_saves(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result, sent = train_until_sigterm(run_dir, *DDP)
    assert_interrupted_with_checkpoint(result, sent, run_dir)
    rank_one_log = (run_dir / "train_ddp_process_1.log").read_text()
    assert "Interrupted: training stopped by SIGTERM" in rank_one_log
