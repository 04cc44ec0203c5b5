"""``python scripts/compare.py SWEEP_DIR``: configurations compared over their seeds, and plots."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from trainlab.compare.comparison import (
    DEFAULT_ALPHA,
    SweepComparison,
    UnknownMetricError,
    available_metrics,
    compare_sweep,
)
from trainlab.compare.grouped_table import ordered_runs, render_comparison
from trainlab.compare.reader import NoRunsError, RunSummary, read_sweep
from trainlab.compare.stats import PAIRED_TESTS
from trainlab.compare.table import COLUMNS, FORMATS, render, sort_runs


def parser() -> argparse.ArgumentParser:
    """The command line of ``scripts/compare.py``."""
    p = argparse.ArgumentParser(
        prog="compare.py",
        description="Compare the configurations of a sweep (e.g. outputs/multirun/<time>): runs "
        "that differ only in seed are replicates; each configuration gets n, mean ± std and a "
        "95%% confidence interval of its final and best metric, and is tested against the best "
        "one (paired by seed, Holm-adjusted). A sweep with one seed per configuration gets one "
        "row per run.",
    )
    p.add_argument("sweep_dir", help="a sweep folder, a run folder, or any folder holding runs")
    p.add_argument("--per-run", action="store_true", help="one row per run instead")
    p.add_argument(
        "--metric",
        metavar="NAME",
        help="compare on this final metric (val/loss, test/acc, grad_norm/hidden1, ...; "
        "default: the monitored one)",
    )
    p.add_argument(
        "--mode",
        choices=("min", "max"),
        help="whether smaller or larger --metric is better (default: the monitor's mode, or "
        "inferred from the name: loss, mse, mae, grad_norm → min; acc, f1, r2 → max)",
    )
    p.add_argument(
        "--test",
        choices=tuple(PAIRED_TESTS),
        default="t",
        help="test for seed-paired configurations: paired t-test, or Wilcoxon signed-rank "
        "(unpaired ones always get Welch's t-test); default t",
    )
    p.add_argument(
        "--alpha",
        type=_probability,
        default=DEFAULT_ALPHA,
        help=f"significance level of the verdicts, after Holm's adjustment (default {DEFAULT_ALPHA})",
    )
    p.add_argument(
        "--sort",
        metavar="METRIC",
        help="order the rows by a metric (val/acc, best/val/loss, grad_norm/output), epochs or "
        "wall_time_s: per run, or by each configuration's mean (default: best first)",
    )
    p.add_argument("--descending", action="store_true", default=None, help="largest first")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format")
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help="also draw loss, metric and gradient-norm curves: each configuration's mean over "
        "its seeds with a band (one line per run when there is one seed per configuration)",
    )
    p.add_argument(
        "--band",
        choices=("ci", "std"),
        default="ci",
        help="the band in --plot: 95%% CI of the mean (default) or ± one standard deviation",
    )
    p.add_argument(
        "--plot-layers",
        metavar="FILE.png",
        help="also draw each configuration's mean final gradient norm per layer, input to "
        "output (log scale): vanishing gradients at a glance",
    )
    p.add_argument("--log-scale", action="store_true", help="logarithmic y axes in --plot")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Print the comparison; return the exit status (2 when there are no runs or bad options)."""
    args = parser().parse_args(argv)
    try:
        runs = read_sweep(args.sweep_dir)
    except NoRunsError as error:
        return _error(str(error))
    _report_notes(runs)
    try:
        comparison = compare_sweep(runs, args.metric, args.mode, args.alpha, args.test)
        _check_sort_key(runs, args.sort)
    except UnknownMetricError as error:
        return _error(str(error))
    if args.per_run:
        text = render(ordered_runs(comparison, args.sort, args.descending), args.format)
    else:
        text = render_comparison(comparison, args.format, args.sort, args.descending)
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # The reader (| head) left: as Python's docs advise, send the rest nowhere, quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    _plot(args, comparison)
    return 0


def _plot(args: argparse.Namespace, comparison: SweepComparison) -> None:
    """Write the pictures asked for (matplotlib is imported only then)."""
    if not (args.plot or args.plot_layers):
        return
    from trainlab.compare.plot import plot_groups, plot_layers, plot_runs

    if args.plot:
        if comparison.replicated() and not args.per_run:
            path = plot_groups(comparison, args.plot, args.band, args.log_scale, args.sweep_dir)
        else:
            runs = sort_runs(comparison.runs)
            path = plot_runs(runs, args.plot, log_scale=args.log_scale, title=args.sweep_dir)
        print(f"plot written to {path}", file=sys.stderr)
    if args.plot_layers:
        path = plot_layers(comparison, args.plot_layers, title=args.sweep_dir)
        print(f"layer plot written to {path}", file=sys.stderr)


def _check_sort_key(runs: Sequence[RunSummary], sort: str | None) -> None:
    """Refuse a ``--sort`` key no run has, naming the ones they have."""
    if sort is None or sort in COLUMNS:
        return
    available = available_metrics(runs)
    if sort not in available:
        raise UnknownMetricError(
            f"cannot sort by {sort!r}: no run has it; choose one of: "
            f"{', '.join([*COLUMNS, *available])}"
        )


def _report_notes(runs: Sequence[RunSummary]) -> None:
    """Whatever could not be read cleanly, one line per run, on stderr."""
    for run in runs:
        for note in run.notes:
            print(f"trainlab: note: {run.name}: {note}", file=sys.stderr)


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"alpha must be between 0 and 1, got {text}")
    return value


def _error(message: str) -> int:
    print(f"trainlab: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
