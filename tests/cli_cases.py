"""Run ``scripts/train.py``'s entry point once per case in this one process; used by tests that
check many bad command lines, each of which ends before anything is trained.

Usage: ``python tests/cli_cases.py CASES.json RESULTS.json``, where CASES maps a case's name to
its command-line arguments; RESULTS maps it to its exit code, its stdout and stderr (read from
the process's file descriptors) and whether Lightning had been imported by then (once imported
it stays, so the first case to import it is the one that shows it). Cases run in order, so a
case may train a run (or sweep) that a later case uses. One process instead of one per case:
each start costs seconds of imports.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def run_case(arguments: list[str]) -> tuple[int, str, str]:
    """The entry point with ``arguments`` as its command line: exit code, stdout, stderr."""
    from hydra.core.global_hydra import GlobalHydra

    from trainlab.cli.train import main

    with tempfile.TemporaryFile(mode="w+b") as out, tempfile.TemporaryFile(mode="w+b") as err:
        sys.stdout.flush(), sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1), os.dup2(err.fileno(), 2)
        sys.argv = ["train.py", *arguments]
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        finally:
            sys.stdout.flush(), sys.stderr.flush()
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])
            GlobalHydra.instance().clear()
        out.seek(0), err.seek(0)
        return code, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def main() -> None:
    cases_file, results_file = map(Path, sys.argv[1:3])
    cases = json.loads(cases_file.read_text())
    results = {}
    for name, arguments in cases.items():
        code, stdout, stderr = run_case(arguments)
        results[name] = {
            "exit_code": code,
            "stdout": stdout,
            "stderr": stderr,
            "lightning": "lightning" in sys.modules,
        }
    results_file.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
