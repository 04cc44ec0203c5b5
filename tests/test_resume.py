"""Resuming after a crash: atomic checkpoints, RNG states, and a SIGKILLed run continued exactly."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pytest
import torch
from lightning.pytorch.loggers import Logger
from omegaconf import OmegaConf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter

from tests.conftest import built, compose_config, planned, train
from tests.subprocess_runs import (
    RERUN,
    TRAIN,
    StartedScript,
    kill,
    record,
    run_script,
    scalars,
    start_script,
)
from trainlab.callbacks.run_checkpoint import RNG_STATES
from trainlab.checkpoint_io import AtomicCheckpointIO
from trainlab.errors import ConfigError
from trainlab.execute import fit_and_test
from trainlab.outcome import Ending
from trainlab.plan import plan
from trainlab.rng_state import global_rng_states, restore_global_rng_states
from trainlab.run_record import write_record

# 900 training samples in batches of 16: 57 steps per epoch, a few seconds per epoch.
RESUME_RUN = (
    "data.n_samples=1500", "data.batch_size=16", "trainer.max_epochs=3",
    "trainer.accelerator=cpu", "trainer.enable_progress_bar=false", "trainer.log_every_n_steps=5",
)  # fmt: skip


def test_checkpoints_are_replaced_atomically(tmp_path: Path) -> None:
    io = AtomicCheckpointIO()
    path = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"epoch": 1, "weights": torch.arange(3.0)}, path)
    before = path.read_bytes()
    with pytest.raises(Exception, match="pickle"):  # a save that fails half-way
        io.save_checkpoint({"epoch": 2, "unsaveable": lambda: None}, path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]
    assert torch.load(path, weights_only=True)["epoch"] == 1


class _CheckpointWhenEpochEndIsLogged(Logger):
    """A logger that records, when an epoch's training metrics reach it, the step of the
    ``last.ckpt`` on disk (None: none yet)."""

    name, version = "watcher", 0

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.last = run_dir / "checkpoints" / "last.ckpt"
        self.steps: list[int | None] = []

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        if "train/loss_epoch" in metrics:
            on_disk = torch.load(self.last, weights_only=True) if self.last.is_file() else None
            self.steps.append(on_disk["global_step"] if on_disk else None)


def test_an_epochs_checkpoint_is_in_place_only_once_its_end_is_logged(tmp_path: Path) -> None:
    # Lightning logs an epoch's training metrics after its checkpoint is saved, and a run resumed
    # from that checkpoint does not log them again: so the checkpoint waits for the next epoch.
    run_plan = planned("trainer.max_epochs=3", "run_test=false", run_dir=tmp_path)
    parts = built(run_plan)
    watcher = _CheckpointWhenEpochEndIsLogged(tmp_path)
    parts.trainer.loggers = [*parts.trainer.loggers, watcher]
    fit_and_test(run_plan, parts)
    steps = 4  # 240 training examples in batches of 64
    assert watcher.steps == [None, steps, 2 * steps]
    final = torch.load(watcher.last, weights_only=True)
    assert (final["epoch"], final["global_step"]) == (2, 3 * steps)
    assert sorted(p.name for p in watcher.last.parent.iterdir()) == ["best.ckpt", "last.ckpt"]


def test_rng_states_survive_a_weights_only_checkpoint(tmp_path: Path) -> None:
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    torch.save({"rng": global_rng_states()}, tmp_path / "state.ckpt")
    expected = (random.random(), np.random.rand(), torch.rand(2))
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    restore_global_rng_states(torch.load(tmp_path / "state.ckpt", weights_only=True)["rng"])
    restored = (random.random(), np.random.rand(), torch.rand(2))
    assert restored[:2] == expected[:2] and torch.equal(restored[2], expected[2])


class _DrawEveryStep(L.Callback):
    """Draws from torch's global RNG every training step, as dropout would."""

    def on_train_batch_end(self, *args: Any) -> None:
        torch.rand(1)


class _RNGAtEpochStart(L.Callback):
    """Records torch's global RNG state as each training epoch starts."""

    def __init__(self) -> None:
        self.states: list[torch.Tensor] = []

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.states.append(torch.get_rng_state())


def test_a_resumed_run_continues_from_the_rng_states_its_checkpoint_saved(tmp_path: Path) -> None:
    stopped = planned("trainer.max_epochs=1", "run_test=false", run_dir=tmp_path)
    parts = built(stopped)
    parts.trainer.callbacks.append(_DrawEveryStep())
    assert fit_and_test(stopped, parts).ending is Ending.COMPLETED
    at_end = torch.get_rng_state()
    saved = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)
    (state,) = [s for s in saved["callbacks"].values() if RNG_STATES in s]
    assert torch.equal(state[RNG_STATES]["torch"], at_end)

    torch.manual_seed(12345)  # what a fresh process would start from
    longer = ("resume=true", "trainer.max_epochs=2")
    resumed = plan(compose_config(*longer), tmp_path, overrides=longer)
    parts = built(resumed)
    watcher = _RNGAtEpochStart()
    parts.trainer.callbacks.append(watcher)
    assert fit_and_test(resumed, parts).ending is Ending.COMPLETED
    assert torch.equal(watcher.states[0], at_end)


def after_this_second() -> None:
    """Wait for the next wall-clock second, as a resume in a new process always starts later.

    TensorBoard reads a run's event files in name order: creation time in whole seconds, then a
    per-process counter, unpadded (``…9`` sorts after ``…10``). A resume in the same process and
    second as the stopped run could sort before it, and the resume's purge of the stopped run's
    later steps would then be read first and purge nothing.
    """
    time.sleep(1 - time.time() % 1 + 0.01)


def next_event_file_numbers_gain_a_digit(spare: Path) -> None:
    """Open throwaway event files in ``spare`` until this process's next two are numbered like
    9 and 10 (or 99 and 100), which sort the wrong way round: a run writing its fit and test to
    two files would have the fit file, which carries a resume's purge, read last."""
    while True:
        SummaryWriter(spare).close()
        newest = max(spare.glob("events.out.tfevents.*"), key=lambda p: int(p.name.rsplit(".")[-1]))
        number = int(newest.name.rsplit(".")[-1])
        if len(str(number + 1)) < len(str(number + 2)):
            return


def test_resume_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    write_record(tmp_path, {"status": "running"})
    (tmp_path / ".hydra").mkdir()
    OmegaConf.save(compose_config("logger=none"), tmp_path / ".hydra" / "config.yaml")
    with pytest.raises(ConfigError, match=r"resume=true but .*last.ckpt does not exist"):
        planned("logger=none", "resume=true", run_dir=tmp_path)


def wait_for_training_past_epoch(
    run_dir: Path, epoch: int, process: subprocess.Popen[str] | StartedScript
) -> int:
    """Block until last.ckpt of ``epoch`` exists and TensorBoard shows a later training step."""
    checkpoint = run_dir / "checkpoints" / "last.ckpt"
    events = None
    saved_step = None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if saved_step is None and checkpoint.is_file():
            state = torch.load(checkpoint, weights_only=True, map_location="cpu")
            if state["epoch"] == epoch:
                saved_step = state["global_step"]
                events = EventAccumulator(str(run_dir))
        if events is not None:
            events.Reload()
            if "train/loss_step" in events.Tags()["scalars"]:
                steps = [e.step for e in events.Scalars("train/loss_step")]
                if max(steps) > saved_step + 5:
                    return saved_step
        time.sleep(0.05)
    raise AssertionError(f"training never got past epoch {epoch}'s checkpoint")


@pytest.mark.slow
def test_a_run_killed_mid_training_resumes_to_exactly_the_same_numbers(tmp_path: Path) -> None:
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert run_script(TRAIN, *RESUME_RUN, f"hydra.run.dir={full}").returncode == 0

    process = start_script(TRAIN, *RESUME_RUN, f"hydra.run.dir={killed}", log=tmp_path / "log")
    try:
        saved_step = wait_for_training_past_epoch(killed, 0, process)
    finally:
        kill(process)
    before = record(killed)
    assert before["status"] == "running"  # what kill -9 leaves behind
    shutil.copy(killed / "checkpoints" / "last.ckpt", tmp_path / "before-resume.ckpt")

    result = run_script(RERUN, str(killed), "--resume")
    assert result.returncode == 0, result.stderr

    resumed = record(killed)
    assert resumed["status"] == "completed" and len(resumed["resumed_at"]) == 1
    assert resumed["started_at"] == before["started_at"] < resumed["resumed_at"][0]
    assert (resumed["command"], resumed["overrides"]) == (before["command"], before["overrides"])
    assert resumed["final_metrics"] == record(full)["final_metrics"]
    assert (resumed["epochs_completed"], resumed["global_step"]) == (3, 3 * 57)
    assert saved_step == 57
    # Curves continue: every tag has the same (step, value) pairs, none twice, none missing.
    assert scalars(killed) == scalars(full)


@pytest.mark.slow
def test_sigterm_is_recorded_as_interrupted_and_the_run_resumes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, str(TRAIN), *RESUME_RUN, f"hydra.run.dir={run_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_training_past_epoch(run_dir, 0, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM
    assert f"continue with: python scripts/rerun.py {run_dir} --resume" in stderr
    stopped = record(run_dir)
    assert stopped["status"] == "interrupted" and 57 < stopped["global_step"] < 3 * 57

    assert run_script(RERUN, str(run_dir), "--resume").returncode == 0
    assert record(run_dir)["status"] == "completed"
    assert record(run_dir)["global_step"] == 3 * 57


class _PressCtrlCAtStep(L.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        if trainer.global_step == self.step:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    "schedule",
    [
        ("scheduler=step", "scheduler.step_size=1", "scheduler.gamma=0.5"),  # stepped per epoch
        ("scheduler=cosine", "trainer.gradient_clip_val=0.05"),  # stepped per batch; clipped
    ],
)
def test_a_stopped_run_with_a_schedule_resumes_to_the_same_numbers(
    schedule: tuple[str, ...], tmp_path: Path
) -> None:
    overrides = ("trainer.max_epochs=3", "optimizer=sgd_momentum", *schedule)
    whole = train(compose_config(*overrides), tmp_path / "whole")
    run_plan = planned(*overrides, run_dir=tmp_path / "stopped")
    parts = built(run_plan)
    parts.trainer.callbacks.append(_PressCtrlCAtStep(6))  # mid second epoch (4 steps each)
    handler = signal.getsignal(signal.SIGINT)
    try:
        assert fit_and_test(run_plan, parts).ending is Ending.CTRL_C
    finally:
        signal.signal(signal.SIGINT, handler)
    last = torch.load(tmp_path / "stopped" / "checkpoints" / "last.ckpt", weights_only=False)
    assert (record(tmp_path / "stopped")["global_step"], last["global_step"]) == (6, 4)
    after_this_second()
    next_event_file_numbers_gain_a_digit(tmp_path / "spare")
    resumed = train(compose_config("resume=true"), tmp_path / "stopped")
    assert len(record(tmp_path / "stopped")["resumed_at"]) == 1
    assert resumed == whole
    assert scalars(tmp_path / "stopped") == scalars(tmp_path / "whole")
