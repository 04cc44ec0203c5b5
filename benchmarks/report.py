"""What every suite reports: repeats in an interleaved order, medians with their spread, ratios."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.settings import REFERENCES


@dataclass
class Spread:
    """Repeated measurements of one quantity: their median, extremes and every value."""

    median: float
    low: float
    high: float
    repeats: list[float]

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        """The spread of ``values`` (at least one)."""
        return cls(statistics.median(values), min(values), max(values), list(values))

    def scaled(self, factor: float) -> Spread:
        """The same measurements in another unit (seconds → milliseconds: 1000)."""
        return Spread.of([value * factor for value in self.repeats])

    def text(self, digits: int = 2) -> str:
        """``median (low–high)``."""
        return f"{self.median:.{digits}f} ({self.low:.{digits}f}–{self.high:.{digits}f})"


def interleaved(names: Sequence[str], repeats: int) -> Iterator[tuple[int, str]]:
    """``(repeat, name)`` for every repeat of every name: a, b, c, then b, c, a, then c, a, b, …

    Interleaving spreads the slow phases of a shared machine over all paths instead of one;
    rotating the order keeps any path from always running right after the same other one.
    """
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in [*names[shift:], *names[:shift]]:
            yield repeat, name


def speed_ratios(seconds: dict[str, float], name: str) -> dict[str, float]:
    """How fast ``name`` runs relative to each reference path measured: reference time / its time.

    1.0 is as fast as the reference, 0.5 twice as slow.
    """
    return {
        reference: seconds[reference] / seconds[name]
        for reference in REFERENCES
        if reference in seconds
    }


def paired_speed_ratios(repeats: dict[str, list[float]], name: str) -> dict[str, float]:
    """:func:`speed_ratios` within each interleaved round, then their median over the rounds.

    A shared machine drifts in speed over an invocation (the same path's epochs here spread by
    ±30 % from one round to the next); paths measured in the same round share its speed, so
    the ratio of a round's pair varies less than the ratio of medians taken over all rounds.
    """
    return {
        reference: statistics.median(
            ref / own for ref, own in zip(repeats[reference], repeats[name], strict=True)
        )
        for reference in REFERENCES
        if reference in repeats
    }


def ratio_columns(paths: Sequence[str]) -> list[str]:
    """The references among ``paths``, in the tables' column order."""
    return [reference for reference in REFERENCES if reference in paths]


def environment() -> dict[str, Any]:
    """Versions and hardware, so a number can be traced to the machine that produced it."""
    import lightning
    import torch

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_before": list(os.getloadavg()),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info
