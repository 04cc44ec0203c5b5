"""Running trainlab's scripts as a user does, and reading back what the runs wrote."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests import preloaded_interpreter
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
    fresh_interpreter: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``python [python_options] script args`` to completion (in ``cwd`` if given), output captured.

    The process is forked from the worker's preloaded interpreter
    (:mod:`tests.preloaded_interpreter`) unless ``fresh_interpreter`` or ``python_options``
    ask for a new interpreter (to see what the script itself imports).
    """
    command = [sys.executable, *python_options, str(script), *args]
    if fresh_interpreter or python_options:
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    with tempfile.TemporaryDirectory() as folder:
        stdout, stderr = Path(folder) / "stdout", Path(folder) / "stderr"
        process = preloaded_interpreter.start(
            script, list(args), stdout=stdout, stderr=stderr, cwd=cwd
        )
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(command, timeout)
        return subprocess.CompletedProcess(
            command,
            process.exitcode,
            stdout.read_text(errors="replace"),
            stderr.read_text(errors="replace"),
        )


@dataclass(frozen=True)
class CliResult:
    """One case of :func:`run_cli_cases`."""

    exit_code: int
    stdout: str
    stderr: str
    # By the end of this case (or an earlier one); None unless run in a fresh interpreter.
    lightning_imported: bool | None

    @property
    def output(self) -> str:
        """stdout, then stderr."""
        return self.stdout + self.stderr


def run_cli_cases(
    cases: dict[str, list[str]],
    folder: Path,
    timeout: int = 300,
    fresh_interpreter: bool = False,
) -> dict[str, CliResult]:
    """Each case's arguments through ``train.py``'s entry point, in order, all in one process
    (``tests/cli_cases.py``): for command lines refused before training, whose own cost is far
    below a process start's, and for runs and sweeps that tests only read back (a process start
    costs seconds of imports; a test that needs a process of its own starts one). ``timeout``
    is for the whole batch: give a batch of long runs what each would have had alone. Each
    case says whether Lightning was imported by its end only in a ``fresh_interpreter``."""
    folder.mkdir(parents=True, exist_ok=True)
    cases_file, results_file = folder / "cases.json", folder / "results.json"
    cases_file.write_text(json.dumps(cases))
    finished = run_script(
        CLI_CASES,
        str(cases_file),
        str(results_file),
        timeout=timeout,
        fresh_interpreter=fresh_interpreter,
    )
    assert finished.returncode == 0, finished.stderr
    results = json.loads(results_file.read_text())
    return {
        name: CliResult(
            result["exit_code"],
            result["stdout"],
            result["stderr"],
            result["lightning"] if fresh_interpreter else None,
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

    Sorted because a resumed run has an event file per process, and TensorBoard reads them in
    name order; the sort is stable, so a step logged twice still shows twice.
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


class StartedScript:
    """A script process started by :func:`start_script`, with ``subprocess.Popen``'s ``pid``,
    ``poll`` and ``wait``."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    def poll(self) -> int | None:
        """The exit code (negative: the signal that ended it), or None while it runs."""
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the process to end; its exit code."""
        self._process.join(timeout)
        return self._process.exitcode


def start_script(script: Path, *args: str, log: Path) -> StartedScript:
    """``python script args`` (forked from the worker's preloaded interpreter) started in its own
    process group (``os.killpg(p.pid, ...)`` stops it with every process it starts), its output
    going to the file ``log``.
    """
    return StartedScript(
        preloaded_interpreter.start(script, list(args), stdout=log, stderr=log, new_session=True)
    )


def wait_for(process: StartedScript, condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail if ``process`` ends first."""
    deadline = time.monotonic() + 240
    while not condition():
        assert process.poll() is None, f"the process ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.0005)


def freeze(process: StartedScript) -> None:
    """Stop ``process``'s whole group where it is (it can still be killed or continued)."""
    os.killpg(process.pid, signal.SIGSTOP)


def kill(process: StartedScript) -> None:
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
