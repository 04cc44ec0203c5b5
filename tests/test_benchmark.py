"""The benchmark's two paths train identically, and its script reports what it promises."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch

from benchmarks.hand_loop import train_hand_loop
from benchmarks.settings import TRAINLAB_VARIANTS, Workload
from benchmarks.trainlab_path import train_trainlab
from benchmarks.workload import build_parts
from tests.subprocess_runs import run_script
from trainlab.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "benchmarks" / "benchmark.py"
# 40 samples in batches of 16: the 7 steps cross two epoch boundaries (3 batches per epoch).
TINY = {"batch_size": 16, "steps": 4, "warmup_steps": 2, "samples": 40}


@pytest.mark.parametrize("model", ["mlp", "cifar_cnn"])
def test_both_paths_train_the_same_model_to_the_same_weights(model: str) -> None:
    workload = Workload(device="cpu", model=model, **TINY)
    parts = build_parts(workload)
    initial = [p.detach().clone() for p in parts.initial_model.parameters()]

    hand_model, hand_seconds, hand_loss = train_hand_loop(workload, parts)
    trainlab_model, trainlab_seconds, trainlab_loss = train_trainlab(workload, parts)

    assert hand_seconds > 0 and trainlab_seconds > 0
    assert trainlab_loss == pytest.approx(hand_loss, rel=1e-6)
    for hand, trainlab, start in zip(
        hand_model.parameters(), trainlab_model.parameters(), initial, strict=True
    ):
        torch.testing.assert_close(trainlab, hand, rtol=1e-6, atol=1e-7)
        assert not torch.equal(hand, start)  # both really trained
    # The initial model is shared by every path and must not be trained in place.
    assert all(
        torch.equal(p, s) for p, s in zip(parts.initial_model.parameters(), initial, strict=True)
    )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_both_paths_match_on_the_gpu_with_data_on_the_device(precision: str) -> None:
    workload = Workload(device="cuda", model="cifar_cnn", precision=precision, **TINY)
    parts = build_parts(workload)
    assert parts.data.inputs.is_cuda
    hand_model, _, hand_loss = train_hand_loop(workload, parts)
    trainlab_model, _, trainlab_loss = train_trainlab(workload, parts)
    # cuDNN may pick different (autotuned) kernels per run: close, not bit-equal.
    assert trainlab_loss == pytest.approx(hand_loss, rel=1e-2)
    for hand, trainlab in zip(hand_model.parameters(), trainlab_model.parameters(), strict=True):
        assert trainlab.is_cuda
        torch.testing.assert_close(trainlab, hand, rtol=1e-2, atol=1e-3)


def test_gradient_norm_logging_does_not_change_training() -> None:
    workload = Workload(device="cpu", model="mlp", **TINY)
    parts = build_parts(workload)
    with_norms, _, loss_with = train_trainlab(workload, parts, grad_norms=True)
    without, _, loss_without = train_trainlab(workload, parts, grad_norms=False)
    assert loss_with == loss_without
    assert all(
        torch.equal(a, b)
        for a, b in zip(with_norms.parameters(), without.parameters(), strict=True)
    )


def run_benchmark(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``benchmarks/benchmark.py args`` run from ``tmp_path``."""
    return run_script(SCRIPT, *args, timeout=600, cwd=tmp_path)


@pytest.mark.slow  # a fresh process imports torch and Lightning and runs four paths
def test_script_prints_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = run_benchmark(
        "--device", "cpu", "--model", "mlp", "--batch-size", "8", "--steps", "3",
        "--warmup-steps", "1", "--samples", "32", "--repeats", "1", "--json", str(out),
        tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The progress-bar variant draws its bar on the terminal first; the table follows.
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("path "))
    assert lines[header].split() == ["path", "samples/s", "vs", "hand", "loop"]
    assert [line.split()[0] for line in lines[header + 1 : header + 5]] == [
        "hand_loop",
        *TRAINLAB_VARIANTS,
    ]
    report = json.loads(out.read_text())
    assert report["workload"] == {
        "device": "cpu", "model": "mlp", "batch_size": 8, "precision": "32-true",
        "channels_last": False, "compile": False, "steps": 3, "warmup_steps": 1,
        "samples": 32, "seed": 0,
    }  # fmt: skip
    assert report["environment"]["torch"] == torch.__version__
    paths = {p["name"]: p for p in report["paths"]}
    assert list(paths) == ["hand_loop", *TRAINLAB_VARIANTS]
    assert paths["hand_loop"]["ratio_vs_hand_loop"] == 1.0
    for path in paths.values():
        assert len(path["repeats_samples_per_s"]) == 1
        assert path["samples_per_s"] > 0
        assert path["ratio_vs_hand_loop"] == pytest.approx(
            path["samples_per_s"] / paths["hand_loop"]["samples_per_s"]
        )
        # Same model, data, order and optimizer: every path ends on the same loss.
        assert path["final_loss"] == pytest.approx(paths["hand_loop"]["final_loss"], rel=1e-6)
    assert set(report["costs"]) == {"grad_norms", "progress_bar", "trainlab_without_grad_norms"}
    assert json.loads(result.stdout[result.stdout.index("\n{") :]) == report


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "0"], "--steps must be >= 1, got 0"),
        (["--warmup-steps", "0"], "--warmup-steps must be >= 1, got 0"),
        (["--variants", "trainlab,fast"], "unknown variant(s) fast; choose from trainlab, "),
    ],
)
def test_script_rejects_bad_arguments(args: list[str], message: str, tmp_path: Path) -> None:
    result = run_benchmark("--device", "cpu", "--samples", "16", *args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
