"""Nothing a user types can corrupt a run: one writer per folder, resumes of what was recorded only,
records that always end final, folders that resume wherever they are."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from tests.conftest import FAST_OVERRIDES
from tests.subprocess_runs import (
    RERUN,
    TRAIN,
    CliResult,
    file_bytes,
    record,
    run_cli_cases,
    run_script,
    scalars,
    start_script,
)
from trainlab.run_record import write_record

pytestmark = pytest.mark.slow


# The runs the tests start from, trained in one process (a process start costs seconds): one
# epoch each; a folder named with a space, "=" and ",", as a user may name one.
BASE_RUNS = {
    "completed": ("completed", ()),
    "cosine": ("cosine", ("scheduler=cosine",)),
    "named": ("my run=1,2", ()),
}


@pytest.fixture(scope="module")
def base_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each of :data:`BASE_RUNS`, completed, through ``train.py``'s entry point; tests that
    change one work on a copy."""
    folder = tmp_path_factory.mktemp("base")
    runs = {name: folder / subdir for name, (subdir, _) in BASE_RUNS.items()}
    results = run_cli_cases(
        {
            name: [*FAST_OVERRIDES, "trainer.max_epochs=1", *extra, f"hydra.run.dir='{runs[name]}'"]
            for name, (_, extra) in BASE_RUNS.items()
        },
        folder / "cases",
        timeout=300 * len(BASE_RUNS),  # what each run had as a process of its own
    )
    for name, result in results.items():
        assert result.exit_code == 0, (name, result.output)
        assert record(runs[name])["status"] == "completed", name
    return runs


@pytest.fixture(scope="module")
def completed_run(base_runs: dict[str, Path]) -> Path:
    """A run of one epoch that completed; tests work on copies of it."""
    return base_runs["completed"]


def copy_of(run_dir: Path, where: Path, status: str | None = None) -> Path:
    """A copy of ``run_dir`` at ``where``, its record's status set to ``status`` if given."""
    shutil.copytree(run_dir, where)
    if status is not None:
        saved = record(where)
        saved["status"] = status
        write_record(where, saved)
    return where


def test_two_runs_racing_for_one_folder_leave_one_whole_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "same"
    logs = {seed: tmp_path / f"racer-{seed}.log" for seed in (1, 2)}
    racers = {
        seed: start_script(
            TRAIN, *FAST_OVERRIDES, f"hydra.run.dir={run_dir}", f"seed={seed}", log=log
        )
        for seed, log in logs.items()
    }
    outputs = [(racer.wait(timeout=300), logs[seed].read_text()) for seed, racer in racers.items()]
    codes = sorted(code for code, _ in outputs)
    assert codes == [0, 2], outputs
    loser = next(err for code, err in outputs if code == 2)
    assert "is being written by another run" in loser or "already holds a run" in loser
    winner_seed = record(run_dir)["seed"]
    config = (run_dir / ".hydra" / "config.yaml").read_text()
    assert f"seed: {winner_seed}\n" in config  # the record and the config are the same run's
    assert "trainlab: error" not in (run_dir / "train.log").read_text()
    assert record(run_dir)["status"] == "completed"


# A resume that would change what the run recorded: (the base run copied, the status the copy is
# given, overrides, what the message must say). A completed run, or any run with a changed config.
REFUSED_RESUMES = {
    "completed": ("completed", None, (), ("holds a completed run; there is nothing to resume", "trainer.max_epochs=N with N above the recorded 1")),
    "seed": ("completed", "interrupted", ("seed=7",), ("resume=true continues the run recorded in", "seed: recorded 42, requested 7")),
    "lr": ("completed", "interrupted", ("optimizer.lr=0.5",), ("resume=true continues the run recorded in", "optimizer.lr: recorded 0.1, requested 0.5")),
    "hidden sizes": ("completed", "interrupted", ("model.hidden_sizes=[8]",), ("resume=true continues the run recorded in", "model.hidden_sizes: recorded [64, 64], requested [8]")),
    # A whole-run schedule is not stretched over a longer run.
    "cosine": ("cosine", None, ("trainer.max_epochs=2",), ("scheduler=cosine shapes the learning rate over the run's whole length",)),
}  # fmt: skip
DAMAGES = ("truncated", "garbage")


@dataclass(frozen=True)
class Resumed:
    """A resume tried on a copy of a base run: the copy, its files before, the result."""

    run_dir: Path
    before: dict[str, bytes]
    result: CliResult


@pytest.fixture(scope="module")
def base_bytes(base_runs: dict[str, Path]) -> dict[str, dict[str, bytes]]:
    """Every file of each base run, before any test resumes a copy of it."""
    return {name: file_bytes(run_dir) for name, run_dir in base_runs.items()}


@pytest.fixture(scope="module")
def resumes(
    base_runs: dict[str, Path],
    base_bytes: dict[str, dict[str, bytes]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Resumed]:
    """Every resume of these tests that needs no process of its own, each on its own copy of a
    base run, all through ``train.py``'s entry point in one process (``rerun.py --resume`` starts
    exactly ``train.py hydra.run.dir=RUN resume=true``): the refused ones of
    :data:`REFUSED_RESUMES`; from a checkpoint damaged as each of :data:`DAMAGES`; the completed
    run trained one epoch longer, in place (``extended``) and as a copy in another folder
    (``moved``). ``base_bytes`` is taken first, so tests can see the base runs untouched."""
    folder = tmp_path_factory.mktemp("resumes")
    copies = {
        case: copy_of(base_runs[source], folder / case.replace(" ", "_"), status)
        for case, (source, status, _, _) in REFUSED_RESUMES.items()
    }
    arguments = {case: overrides for case, (_, _, overrides, _) in REFUSED_RESUMES.items()}
    for damage in DAMAGES:
        copies[damage] = copy_of(base_runs["completed"], folder / damage, status="running")
        last = copies[damage] / "checkpoints" / "last.ckpt"
        content = last.read_bytes()
        last.write_bytes(
            content[: len(content) // 2] if damage == "truncated" else os.urandom(4096)
        )
        arguments[damage] = ()
    copies["extended"] = copy_of(base_runs["completed"], folder / "extended")
    copies["moved"] = copy_of(base_runs["completed"], folder / "moved" / "run")
    arguments["extended"] = arguments["moved"] = ("trainer.max_epochs=2",)
    before = {case: file_bytes(run_dir) for case, run_dir in copies.items()}
    results = run_cli_cases(
        {
            case: [f"hydra.run.dir='{copies[case]}'", "resume=true", *overrides]
            for case, overrides in arguments.items()
        },
        folder / "cases",
    )
    return {case: Resumed(copies[case], before[case], results[case]) for case in copies}


def assert_refused(result: CliResult, *messages: str) -> None:
    """Exit 2 with ``trainlab: error:`` and each message, and no traceback."""
    assert result.exit_code == 2, result.output
    assert "trainlab: error: " in result.output
    assert "Traceback" not in result.output
    for message in messages:
        assert message in result.output, result.output


@pytest.mark.parametrize("case", [case for case in REFUSED_RESUMES if case != "cosine"])
def test_a_resume_that_would_change_the_recorded_run_is_refused_and_changes_nothing(
    resumes: dict[str, Resumed], case: str
) -> None:
    resumed = resumes[case]
    assert_refused(resumed.result, *REFUSED_RESUMES[case][3])
    assert file_bytes(resumed.run_dir) == resumed.before


def test_a_completed_run_trains_longer_on_purpose_and_says_so(
    resumes: dict[str, Resumed], tmp_path: Path
) -> None:
    run_dir, result = resumes["extended"].run_dir, resumes["extended"].result
    assert result.exit_code == 0, result.output
    saved = record(run_dir)
    assert saved["status"] == "completed" and saved["epochs_completed"] == 2
    assert [(e["key"], e["from"], e["to"]) for e in saved["extended"]] == [
        ("trainer.max_epochs", 1, 2)
    ]
    assert "trainer.max_epochs=2" in saved["overrides"]
    assert "max_epochs: 2" in (run_dir / ".hydra" / "config.yaml").read_text()
    # Resumes are exact, so the extended run equals a two-epoch run: its rerun (a process of its
    # own) matches it.
    rerun = run_script(RERUN, str(run_dir), "--into", str(tmp_path / "again"))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    steps = [s for s, _ in scalars(run_dir)["train/loss_epoch"]]
    assert len(steps) == len(set(steps)) == 2  # no epoch logged twice


def test_a_run_with_a_whole_run_schedule_is_not_stretched(resumes: dict[str, Resumed]) -> None:
    resumed = resumes["cosine"]
    assert_refused(resumed.result, *REFUSED_RESUMES["cosine"][3])
    assert file_bytes(resumed.run_dir) == resumed.before


@pytest.mark.parametrize("damage", DAMAGES)
def test_an_unusable_checkpoint_is_refused_and_the_record_ends_final(
    resumes: dict[str, Resumed], damage: str
) -> None:
    run_dir, result = resumes[damage].run_dir, resumes[damage].result
    last = run_dir / "checkpoints" / "last.ckpt"
    assert_refused(result, f"cannot resume from {last}: it is not a readable checkpoint")
    assert "start the run anew in a new folder" in result.output
    saved = record(run_dir)
    assert saved["status"] == "failed" and "cannot resume from" in saved["error"]
    assert not list(run_dir.rglob("*.tmp"))


def test_a_copied_run_folder_resumes_into_its_own_checkpoints(
    base_runs: dict[str, Path], base_bytes: dict[str, dict[str, bytes]], resumes: dict[str, Resumed]
) -> None:
    copy, result = resumes["moved"].run_dir, resumes["moved"].result
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (copy / "checkpoints").iterdir())
    assert names == ["best.ckpt", "last.ckpt"]
    last = torch.load(copy / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["epoch"] == 1  # the second epoch's state, written over the copied one
    assert record(copy)["run_dir"] == str(copy.resolve())
    assert file_bytes(base_runs["completed"]) == base_bytes["completed"]  # the original untouched


def test_a_folder_named_with_space_equals_and_comma_reruns_and_resumes(
    base_runs: dict[str, Path], tmp_path: Path
) -> None:
    run_dir = base_runs["named"]  # only this test uses it
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
