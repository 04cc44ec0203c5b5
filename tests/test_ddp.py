"""DDP on 2 CPU processes (gloo): rank sharding, metrics equal to one process, one set of files."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.subprocess_runs import TRAIN, run_script
from trainlab.data.loaders import InMemoryBatchLoader

# 400 samples → 240 training examples: 15 steps per epoch either as one process with batches of
# 16 or as 2 ranks with batches of 8 (the same global batch).
TINY = (
    "data.n_samples=400",
    "trainer.max_epochs=2",
    "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.log_every_n_steps=2",
)
DDP = ("trainer=ddp", "trainer.devices=2")


def run_train(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``scripts/train.py args`` run from ``cwd``."""
    return run_script(TRAIN, *args, timeout=300, cwd=cwd)


def final_metrics(run_dir: Path) -> dict[str, float]:
    lines = [
        line
        for line in (run_dir / "train.log").read_text().splitlines()
        if "Final metrics:" in line
    ]
    assert len(lines) == 1, lines
    return ast.literal_eval(lines[0].split("Final metrics: ", 1)[1])


def scalar_series(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    events = EventAccumulator(str(run_dir))
    events.Reload()
    return [(event.step, event.value) for event in events.Scalars(tag)]


def run_files(run_dir: Path) -> tuple[set[str], set[str]]:
    """(TensorBoard event files, every other file) under ``run_dir``, as relative paths."""
    files = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()}
    events = {f for f in files if f.startswith("events.out.tfevents")}
    return events, files - events


def shards(n: int, batch_size: int, shuffle: bool) -> list[list[torch.Tensor]]:
    data = torch.arange(n)
    return [
        [
            x
            for x, _ in InMemoryBatchLoader(
                data, data, batch_size, shuffle=shuffle, seed=3, rank=r, world_size=2
            )
        ]
        for r in range(2)
    ]


def test_training_shards_interleave_into_the_single_process_batches() -> None:
    single = InMemoryBatchLoader(torch.arange(20), torch.arange(20), 4, shuffle=True, seed=3)
    ranks = shards(20, 2, shuffle=True)
    assert len(ranks[0]) == len(ranks[1]) == len(single) == 5
    for whole, first, second in zip(single, *ranks, strict=True):
        assert sorted(whole[0].tolist()) == sorted(first.tolist() + second.tolist())


def test_training_shards_are_equal_in_length_and_disjoint() -> None:
    first, second = (torch.cat(batches) for batches in shards(21, 4, shuffle=True))
    assert len(first) == len(second) == 10
    assert not set(first.tolist()) & set(second.tolist())


def test_evaluation_shards_cover_every_example_once() -> None:
    first, second = (torch.cat(batches) for batches in shards(21, 4, shuffle=False))
    assert len(first) == 11 and len(second) == 10
    assert sorted(first.tolist() + second.tolist()) == list(range(21))


def test_rank_outside_world_is_refused() -> None:
    with pytest.raises(ValueError, match=r"rank must be in \[0, 2\), got 2"):
        InMemoryBatchLoader(torch.zeros(4), torch.zeros(4), 2, rank=2, world_size=2)


@pytest.mark.slow
def test_ddp_matches_one_process_and_writes_one_run_directory(tmp_path: Path) -> None:
    single_dir, ddp_dir = tmp_path / "single", tmp_path / "ddp"
    single = run_train(tmp_path, *TINY, "data.batch_size=16", f"hydra.run.dir={single_dir}")
    assert single.returncode == 0, single.stderr
    ddp = run_train(tmp_path, *TINY, *DDP, "data.batch_size=8", f"hydra.run.dir={ddp_dir}")
    assert ddp.returncode == 0, ddp.stderr
    assert "distributed_backend=gloo" in ddp.stdout + ddp.stderr

    # Same global batches, gradients averaged by DDP: the same training up to float rounding.
    expected, got = final_metrics(single_dir), final_metrics(ddp_dir)
    assert set(got) == set(expected)
    for name in ("val/loss", "val/acc", "test/loss", "test/acc", "train/loss_epoch", "train/acc"):
        assert got[name] == pytest.approx(expected[name], abs=1e-5), name
    # Gradient norms are logged once per logging step, from the all-reduced gradients.
    single_norms = scalar_series(single_dir, "grad_norm/total")
    ddp_norms = scalar_series(ddp_dir, "grad_norm/total")
    assert [step for step, _ in ddp_norms] == [step for step, _ in single_norms]
    assert len(ddp_norms) == 15
    for (_, a), (_, b) in zip(ddp_norms, single_norms, strict=True):
        assert a == pytest.approx(b, rel=1e-4)

    # One run directory: nothing else under the working directory, rank 1 only adds its log.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp", "single"]
    _, single_files = run_files(single_dir)
    events, ddp_files = run_files(ddp_dir)
    assert ddp_files == single_files | {"train_ddp_process_1.log"}
    writers = {
        name.rsplit(".", 2)[-2] for name in events
    }  # events.out.tfevents.<t>.<host>.<pid>.<n>
    assert len(writers) == 1, f"TensorBoard files from several processes: {sorted(events)}"
    assert "Final metrics:" not in (ddp_dir / "train_ddp_process_1.log").read_text()


# A sweep of DDP jobs is refused in tests/test_bad_input.py, with the other bad command lines.
