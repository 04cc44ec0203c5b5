"""Resumable sweeps: a real sweep killed (``kill -9`` of its process group) and resumed in place
ends exactly as the same sweep left uninterrupted, redoing nothing and losing nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import torch

from tests.subprocess_runs import (
    RERUN,
    TRAIN,
    file_bytes,
    freeze,
    kill,
    record,
    run_script,
    run_sweep,
    scalars,
    start_script,
    wait_for,
)
from trainlab.compare import read_sweep
from trainlab.run_dir import RunStatus
from trainlab.sweeps.folder import JOB_STATES, PENDING, read_plan

pytestmark = pytest.mark.slow

# Four jobs (job #2, the third, is seed=2 optimizer=sgd) of 2 epochs of 75 steps each: two
# finished before it and one pending after it when it is stopped, or two to each joblib worker.
# The test stops job #2 between its first checkpoint and its end: with 15 steps an epoch that
# window was under 0.1 s, which a test process waiting its turn on a busy machine could miss.
SWEEP = ("seed=1,2", "optimizer=sgd,adam")
JOB = (
    "data.n_samples=2000", "data.batch_size=16", "trainer.max_epochs=2", "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false", "trainer.log_every_n_steps=5", "run_test=false",
)  # fmt: skip
JOBLIB = ("hydra/launcher=joblib", "hydra.launcher.n_jobs=2")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sweep left uninterrupted, which every resumed sweep must equal."""
    sweep = tmp_path_factory.mktemp("reference") / "sweep"
    result = run_sweep(sweep, *SWEEP, *JOB)
    assert result.returncode == 0, result.stderr
    return sweep


def job_dirs(sweep: Path) -> list[Path]:
    """The sweep's job folders by job number, from its plan."""
    plan = read_plan(sweep)
    assert plan is not None
    return [sweep / job.subdir for job in plan.jobs]


def last_step(run_dir: Path) -> int:
    """The last training step ``run_dir``'s TensorBoard files hold (-1 before the first)."""
    return max((step for step, _ in scalars(run_dir).get("train/loss_step", [])), default=-1)


def resume(sweep: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_script(RERUN, str(sweep), "--resume", *args)


def assert_equals_reference(sweep: Path, reference: Path) -> None:
    """Every job completed, with the reference's record metrics, job number and curves."""
    for job_dir, expected_dir in zip(job_dirs(sweep), job_dirs(reference), strict=True):
        got, expected = record(job_dir), record(expected_dir)
        assert got["status"] == "completed", job_dir
        assert got["job_num"] == expected["job_num"]
        assert got["final_metrics"] == expected["final_metrics"], job_dir
        assert got["best_metrics"] == expected["best_metrics"]
        assert (got["epochs_completed"], got["global_step"]) == (2, 150)
        curves = scalars(job_dir)
        assert curves == scalars(expected_dir), job_dir
        # As TensorBoard shows them, each step once (Lightning logs `epoch` beside every metric,
        # so several times per step in any run).
        for tag, points in curves.items():
            steps = [step for step, _ in points]
            assert tag == "epoch" or len(steps) == len(set(steps)), (job_dir, tag)
    assert not list(sweep.rglob("*.tmp"))


def test_a_sweep_killed_while_its_third_job_trains_resumes_to_the_uninterrupted_results(
    reference: Path, tmp_path: Path
) -> None:
    sweep = tmp_path / "sweep"
    process = start_script(
        TRAIN, "-m", *SWEEP, *JOB, f"hydra.sweep.dir={sweep}", log=tmp_path / "sweep.log"
    )
    third = sweep / job_dirs(reference)[2].name
    checkpoint = third / "checkpoints" / "last.ckpt"
    try:
        wait_for(process, checkpoint.is_file, "job #2 saved its first checkpoint")
        saved_step = torch.load(checkpoint, weights_only=True)["global_step"]
        wait_for(process, lambda: last_step(third) > saved_step, "job #2 logged past it")
        freeze(process)
        assert record(third)["status"] == "running"
        assert torch.load(checkpoint, weights_only=True)["epoch"] == 0

        # One live process per sweep: refused while it lives, even when it does nothing.
        refused = resume(sweep)
        assert refused.returncode == 2
        assert f"is being run by another process (pid {process.pid} on " in refused.stderr
        status = run_script(RERUN, str(sweep), "--status")
        assert f"running now (pid {process.pid} on " in status.stdout
    finally:
        kill(process)

    jobs = job_dirs(sweep)
    assert [p.name for p in jobs] == [p.name for p in job_dirs(reference)]
    finished = {job: file_bytes(job) for job in jobs[:2]}

    status = run_script(RERUN, str(sweep), "--status")
    assert status.returncode == 0, status.stderr
    counts = dict(zip(JOB_STATES, (2, 1, 0, 0, 0, 1), strict=True))
    assert ", ".join(f"{n} {state}" for state, n in counts.items()) in status.stdout
    states = ["completed"] * 2 + ["running"] + [PENDING]
    for num, (job, state) in enumerate(zip(jobs, states, strict=True)):
        assert f"#{num}  {state:<11}  {job.name}" in status.stdout
    assert f"continue with: python scripts/rerun.py {sweep} --resume" in status.stdout
    listed = {run.name: run.status for run in read_sweep(sweep)}  # compare.py's rows
    assert listed == {job.name: state for job, state in zip(jobs, states, strict=True)}

    result = resume(sweep)
    assert result.returncode == 0, result.stderr
    assert f"taking over the sweep lock of {sweep} from pid {process.pid} on" in result.stderr
    assert_equals_reference(sweep, reference)
    assert {job: file_bytes(job) for job in jobs[:2]} == finished
    assert len(record(third)["resumed_at"]) == 1
    assert "resumed_at" not in record(jobs[3])


def test_a_joblib_sweep_killed_while_a_checkpoint_is_written_resumes_exactly(
    reference: Path, tmp_path: Path
) -> None:
    sweep = tmp_path / "sweep"
    process = start_script(
        TRAIN, "-m", *SWEEP, *JOB, *JOBLIB, f"hydra.sweep.dir={sweep}", log=tmp_path / "sweep.log"
    )
    later_jobs = [sweep / job.name for job in job_dirs(reference)[2:]]

    def writing() -> list[Path]:
        return [tmp for job in later_jobs for tmp in job.glob("checkpoints/.*.ckpt.*.tmp")]

    try:
        while True:  # stop the sweep while a temporary checkpoint file is being written
            wait_for(process, lambda: bool(writing()), "a checkpoint of job #2 or later")
            freeze(process)
            caught = writing()
            if caught:
                break
            os.killpg(process.pid, signal.SIGCONT)  # it was renamed meanwhile: next one
        finished = [
            job
            for job in job_dirs(sweep)
            if (job / "run.json").is_file() and record(job)["status"] == "completed"
        ]
    finally:
        kill(process)
    assert finished, "no job had finished: nothing would show that finished jobs are kept"
    before = {job: file_bytes(job) for job in finished}

    result = resume(sweep)
    assert result.returncode == 0, result.stderr
    assert "Joblib.Parallel(n_jobs=2" in result.stdout + result.stderr
    assert_equals_reference(sweep, reference)  # the stray temporary file is gone too
    assert {job: file_bytes(job) for job in finished} == before
    assert not any(path.exists() for path in caught)


def test_resume_refuses_what_is_not_a_resumable_sweep(reference: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = resume(empty)
    assert result.returncode == 2
    assert (
        f"{empty} is not a trainlab run directory: it has no run.json (nor a sweep folder"
        in result.stderr
    )
    job = job_dirs(reference)[0]
    result = run_script(RERUN, str(job), "--status")
    assert result.returncode == 2
    assert f"{job} is not a sweep folder: it has no multirun.yaml" in result.stderr
    result = run_script(RERUN, str(reference))
    assert result.returncode == 2
    assert "is a sweep folder: continue it with --resume" in result.stderr


@pytest.mark.parametrize(
    ("recorded", "today", "message"),
    [
        # An option the configs no longer have, set for every job: the sweep's config is refused.
        (f"- {JOB[0]}", "- model=gone", "no longer compose with today's configs"),
        # A swept value that no longer composes: its job is named.
        ("- optimizer=sgd,adam", "- optimizer=sgd,gone", "job #1 [seed=1 optimizer=gone"),
    ],
)
def test_resume_refuses_recorded_overrides_that_no_longer_compose(
    reference: Path, tmp_path: Path, recorded: str, today: str, message: str
) -> None:
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "multirun.yaml").write_text(
        (reference / "multirun.yaml").read_text().replace(recorded, today)
    )
    result = resume(sweep)
    assert result.returncode == 2, result.stderr
    assert "trainlab: error: " in result.stderr and message in result.stderr
    # Nothing written but the sweep lock, which a sweep's process takes before composing jobs.
    assert set(file_bytes(sweep)) <= {"multirun.yaml", ".sweep.lock"}
    assert (sweep / "multirun.yaml").read_text() == (
        reference / "multirun.yaml"
    ).read_text().replace(recorded, today)


@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None,
    reason="needs the `cluster` extra",
)
def test_failed_jobs_stay_failed_unless_retried_through_submitit(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    # Two local submitit jobs: #0 trains, #1 is refused for bad input (a negative lr).
    submitit = ("hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10")
    first = run_sweep(sweep, "optimizer.lr=0.1,-1", *JOB, *submitit, timeout=400)
    assert first.returncode == 1, first.stderr
    trained, failed = job_dirs(sweep)
    assert [record(job)["status"] for job in (trained, failed)] == ["completed", "failed"]
    before = {job: file_bytes(job) for job in (trained, failed)}

    result = resume(sweep)
    assert result.returncode == 1  # it ends as the sweep did: with its failure report
    assert "1 of 2 sweep jobs did not complete" in result.stderr
    assert {job: file_bytes(job) for job in (trained, failed)} == before

    retried = resume(sweep, "--retry-failed")
    assert retried.returncode == 1, retried.stderr
    assert "Submitit 'local' sweep output dir" in retried.stdout + retried.stderr
    again = record(failed)
    assert (again["status"], again["job_num"]) == (RunStatus.FAILED.value, 1)
    assert again["started_at"] > before_started(before[failed])  # run again, as job #1
    assert file_bytes(trained) == before[trained]


def before_started(files: dict[str, bytes]) -> str:
    """``started_at`` of the run.json among a job's files."""
    return json.loads(files["run.json"])["started_at"]
