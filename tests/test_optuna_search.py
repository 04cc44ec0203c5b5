"""An Optuna search killed after its third trial resumes to exactly its n_trials: the same study,
the finished trials kept, the killed one finished, the sampler continued where it stopped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.subprocess_runs import (
    RERUN,
    TRAIN,
    file_bytes,
    freeze,
    kill,
    record,
    run_script,
    start_script,
    wait_for,
)
from tests.test_sweep_resume import job_dirs

optuna = pytest.importorskip("optuna", reason='needs pip install ".[sweeps]"')
pytestmark = pytest.mark.slow

SEARCH = (
    "hparams_search=lr_momentum", "hydra.sweeper.n_trials=6", "data.n_samples=400",
    "trainer.max_epochs=2", "trainer.accelerator=cpu", "trainer.enable_progress_bar=false",
    "run_test=false",
)  # fmt: skip


def trials(sweep: Path) -> list[optuna.trial.FrozenTrial]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="lr_momentum", storage=f"sqlite:///{sweep}/optuna.db")
    return study.get_trials(deepcopy=False)


def first_draws(count: int) -> list[dict[str, float]]:
    """The parameters lr_momentum's sampler draws for its first trials, whatever their results:
    TPE samples its first ``n_startup_trials`` (5) at random from its seeded generator.
    """
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=42, n_startup_trials=5))
    draws = []
    for _ in range(count):
        trial = study.ask()
        trial.suggest_float("optimizer.lr", 0.001, 1.0, log=True)
        trial.suggest_float("optimizer.momentum", 0.0, 0.99)
        study.tell(trial, 1.0)
        draws.append(trial.params)
    return draws


def test_a_killed_search_resumes_to_exactly_its_n_trials(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    process = start_script(TRAIN, "-m", *SEARCH, f"hydra.sweep.dir={sweep}", log=tmp_path / "log")

    def fourth_trial_past_its_first_epoch() -> bool:
        return len(list(sweep.glob("*/checkpoints/last.ckpt"))) == 4

    try:
        wait_for(process, fourth_trial_past_its_first_epoch, "the fourth trial's first epoch")
        freeze(process)
    finally:
        kill(process)
    states = sorted(
        record(job)["status"] for job in sweep.glob("*") if (job / "run.json").is_file()
    )
    assert states == ["completed"] * 3 + ["running"]
    assert [t.state.name for t in trials(sweep)] == ["COMPLETE"] * 3 + ["RUNNING"]
    finished = {job: file_bytes(job) for job in job_dirs(sweep)[:3]}
    values = [t.values for t in trials(sweep)[:3]]

    result = run_script(RERUN, str(sweep), "--resume")
    assert result.returncode == 0, result.stderr

    resumed = trials(sweep)
    assert [t.state.name for t in resumed] == ["COMPLETE"] * 6
    assert [t.values for t in resumed[:3]] == values
    # Trial 4 is drawn after the resume: the restored sampler drew what it would have drawn
    # uninterrupted (a sampler started afresh from its seed would repeat trial 0).
    assert [t.params for t in resumed[:5]] == first_draws(5)
    jobs = job_dirs(sweep)
    assert len(jobs) == 6
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir()) == sorted(j.name for j in jobs)
    for number, job in enumerate(jobs):
        assert (record(job)["status"], record(job)["job_num"]) == ("completed", number)
    assert {job: file_bytes(job) for job in jobs[:3]} == finished
    assert len(record(jobs[3])["resumed_at"]) == 1  # the killed trial continued in its folder
