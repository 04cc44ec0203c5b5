"""Fixed per-run costs of a small synthetic run: start-up, first step, steady steps.

A default synthetic job trains for a few seconds, so what it pays once (imports, Trainer and
logger set-up, the first step) decides how fast small runs and sweeps feel.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra import compose, initialize_config_dir

from trainlab.build import build_datamodule, build_module, build_trainer
from trainlab.config.checks import validate_schema
from trainlab.config.schema import register_schema
from trainlab.paths import CONFIG_DIR, PROJECT_ROOT
from trainlab.summary import write_summary

TRAIN_SCRIPT = PROJECT_ROOT / "scripts" / "train.py"


class PhaseClock(L.Callback):
    """Timestamps of Lightning's fit phases: start, every train batch start, validation, end."""

    def __init__(self) -> None:
        super().__init__()
        self.fit_start = 0.0
        self.batch_starts: list[tuple[int, float]] = []
        self.last_batch_end = 0.0
        self.validation_seconds = 0.0
        self._validation_start = 0.0

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.fit_start = time.perf_counter()

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self.batch_starts.append((batch_idx, time.perf_counter()))

    def on_train_batch_end(self, *args: Any) -> None:
        self.last_batch_end = time.perf_counter()

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._validation_start = time.perf_counter()

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.validation_seconds += time.perf_counter() - self._validation_start

    def step_intervals(self) -> list[float]:
        """Batch start → next batch start within an epoch: one whole step each."""
        return [
            later - earlier
            for (index, earlier), (next_index, later) in zip(
                self.batch_starts, self.batch_starts[1:], strict=False
            )
            if next_index == index + 1
        ]


def command_seconds(argv: Sequence[str]) -> float:
    """Wall time of one fresh Python process running ``argv`` (after the interpreter)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *argv], check=True, capture_output=True)
    return time.perf_counter() - started


def measure_commands(run_dir: Path) -> dict[str, float]:
    """Seconds for imports alone, ``train.py --help``, ``--cfg job`` and the default job."""
    quiet = "trainer.enable_progress_bar=false"
    return {
        "python_import_torch_s": command_seconds(["-c", "import torch"]),
        "python_import_lightning_s": command_seconds(["-c", "import lightning"]),
        "train_help_s": command_seconds([str(TRAIN_SCRIPT), "--help"]),
        "train_cfg_job_s": command_seconds([str(TRAIN_SCRIPT), "--cfg", "job"]),
        "train_default_job_s": command_seconds(
            [str(TRAIN_SCRIPT), quiet, f"hydra.run.dir={run_dir / 'subprocess'}"]
        ),
    }


def measure_default_job_phases(run_dir: Path, overrides: Sequence[str] = ()) -> dict[str, float]:
    """The default synthetic job run in this process, as :func:`trainlab.train.train` runs it.

    Imports are already paid here; compare ``train_default_job_s`` for the whole process.
    """
    marks = {"start": time.perf_counter()}
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            config_name="train", overrides=["trainer.enable_progress_bar=false", *overrides]
        )
    validate_schema(cfg)
    marks["composed"] = time.perf_counter()
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = build_datamodule(cfg)
    module = build_module(cfg, datamodule)
    marks["built_module"] = time.perf_counter()
    trainer = build_trainer(cfg, run_dir)
    marks["built_trainer"] = time.perf_counter()
    clock = PhaseClock()
    trainer.callbacks.append(clock)
    trainer.fit(module, datamodule=datamodule)
    marks["fitted"] = time.perf_counter()
    if cfg.run_test:
        checkpoint = trainer.checkpoint_callback
        best = checkpoint.best_model_path if checkpoint is not None else ""
        trainer.test(module, datamodule=datamodule, ckpt_path=best or None, verbose=False)
    marks["tested"] = time.perf_counter()
    write_summary(trainer, cfg, {})
    marks["summarised"] = time.perf_counter()

    steps = clock.step_intervals()
    first_start = clock.batch_starts[0][1]
    training = sum(steps) + (clock.last_batch_end - clock.batch_starts[-1][1])
    return {
        "compose_s": marks["composed"] - marks["start"],
        "build_data_and_module_s": marks["built_module"] - marks["composed"],
        "trainer_construction_s": marks["built_trainer"] - marks["built_module"],
        "fit_until_first_step_s": first_start - marks["built_trainer"],
        "first_step_s": steps[0],
        "steady_step_median_s": statistics.median(steps[1:]),
        "train_steps": len(clock.batch_starts),
        "training_steps_s": training,
        "validation_s": clock.validation_seconds,
        "fit_total_s": marks["fitted"] - marks["built_trainer"],
        "test_s": marks["tested"] - marks["fitted"],
        "summary_s": marks["summarised"] - marks["tested"],
        "in_process_total_s": marks["summarised"] - marks["start"],
    }


def hand_loop_step_seconds(overrides: Sequence[str] = (), steps: int = 200) -> float:
    """Median step time of a hand-written loop on the default job's model and data."""
    register_schema()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=list(overrides))
    L.seed_everything(cfg.seed, verbose=False)
    datamodule = build_datamodule(cfg)
    module = build_module(cfg, datamodule)
    datamodule.setup("fit")
    optimizer = module.optimizer_factory(list(module.model.parameters()))
    loader = datamodule.train_dataloader()
    times = []
    while len(times) < steps:
        started = time.perf_counter()
        for inputs, targets in loader:
            optimizer.zero_grad(set_to_none=True)
            output = module.model(inputs)
            loss = module.loss(
                module.adapter.loss_input(output), module.adapter.loss_target(targets)
            )
            loss.backward()
            optimizer.step()
            now = time.perf_counter()
            times.append(now - started)
            started = now
    return statistics.median(times[1:])


def measure_overhead(include_commands: bool = True) -> dict[str, Any]:
    """Per-run and per-step overhead of the default synthetic job, as a JSON-ready dict."""
    with tempfile.TemporaryDirectory(prefix="trainlab-overhead-") as tmp:
        run_dir = Path(tmp)
        commands = measure_commands(run_dir) if include_commands else {}
        phases = measure_default_job_phases(run_dir / "in_process")
    hand_step = hand_loop_step_seconds()
    startup = phases["in_process_total_s"] - phases["training_steps_s"] - phases["validation_s"]
    report: dict[str, Any] = {
        "commands": commands,
        "default_job_phases": phases,
        "per_step": {
            "trainlab_steady_step_s": phases["steady_step_median_s"],
            "hand_loop_step_s": hand_step,
            "trainlab_vs_hand_loop_step_ratio": phases["steady_step_median_s"] / hand_step,
        },
        "split": {
            "in_process_training_s": phases["training_steps_s"] + phases["validation_s"],
            "in_process_startup_and_teardown_s": startup,
        },
        "torch_threads": torch.get_num_threads(),
    }
    if commands:
        report["split"]["process_overhead_s"] = commands["train_default_job_s"] - (
            phases["training_steps_s"] + phases["validation_s"]
        )
    return report


def format_overhead(report: dict[str, Any]) -> str:
    """Aligned ``name  seconds`` lines, one section per part of the report."""
    lines = []
    for section in ("commands", "default_job_phases", "per_step", "split"):
        lines.append(f"[{section}]")
        for name, value in report.get(section, {}).items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            lines.append(f"  {name:<40} {shown:>10}")
    return "\n".join(lines)
