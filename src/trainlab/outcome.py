"""How a run ends: one table from each ending to its record status, exit code and message.

The command line, sweeps and resumes all read this table; nothing else decides exit codes.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from trainlab.run_dir import RunStatus, rerun_command


class Ending(str, Enum):
    """Every way a run can end."""

    COMPLETED = "completed"
    BAD_INPUT = "bad_input"  # refused before training: nothing was trained
    DIVERGED = "diverged"  # a NaN or infinite training loss
    SIGTERM = "sigterm"  # stopped by SIGTERM (pre-emption, a time limit): resumable
    CTRL_C = "ctrl_c"  # stopped by Ctrl-C (SIGINT): resumable
    FAILED = "failed"  # any other exception


@dataclass(frozen=True)
class EndingRule:
    """What an ending means: the record's status, the exit code, and how its message starts."""

    status: RunStatus
    exit_code: int
    label: str


ENDINGS: dict[Ending, EndingRule] = {
    Ending.COMPLETED: EndingRule(RunStatus.COMPLETED, 0, "trainlab: done"),
    # A single run refused for bad input writes no record; a sweep's job records "failed".
    Ending.BAD_INPUT: EndingRule(RunStatus.FAILED, 2, "trainlab: error"),
    Ending.DIVERGED: EndingRule(RunStatus.DIVERGED, 3, "trainlab: error"),
    Ending.SIGTERM: EndingRule(
        RunStatus.INTERRUPTED, 128 + signal.SIGTERM, "trainlab: interrupted"
    ),
    Ending.CTRL_C: EndingRule(RunStatus.INTERRUPTED, 128 + signal.SIGINT, "trainlab: interrupted"),
    Ending.FAILED: EndingRule(RunStatus.FAILED, 1, "trainlab: error"),
}


@dataclass
class Outcome:
    """How one run ended, with its final metrics (empty unless it trained) and its error."""

    ending: Ending
    run_dir: Path
    metrics: dict[str, float] = field(default_factory=dict)
    error: BaseException | None = None

    @property
    def rule(self) -> EndingRule:
        """This ending's row of :data:`ENDINGS`."""
        return ENDINGS[self.ending]

    @property
    def exit_code(self) -> int:
        """What the command line exits with."""
        return self.rule.exit_code

    @property
    def error_text(self) -> str | None:
        """The error as the record keeps it (``Type: message`` for unexpected failures)."""
        if self.error is None:
            return None
        if self.ending is Ending.FAILED:
            return f"{type(self.error).__name__}: {self.error}"
        return str(self.error) or self.ending.value

    def message(self) -> str:
        """The line the command line prints about this ending."""
        if self.ending is Ending.COMPLETED:
            return f"{self.rule.label}: run directory {self.run_dir}"
        text = f"{self.rule.label}: {self.error_text}"
        resume = rerun_command(self.run_dir, resume=True)
        if isinstance(self.error, OSError):  # a full disk, a folder that cannot be written
            text += f"; once {self.run_dir} can be written again, continue with: {resume}"
        elif self.ending is Ending.FAILED:
            text += f" (the traceback is in {self.run_dir / 'train.log'})"
        if self.ending in (Ending.SIGTERM, Ending.CTRL_C):
            text += f"; continue with: {resume}"
        return text
