"""The benchmark's paths train identically, do the same work, and its suites report what they promise."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import torch

from benchmarks.cli import main
from benchmarks.epochs import prepare_epochs
from benchmarks.jobs import (
    JobsReport,
    compare_metrics,
    extra_job_share,
    format_jobs_table,
    measure_jobs,
)
from benchmarks.report import Spread, interleaved, paired_speed_ratios, speed_ratios
from benchmarks.settings import (
    BARE_LIGHTNING,
    EPOCH_PATHS,
    HAND_LOOP,
    REFERENCES,
    STEP_PATHS,
    TRAINLAB,
    JobSweep,
    StepWindow,
    Workload,
)
from benchmarks.steps import prepare_steps
from benchmarks.workload import write_cifar_files
from tests.subprocess_runs import record, run_script, scalars
from trainlab.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "benchmarks" / "benchmark.py"
# 7 steps of 16 examples: with 48 (MLP: 60 % of 80) or 40 (CNN) training examples the window
# crosses epoch boundaries, so reshuffles and epoch-end checkpoints happen inside it.
TINY_WINDOW = StepWindow(steps=4, warmup_steps=2)
TINY_STEPS = {
    "mlp": Workload(device="cpu", model="mlp", batch_size=16, samples=80),
    "cifar_cnn": Workload(device="cpu", model="cifar_cnn", batch_size=16, samples=40),
}
# Two epochs: MLP 120 training examples in 15 batches of 8 (logging steps 9, 19, 29), 80
# validation examples; CNN 90 training images in 6 batches of 15, 10 validation images.
TINY_EPOCHS = {
    "mlp": Workload(device="cpu", model="mlp", batch_size=8, samples=200),
    "cifar_cnn": Workload(device="cpu", model="cifar_cnn", batch_size=15, samples=100),
}


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    """Whether two networks hold bit-identical parameters."""
    return all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("model", ["mlp", "cifar_cnn"])
def test_every_step_path_trains_the_same_weights(model: str, tmp_path: Path) -> None:
    prepared = prepare_steps(TINY_STEPS[model], TINY_WINDOW, STEP_PATHS)
    start = [p.detach().clone() for p in prepared.parts.initial_model.parameters()]

    runs = {name: run(tmp_path / name) for name, run in prepared.runners.items()}

    hand = runs[HAND_LOOP]
    assert not any(torch.equal(p, s) for p, s in zip(hand.model.parameters(), start, strict=True))
    for name, run in runs.items():
        assert run.seconds > 0, name
        # Same model, data, order and optimizer; the peer's metrics and trainlab's logging,
        # gradient norms, checkpoints and progress bar must not touch the weights.
        assert run.last_loss == hand.last_loss, name
        assert same_weights(run.model, hand.model), name
    # Every path trains a copy: the shared initial network is never trained in place.
    initial = prepared.parts.initial_model.parameters()
    assert all(torch.equal(p, s) for p, s in zip(initial, start, strict=True))


@pytest.mark.filterwarnings("ignore:data.check_integrity=false")  # our own CIFAR-format files
@pytest.mark.parametrize("model", ["mlp", "cifar_cnn"])
def test_every_epoch_path_trains_the_same_weights_and_the_hand_loop_does_the_runs_work(
    model: str, tmp_path: Path
) -> None:
    workload = TINY_EPOCHS[model]
    cifar_dir = write_cifar_files(workload, tmp_path / "cifar") if model == "cifar_cnn" else None
    prepared = prepare_epochs(workload, 2, EPOCH_PATHS, cifar_dir)

    runs = {name: run(tmp_path / name) for name, run in prepared.runners.items()}

    hand = runs[HAND_LOOP]
    for name, run in runs.items():
        assert same_weights(run.model, hand.model), name
        epochs = run.clock.epoch_seconds
        assert len(epochs) == 2 and min(epochs) > 0, name
        assert run.clock.fit_seconds >= sum(epochs), name
    # The hand loop writes what the run writes: the same scalars at the same steps, same values.
    written, by_run = scalars(tmp_path / HAND_LOOP), scalars(tmp_path / TRAINLAB)
    assert {tag: [s for s, _ in v] for tag, v in written.items()} == {
        tag: [s for s, _ in v] for tag, v in by_run.items()
    }
    assert any(tag.startswith("grad_norm/") for tag in by_run) and "val/f1" in by_run
    for tag, series in by_run.items():
        assert [v for _, v in written[tag]] == pytest.approx([v for _, v in series], rel=1e-6), tag
    # ... and the same checkpoints, holding the same final weights.
    for name in (HAND_LOOP, "peer", TRAINLAB):
        assert {p.name for p in (tmp_path / name / "checkpoints").iterdir()} == {
            "best.ckpt",
            "last.ckpt",
        }, name
    hand_last = torch.load(tmp_path / HAND_LOOP / "checkpoints" / "last.ckpt")["state_dict"]
    run_last = torch.load(tmp_path / TRAINLAB / "checkpoints" / "last.ckpt")["state_dict"]
    assert hand_last.keys() and all(
        torch.equal(v, run_last[f"model.{k}"]) for k, v in hand_last.items()
    )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_step_paths_match_on_the_gpu_with_data_on_the_device(
    precision: str, tmp_path: Path
) -> None:
    workload = Workload(
        device="cuda", model="cifar_cnn", precision=precision, batch_size=16, samples=40
    )
    prepared = prepare_steps(workload, TINY_WINDOW, STEP_PATHS)
    assert prepared.parts.train[0].is_cuda
    runs = {name: run(tmp_path / name) for name, run in prepared.runners.items()}
    hand = runs[HAND_LOOP]
    for name, run in runs.items():
        # cuDNN may pick different (autotuned) kernels per run: close, not bit-equal.
        assert run.last_loss == pytest.approx(hand.last_loss, rel=1e-2), name
        for ours, theirs in zip(run.model.parameters(), hand.model.parameters(), strict=True):
            assert ours.is_cuda
            torch.testing.assert_close(ours, theirs, rtol=1e-2, atol=1e-3)


@pytest.mark.slow  # two train.py processes, each importing torch and Lightning
def test_jobs_suite_times_sweeps_and_a_job_keeps_its_metrics_wherever_it_runs(
    tmp_path: Path,
) -> None:
    sweep = JobSweep(jobs=1, more_jobs=2, samples=200, epochs=1)
    step_workload = Workload(device="cpu", model="mlp", batch_size=64, samples=400)

    report = measure_jobs(sweep, ["sweeps"], 1, step_workload, StepWindow(3, 1), tmp_path)

    seconds = {probe.name: probe.seconds.median for probe in report.probes}
    assert list(seconds) == ["sweep_1", "sweep_2"]
    assert min(seconds.values()) > 0
    assert report.extra_job_s.median == seconds["sweep_2"] - seconds["sweep_1"]
    assert report.extra_job_share_of_imports is None  # no imports probe in this invocation
    # 200 examples, 20 % validation and 20 % test: 120 training examples, 2 batches of 64.
    assert report.steps_per_job == 2
    assert report.training_s_per_job == pytest.approx(2 * report.step_ms.median / 1000)
    assert report.beyond_training_s_per_job == pytest.approx(
        report.extra_job_s.median - report.training_s_per_job
    )
    # Seed 1 ran alone in the small sweep and after seed 0 in the large one.
    assert {seed: len(runs) for seed, runs in report.metrics_compared.items()} == {1: 2}
    assert report.metrics_mismatches == []
    alone = record(next((tmp_path / "sweep_1-0").glob("*seed=1*")))
    second = record(next((tmp_path / "sweep_2-0").glob("*seed=1*")))
    first = record(next((tmp_path / "sweep_2-0").glob("*seed=0*")))
    spacing = datetime.fromisoformat(second["ended_at"]) - datetime.fromisoformat(first["ended_at"])
    assert report.job_spacing_s.median == spacing.total_seconds() > 0
    assert alone["status"] == second["status"] == "completed"
    assert "test/acc" in alone["final_metrics"]
    assert second["final_metrics"] == alone["final_metrics"]


def test_metric_comparison_names_every_difference() -> None:
    def run(loss: float) -> dict:
        return {"final_metrics": {"val/loss": loss, "val/acc": 0.5}}

    records = {0: {"sweep_2-0/a": run(0.25), "sweep_6-0/a": run(0.25)}, 1: {"single": run(0.5)}}
    assert compare_metrics(records) == ({0: ["sweep_2-0/a", "sweep_6-0/a"]}, [])
    records[0]["single_job-0"] = run(0.2500001)
    _, mismatches = compare_metrics(records)
    assert mismatches == ["seed 0 val/loss: 0.25 in sweep_2-0/a, 0.2500001 in single_job-0"]


def test_repeats_interleave_paths_in_a_rotating_order() -> None:
    order = [name for _, name in interleaved(["a", "b", "c"], 4)]
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"]


def test_benchmark_script_runs_as_a_file_and_explains_its_suites(tmp_path: Path) -> None:
    result = run_script(SCRIPT, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--suite {steps,epochs,jobs}" in result.stdout


def test_steps_suite_prints_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.json"
    status = main(
        [
            "--suite", "steps", "--device", "cpu", "--model", "mlp", "--batch-size", "8",
            "--steps", "3", "--warmup-steps", "1", "--samples", "60", "--repeats", "1",
            "--paths", ",".join(STEP_PATHS), "--json", str(out), "--work-dir", str(tmp_path),
        ]
    )  # fmt: skip
    assert status == 0
    stdout = capsys.readouterr().out
    # The progress-bar variant draws its bar first; the table follows.
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("path "))
    assert lines[header - 1] == "mlp: batch 8, 60 samples, 32-true, cpu"
    assert lines[header].split()[-6:] == [w for r in REFERENCES for w in ("x", r)]
    assert [line.split()[0] for line in lines[header + 1 : header + 7]] == list(STEP_PATHS)
    written = json.loads(out.read_text())
    assert written["suite"] == "steps"
    assert written["environment"]["torch"] == torch.__version__
    assert written["environment"]["torch_threads"] == torch.get_num_threads()
    (report,) = written["results"]
    assert report["workload"] == {
        "device": "cpu", "model": "mlp", "batch_size": 8, "samples": 60,
        "precision": "32-true", "channels_last": False, "compile": False, "seed": 0,
    }  # fmt: skip
    assert report["window"] == {"steps": 3, "warmup_steps": 1}
    paths = {p["name"]: p for p in report["paths"]}
    assert list(paths) == list(STEP_PATHS)
    for path in paths.values():
        assert path["ms_per_step"]["repeats"] == [path["ms_per_step"]["median"]] != [0]
        assert path["samples_per_s"] == pytest.approx(8000 / path["ms_per_step"]["median"])
        for reference in REFERENCES:
            assert path["ratios"][reference] == pytest.approx(
                paths[reference]["ms_per_step"]["median"] / path["ms_per_step"]["median"]
            )
        # Same model, data, order and optimizer: every path ends on the same loss.
        assert path["final_loss"] == paths[HAND_LOOP]["final_loss"]
    assert set(report["costs"]) == {"grad_norms", "progress_bar"}
    assert json.loads(stdout[stdout.index("\n{") :]) == written


@pytest.mark.slow  # four fits of each model
def test_epochs_suite_prints_a_table_for_each_model_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.json"
    status = main(
        [
            "--suite", "epochs", "--device", "cpu", "--batch-size", "8", "--samples", "50",
            "--epochs", "2", "--repeats", "1", "--json", str(out), "--work-dir", str(tmp_path),
        ]
    )  # fmt: skip
    assert status == 0
    written = json.loads(out.read_text())
    assert written["suite"] == "epochs"
    reports = written["results"]
    assert [r["workload"]["model"] for r in reports] == ["mlp", "cifar_cnn"]
    # MLP: 50 examples, 60 % training (30, 4 batches of 8), 20 % validation (10, 2 batches).
    # CNN: 50 images in the five files, a tenth held out (5, 1 batch); 45 train in 6 batches.
    assert [r["data"] for r in reports] == [
        {"source": "SyntheticData", "train_examples": 30, "val_examples": 10,
         "train_batches": 4, "val_batches": 2},
        {"source": "CIFAR10Data", "train_examples": 45, "val_examples": 5,
         "train_batches": 6, "val_batches": 1},
    ]  # fmt: skip
    for report in reports:
        assert report["epochs"] == 2
        assert [p["name"] for p in report["paths"]] == list(EPOCH_PATHS)
        medians = {p["name"]: p["epoch_s"]["median"] for p in report["paths"]}
        for path in report["paths"]:
            assert len(path["fit_s"]["repeats"]) == 1
            assert path["fit_s"]["low"] >= path["epoch_s"]["low"] + path["first_epoch_s"]["low"]
            assert path["epoch_ratios"][HAND_LOOP] == pytest.approx(
                medians[HAND_LOOP] / medians[path["name"]]
            )
            # One round: its pair's ratio.
            assert path["epoch_paired_ratios"][HAND_LOOP] == pytest.approx(
                medians[HAND_LOOP] / medians[path["name"]]
            )
    # Every fit ran in its own folder, each path once per repeat (bare Lightning writes nothing).
    writers = [name for name in EPOCH_PATHS if name != BARE_LIGHTNING]
    assert {p.name for p in (tmp_path / "mlp").iterdir()} == {f"{name}-0" for name in writers}
    # One invocation, one table per model, each under its title.
    table = capsys.readouterr().out.split("\n{")[0].splitlines()
    for title in ("mlp: batch 8, 50 samples, 32-true, cpu", "cifar_cnn: batch 8, 50 samples"):
        start = next(i for i, line in enumerate(table) if line.startswith(title))
        assert table[start + 1].split()[:4] == ["path", "epoch", "s", "(min–max)"]
        rows = table[start + 2 : start + 2 + len(EPOCH_PATHS)]
        assert [line.split()[0] for line in rows] == list(EPOCH_PATHS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "0"], "--steps must be >= 1, got 0"),
        (["--warmup-steps", "0"], "--warmup-steps must be >= 1, got 0"),
        (["--paths", "trainlab,fast"], "--paths: unknown fast; choose from hand_loop, "),
        (
            ["--suite", "epochs", "--paths", "trainlab_progress_bar"],
            "unknown trainlab_progress_bar",
        ),
        (["--suite", "epochs", "--epochs", "1"], "--epochs must be >= 2"),
        (["--epochs", "3"], "--epochs applies to --suite epochs, not steps"),
        (["--suite", "jobs", "--jobs", "3,2"], "--jobs N,M needs 1 <= N < M, got 3,2"),
        (["--suite", "jobs", "--model", "mlp"], "--model applies to --suite steps or epochs"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_paired_ratios_compare_the_paths_of_each_round() -> None:
    # Round 2 ran on a slow machine for the hand loop, round 3 for trainlab: each round's
    # ratio is 0.5, 1.333 and 0.5; the medians (4 s and 3 s) would say 1.333.
    repeats = {HAND_LOOP: [1.0, 4.0, 5.0], TRAINLAB: [2.0, 3.0, 10.0]}
    assert paired_speed_ratios(repeats, TRAINLAB) == {HAND_LOOP: 0.5}
    medians = {name: sorted(values)[1] for name, values in repeats.items()}
    assert speed_ratios(medians, TRAINLAB) == {HAND_LOOP: pytest.approx(4 / 3)}


def test_an_extra_job_is_also_given_as_a_share_of_the_imports_time() -> None:
    extra = Spread.of([0.5, 0.6, 0.7])
    assert extra_job_share(extra, {"imports": 6.0, "sweep_2": 8.0}) == pytest.approx(0.1)
    assert extra_job_share(extra, {"sweep_2": 8.0}) is None
    report = JobsReport(
        {"more_jobs": 12},
        extra_job_s=extra,
        job_spacing_s=Spread.of([0.25]),
        steps_per_job=2,
        step_ms=Spread.of([1.0]),
    )
    report.training_s_per_job, report.beyond_training_s_per_job = 0.002, 0.598
    report.extra_job_share_of_imports = 0.1
    table = format_jobs_table(report)
    assert "an extra job costs 10.0% of the imports probe's time" in table
    assert "jobs end every 0.250 (0.250–0.250) s inside the sweep of 12" in table
