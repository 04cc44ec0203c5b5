"""Script processes forked from an interpreter that has already imported the heavy libraries.

A new ``python scripts/train.py`` process spends about five seconds of CPU importing torch,
Lightning, torchmetrics (which imports torchvision's models, scipy.signal and matplotlib) and
Hydra before it reads its command line; most of the suite's process starts are that import.
Here each script runs in a process of its own, forked from one multiprocessing *forkserver*
per test worker that imported those libraries once: a real, separate OS process with its own
pid, working folder, file descriptors, exit code and signals, running the script file as
``python script args`` would (``runpy``, ``__main__``, ``sys.argv``), and exiting as Python
does (threading's exit hooks, non-daemon threads joined, ``atexit``). trainlab's own modules
are not preloaded: each process imports them itself. What is not the same as a fresh
interpreter: the libraries are imported before the script starts, so tests that check *what* a
process imports use :func:`tests.subprocess_runs.run_script` with ``fresh_interpreter=True``.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import runpy
import sys
import threading
import traceback
from multiprocessing.context import ForkServerContext
from pathlib import Path

# What every trainlab process imports anyway (trainlab itself is left out, see above).
PRELOAD = [
    "torch",
    "torch._dynamo",  # torch.optim's first optimizer imports it
    "lightning.pytorch",
    "torchmetrics",
    "hydra",
    "omegaconf",
    "torch.utils.tensorboard",
    "tensorboard.backend.event_processing.event_accumulator",
    "matplotlib.pyplot",
    "scipy.stats",
]

_context: ForkServerContext | None = None


def forkserver() -> ForkServerContext:
    """This worker's forkserver context (its server starts, and imports, on first use)."""
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def start(
    script: Path,
    args: list[str],
    *,
    stdout: Path,
    stderr: Path,
    cwd: Path | None = None,
    new_session: bool = False,
) -> multiprocessing.process.BaseProcess:
    """Start ``python script args`` forked from the preloaded interpreter; stdout and stderr go
    to those files (the same path: one stream); ``new_session`` makes it a process group."""
    process = forkserver().Process(
        target=run_script_here,
        args=(str(script), args, str(stdout), str(stderr), str(cwd or Path.cwd())),
        kwargs={"new_session": new_session, "environment": dict(os.environ)},
    )
    process.start()
    return process


def run_script_here(
    script: str,
    args: list[str],
    stdout: str,
    stderr: str,
    cwd: str,
    *,
    new_session: bool,
    environment: dict[str, str],
) -> None:
    """In the forked process: become ``python script args`` and exit as Python would."""
    if new_session:
        os.setsid()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environment)
    _redirect(stdout, stderr)
    sys.argv = [script, *args]
    sys.path.insert(0, str(Path(script).parent))  # as for `python script`: its folder first
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        if isinstance(stop.code, int) or stop.code is None:
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:  # an uncaught exception: its traceback and exit code 1, as Python
        traceback.print_exc()
        code = 1
    # Python's own exit: threading's exit hooks, non-daemon threads joined, then atexit.
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _redirect(stdout: str, stderr: str) -> None:
    """Point file descriptors 1 and 2 (and ``sys.stdout``/``sys.stderr``) at the files."""
    out = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = out if stderr == stdout else os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(err, 2)
    for fd in {out, err}:
        os.close(fd)
    sys.stdout = open(  # noqa: SIM115
        1, "w", closefd=False, encoding="utf-8", errors="backslashreplace"
    )
    sys.stderr = open(  # noqa: SIM115
        2, "w", buffering=1, closefd=False, encoding="utf-8", errors="backslashreplace"
    )
