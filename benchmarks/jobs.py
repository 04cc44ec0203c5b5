"""The jobs suite: what whole ``scripts/train.py`` processes cost, timed as a user runs them.

Each probe is one command, run as a subprocess and timed from start to exit, all probes
interleaved over the repeats:

- ``imports``: ``python -c "import lightning.pytorch, torchmetrics, hydra, torch.utils.tensorboard"``,
  the libraries any Lightning + Hydra + TensorBoard job imports: the floor of a job's time;
- ``help``: ``train.py --help``; ``bad_input``: ``train.py optimizer.lr=abc`` (exit 2, nothing
  trained); both must stay fast;
- ``default_job``: ``train.py`` as shipped;
- ``single_job``: one tiny job alone (see :class:`~benchmarks.settings.JobSweep`);
- ``sweep_<N>`` and ``sweep_<M>``: ``train.py -m seed=…`` sweeps of N and M tiny jobs, the small
  one of the large one's last N seeds.

An extra job costs ``(sweep_M - sweep_N) / (M - N)``, paired within each repeat. Beside it: the
job's training steps (``global_step`` in its ``run.json``) times trainlab's steady per-step time
on the same model and batch, measured in this process by the steps suite; the rest is what a
job costs beyond its own steps. The same cost is also read inside the large sweep, free of the
two processes' start-up times (which spread by seconds on a shared machine): the spacing of its
jobs' ends (``ended_at`` in their records), first to last, per job. That spacing leaves out the
composition of each job before the first one starts. Every job's final metrics must be
identical wherever its seed ran (alone or early in the small sweep, later in the large one, in
every repeat): a cut that leaks state between the jobs of one process shows up here.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.report import Spread, interleaved
from benchmarks.settings import TRAINLAB, JobSweep, StepWindow, Workload
from trainlab.paths import PROJECT_ROOT

TRAIN = PROJECT_ROOT / "scripts" / "train.py"
IMPORT_FLOOR = "import lightning.pytorch, torchmetrics, hydra, torch.utils.tensorboard"
PROBE_TIMEOUT_S = 1800


@dataclass(frozen=True)
class Probe:
    """One timed command: its name, arguments after ``python``, and the exit code it must give."""

    name: str
    arguments: tuple[str, ...]
    exit_code: int = 0
    # Where the command writes its run (``hydra.run.dir``) or sweep (``hydra.sweep.dir``).
    output_key: str | None = None

    def command(self, output: Path) -> list[str]:
        """The command line, writing into ``output``."""
        extra = [f"{self.output_key}={output}"] if self.output_key else []
        return [sys.executable, *self.arguments, *extra]

    def shown(self) -> str:
        """The command as typed from the repository root (``WORK``: the suite's folder, ``R``: the repeat)."""
        root = f"{PROJECT_ROOT}/"
        arguments = [argument.removeprefix(root) for argument in self.arguments]
        extra = [f"{self.output_key}=WORK/{self.name}-R"] if self.output_key else []
        return shlex.join(["python", *arguments, *extra])


def seeds(first: int, stop: int) -> str:
    """``seed=first,…,stop-1`` as a sweep override."""
    return "seed=" + ",".join(str(seed) for seed in range(first, stop))


def probes(sweep: JobSweep, groups: Sequence[str]) -> list[Probe]:
    """The probes of ``groups`` (some of :data:`~benchmarks.settings.JOB_PROBES`), in order."""
    train, tiny = str(TRAIN), sweep.overrides()
    by_group = {
        "imports": [Probe("imports", ("-c", IMPORT_FLOOR))],
        "help": [Probe("help", (train, "--help"))],
        "bad_input": [Probe("bad_input", (train, "optimizer.lr=abc"), 2, "hydra.run.dir")],
        "default_job": [Probe("default_job", (train,), 0, "hydra.run.dir")],
        "single_job": [
            Probe(
                "single_job",
                (train, *tiny, f"seed={sweep.more_jobs - 1}"),
                0,
                "hydra.run.dir",
            )
        ],
        "sweeps": [
            Probe(
                f"sweep_{count}",
                (train, "-m", *tiny, seeds(sweep.more_jobs - count, sweep.more_jobs)),
                0,
                "hydra.sweep.dir",
            )
            for count in (sweep.jobs, sweep.more_jobs)
        ],
    }
    return [probe for group in groups for probe in by_group[group]]


def run_probe(probe: Probe, output: Path, cwd: Path, threads: int | None = None) -> float:
    """Run ``probe`` to completion (with ``threads`` OpenMP threads if given); its wall seconds.

    A wrong exit code is an error.
    """
    command = probe.command(output)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)} if threads else None
    started = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != probe.exit_code:
        raise RuntimeError(
            f"{probe.name} exited {result.returncode}, expected {probe.exit_code}: "
            f"{' '.join(command)}\n{result.stderr[-2000:]}"
        )
    return seconds


@dataclass
class ProbeResult:
    """One probe's command and wall seconds over the repeats."""

    name: str
    command: str
    seconds: Spread


@dataclass
class JobsReport:
    """What ``benchmark.py --suite jobs`` prints, in JSON-ready form."""

    sweep: dict[str, Any]
    probes: list[ProbeResult] = field(default_factory=list)
    # Per extra job in a sweep, and its parts (None when the sweeps were not run).
    extra_job_s: Spread | None = None
    # Inside each large sweep: (last job's end - first job's end) / (jobs - 1).
    job_spacing_s: Spread | None = None
    steps_per_job: int | None = None
    step_ms: Spread | None = None
    training_s_per_job: float | None = None
    beyond_training_s_per_job: float | None = None
    # The extra job over the imports probe, both timed in this invocation: a figure that stays
    # comparable when the machine's speed changes between invocations.
    extra_job_share_of_imports: float | None = None
    # How much of the default job's time its imports take (imports / default_job).
    imports_share_of_default_job: float | None = None
    # seed → the runs whose final metrics were compared; mismatches name each difference.
    metrics_compared: dict[int, list[str]] = field(default_factory=dict)
    metrics_mismatches: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain dicts and lists for ``json.dump``."""
        return asdict(self)


def extra_job_share(extra_job_s: Spread, medians: dict[str, float]) -> float | None:
    """The extra job's median over the ``imports`` probe's (None without that probe)."""
    return extra_job_s.median / medians["imports"] if "imports" in medians else None


def measure_jobs(
    sweep: JobSweep,
    groups: Sequence[str],
    repeats: int,
    step_workload: Workload,
    window: StepWindow,
    work_dir: Path | None = None,
    threads: int | None = None,
) -> JobsReport:
    """Time every probe ``repeats`` times, interleaved; derive the cost of an extra job."""
    timed = probes(sweep, groups)
    seconds: dict[str, list[float]] = {probe.name: [] for probe in timed}
    report = JobsReport(asdict(sweep))
    with tempfile.TemporaryDirectory(prefix="trainlab-benchmark-") as scratch:
        root = Path(work_dir or scratch)
        root.mkdir(parents=True, exist_ok=True)
        by_name = {probe.name: probe for probe in timed}
        for repeat, name in interleaved(list(by_name), repeats):
            output = root / f"{name}-{repeat}"
            seconds[name].append(run_probe(by_name[name], output, root, threads))
        report.probes = [ProbeResult(p.name, p.shown(), Spread.of(seconds[p.name])) for p in timed]
        medians = {name: Spread.of(values).median for name, values in seconds.items()}
        if "imports" in medians and "default_job" in medians:
            report.imports_share_of_default_job = medians["imports"] / medians["default_job"]
        if "sweeps" in groups:
            small, large = f"sweep_{sweep.jobs}", f"sweep_{sweep.more_jobs}"
            extra = [
                (more - fewer) / (sweep.more_jobs - sweep.jobs)
                for fewer, more in zip(seconds[small], seconds[large], strict=True)
            ]
            report.extra_job_s = Spread.of(extra)
            records = job_records(root, sweep, groups)
            report.job_spacing_s = Spread.of(
                [job_spacing(path) for path in sorted(root.glob(f"{large}-*"))]
            )
            report.metrics_compared, report.metrics_mismatches = compare_metrics(records)
            report.steps_per_job = max(
                r["global_step"] for runs in records.values() for r in runs.values()
            )
            report.step_ms = trainlab_step_ms(step_workload, window, repeats)
            report.training_s_per_job = report.steps_per_job * report.step_ms.median / 1000
            report.beyond_training_s_per_job = report.extra_job_s.median - report.training_s_per_job
            report.extra_job_share_of_imports = extra_job_share(report.extra_job_s, medians)
    return report


def job_records(
    root: Path, sweep: JobSweep, groups: Sequence[str]
) -> dict[int, dict[str, dict[str, Any]]]:
    """seed → {where it ran (``sweep_6-0/…``, ``single_job-0``): its ``run.json``}."""
    records: dict[int, dict[str, dict[str, Any]]] = {}
    names = [f"sweep_{sweep.jobs}", f"sweep_{sweep.more_jobs}"]
    if "single_job" in groups:
        names.append("single_job")
    for name in names:
        for path in sorted(root.glob(f"{name}-*/**/run.json")):
            record = json.loads(path.read_text())
            where = str(path.parent.relative_to(root))
            records.setdefault(int(record["seed"]), {})[where] = record
    return records


def job_spacing(sweep_dir: Path) -> float:
    """Seconds between consecutive job ends in ``sweep_dir``: first to last end, per job."""
    ends = sorted(
        datetime.fromisoformat(json.loads(path.read_text())["ended_at"])
        for path in sweep_dir.glob("*/run.json")
    )
    return (ends[-1] - ends[0]).total_seconds() / (len(ends) - 1)


def compare_metrics(
    records: dict[int, dict[str, dict[str, Any]]],
) -> tuple[dict[int, list[str]], list[str]]:
    """For every seed run more than once: the runs compared, and each final metric that differs."""
    compared: dict[int, list[str]] = {}
    mismatches: list[str] = []
    for seed, runs in sorted(records.items()):
        if len(runs) < 2:
            continue
        compared[seed] = list(runs)
        (first, reference), *others = runs.items()
        for where, record in others:
            for key in sorted(set(reference["final_metrics"]) | set(record["final_metrics"])):
                a = reference["final_metrics"].get(key)
                b = record["final_metrics"].get(key)
                if a != b:
                    mismatches.append(f"seed {seed} {key}: {a} in {first}, {b} in {where}")
    return compared, mismatches


def trainlab_step_ms(workload: Workload, window: StepWindow, repeats: int) -> Spread:
    """trainlab's steady milliseconds per training step on ``workload`` (the steps suite's)."""
    from benchmarks.steps import measure_steps

    return measure_steps(workload, window, [TRAINLAB], repeats).paths[0].ms_per_step


def format_jobs_table(report: JobsReport) -> str:
    """Each probe's seconds (median, min–max); then the extra-job cost and the metric check."""
    lines = [f"{'probe':<14} {'seconds (min–max)':>24}  command"]
    for probe in report.probes:
        lines.append(f"{probe.name:<14} {probe.seconds.text(2):>24}  {probe.command}")
    if report.imports_share_of_default_job is not None:
        share = 100 * report.imports_share_of_default_job
        lines.append(f"imports are {share:.0f}% of the default job's time")
    if report.extra_job_s is not None:
        lines.append(
            f"each extra job in a sweep: {report.extra_job_s.text(3)} s; its "
            f"{report.steps_per_job} training steps at {report.step_ms.median:.3f} ms: "
            f"{report.training_s_per_job:.3f} s; beyond them: "
            f"{report.beyond_training_s_per_job:.3f} s"
        )
        lines.append(
            f"jobs end every {report.job_spacing_s.text(3)} s inside the sweep of "
            f"{report.sweep['more_jobs']} (no process start-up in it)"
        )
        if report.extra_job_share_of_imports is not None:
            share = 100 * report.extra_job_share_of_imports
            lines.append(f"an extra job costs {share:.1f}% of the imports probe's time")
        seeds_checked = ", ".join(str(seed) for seed in report.metrics_compared)
        verdict = "identical" if not report.metrics_mismatches else "DIFFERENT"
        lines.append(f"final metrics of seeds {seeds_checked} wherever they ran: {verdict}")
        lines.extend(f"  {mismatch}" for mismatch in report.metrics_mismatches)
    return "\n".join(lines)
