"""Run ``scripts/train.py``'s entry point once per case in this one process; used by tests that
check many bad command lines, each of which ends before anything is trained.

Usage: ``python tests/cli_cases.py CASES.json RESULTS.json``, where CASES maps a case's name to
its command-line arguments; RESULTS maps it to its exit code, its output (stdout and stderr
together, read from the process's file descriptors) and whether Lightning had been imported
by then (once imported it stays, so the first case to import it is the one that shows it).
One process instead of one per case: each start costs seconds of imports.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def run_case(arguments: list[str]) -> tuple[int, str]:
    """The entry point with ``arguments`` as its command line: exit code and output."""
    from hydra.core.global_hydra import GlobalHydra

    from trainlab.cli.train import main

    with tempfile.TemporaryFile(mode="w+b") as output:
        sys.stdout.flush(), sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(output.fileno(), 1), os.dup2(output.fileno(), 2)
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
        output.seek(0)
        return code, output.read().decode(errors="replace")


def main() -> None:
    cases_file, results_file = map(Path, sys.argv[1:3])
    cases = json.loads(cases_file.read_text())
    results = {}
    for name, arguments in cases.items():
        code, text = run_case(arguments)
        results[name] = {"exit_code": code, "output": text, "lightning": "lightning" in sys.modules}
    results_file.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
