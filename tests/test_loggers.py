"""The loggers for real: CSV and MLflow written and read back, several at once, one warning for
what a logger does not take, and a run logged without TensorBoard compared. (A CSV log resumed
after kill -9 and a rerun of a run logged to CSV: tests/test_package.py.)"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import OmegaConf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from tests.conftest import compose_config, train
from tests.subprocess_runs import record, scalars
from trainlab.compare.reader import read_sweep
from trainlab.csv_metrics import metrics_file, read_curves, read_rows
from trainlab.errors import ConfigError
from trainlab.loggers import LOGGERS
from trainlab.plan import logger_choices
from trainlab.tensorboard_logger import RunTensorBoardLogger


def test_many_is_tensorboard_and_csv_at_once() -> None:
    many = OmegaConf.to_container(compose_config("logger=many").logger)
    assert many == OmegaConf.to_container(compose_config("logger=[tensorboard,csv]").logger)
    assert list(many) == ["tensorboard", "csv"]


def test_logger_sections_are_typed_per_logger_and_old_records_still_name_theirs() -> None:
    both = logger_choices(compose_config("logger=[tensorboard,csv]").logger)
    assert [(c.name, c.params) for c in both] == [("tensorboard", {"flush_secs": 120}), ("csv", {})]
    recorded = OmegaConf.create(
        {"name": "tensorboard", "flush_secs": 30}
    )  # before loggers were keyed
    assert [(c.name, c.params) for c in logger_choices(recorded)] == [
        ("tensorboard", {"flush_secs": 30})
    ]
    with pytest.raises(ConfigError, match="Invalid logger.csv.flush_secs"):
        logger_choices(compose_config("logger=csv", "+logger.csv.flush_secs=1").logger)


def test_csv_and_tensorboard_hold_the_same_curves_and_one_warning_names_what_csv_skips(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = compose_config("logger=[tensorboard,csv]", "grad_norms.histograms=true")
    with caplog.at_level(logging.WARNING, logger="trainlab"):
        metrics = train(cfg, tmp_path)
    skipped = [r.getMessage() for r in caplog.records if "does not take" in r.getMessage()]
    assert skipped == [
        "logger csv does not take config text, figures, histograms: "
        "those are written to tensorboard only"
    ]
    from_csv = read_curves(tmp_path)
    from_events = scalars(tmp_path)
    # The HParams tab's hp/* copies of the final metrics are TensorBoard's alone.
    assert set(from_csv) == {tag for tag in from_events if not tag.startswith("hp/")}
    for tag, points in from_csv.items():  # TensorBoard stores float32
        steps, values = zip(*points, strict=True)
        assert [s for s, _ in from_events[tag]] == list(steps), tag
        assert np.float32(values).tolist() == [v for _, v in from_events[tag]], tag
    assert from_csv["val/loss"][-1][1] == pytest.approx(metrics["val/loss"], rel=1e-7)
    assert (tmp_path / "csv" / "hparams.yaml").is_file()


def test_a_resumed_csv_log_keeps_the_rows_before_the_checkpoint_step(tmp_path: Path) -> None:
    first = LOGGERS.build("csv", save_dir=str(tmp_path))
    for step in range(10):
        first.log_metrics(
            {"train/loss_step": step / 10, **({"val/loss": 1.0} if step == 4 else {})}, step
        )
    first.save()
    assert [int(r["step"]) for r in read_rows(metrics_file(tmp_path))] == list(range(10))

    resumed = LOGGERS.build("csv", save_dir=str(tmp_path), purge_step=5)
    assert [int(r["step"]) for r in read_rows(metrics_file(tmp_path))] == list(range(5))
    resumed.log_metrics({"train/loss_step": 0.55, "grad_norm/total": 2.0}, step=5)
    resumed.save()
    curves = read_curves(tmp_path)
    assert curves["train/loss_step"] == [(s, s / 10) for s in range(5)] + [(5, 0.55)]
    assert curves["val/loss"] == [(4, 1.0)] and curves["grad_norm/total"] == [(5, 2.0)]


@pytest.mark.slow  # MLflow's import and its sqlite schema take about 10 s
def test_mlflow_records_the_run_in_a_sqlite_store_read_back_by_mlflow(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    store = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    run_dir = tmp_path / "run"
    cfg = compose_config(
        "logger=mlflow",
        f"logger.mlflow.tracking_uri={store}",
        f"logger.mlflow.artifact_location={tmp_path / 'artifacts'}",
        "optimizer=adam",
    )
    metrics = train(cfg, run_dir)

    client = MlflowClient(store)
    experiment = client.get_experiment_by_name("trainlab")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert run.data.tags["trainlab.run_dir"] == str(run_dir.resolve())
    assert run.data.params["loss"] == "cross_entropy" and run.data.params["optimizer"] == "adam"
    for name in ("val/loss", "val/acc", "test/acc"):
        assert run.data.metrics[name] == pytest.approx(metrics[name], rel=1e-7), name
    history = client.get_metric_history(run.info.run_id, "train/loss_step")
    assert [m.step for m in history] == [1, 3, 5, 7]  # every log_every_n_steps=2 steps
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert "config.txt" in artifacts
    assert [a.path for a in client.list_artifacts(run.info.run_id, "test")] == [
        "test/confusion_matrix.png"
    ]
    config = Path(client.download_artifacts(run.info.run_id, "config.txt", str(tmp_path)))
    assert OmegaConf.create(config.read_text()).optimizer.name == "adam"


def test_a_run_logged_to_csv_alone_is_compared_from_its_record_and_csv(tmp_path: Path) -> None:
    original = tmp_path / "original"
    train(compose_config("logger=csv"), original)
    assert not list(original.glob("events.out.tfevents.*"))

    (run,) = read_sweep(original)
    assert run.status == "completed"
    assert run.curves == read_curves(original) and len(run.curves["train/loss_step"]) == 4
    assert run.final_metrics == record(original)["final_metrics"]


def test_one_logging_call_is_one_event_read_back_as_lightnings_scalars(tmp_path: Path) -> None:
    metrics = {"train/loss_step": torch.tensor(0.25), "train/lr": 0.1, "grad_norm/total": 3}
    written = {}
    for name, cls in (("ours", RunTensorBoardLogger), ("lightnings", TensorBoardLogger)):
        logger = cls(tmp_path / name, name="", version="")
        logger.log_metrics(metrics, step=7)
        logger.log_metrics({"val/loss": torch.tensor(1.5)}, step=9)
        logger.experiment.close()
        [event_file] = (tmp_path / name).glob("events.out.tfevents.*")
        events = [e for e in EventFileLoader(str(event_file)).Load() if e.HasField("summary")]
        read = EventAccumulator(str(tmp_path / name))
        read.Reload()
        written[name] = (
            len(events),
            {tag: [(s.step, s.value) for s in read.Scalars(tag)] for tag in read.Tags()["scalars"]},
        )
    assert written["ours"][0] == 2  # one event a call
    assert written["lightnings"][0] == 4  # one event a scalar
    assert (
        written["ours"][1]
        == written["lightnings"][1]
        == {
            "train/loss_step": [(7, 0.25)],
            "train/lr": [(7, pytest.approx(0.1))],
            "grad_norm/total": [(7, 3.0)],
            "val/loss": [(9, 1.5)],
        }
    )
    # A dict value goes to Lightning's own method (add_scalars: a folder per key), prefixed once.
    grouped = RunTensorBoardLogger(tmp_path / "grouped", name="", version="", prefix="fit")
    grouped.log_metrics({"loss": {"train": 1.0, "val": 2.0}}, step=3)
    grouped.experiment.close()
    assert sorted(p.name for p in (tmp_path / "grouped").iterdir() if p.is_dir()) == [
        "fit-loss_train",
        "fit-loss_val",
    ]
    logger = RunTensorBoardLogger(tmp_path / "bad", name="", version="")
    with pytest.raises(ValueError, match="not all scalars"):
        logger.log_metrics({"text": "abc"}, step=0)
