"""The logger registry: where a run's logs go, chosen by name (``logger=csv``, ``logger=[tensorboard,csv]``).

Each factory takes the run directory (``save_dir``) and, when resuming, the step the run continues
from (``purge_step``), and imports Lightning only when called, so a run's plan can type each
``logger`` section by the factory's signature before Lightning is imported. What each logger can
take besides metrics and hyperparameters (text, figures, histograms) is
:mod:`trainlab.log_writer`'s business.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainlab.csv_metrics import CSV_DIR, metrics_file, rows_before
from trainlab.registry import Registry

if TYPE_CHECKING:
    from lightning.pytorch.loggers import Logger


@dataclass(frozen=True)
class LoggerSpec:
    """What a logger needs installed: the module to import, and the extra that installs it."""

    module: str | None = None
    extra: str | None = None


LOGGERS: Registry[Logger] = Registry("logger")


@LOGGERS.register("tensorboard", info=LoggerSpec())
def tensorboard(save_dir: str, purge_step: int | None = None, flush_secs: int = 120) -> Logger:
    """Lightning's TensorBoardLogger writing one event file per run straight into its directory.

    ``purge_step`` (when resuming) makes TensorBoard readers drop the events a killed run wrote
    at or after that step, so the resumed curves have no duplicate steps.
    """
    from trainlab.tensorboard_logger import RunTensorBoardLogger

    return RunTensorBoardLogger(
        save_dir,
        name="",
        version="",
        default_hp_metric=False,
        purge_step=purge_step,
        flush_secs=flush_secs,
    )


@LOGGERS.register("csv", info=LoggerSpec())
def csv(save_dir: str, purge_step: int | None = None) -> Logger:
    """Lightning's CSVLogger: ``<run dir>/csv/metrics.csv`` (a row per logged step) and hparams.

    When resuming, the rows the killed run wrote before ``purge_step`` are kept and the later
    ones dropped, as TensorBoard's purge does, so each step appears once.
    """
    from lightning.pytorch.loggers import CSVLogger

    kept = rows_before(metrics_file(save_dir), purge_step) if purge_step is not None else []
    # Lightning saves its loggers after each of its logging calls, so rows reach the file as
    # they are logged and a killed run loses none.
    logger = CSVLogger(save_dir, name=CSV_DIR, version="")
    if purge_step is not None:
        _continue_csv(logger, kept)
    return logger


def _continue_csv(logger: Logger, kept: list[dict[str, str]]) -> None:
    """Start ``logger``'s folder afresh with the ``kept`` rows (rank 0 only: it owns the files).

    Lightning's CSV writer deletes an existing ``metrics.csv`` (and warns) when its folder is
    not empty, so the folder is emptied first and the kept rows written back through it.
    """
    from lightning.pytorch.utilities import rank_zero_only

    if rank_zero_only.rank != 0:
        return
    shutil.rmtree(Path(logger.log_dir), ignore_errors=True)
    if kept:
        writer = logger.experiment
        writer.metrics = kept
        writer.save()


@LOGGERS.register("mlflow", info=LoggerSpec(module="mlflow", extra="mlflow"))
def mlflow(
    save_dir: str,
    purge_step: int | None = None,
    tracking_uri: str = "sqlite:///outputs/mlflow.db",
    experiment_name: str = "trainlab",
    artifact_location: str | None = "outputs/mlflow-artifacts",
    run_name: str | None = None,
) -> Logger:
    """Lightning's MLFlowLogger: one MLflow run per trainlab run, in a local sqlite store.

    A relative sqlite path or ``artifact_location`` is taken from the working directory. The
    MLflow run is named after the run folder (``run_name`` overrides) and tagged
    ``trainlab.run_dir`` with its path; a resumed run continues that MLflow run (MLflow cannot
    delete the points a killed run logged after its checkpoint, so those steps may appear twice).
    """
    from lightning.pytorch.loggers import MLFlowLogger

    run_dir = str(Path(save_dir).resolve())
    uri = _local_sqlite(tracking_uri)
    return MLFlowLogger(
        experiment_name=experiment_name,
        run_name=run_name or Path(run_dir).name,
        tracking_uri=uri,
        tags={"trainlab.run_dir": run_dir},
        artifact_location=str(Path(artifact_location).resolve()) if artifact_location else None,
        run_id=_mlflow_run_of(uri, experiment_name, run_dir) if purge_step is not None else None,
    )


def _local_sqlite(uri: str) -> str:
    """``uri`` with a sqlite file's path made absolute and its folder created."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return uri
    path = Path(uri[len(prefix) :]).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"{prefix}{path}"


def _mlflow_run_of(uri: str, experiment_name: str, run_dir: str) -> str | None:
    """The id of the MLflow run tagged with ``run_dir``, or None (it never logged one)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return None
    quoted = run_dir.replace("\\", "\\\\").replace("'", "\\'")
    runs = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.`trainlab.run_dir` = '{quoted}'",
        max_results=1,
    )
    return runs[0].info.run_id if runs else None
