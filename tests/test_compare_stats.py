"""``scripts/compare.py`` on a real multi-seed sweep: replicates, intervals, tests, verdicts, plots.

Every expected number is computed here from the runs' own ``run.json`` records (and event files)
with scipy.stats, independently of trainlab's comparison code.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
from scipy import stats

from tests.conftest import QUICK_OVERRIDES, run_script, run_sweep
from tests.subprocess_runs import imported_modules, scalars
from trainlab.cli.compare import main
from trainlab.paths import PROJECT_ROOT

COMPARE = PROJECT_ROOT / "scripts" / "compare.py"
PAIRED_SEEDS = [0, 1, 2, 3, 4]
# A second sweep with other seeds (so it is compared by Welch's t-test), one of which (-1) is
# out of numpy's seed range: that replicate fails and must be counted, not averaged.
UNPAIRED_SEEDS = [5, 6, 7]
BEST_LR, SLOW_LR, UNPAIRED_LR = "0.02", "0.001", "0.05"

pytestmark = pytest.mark.slow  # two sweeps of 14 tiny runs: about 25 s on 2 cores


@dataclass
class Sweep:
    """The sweep folder and the output of the sweep command that ended it."""

    path: Path
    last_sweep: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    """Adam at three learning rates: two with seeds 0-4, one with seeds 5-7 and a failing seed."""
    path = tmp_path_factory.mktemp("replicates") / "multirun"
    paired = run_sweep(
        path,
        "optimizer=adam",
        f"optimizer.lr={BEST_LR},{SLOW_LR}",
        f"seed={','.join(map(str, PAIRED_SEEDS))}",
        *QUICK_OVERRIDES,
    )
    assert paired.returncode == 0, paired.stderr
    unpaired = run_sweep(
        path,
        "optimizer=adam",
        f"optimizer.lr={UNPAIRED_LR}",
        f"seed={','.join(map(str, UNPAIRED_SEEDS))},-1",
        *QUICK_OVERRIDES,
    )
    assert unpaired.returncode == 1, unpaired.stderr  # the failed seed fails the sweep command
    return Sweep(path, unpaired)


def records(path: Path) -> list[dict[str, Any]]:
    """Every run record of the sweep."""
    return [json.loads(p.read_text()) for p in sorted(path.rglob("run.json"))]


def final_values(path: Path, metric: str) -> dict[str, dict[int, float]]:
    """``{lr: {seed: final metric}}`` of the completed runs, from their records."""
    values: dict[str, dict[int, float]] = {}
    for record in records(path):
        if record["status"] == "completed":
            lr = next(o.split("=")[1] for o in record["overrides"] if o.startswith("optimizer.lr="))
            values.setdefault(lr, {})[record["seed"]] = record["final_metrics"][metric]
    return values


def compare_json(capsys: pytest.CaptureFixture[str], path: Path, *options: str) -> dict[str, Any]:
    """``compare.py path --format json options``, run in this process, parsed."""
    assert main([str(path), "--format", "json", *options]) == 0
    return json.loads(capsys.readouterr().out)


def group_by_lr(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {group["config"]["optimizer.lr"]: group for group in data["groups"]}


def comparison_by_lr(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["config"]["optimizer.lr"]: c for c in data["comparisons"]}


def holm_of_two(p: list[float]) -> list[float]:
    """Holm's adjustment for two p-values, in their order: min·2, then max(that, the other)."""
    low, high = sorted(range(2), key=lambda i: p[i])
    adjusted = [0.0, 0.0]
    adjusted[low] = min(1.0, 2 * p[low])
    adjusted[high] = max(adjusted[low], min(1.0, p[high]))
    return adjusted


def assert_summary(summary: dict[str, Any], values: list[float]) -> None:
    """Mean, sample std and Student t 95% interval of ``values``, as scipy computes them."""
    mean = float(np.mean(values))
    low, high = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=stats.sem(values))
    assert summary["values"] == pytest.approx(values)
    assert summary["mean"] == pytest.approx(mean)
    assert summary["std"] == pytest.approx(float(np.std(values, ddof=1)))
    assert summary["ci95"] == pytest.approx([low, high])


def test_groups_hold_replicates_with_mean_std_and_t_interval(
    sweep: Sweep, capsys: pytest.CaptureFixture[str]
) -> None:
    data = compare_json(capsys, sweep.path)
    assert (data["monitor"], data["mode"], data["alpha"], data["test"]) == (
        "val/loss",
        "min",
        0.05,
        "paired t",
    )
    expected = final_values(sweep.path, "val/loss")
    groups = group_by_lr(data)
    assert set(groups) == {BEST_LR, SLOW_LR, UNPAIRED_LR}
    # Best first: ordered by the mean final val/loss, smallest first.
    means = [g["metrics"]["val/loss"]["mean"] for g in data["groups"]]
    assert means == sorted(means)
    assert data["groups"][0]["config"] == {"optimizer.lr": BEST_LR}
    for lr, group in groups.items():
        seeds = sorted(expected[lr])
        assert group["seeds"] == seeds
        assert group["n"] == len(seeds)
        assert group["label"] == f"optimizer.lr={lr}"
        assert_summary(group["metrics"]["val/loss"], [expected[lr][s] for s in seeds])
        # Every final metric of the records is there, ordered like the seeds.
        accuracy = final_values(sweep.path, "val/acc")[lr]
        assert group["metrics"]["val/acc"]["values"] == pytest.approx([accuracy[s] for s in seeds])
        assert {"best/val/loss", "train/loss_epoch", "val/f1"} <= set(group["metrics"])


def test_failed_replicate_is_counted_not_averaged(
    sweep: Sweep, capsys: pytest.CaptureFixture[str]
) -> None:
    group = group_by_lr(compare_json(capsys, sweep.path))[UNPAIRED_LR]
    assert group["n"] == len(UNPAIRED_SEEDS) and group["seeds"] == UNPAIRED_SEEDS
    assert group["statuses"]["completed"] == 3 and group["statuses"]["failed"] == 1
    assert group["statuses"]["diverged"] == 0
    failed = [r for r in records(sweep.path) if r["status"] == "failed"]
    assert [r["seed"] for r in failed] == [-1]
    # Its run is listed after the completed ones, which are ordered as the seeds.
    assert len(group["runs"]) == 4 and group["runs"][-1] == failed[0]["run_dir"]
    assert len(group["metrics"]["val/loss"]["values"]) == 3


def test_each_configuration_is_tested_against_the_best_paired_or_welch_with_holm(
    sweep: Sweep, capsys: pytest.CaptureFixture[str]
) -> None:
    data = compare_json(capsys, sweep.path)
    values = final_values(sweep.path, "val/loss")
    best = [values[BEST_LR][s] for s in PAIRED_SEEDS]
    slow = [values[SLOW_LR][s] for s in PAIRED_SEEDS]
    unpaired = [values[UNPAIRED_LR][s] for s in UNPAIRED_SEEDS]
    paired_test = stats.ttest_rel(slow, best)
    welch_test = stats.ttest_ind(unpaired, best, equal_var=False)
    adjusted = holm_of_two([paired_test.pvalue, welch_test.pvalue])

    comparisons = comparison_by_lr(data)
    assert [c["config"]["optimizer.lr"] for c in data["comparisons"]] == [
        g["config"]["optimizer.lr"] for g in data["groups"][1:]
    ]
    paired, welch = comparisons[SLOW_LR], comparisons[UNPAIRED_LR]
    for comparison in (paired, welch):
        assert comparison["best"] == {"optimizer.lr": BEST_LR}
        assert comparison["best_label"] == f"optimizer.lr={BEST_LR}"
        assert comparison["metric"] == "val/loss"
    assert (paired["test"], paired["n"]) == ("paired t", 5)
    assert paired["mean_difference"] == pytest.approx(np.mean(slow) - np.mean(best))
    assert paired["ci95"] == pytest.approx(list(paired_test.confidence_interval(0.95)))
    assert paired["p_value"] == pytest.approx(paired_test.pvalue)
    assert (welch["test"], welch["n"]) == ("welch t", 3)
    assert welch["mean_difference"] == pytest.approx(np.mean(unpaired) - np.mean(best))
    assert welch["ci95"] == pytest.approx(list(welch_test.confidence_interval(0.95)))
    assert welch["p_value"] == pytest.approx(welch_test.pvalue)
    assert [paired["p_adjusted"], welch["p_adjusted"]] == pytest.approx(adjusted)
    for comparison in (paired, welch):
        worse = comparison["p_adjusted"] < 0.05
        assert comparison["verdict"] == ("worse" if worse else "indistinguishable")
    # Adam at lr=0.001 barely moves in two epochs (val/loss ~1.05 against ~0.5): clearly worse.
    assert paired["verdict"] == "worse" and paired["mean_difference"] > 0


def test_wilcoxon_and_alpha_change_the_test_and_the_verdicts(
    sweep: Sweep, capsys: pytest.CaptureFixture[str]
) -> None:
    values = final_values(sweep.path, "val/loss")
    best = [values[BEST_LR][s] for s in PAIRED_SEEDS]
    slow = [values[SLOW_LR][s] for s in PAIRED_SEEDS]
    unpaired = [values[UNPAIRED_LR][s] for s in UNPAIRED_SEEDS]
    signed_rank = stats.wilcoxon(slow, best).pvalue
    welch = stats.ttest_ind(unpaired, best, equal_var=False).pvalue
    adjusted = holm_of_two([signed_rank, welch])

    strict = compare_json(capsys, sweep.path, "--test", "wilcoxon")
    assert strict["test"] == "wilcoxon"
    paired = comparison_by_lr(strict)[SLOW_LR]
    assert paired["test"] == "wilcoxon"
    assert paired["p_value"] == pytest.approx(signed_rank)
    assert comparison_by_lr(strict)[UNPAIRED_LR]["test"] == "welch t"  # unpaired: still Welch
    assert paired["p_adjusted"] == pytest.approx(adjusted[0])
    # Five pairs all of one sign: the exact two-sided signed-rank p is 2/2^5 = 0.0625, which
    # can never be below 0.05, so at the default alpha the slow lr is not called worse.
    assert signed_rank == pytest.approx(0.0625)
    assert paired["verdict"] == "indistinguishable"

    lenient = compare_json(capsys, sweep.path, "--test", "wilcoxon", "--alpha", "0.2")
    assert lenient["alpha"] == 0.2
    verdict = comparison_by_lr(lenient)[SLOW_LR]["verdict"]
    assert verdict == ("worse" if adjusted[0] < 0.2 else "indistinguishable")


def test_metric_option_compares_another_metric_in_its_direction(
    sweep: Sweep, capsys: pytest.CaptureFixture[str]
) -> None:
    accuracy = compare_json(capsys, sweep.path, "--metric", "val/acc")
    assert (accuracy["monitor"], accuracy["mode"]) == ("val/acc", "max")
    means = [g["metrics"]["val/acc"]["mean"] for g in accuracy["groups"]]
    assert means == sorted(means, reverse=True)
    assert {c["metric"] for c in accuracy["comparisons"]} == {"val/acc"}

    gradients = compare_json(capsys, sweep.path, "--metric", "grad_norm/hidden1")
    assert gradients["mode"] == "min"
    for group in gradients["groups"]:
        last_logged = [
            scalars(Path(run))["grad_norm/hidden1"][-1][1] for run in group["runs"][: group["n"]]
        ]
        assert group["metrics"]["grad_norm/hidden1"]["values"] == pytest.approx(last_logged)
    means = [g["metrics"]["grad_norm/hidden1"]["mean"] for g in gradients["groups"]]
    assert means == sorted(means)

    # --mode overrides the direction the name implies.
    reversed_ = compare_json(capsys, sweep.path, "--metric", "val/acc", "--mode", "min")
    means = [g["metrics"]["val/acc"]["mean"] for g in reversed_["groups"]]
    assert means == sorted(means)


def test_grouped_table_has_one_row_per_configuration_best_first(sweep: Sweep) -> None:
    result = run_script(COMPARE, str(sweep.path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[0]
    for column in (
        "config",
        "n",
        "final val/loss",
        "95% CI",
        "diff vs best",
        "p (Holm)",
        "verdict",
    ):
        assert column in header
    rows = lines[2:5]
    assert rows[0].split()[:2] == [f"optimizer.lr={BEST_LR}", "5"]
    assert "best" in rows[0].split()
    by_lr = {row.split()[0].split("=")[1]: row for row in rows}
    assert by_lr[UNPAIRED_LR].split()[1] == "3"
    assert by_lr[UNPAIRED_LR].endswith("1 failed")
    assert "paired t" in by_lr[SLOW_LR] and "welch t" in by_lr[UNPAIRED_LR]
    values = final_values(sweep.path, "val/loss")[BEST_LR]
    mean, std = np.mean(list(values.values())), np.std(list(values.values()), ddof=1)
    assert f"{mean:.4g} ± {std:.4g}" in rows[0]
    assert "Holm-adjusted over 2 tests" in result.stdout
    assert "Traceback" not in result.stderr


def test_per_run_table_and_csv(sweep: Sweep, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(sweep.path), "--per-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:1] == ["run"] and "seed" in lines[0].split()
    assert len(lines) == 2 + 14

    assert main([str(sweep.path), "--format", "csv"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("config,n,seeds,final val/loss mean,final val/loss std")
    assert len(table) == 1 + 3
    assert table[1].startswith(f"optimizer.lr={BEST_LR},5,0 1 2 3 4,")


def test_every_sweep_ends_with_its_comparison_written_to_the_folder(
    sweep: Sweep, capsys: pytest.CaptureFixture[str]
) -> None:
    # The second sweep command printed the comparison of the whole folder, then its failures.
    out = sweep.last_sweep.stdout
    assert f"optimizer.lr={BEST_LR}" in out and "1 failed" in out
    assert f"comparison written to {sweep.path / 'comparison.md'}" in out
    assert "1 of 14 sweep jobs did not complete" in sweep.last_sweep.stderr
    written = json.loads((sweep.path / "comparison.json").read_text())
    assert written["groups"] == compare_json(capsys, sweep.path)["groups"]
    markdown = (sweep.path / "comparison.md").read_text()
    assert f"| optimizer.lr={BEST_LR} | 5 |" in markdown and "| verdict |" in markdown


def test_unknown_metric_or_sort_key_is_refused_naming_the_choices(sweep: Sweep) -> None:
    result = run_script(COMPARE, str(sweep.path), "--metric", "val/nope")
    assert result.returncode == 2
    assert "trainlab: error: unknown metric 'val/nope'" in result.stderr
    assert "val/acc" in result.stderr and "grad_norm/hidden1" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_sort_key_must_exist(sweep: Sweep, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(sweep.path), "--sort", "val/accuracy"]) == 2
    err = capsys.readouterr().err
    assert "trainlab: error: cannot sort by 'val/accuracy'" in err
    assert "wall_time_s" in err and "val/acc" in err


def png(path: Path) -> np.ndarray:
    """The image's pixels, after checking it is a real, non-blank PNG of plausible size."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 15_000 < path.stat().st_size < 400_000
    pixels = matplotlib.image.imread(path)
    assert pixels[..., :3].std() > 0.05
    return pixels


def distinct_colours(pixels: np.ndarray) -> int:
    return len({tuple(p) for p in (pixels[..., :3] * 255).astype(int).reshape(-1, 3)})


def test_plot_draws_mean_curves_with_bands(
    sweep: Sweep, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ci, std = tmp_path / "ci.png", tmp_path / "std.png"
    assert main([str(sweep.path), "--plot", str(ci)]) == 0
    assert main([str(sweep.path), "--plot", str(std), "--band", "std"]) == 0
    assert f"plot written to {ci}" in capsys.readouterr().err
    ci_pixels, std_pixels = png(ci), png(std)
    height, width = ci_pixels.shape[:2]
    assert width > 1500 and height > 350
    # Translucent bands blend colours: many more shades than three lines alone would give.
    assert distinct_colours(ci_pixels) > 200
    assert ci_pixels.shape == std_pixels.shape and not np.array_equal(ci_pixels, std_pixels)


def test_plot_layers_draws_one_line_per_configuration_input_to_output(
    sweep: Sweep, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainlab.compare.reader import read_sweep

    # The x axis: the MLP's layers in the model's order (default hidden_sizes: two hidden layers).
    assert {tuple(run.layers()) for run in read_sweep(sweep.path) if run.status == "completed"} == {
        ("hidden1", "hidden2", "output")
    }
    path = tmp_path / "layers.png"
    assert main([str(sweep.path), "--plot-layers", str(path)]) == 0
    assert f"layer plot written to {path}" in capsys.readouterr().err
    pixels = png(path)
    height, width = pixels.shape[:2]
    assert width > 600 and height > 350
    assert distinct_colours(pixels) > 50


def test_compare_never_imports_torch_or_lightning(sweep: Sweep, tmp_path: Path) -> None:
    result = run_script(
        COMPARE,
        str(sweep.path),
        "--plot",
        str(tmp_path / "curves.png"),
        "--plot-layers",
        str(tmp_path / "layers.png"),
        python_options=("-X", "importtime"),
    )
    assert result.returncode == 0, result.stderr
    imported = imported_modules(result.stderr)
    assert "matplotlib" in imported and any(m.startswith("scipy.stats.") for m in imported)
    assert not {"torch", "lightning"} & imported


def test_holm_adjustment_steps_down_and_stays_monotone() -> None:
    from trainlab.compare.stats import holm

    # Sorted: 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 raised to the 0.06 before it.
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_a_rerun_of_the_same_seed_is_not_a_second_replicate(
    sweep: Sweep, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = Path(group_by_lr(compare_json(capsys, sweep.path))[BEST_LR]["runs"][0])
    folder = tmp_path / "reruns"
    shutil.copytree(original, folder / "first")
    shutil.copytree(original, folder / "again")
    (group,) = compare_json(capsys, folder)["groups"]
    # Two identical runs would fake a spread of zero: one counts, the other is set aside.
    assert group["n"] == 1 and group["seeds"] == [0]
    assert group["statuses"]["duplicate seed"] == 1 and len(group["runs"]) == 2
