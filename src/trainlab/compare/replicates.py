"""Runs that differ only in ``seed`` are replicates of one configuration: group them.

A configuration is identified by the run's recorded overrides (Hydra's task overrides, as in
``run.json``) without ``seed`` and without the keys in :data:`RESULT_NEUTRAL_KEYS`. The overrides,
rather than the whole resolved config, because within a sweep every job shares the base config
and the experiment, so the overrides are exactly what differs between jobs; the resolved config
also holds values that differ without changing any result and would need an ever longer list of
exceptions. Values are compared as written, so ``optimizer.lr=0.1`` and ``optimizer.lr=1e-1``
count as two configurations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from trainlab.compare.reader import RunSummary
from trainlab.run_dir import RunStatus

SEED_KEY = "seed"
# Overrides that cannot change a run's numbers: the progress bar only draws, a resumed run ends
# bit-exactly where the uninterrupted one would (see README, Resuming), and data.download only
# decides whether to fetch files whose checksums are then verified.
RESULT_NEUTRAL_KEYS = frozenset({"trainer.enable_progress_bar", "resume", "data.download"})
COMPLETED = RunStatus.COMPLETED.value
# Shown in every group's status counts, zero or not, so a missing count never hides a failure.
STATUSES = (COMPLETED, *(status.value for status in RunStatus if status != RunStatus.COMPLETED))
# A completed run whose seed already has a completed replicate in its configuration (a rerun).
DUPLICATE = "duplicate seed"


@dataclass
class Configuration:
    """One configuration and its replicates: completed ones in seed order, then the others."""

    key: tuple[tuple[str, str], ...]
    config: dict[str, str]
    label: str
    replicates: list[RunSummary]
    others: list[RunSummary] = field(default_factory=list)
    duplicates: list[RunSummary] = field(default_factory=list)

    @property
    def seeds(self) -> list[int | None]:
        """The seeds of the completed replicates, in order."""
        return [run.seed for run in self.replicates]

    @property
    def runs(self) -> list[RunSummary]:
        """Every run of the configuration: completed replicates, then the rest."""
        return [*self.replicates, *self.others, *self.duplicates]

    def statuses(self) -> dict[str, int]:
        """How many runs ended in each status (every run status listed, even at zero)."""
        counts = dict.fromkeys(STATUSES, 0)
        counts[COMPLETED] = len(self.replicates)
        for run in self.others:
            counts[run.status] = counts.get(run.status, 0) + 1
        if self.duplicates:
            counts[DUPLICATE] = len(self.duplicates)
        return counts

    def not_completed(self) -> str:
        """``"1 failed, 2 diverged"``: the runs left out of the statistics, or ``""``."""
        counts = self.statuses()
        return ", ".join(
            f"{count} {status}" for status, count in counts.items() if status != COMPLETED and count
        )


def configuration_key(run: RunSummary) -> tuple[tuple[str, str], ...]:
    """The run's overrides without seed and result-neutral keys, as a sorted tuple."""
    return tuple(
        sorted(
            (key, value)
            for key, value in run.choices.items()
            if key != SEED_KEY and key not in RESULT_NEUTRAL_KEYS
        )
    )


def group_replicates(runs: Sequence[RunSummary]) -> list[Configuration]:
    """The runs grouped by configuration, in the order each configuration first appears.

    Only completed runs are replicates; a second completed run with the same seed in the same
    configuration (a rerun) is kept aside, since counting it would fake a smaller spread.
    """
    by_key: dict[tuple[tuple[str, str], ...], list[RunSummary]] = {}
    for run in runs:
        by_key.setdefault(configuration_key(run), []).append(run)
    varying = _varying_keys(list(by_key))
    groups = []
    for key, members in by_key.items():
        config = {k: v for k, v in key if k in varying}
        replicates: dict[int | None, RunSummary] = {}
        others, duplicates = [], []
        for run in members:
            if run.status != COMPLETED:
                others.append(run)
            elif run.seed in replicates:
                duplicates.append(run)
            else:
                replicates[run.seed] = run
        ordered = sorted(replicates.values(), key=lambda r: (r.seed is None, r.seed or 0))
        groups.append(
            Configuration(key, config, _label(config, len(by_key)), ordered, others, duplicates)
        )
    return groups


def _varying_keys(keys: Sequence[tuple[tuple[str, str], ...]]) -> set[str]:
    """Override keys whose value (or presence) differs between configurations."""
    names = {name for key in keys for name, _ in key}
    return {name for name in names if len({dict(key).get(name) for key in keys}) > 1}


def _label(config: dict[str, str], configurations: int) -> str:
    """``loss=bce,optimizer=adam``; ``all runs`` when there is one configuration."""
    if configurations == 1:
        return "all runs"
    return ",".join(f"{k}={v}" for k, v in config.items()) or "defaults"
