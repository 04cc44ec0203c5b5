"""``benchmark.py --suite profile``: py-spy samples summed by category, and its errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.subprocess_runs import run_script
from trainlab.benchmark.profile import (
    CATEGORIES,
    NATIVE,
    OTHER,
    categorize,
    check_recorded,
    check_runs_completed,
    py_spy_executable,
)
from trainlab.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "benchmark.py"
STEP = (
    "<module> (train.py:6);run_job (hydra/core/utils.py:186);Trainer.fit "
    "(lightning/pytorch/trainer/trainer.py:584);Closure.closure "
    "(lightning/pytorch/loops/optimization/automatic.py:130)"
)


def test_each_sample_counts_once_for_the_first_matching_category() -> None:
    collapsed = [
        f"{STEP};TrainLabModule.training_step (trainlab/module.py:72) 5\n",
        # The loss's log call inside the training step is logging, not the step itself.
        f"{STEP};TrainLabModule.training_step (trainlab/module.py:74);"
        "LightningModule.log (lightning/pytorch/core/module.py:400) 3\n",
        f"{STEP};backward (torch/autograd/__init__.py:364);_engine_run_backward "
        "(torch/autograd/graph.py:841) 4\n",
        f"{STEP} 2\n",
        "<module> (train.py:1);_find_and_load (<frozen importlib._bootstrap>:1176) 7\n",
        "run_job (hydra/core/utils.py:186);compose (hydra/compose.py:38) 1\n",
        "Module.__setattr__ (torch/nn/modules/module.py:2000) 6\n",
        " 9\n",
        "a line py-spy never writes\n",
    ]
    assert categorize(collapsed) == {
        "training step: forward and loss": 5,
        "Lightning logging (self.log)": 3,
        "training step: backward": 4,
        "Lightning step closure": 2,
        "imports": 7,
        "Hydra: compose and launch jobs": 1,
        OTHER: 6,
        NATIVE: 9,
    }


def test_category_names_are_unique() -> None:
    names = [name for name, _ in CATEGORIES]
    assert len(names) == len(set(names)) and OTHER not in names and NATIVE not in names


def test_profiled_runs_must_all_have_completed(tmp_path: Path) -> None:
    for name, status in (("a", "completed"), ("b", "completed")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(json.dumps({"status": status}))
    check_runs_completed(tmp_path, 2)
    with pytest.raises(ValueError, match=r"did not complete: 2 of 3 run records"):
        check_runs_completed(tmp_path, 3)
    (tmp_path / "b" / "run.json").write_text(json.dumps({"status": "failed"}))
    with pytest.raises(ValueError, match=r"statuses \['completed', 'failed'\]; its train.log"):
        check_runs_completed(tmp_path, 2)


def test_a_command_py_spy_left_no_samples_of_is_an_error(tmp_path: Path) -> None:
    argv = ["-c", "pass"]
    empty = tmp_path / "stacks.txt"
    empty.write_text("")
    finished = subprocess.CompletedProcess(["py-spy"], 0, "Samples: 0 Errors: 0", "")
    with pytest.raises(ValueError, match=r"no samples of python -c pass \(exit 0\): Samples: 0"):
        check_recorded(empty, argv, finished)
    # A process that exits before py-spy attaches: py-spy fails and writes nothing.
    failed = subprocess.CompletedProcess(["py-spy"], 1, "", "Error: Failed to get process")
    with pytest.raises(ValueError, match=r"\(exit 1\): Error: Failed to get process"):
        check_recorded(tmp_path / "absent.txt", argv, failed)
    empty.write_text("<module> (x.py:1) 3\n")
    check_recorded(empty, argv, finished)


def test_a_used_profile_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    earlier = tmp_path / "default_job.collapsed.txt"
    earlier.write_text("kept\n")
    result = run_script(SCRIPT, "--suite", "profile", "--profile-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"--profile-dir {tmp_path} is not empty (default_job.collapsed.txt)" in result.stderr
    assert earlier.read_text() == "kept\n"
    assert [path.name for path in tmp_path.iterdir()] == [earlier.name]


def test_profile_suite_profiles_the_default_job_and_a_12_run_sweep(tmp_path: Path) -> None:
    profile_dir = tmp_path / "profile"
    args = [
        "--suite",
        "profile",
        "--profile-dir",
        str(profile_dir),
        "--json",
        str(tmp_path / "p.json"),
    ]
    result = run_script(SCRIPT, *args, timeout=600)
    if _py_spy_missing():
        assert result.returncode == 2
        assert "the profile suite needs py-spy: pip install py-spy" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "p.json").read_text())
    job, sweep = report["profiles"]["default_job"], report["profiles"]["sweep_12_runs"]
    for profile in (job, sweep):
        assert Path(profile["collapsed_stacks"]).stat().st_size > 0
        assert sum(profile["share"].values()) == pytest.approx(1.0)
        assert sum(profile["seconds"].values()) == pytest.approx(profile["sampled_s"])
        assert 0 < profile["sampled_s"] <= profile["wall_s"] * 1.5
        assert profile["seconds"]["imports"] > 0
    assert sweep["seconds"]["training step: forward and loss"] > 0
    runs = list((profile_dir / "sweep_12_runs").glob("*/run.json"))
    assert len(runs) == sweep["runs"] == 12
    assert {json.loads(run.read_text())["status"] for run in runs} == {"completed"}
    assert json.loads((profile_dir / "default_job" / "run.json").read_text())["status"] == (
        "completed"
    )
    assert "[sweep_12_runs]" in result.stdout


def _py_spy_missing() -> bool:
    try:
        py_spy_executable()
    except ValueError:
        return True
    return False
