"""Nothing a user types can corrupt a run: one writer per folder, resumes of what was recorded only,
records that always end final, folders that resume wherever they are."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.conftest import FAST_OVERRIDES
from tests.subprocess_runs import RERUN, TRAIN, file_bytes, record, run_script, scalars
from trainlab.run_record import write_record

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def completed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of one epoch that completed; tests work on copies of it."""
    run_dir = tmp_path_factory.mktemp("completed") / "run"
    result = run_script(TRAIN, *FAST_OVERRIDES, "trainer.max_epochs=1", f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr
    return run_dir


def copy_of(run_dir: Path, where: Path, status: str | None = None) -> Path:
    """A copy of ``run_dir`` at ``where``, its record's status set to ``status`` if given."""
    shutil.copytree(run_dir, where)
    if status is not None:
        saved = record(where)
        saved["status"] = status
        write_record(where, saved)
    return where


def assert_refused(result: subprocess.CompletedProcess[str], *messages: str) -> None:
    """Exit 2 with ``trainlab: error:`` and each message, and no traceback."""
    assert result.returncode == 2, result.stderr
    assert "trainlab: error: " in result.stderr
    assert "Traceback" not in result.stderr
    for message in messages:
        assert message in result.stderr, result.stderr


def test_two_runs_racing_for_one_folder_leave_one_whole_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "same"
    racers = [
        subprocess.Popen(
            [
                sys.executable,
                str(TRAIN),
                *FAST_OVERRIDES,
                f"hydra.run.dir={run_dir}",
                f"seed={seed}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    outputs = [(racer.wait(timeout=300), racer.stderr.read()) for racer in racers]
    codes = sorted(code for code, _ in outputs)
    assert codes == [0, 2], outputs
    loser = next(err for code, err in outputs if code == 2)
    assert "is being written by another run" in loser or "already holds a run" in loser
    winner_seed = record(run_dir)["seed"]
    config = (run_dir / ".hydra" / "config.yaml").read_text()
    assert f"seed: {winner_seed}\n" in config  # the record and the config are the same run's
    assert "trainlab: error" not in (run_dir / "train.log").read_text()
    assert record(run_dir)["status"] == "completed"


def test_resuming_a_completed_run_is_refused_and_changes_nothing(
    completed_run: Path, tmp_path: Path
) -> None:
    run_dir = copy_of(completed_run, tmp_path / "run")
    before = file_bytes(run_dir)
    result = run_script(TRAIN, f"hydra.run.dir={run_dir}", "resume=true")
    assert_refused(result, f"{run_dir} holds a completed run; there is nothing to resume")
    assert "trainer.max_epochs=N with N above the recorded 1" in result.stderr
    assert file_bytes(run_dir) == before


@pytest.mark.parametrize(
    ("override", "change"),
    [
        ("seed=7", "seed: recorded 42, requested 7"),
        ("optimizer.lr=0.5", "optimizer.lr: recorded 0.1, requested 0.5"),
        ("model.hidden_sizes=[8]", "model.hidden_sizes: recorded [64, 64], requested [8]"),
    ],
)
def test_a_resume_that_changes_the_recorded_config_is_refused(
    completed_run: Path, tmp_path: Path, override: str, change: str
) -> None:
    run_dir = copy_of(completed_run, tmp_path / "run", status="interrupted")
    before = file_bytes(run_dir)
    result = run_script(TRAIN, f"hydra.run.dir={run_dir}", "resume=true", override)
    assert_refused(result, "resume=true continues the run recorded in", change)
    assert file_bytes(run_dir) == before


def test_a_completed_run_trains_longer_on_purpose_and_says_so(
    completed_run: Path, tmp_path: Path
) -> None:
    run_dir = copy_of(completed_run, tmp_path / "run")
    result = run_script(TRAIN, f"hydra.run.dir={run_dir}", "resume=true", "trainer.max_epochs=2")
    assert result.returncode == 0, result.stderr
    saved = record(run_dir)
    assert saved["status"] == "completed" and saved["epochs_completed"] == 2
    assert [(e["key"], e["from"], e["to"]) for e in saved["extended"]] == [
        ("trainer.max_epochs", 1, 2)
    ]
    assert "trainer.max_epochs=2" in saved["overrides"]
    assert "max_epochs: 2" in (run_dir / ".hydra" / "config.yaml").read_text()
    # Resumes are exact, so the extended run equals a two-epoch run: its rerun matches it.
    rerun = run_script(RERUN, str(run_dir), "--into", str(tmp_path / "again"))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    steps = [s for s, _ in scalars(run_dir)["train/loss_epoch"]]
    assert len(steps) == len(set(steps)) == 2  # no epoch logged twice


def test_a_run_with_a_whole_run_schedule_is_not_stretched(tmp_path: Path) -> None:
    run_dir = tmp_path / "cosine"
    trained = run_script(
        TRAIN,
        *FAST_OVERRIDES,
        "trainer.max_epochs=1",
        "scheduler=cosine",
        f"hydra.run.dir={run_dir}",
    )
    assert trained.returncode == 0, trained.stderr
    before = file_bytes(run_dir)
    result = run_script(TRAIN, f"hydra.run.dir={run_dir}", "resume=true", "trainer.max_epochs=2")
    assert_refused(result, "scheduler=cosine shapes the learning rate over the run's whole length")
    assert file_bytes(run_dir) == before


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_an_unusable_checkpoint_is_refused_and_the_record_ends_final(
    completed_run: Path, tmp_path: Path, damage: str
) -> None:
    run_dir = copy_of(completed_run, tmp_path / "run", status="running")
    last = run_dir / "checkpoints" / "last.ckpt"
    content = last.read_bytes()
    last.write_bytes(content[: len(content) // 2] if damage == "truncated" else os.urandom(4096))
    result = run_script(RERUN, str(run_dir), "--resume")
    assert_refused(result, f"cannot resume from {last}: it is not a readable checkpoint")
    assert "start the run anew in a new folder" in result.stderr
    saved = record(run_dir)
    assert saved["status"] == "failed" and "cannot resume from" in saved["error"]
    assert not list(run_dir.rglob("*.tmp"))


def test_a_copied_run_folder_resumes_into_its_own_checkpoints(
    completed_run: Path, tmp_path: Path
) -> None:
    original_bytes = file_bytes(completed_run)
    copy = copy_of(completed_run, tmp_path / "moved" / "run")
    result = run_script(TRAIN, f"hydra.run.dir={copy}", "resume=true", "trainer.max_epochs=2")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (copy / "checkpoints").iterdir())
    assert names == ["best.ckpt", "last.ckpt"]
    last = torch.load(copy / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["epoch"] == 1  # the second epoch's state, written over the copied one
    assert record(copy)["run_dir"] == str(copy.resolve())
    assert file_bytes(completed_run) == original_bytes


def test_a_folder_named_with_space_equals_and_comma_reruns_and_resumes(tmp_path: Path) -> None:
    run_dir = tmp_path / "my run=1,2"
    trained = run_script(
        TRAIN, *FAST_OVERRIDES, "trainer.max_epochs=1", f"hydra.run.dir='{run_dir}'"
    )
    assert trained.returncode == 0, trained.stderr
    rerun = run_script(RERUN, str(run_dir), "--into", str(tmp_path / "again, too=yes"))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    saved = record(run_dir)
    saved["status"] = "interrupted"
    write_record(run_dir, saved)
    resumed = run_script(RERUN, str(run_dir), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert record(run_dir)["status"] == "completed"


def _can_mount_tmpfs() -> bool:
    probe = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=1M tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    shutil.which("unshare") is None or not _can_mount_tmpfs(),
    reason="needs a private mount namespace for a small tmpfs (unshare -Urm)",
)
def test_a_disk_that_fills_mid_run_ends_the_record_and_leaves_no_temporary_files(
    tmp_path: Path,
) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    run_dir = mount / "run"
    # 2 MiB, filled but for 100 KiB: the run starts, then its checkpoints no longer fit.
    script = (
        f"mount -t tmpfs -o size=2M tmpfs '{mount}' && "
        f"head -c {2 * 1024 * 1024 - 100 * 1024} /dev/zero > '{mount}/filler' && "
        f"'{sys.executable}' '{TRAIN}' {' '.join(FAST_OVERRIDES)} trainer.max_epochs=20 "
        f"'hydra.run.dir={run_dir}'; code=$?; "
        f"cat '{run_dir}/run.json'; ls -a '{run_dir}' '{run_dir}/checkpoints'; exit $code"
    )
    result = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No space left on device" in result.stderr
    assert "can be written again, continue with: python scripts/rerun.py" in result.stderr
    assert "Traceback" not in result.stderr
    saved = json.loads(result.stdout[result.stdout.index("{") : result.stdout.rindex("}") + 1])
    assert saved["status"] == "failed" and "No space left on device" in saved["error"]
    assert ".tmp" not in result.stdout  # no temporary file left in the folder listing
