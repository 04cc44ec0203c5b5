"""Hydra sweeps from the command line: readable run folders, job numbers, joblib and Optuna."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import HISTOGRAMS, EventAccumulator

from tests.conftest import QUICK_OVERRIDES, planned, run_sweep
from trainlab.build import build_callbacks
from trainlab.callbacks import (
    ActivationHistogramLogger,
    GradientNormLogger,
    WeightHistogramLogger,
)
from trainlab.compare import read_sweep


def has_plugin(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.mark.slow
def test_sweep_runs_are_named_by_their_choices_and_keep_job_numbers(
    generated_sweep: Path,
) -> None:
    grid = sorted(p.parent for p in generated_sweep.glob("*loss=*/.hydra"))
    assert len(grid) == 4
    for run_dir in grid:
        choices = dict(part.split("=", 1) for part in run_dir.name.split(","))
        assert choices["loss"] in ("mse", "cross_entropy")
        assert choices["optimizer"] in ("sgd", "adam")
        assert "trainer.enable_progress_bar" not in choices  # excluded: says nothing about the run
    numbers = [
        yaml.safe_load((d / ".hydra" / "hydra.yaml").read_text())["hydra"]["job"]["num"]
        for d in grid
    ]
    assert sorted(numbers) == [0, 1, 2, 3]


@pytest.mark.slow
def test_histograms_are_written_per_layer_when_switched_on(generated_sweep: Path) -> None:
    run_dir = next(generated_sweep.glob("*loss=mse*optimizer=adam*"))
    events = EventAccumulator(str(run_dir), size_guidance={HISTOGRAMS: 0})  # keep all
    events.Reload()
    tags = set(events.Tags()["histograms"])
    for layer in ("hidden1", "hidden2", "output"):
        assert f"grad_hist/{layer}" in tags
        assert f"weight_hist/{layer}" in tags
    assert {"activation_hist/act1", "activation_hist/act2"} <= tags
    # Logged every 2 steps (trainer.log_every_n_steps=2) at the steps of the gradient norms.
    grad_steps = [e.step for e in events.Histograms("grad_hist/hidden1")]
    assert [e.step for e in events.Histograms("weight_hist/hidden1")] == grad_steps
    assert [e.step for e in events.Histograms("activation_hist/act1")] == grad_steps
    assert grad_steps == [s for s, _ in read_sweep(run_dir)[0].curves["grad_norm/hidden1"]]
    # ReLU outputs: a histogram over non-negative values only.
    first = events.Histograms("activation_hist/act1")[0].histogram_value
    assert first.min >= 0.0 and first.max > 0.0


def test_histograms_are_off_by_default(tmp_path: Path) -> None:
    kinds = {type(c) for c in build_callbacks(planned(run_dir=tmp_path))}
    assert GradientNormLogger in kinds
    assert not kinds & {WeightHistogramLogger, ActivationHistogramLogger}
    run_plan = planned("histograms.weights=true", "histograms.activations=true", run_dir=tmp_path)
    kinds = {type(c) for c in build_callbacks(run_plan)}
    assert {WeightHistogramLogger, ActivationHistogramLogger} <= kinds


@pytest.mark.slow
@pytest.mark.skipif(
    not has_plugin("hydra_plugins.hydra_joblib_launcher"), reason='needs pip install ".[sweeps]"'
)
def test_joblib_launcher_runs_jobs_in_parallel_processes(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = run_sweep(
        sweep,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "data=regression",
        "loss=mse,l1",
        *QUICK_OVERRIDES,
    )
    assert result.returncode == 0, result.stderr
    assert "Joblib.Parallel(n_jobs=2" in result.stderr + result.stdout
    runs = read_sweep(sweep)
    assert sorted(r.choices["loss"] for r in runs) == ["l1", "mse"]
    assert all(r.status == "completed" for r in runs)
    # Two worker processes: each run's event file names its writer's process id.
    pids = {next(r.run_dir.glob("events.out.tfevents.*")).name.rsplit(".", 2)[1] for r in runs}
    assert len(pids) == 2


@pytest.mark.slow
@pytest.mark.skipif(
    not has_plugin("hydra_plugins.hydra_optuna_sweeper"), reason='needs pip install ".[sweeps]"'
)
def test_optuna_search_tunes_lr_and_momentum_on_the_monitored_metric(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = run_sweep(
        sweep,
        "hparams_search=lr_momentum",
        "hydra.sweeper.n_trials=3",
        *QUICK_OVERRIDES,
    )
    assert result.returncode == 0, result.stderr
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) == {"optimizer.lr", "optimizer.momentum"}
    runs = read_sweep(sweep)
    assert len(runs) == 3
    # Optuna minimised val/loss (monitor_mode=min): its best value is the best final val/loss.
    assert best["best_value"] == pytest.approx(min(r.final_monitor for r in runs), rel=1e-5)
    assert 0.001 <= best["best_params"]["optimizer.lr"] <= 1.0
