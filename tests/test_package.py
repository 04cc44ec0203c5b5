"""trainlab as a user installs it: the built wheel in a fresh virtual environment, used from an
empty folder that holds only the user's own loss (a module and its YAML).

The wheel is built offline (hatchling, from the dev extra) and installed without dependencies;
the fresh environment sees this environment's packages through a ``.pth`` file (never the
checkout's ``src/``), so torch is not installed again.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FAST_OVERRIDES
from tests.subprocess_runs import record, run_script, scalars
from tests.test_resume import RESUME_RUN, wait_for_training_past_epoch
from tests.test_train_cli import USER_LOSS
from trainlab.csv_metrics import read_curves
from trainlab.paths import PROJECT_ROOT

USER_RUN = (*RESUME_RUN, "data=regression", "loss=log_cosh", "imports=[my_losses]", "logger=many")


@dataclass
class Installed:
    """A fresh virtual environment holding the built wheel, and the user's project folder."""

    bin: Path
    project: Path

    def run(self, command: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """``trainlab-<command> args`` from the project folder, output captured."""
        return subprocess.run(
            [str(self.bin / f"trainlab-{command}"), *args],
            cwd=self.project,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel, install it into a new venv, and lay out an empty user project."""
    root = tmp_path_factory.mktemp("package")
    wheels = root / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(PROJECT_ROOT)],
        check=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("trainlab-*.whl")
    environment = root / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    shared = [p for p in sys.path if p and Path(p).is_dir() and not _in_checkout_src(Path(p))]
    (site_packages / "zz_shared.pth").write_text("\n".join(shared) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
         str(wheel)],
        check=True,
    )  # fmt: skip
    project = root / "my project"
    (project / "conf" / "loss").mkdir(parents=True)
    (project / "my_losses.py").write_text(USER_LOSS)
    (project / "conf" / "loss" / "log_cosh.yaml").write_text("name: log_cosh\n")
    return Installed(environment / "bin", project)


def _in_checkout_src(path: Path) -> bool:
    return path.resolve().is_relative_to(PROJECT_ROOT / "src")


def test_the_wheel_carries_the_configs_and_runs_from_its_own_copy(installed: Installed) -> None:
    probe = subprocess.run(
        [str(installed.bin / "python"), "-c",
         "import trainlab.paths as p; print(p.FROM_CHECKOUT, p.CONFIG_DIR)"],
        capture_output=True, text=True, check=True, cwd=installed.project,
    )  # fmt: skip
    from_checkout, config_dir = probe.stdout.split()
    assert from_checkout == "False"
    assert Path(config_dir).parent.parent.name == "site-packages"
    shipped = sorted(str(p.relative_to(config_dir)) for p in Path(config_dir).rglob("*.yaml"))
    own = sorted(
        str(p.relative_to(PROJECT_ROOT / "conf")) for p in (PROJECT_ROOT / "conf").rglob("*.yaml")
    )
    assert shipped == own


@pytest.mark.parametrize("command", ["compare", "rerun"])
def test_console_commands_answer_as_the_scripts_do(installed: Installed, command: str) -> None:
    console = installed.run(command, "--help")
    script = run_script(PROJECT_ROOT / "scripts" / f"{command}.py", "--help")
    assert console.returncode == script.returncode == 0
    assert console.stdout == script.stdout


@pytest.mark.slow  # a user run, a sweep, a rerun, a killed run and its resume: about a minute
def test_a_user_project_trains_sweeps_reruns_and_resumes_with_its_own_loss(
    installed: Installed,
) -> None:
    single = installed.project / "outputs" / "single"
    trained = installed.run("train", *USER_RUN, f"hydra.run.dir={single}")
    assert trained.returncode == 0, trained.stderr
    original = record(single)
    assert Path(original["command"][0]).name == "trainlab-train"
    final = original["final_metrics"]
    # log cosh d lies between d²/2 - d⁴/12 and d²/2: the logged loss is the user's, not mse.
    assert 0.3 * final["val/mse"] < final["val/loss"] <= 0.5 * final["val/mse"] + 1e-6

    sweep = installed.project / "sweep"
    swept = installed.run(
        "train", "-m", *FAST_OVERRIDES, "data=regression", "loss=log_cosh", "imports=[my_losses]",
        "optimizer=sgd,adam", "logger=csv", f"hydra.sweep.dir={sweep}",
    )  # fmt: skip
    assert swept.returncode == 0, swept.stderr
    jobs = sorted(p.parent for p in sweep.glob("*/run.json"))
    assert [record(job)["status"] for job in jobs] == ["completed", "completed"]
    assert all(
        record(job)["final_metrics"]["val/loss"] < record(job)["final_metrics"]["val/mse"]
        for job in jobs
    )
    compared = installed.run("compare", str(sweep), "--format", "csv")
    assert compared.returncode == 0, compared.stderr
    rows = [row for row in csv.reader(io.StringIO(compared.stdout)) if row][1:]
    assert sorted(row[0] for row in rows) == [job.name for job in jobs]

    again = installed.project / "outputs" / "again"
    rerun = installed.run("rerun", str(single), "--into", str(again))
    assert rerun.returncode == 0, rerun.stderr
    assert f"all {len(final)} final metrics are identical" in rerun.stdout
    # The rerun ran the installed package's training, not the checkout's script.
    rerun_command = Path(record(again)["command"][0])
    assert "site-packages" in rerun_command.parts and not _in_checkout_src(rerun_command)

    killed = installed.project / "outputs" / "killed"
    process = subprocess.Popen(
        [str(installed.bin / "trainlab-train"), *USER_RUN, f"hydra.run.dir={killed}"],
        cwd=installed.project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_training_past_epoch(killed, 0, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert record(killed)["status"] == "running"
    resumed = installed.run("rerun", str(killed), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert record(killed)["status"] == "completed"
    assert record(killed)["final_metrics"] == final
    # Both loggers' curves continue: each step once, none missing.
    assert scalars(killed) == scalars(single)
    assert read_curves(killed) == read_curves(single)
