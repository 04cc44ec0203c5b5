"""``scripts/compare.py`` on a real single-seed sweep (rows, sorting, statuses, formats, the plot)
and on whatever else it may be pointed at: one run, ``outputs/`` itself, damaged run folders."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from pathlib import Path

import matplotlib.image
import pytest

from tests.conftest import QUICK_OVERRIDES, TRAIN_SCRIPT, run_script
from trainlab.compare import read_sweep
from trainlab.compare.grouped_table import NO_SPREAD_NOTE
from trainlab.compare.table import render, sort_runs
from trainlab.paths import PROJECT_ROOT

COMPARE = PROJECT_ROOT / "scripts" / "compare.py"
GRID = {(loss, opt) for loss in ("mse", "cross_entropy") for opt in ("sgd", "adam")}

pytestmark = pytest.mark.slow  # the shared sweep takes about half a minute on 2 cores


def table_body(stdout: str) -> list[str]:
    """The rows of the text table printed first (header and rule skipped, notes after it left)."""
    return stdout.split("\n\n")[0].splitlines()[2:]


def test_reader_finds_every_run_with_choices_status_and_metrics(generated_sweep: Path) -> None:
    runs = {run.name: run for run in read_sweep(generated_sweep)}
    assert len(runs) == 6
    grid = [r for r in runs.values() if "loss" in r.choices]
    assert {(r.choices["loss"], r.choices["optimizer"]) for r in grid} == GRID
    for run in grid:
        assert run.status == "completed"
        assert run.epochs == 2
        assert run.wall_time_s is not None and run.wall_time_s > 0
        assert run.monitor == "val/loss"
        assert math.isfinite(run.final_monitor)
        # The best of the logged series can only be as good as or better than the last value.
        assert run.best_monitor <= run.final_monitor
        assert run.final_monitor == pytest.approx(run.curves["val/loss"][-1][1])
    by_lr = {r.choices.get("optimizer.lr"): r for r in runs.values()}
    assert by_lr["1000000.0"].status == "diverged"
    # It diverged within the first epoch, before any validation: no monitored value at all.
    assert by_lr["1000000.0"].final_monitor is None
    assert "training diverged at step" in by_lr["1000000.0"].error
    assert by_lr["abc"].status in ("failed", "incomplete")
    assert by_lr["abc"].final_metrics == {}
    assert sorted(r.job_num for r in grid) == [0, 1, 2, 3]


def test_table_lists_all_runs_sorted_by_monitor_with_broken_runs_last(
    generated_sweep: Path,
) -> None:
    result = run_script(COMPARE, str(generated_sweep))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header, body = lines[0].split(), table_body(result.stdout)
    # One seed per configuration: the per-run table, and a note that no spread is known.
    assert lines[-1] == NO_SPREAD_NOTE
    assert header[:2] == ["run", "loss"]
    assert {"optimizer", "optimizer.lr", "status", "epochs", "wall_time_s"} <= set(header)
    assert len(body) == 6
    runs = sort_runs(read_sweep(generated_sweep))
    losses = [r.final_monitor for r in runs[:4]]
    assert losses == sorted(losses)
    assert [r.status for r in runs[4:]] in (
        ["diverged", "incomplete"],
        ["diverged", "failed"],
    )
    for line, run in zip(body, runs, strict=True):
        assert line.startswith(run.name)
        assert run.status in line


def test_sort_by_any_metric_and_descending(generated_sweep: Path) -> None:
    result = run_script(COMPARE, str(generated_sweep), "--sort", "val/acc", "--descending")
    assert result.returncode == 0, result.stderr
    runs = sort_runs(read_sweep(generated_sweep), "val/acc", descending=True)
    accs = [r.final_metrics["val/acc"] for r in runs if "val/acc" in r.final_metrics]
    finite = [a for a in accs if math.isfinite(a)]
    assert finite == sorted(finite, reverse=True)
    body = table_body(result.stdout)
    assert [line.split()[0] for line in body] == [r.name for r in runs]


def test_markdown_csv_and_json_formats(generated_sweep: Path) -> None:
    runs = sort_runs(read_sweep(generated_sweep))
    markdown = render(runs, "markdown").splitlines()
    assert markdown[0].startswith("| run | loss |")
    assert set(markdown[1].replace("|", "").split()) == {"---"}
    assert len(markdown) == 2 + 6

    table = list(csv.DictReader(io.StringIO(render(runs, "csv"))))
    assert [row["run"] for row in table] == [r.name for r in runs]
    assert float(table[0]["final val/loss"]) == pytest.approx(runs[0].final_monitor, rel=1e-3)

    result = run_script(COMPARE, str(generated_sweep), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    records = data["runs"]
    assert [r["run"] for r in records] == [r.name for r in runs]
    assert records[0]["final_monitor"] == pytest.approx(runs[0].final_monitor)
    diverged = next(r for r in records if r["status"] == "diverged")
    assert diverged["final_monitor"] is None  # NaN is not JSON
    # Six configurations of one seed each: means without spread, differences without tests.
    assert len(data["groups"]) == 6
    assert all(group["n"] <= 1 for group in data["groups"])
    assert {c["verdict"] for c in data["comparisons"]} == {"untested"}
    assert all(c["p_value"] is None and c["ci95"] is None for c in data["comparisons"])
    failed = [g for g in data["groups"] if g["n"] == 0]
    assert sorted(status for g in failed for status, n in g["statuses"].items() if n) in (
        ["diverged", "failed"],
        ["diverged", "incomplete"],
    )


def test_plot_is_written_and_shows_curves(generated_sweep: Path, tmp_path: Path) -> None:
    png = tmp_path / "sweep.png"
    result = run_script(COMPARE, str(generated_sweep), "--plot", str(png), "--log-scale")
    assert result.returncode == 0, result.stderr
    assert png.stat().st_size > 20_000
    pixels = matplotlib.image.imread(png)
    height, width = pixels.shape[:2]
    assert width > 1500 and height > 350
    # Far from blank: many distinct colours (one per run) and real variation.
    colours = {tuple(p) for p in (pixels[..., :3] * 255).astype(int).reshape(-1, 3)}
    assert len(colours) > 50
    assert pixels[..., :3].std() > 0.05


def test_plot_gives_two_dozen_runs_distinct_lines() -> None:
    from trainlab.compare.plot import line_styles

    styles = line_styles(24)
    assert len(set(styles)) == 24
    # The first 20 differ by colour alone; past tab20's colours the line style changes.
    assert {style for _, style in styles[:20]} == {"-"}
    assert styles[20][1] != "-"


def test_run_record_is_preferred_over_event_files(generated_sweep: Path, tmp_path: Path) -> None:
    source = next(generated_sweep.glob("*loss=mse*optimizer=sgd*"))
    copy = tmp_path / "sweep" / source.name
    shutil.copytree(source, copy)
    record = {
        "status": "failed",
        "overrides": ["loss=mse", "optimizer=sgd"],
        "job_num": 7,
        "wall_time_s": 12.5,
        "final_metrics": {"val/loss": 0.25},
        "best_metrics": {"val/loss": 0.2},
        "epochs_completed": 1,
        "error": "RuntimeError: out of memory",
    }
    (copy / "run.json").write_text(json.dumps(record))
    (run,) = read_sweep(tmp_path / "sweep")
    assert (run.status, run.job_num, run.wall_time_s, run.epochs) == ("failed", 7, 12.5, 1)
    assert (run.final_monitor, run.best_monitor) == (0.25, 0.2)
    assert run.choices == {"loss": "mse", "optimizer": "sgd"}
    assert run.error == "RuntimeError: out of memory"
    assert "val/loss" in run.curves  # curves still come from the event files


def test_folder_without_runs_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    result = run_script(COMPARE, str(tmp_path))
    assert result.returncode == 2
    assert f"trainlab: error: no runs under {tmp_path}" in result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory, generated_sweep: Path) -> Path:
    """An ``outputs/`` folder as a user's: one real single run and a copy of the sweep."""
    root = tmp_path_factory.mktemp("project")
    single = run_script(TRAIN_SCRIPT, *QUICK_OVERRIDES, cwd=root)
    assert single.returncode == 0, single.stderr
    shutil.copytree(generated_sweep, root / "outputs" / "multirun" / "2026-01-01_00-00-00-000000")
    return root / "outputs"


def single_run_dir(outputs: Path) -> Path:
    (run_dir,) = (outputs / "runs").glob("*/*")
    return run_dir


def test_a_single_run_folder_is_compared_as_one_run(outputs: Path) -> None:
    run_dir = single_run_dir(outputs)
    # Hydra saves "job.num: ???" for a run outside a sweep: no job number, and no crash.
    assert "num: ???" in (run_dir / ".hydra" / "hydra.yaml").read_text()
    result = run_script(COMPARE, str(run_dir))
    assert result.returncode == 0, result.stderr
    body = table_body(result.stdout)
    assert len(body) == 1 and body[0].startswith(run_dir.name) and "completed" in body[0]
    assert result.stdout.splitlines()[-1] == NO_SPREAD_NOTE
    assert "Traceback" not in result.stderr
    (run,) = read_sweep(run_dir)
    assert run.job_num is None and run.seed == 42


def test_the_outputs_folder_lists_single_runs_and_sweep_jobs(outputs: Path) -> None:
    result = run_script(COMPARE, str(outputs), "--per-run")
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in table_body(result.stdout)]
    assert len(names) == 7
    assert sum(name.startswith("runs/") for name in names) == 1
    assert sum(name.startswith("multirun/2026-01-01_00-00-00-000000/") for name in names) == 6
    assert "Traceback" not in result.stderr


def test_damaged_run_folders_are_shown_with_a_note_never_a_traceback(
    generated_sweep: Path, tmp_path: Path
) -> None:
    source = next(generated_sweep.glob("*loss=mse*optimizer=sgd*"))
    sweep = tmp_path / "sweep"
    damaged = {
        name: shutil.copytree(source, sweep / name)
        for name in ("corrupt", "not_a_record", "no_status", "truncated_events", "bad_config")
    }
    (damaged["corrupt"] / "run.json").write_text('{"status": "compl')
    (damaged["not_a_record"] / "run.json").write_text("[1, 2]")
    (damaged["no_status"] / "run.json").write_text(
        json.dumps({"final_metrics": "oops", "job_num": "x", "seed": 3})
    )
    events = max(
        damaged["truncated_events"].glob("events.out.tfevents.*"), key=lambda p: p.stat().st_size
    )
    events.write_bytes(events.read_bytes()[: events.stat().st_size // 2])
    (damaged["bad_config"] / ".hydra" / "config.yaml").write_text("monitor: [unclosed\n")

    result = run_script(COMPARE, str(sweep), "--per-run")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    status = {line.split()[0]: line for line in table_body(result.stdout)}
    assert set(status) == set(damaged)
    assert "unreadable" in status["corrupt"] and "unreadable" in status["not_a_record"]
    notes = result.stderr
    assert "trainlab: note: corrupt: run.json is not readable JSON" in notes
    assert "trainlab: note: not_a_record: run.json holds a list, not a run record" in notes
    assert "trainlab: note: no_status: run.json has no status: taken from the event files" in notes
    assert f"trainlab: note: truncated_events: {events.name} is truncated or corrupt" in notes
    assert "trainlab: note: bad_config: .hydra/config.yaml is not readable" in notes

    runs = {run.name: run for run in read_sweep(sweep)}
    # Without a usable record, the event files still give the status and the final metrics.
    assert runs["no_status"].status == "completed" and runs["no_status"].seed == 3
    assert runs["no_status"].final_metrics["val/loss"] == pytest.approx(
        runs["bad_config"].final_metrics["val/loss"]
    )
    assert runs["no_status"].job_num is None
    # The truncated file lost the end of its curves; its record still has the final metrics.
    assert runs["truncated_events"].status == "completed"
    full, cut = runs["bad_config"].curves, runs["truncated_events"].curves
    assert sum(map(len, cut.values())) < sum(map(len, full.values()))

    # Grouped, the unreadable runs are counted, not averaged.
    grouped = run_script(COMPARE, str(sweep), "--format", "json")
    assert grouped.returncode == 0, grouped.stderr
    (group,) = json.loads(grouped.stdout)["groups"]
    assert group["statuses"]["unreadable"] == 2
