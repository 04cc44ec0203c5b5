"""Running trainlab's scripts as a user does, and reading back what the runs wrote."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from trainlab.paths import PROJECT_ROOT

TRAIN = PROJECT_ROOT / "scripts" / "train.py"
RERUN = PROJECT_ROOT / "scripts" / "rerun.py"
CLI_CASES = Path(__file__).with_name("cli_cases.py")


def run_script(
    script: Path,
    *args: str,
    timeout: int = 300,
    cwd: Path | None = None,
    python_options: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """``python [python_options] script args`` to completion (in ``cwd`` if given), output captured."""
    return subprocess.run(
        [sys.executable, *python_options, str(script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class CliResult:
    """One case of :func:`run_cli_cases`."""

    exit_code: int
    stdout: str
    stderr: str
    lightning_imported: bool  # by the end of this case (or an earlier one)

    @property
    def output(self) -> str:
        """stdout, then stderr."""
        return self.stdout + self.stderr


def run_cli_cases(
    cases: dict[str, list[str]], folder: Path, timeout: int = 300
) -> dict[str, CliResult]:
    """Each case's arguments through ``train.py``'s entry point, in order, all in one process
    (``tests/cli_cases.py``): for command lines refused before training, whose own cost is far
    below a process start's, and for runs and sweeps that tests only read back (a process start
    costs seconds of imports; a test that needs a process of its own starts one). ``timeout``
    is for the whole batch: give a batch of long runs what each would have had alone."""
    folder.mkdir(parents=True, exist_ok=True)
    cases_file, results_file = folder / "cases.json", folder / "results.json"
    cases_file.write_text(json.dumps(cases))
    finished = run_script(CLI_CASES, str(cases_file), str(results_file), timeout=timeout)
    assert finished.returncode == 0, finished.stderr
    results = json.loads(results_file.read_text())
    return {
        name: CliResult(
            result["exit_code"], result["stdout"], result["stderr"], result["lightning"]
        )
        for name, result in results.items()
    }


def run_sweep(
    sweep_dir: Path, *overrides: str, timeout: int = 300, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``scripts/train.py -m overrides`` into ``sweep_dir``, to completion, output captured."""
    return run_script(
        TRAIN, "-m", *overrides, f"hydra.sweep.dir={sweep_dir}", timeout=timeout, cwd=cwd
    )


def scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every TensorBoard scalar of ``run_dir`` as ``tag -> [(step, value), ...]`` in step order.

    Sorted because a run has several event files (Lightning reopens its writer for the test
    stage) and TensorBoard reads them in name order, where a process's writer counter puts
    ``.10`` before ``.9``; the sort is stable, so a step logged twice still shows twice.
    """
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {
        tag: sorted(
            ((event.step, event.value) for event in events.Scalars(tag)), key=lambda p: p[0]
        )
        for tag in events.Tags()["scalars"]
    }


def record(run_dir: Path) -> dict[str, Any]:
    """The run's ``run.json``."""
    return json.loads((run_dir / "run.json").read_text())


def imported_modules(importtime_stderr: str) -> set[str]:
    """The modules a process run with ``python -X importtime`` imported, from its stderr."""
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in importtime_stderr.splitlines()
        if line.startswith("import time:")
    }


def file_bytes(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path, with its content."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def start_script(script: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    """``python script args`` started in its own process group (``os.killpg(p.pid, ...)`` stops
    it with every process it starts), its output going to the file ``log``.
    """
    with open(log, "wb") as output:
        return subprocess.Popen(
            [sys.executable, str(script), *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(process: subprocess.Popen[bytes], condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail if ``process`` ends first."""
    deadline = time.monotonic() + 240
    while not condition():
        assert process.poll() is None, f"the process ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.0005)


def freeze(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process``'s whole group where it is (it can still be killed or continued)."""
    os.killpg(process.pid, signal.SIGSTOP)


def kill(process: subprocess.Popen[bytes]) -> None:
    """``kill -9`` ``process``'s group, and wait until none of its processes is left."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("processes of the killed group are still alive")
