"""A sweep folder's facts: its plan, each job's resume action from its record, and its lock."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from trainlab.folder_lock import LockHeld, lock_holder, take_lock
from trainlab.run_dir import LAST_CHECKPOINT, RunStatus
from trainlab.run_record import write_record
from trainlab.sweeps.folder import (
    PENDING,
    SWEEP_LOCK,
    PlannedJob,
    SweepBusy,
    SweepPlan,
    hold_sweep,
    job_state,
    read_plan,
    sweep_holder,
    write_plan,
)
from trainlab.sweeps.jobs import JobAction, prepare_job, resume_action

ME = f"pid {os.getpid()} on {socket.gethostname()}"


def job(tmp_path: Path, status: str | None, checkpoint: bool = False) -> Path:
    """A job folder whose record has ``status`` (none: never started), maybe with a last.ckpt."""
    folder = tmp_path / f"{status}-{checkpoint}"
    folder.mkdir()
    if status is not None:
        write_record(folder, {"status": status})
    if checkpoint:
        (folder / LAST_CHECKPOINT).parent.mkdir()
        (folder / LAST_CHECKPOINT).write_bytes(b"state")
    return folder


@pytest.mark.parametrize(
    ("status", "checkpoint", "retry_failed", "action"),
    [
        (None, False, False, JobAction.START),
        (RunStatus.COMPLETED, True, True, JobAction.SKIP),
        (RunStatus.RUNNING, True, False, JobAction.CONTINUE),  # what kill -9 leaves
        (RunStatus.INTERRUPTED, True, False, JobAction.CONTINUE),  # SIGTERM, Ctrl-C
        (RunStatus.RUNNING, False, False, JobAction.RESTART),  # killed before its first epoch
        (RunStatus.INTERRUPTED, False, False, JobAction.RESTART),
        (RunStatus.FAILED, True, False, JobAction.SKIP),
        (RunStatus.DIVERGED, True, False, JobAction.SKIP),
        (RunStatus.FAILED, True, True, JobAction.RESTART),
        (RunStatus.DIVERGED, True, True, JobAction.RESTART),
    ],
)
def test_each_job_is_resumed_as_its_record_says(
    tmp_path: Path,
    status: RunStatus | None,
    checkpoint: bool,
    retry_failed: bool,
    action: JobAction,
) -> None:
    folder = job(tmp_path, status.value if status else None, checkpoint)
    assert job_state(folder) == (status.value if status else PENDING)
    assert resume_action(folder, retry_failed) is action


def test_a_continued_job_keeps_its_files(tmp_path: Path) -> None:
    # The resumed run itself removes the temporary files its killed process left.
    folder = job(tmp_path, RunStatus.RUNNING.value, checkpoint=True)
    (folder / "checkpoints" / ".last.ckpt.123.tmp").write_bytes(b"half")
    (folder / "events.out.tfevents.1.host.1.0").write_bytes(b"curves")
    kept = sorted(folder.rglob("*"))
    assert prepare_job(folder, JobAction.CONTINUE) == []
    assert sorted(folder.rglob("*")) == kept


def test_a_restarted_job_keeps_only_its_log(tmp_path: Path) -> None:
    folder = job(tmp_path, RunStatus.RUNNING.value, checkpoint=True)
    (folder / ".hydra").mkdir()
    (folder / ".hydra" / "config.yaml").write_text("seed: 1\n")
    (folder / "csv").mkdir()
    (folder / "csv" / "metrics.csv").write_text("step\n")
    for name in ("events.out.tfevents.1.host.1.0", "hparams.yaml", "train.log", ".writer.lock"):
        (folder / name).write_text("x")
    prepare_job(folder, JobAction.RESTART)
    assert sorted(p.name for p in folder.iterdir()) == [".writer.lock", "train.log"]
    assert job_state(folder) == PENDING


def test_the_plan_is_written_and_read_back(tmp_path: Path) -> None:
    assert read_plan(tmp_path) is None
    plan = SweepPlan("optuna", 5, (PlannedJob(0, ("seed=1", "loss=mse"), "loss=mse,seed=1"),))
    write_plan(tmp_path, plan)
    assert read_plan(tmp_path) == plan
    assert plan.unsampled == 4


def test_a_lock_names_its_holder_and_refuses_a_second_one(tmp_path: Path) -> None:
    path = tmp_path / "folder.lock"
    assert lock_holder(path) is None and not path.exists()  # looking creates nothing
    lock = take_lock(path)
    assert (lock.stale_holder, lock_holder(path)) == (None, ME)
    with pytest.raises(LockHeld) as held:  # a second open file: what another process would do
        take_lock(path)
    assert held.value.holder == ME
    lock.release()
    assert (lock_holder(path), path.read_text()) == (None, "")  # a clean release names no one


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    # flock locks die with their process; the file still names the process.
    (tmp_path / SWEEP_LOCK).write_text("pid 999999 on elsewhere\n")
    assert sweep_holder(tmp_path) is None
    lock = hold_sweep(tmp_path)
    assert lock.stale_holder == "pid 999999 on elsewhere"
    with pytest.raises(SweepBusy, match=f"is being run by another process \\({ME}\\)"):
        hold_sweep(tmp_path)
    lock.release()
