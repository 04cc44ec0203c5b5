"""Which command a hint names and a rerun starts: the checkout's scripts, or the console commands."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from trainlab.entry_points import command_argv, command_hint
from trainlab.paths import PROJECT_ROOT, SCRIPTS_DIR
from trainlab.run_dir import rerun_command


def test_a_process_started_from_the_scripts_names_the_scripts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "argv", [str(SCRIPTS_DIR / "train.py"), "seed=1"])
    monkeypatch.chdir(PROJECT_ROOT)
    assert (
        rerun_command(Path("runs/a b"), resume=True)
        == "python scripts/rerun.py 'runs/a b' --resume"
    )
    assert command_argv("train") == [sys.executable, str(SCRIPTS_DIR / "train.py")]
    monkeypatch.chdir(tmp_path)  # outside the checkout: the script's whole path
    assert command_hint("rerun", "x") == f"python {SCRIPTS_DIR / 'rerun.py'} x"


def test_any_other_process_names_the_console_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/home/me/.venv/bin/trainlab-train", "seed=1"])
    assert rerun_command(Path("runs/x")) == "trainlab-rerun runs/x"
    assert command_hint("rerun", "runs/x", "--resume") == "trainlab-rerun runs/x --resume"
    assert command_argv("train") == [sys.executable, "-m", "trainlab.cli.train"]
