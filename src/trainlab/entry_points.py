"""How trainlab's commands are started: ``scripts/*.py`` in a checkout, console commands installed.

An installed trainlab puts ``trainlab-train``, ``trainlab-rerun`` and ``trainlab-compare`` on the
path; a checkout also has ``scripts/train.py``, ``scripts/rerun.py`` and ``scripts/compare.py``
(thin wrappers of the same functions). A hint printed for the user ("continue with: ...") names
the kind of command this process was started with, and a rerun started by trainlab runs the
training of the same installation: the checkout's script, or the installed package's module
(never a checkout path from an installed trainlab).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from trainlab.paths import FROM_CHECKOUT, SCRIPTS_DIR


def started_from_scripts() -> bool:
    """Whether this process runs one of the checkout's ``scripts/*.py``."""
    if not FROM_CHECKOUT or not sys.argv or not sys.argv[0].endswith(".py"):
        return False
    return Path(sys.argv[0]).resolve().parent == SCRIPTS_DIR


def command_hint(command: str, *args: str) -> str:
    """``command`` with ``args`` as the user would type it now, quoted for a POSIX shell.

    ``python scripts/rerun.py ARGS`` when this process came from the checkout's scripts (the
    path relative to the working directory when it lies inside), else ``trainlab-rerun ARGS``.
    """
    quoted = " ".join(shlex.quote(arg) for arg in args)
    if started_from_scripts():
        script = SCRIPTS_DIR / f"{command}.py"
        shown = os.path.relpath(script) if script.is_relative_to(Path.cwd()) else str(script)
        return f"python {shlex.quote(shown)} {quoted}".rstrip()
    return f"trainlab-{command} {quoted}".rstrip()


def command_argv(command: str) -> list[str]:
    """The argv that starts ``command`` with this interpreter and this installation of trainlab."""
    if started_from_scripts():
        return [sys.executable, str(SCRIPTS_DIR / f"{command}.py")]
    return [sys.executable, "-m", f"trainlab.cli.{command}"]
