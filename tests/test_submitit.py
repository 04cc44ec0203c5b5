"""Cluster sweeps through hydra-submitit-launcher: local jobs for real, the SLURM config composed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.subprocess_runs import TRAIN, run_script, run_sweep
from tests.test_ddp import TINY, final_metrics

pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="needs the `cluster` extra")


def run_train(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``scripts/train.py args`` run from ``cwd``."""
    return run_script(TRAIN, *args, timeout=400, cwd=cwd)


def test_slurm_launcher_defaults_one_task_per_gpu_and_the_requeue_signal(tmp_path: Path) -> None:
    result = run_train(
        tmp_path,
        "hydra/launcher=submitit_slurm",
        "hydra.launcher.gpus_per_node=4",
        "trainer.num_nodes=2",
        "--cfg",
        "hydra",
        "-p",
        "hydra.launcher",
    )
    assert result.returncode == 0, result.stderr
    assert "is validated against ConfigStore schema" not in result.stderr
    printed = result.stdout
    for line in (
        "_target_: hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
        "gpus_per_node: 4",
        "tasks_per_node: ${.gpus_per_node}",
        "nodes: ${trainer.num_nodes}",
        "timeout_min: 240",
        "signal: USR1@90",
        "max_num_timeout: 0",
        "account: null",  # a plugin field this file does not set: the plugin's schema is merged
    ):
        assert line in printed, line


@pytest.mark.slow
def test_submitit_local_sweep_completes_both_runs(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = run_sweep(
        sweep,
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=10",
        *TINY,
        "seed=1,2",
        timeout=400,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    run_dirs = sorted(p for p in sweep.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert [p.name for p in run_dirs] == [
        f"data.n_samples=400,seed={seed},trainer.accelerator=cpu,"
        f"trainer.log_every_n_steps=2,trainer.max_epochs=2"
        for seed in (1, 2)
    ]
    metrics = [final_metrics(run_dir) for run_dir in run_dirs]
    for run_dir, values in zip(run_dirs, metrics, strict=True):
        assert (run_dir / ".hydra" / "config.yaml").is_file()
        assert (run_dir / "checkpoints" / "last.ckpt").is_file()
        assert list(run_dir.glob("events.out.tfevents.*"))
        assert 0.0 <= values["test/acc"] <= 1.0
    assert metrics[0]["val/loss"] != metrics[1]["val/loss"]  # two seeds, two trainings
    assert (sweep / "multirun.yaml").is_file()
