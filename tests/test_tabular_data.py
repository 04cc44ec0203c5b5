"""Your own data: CSV files (task inferred or declared, training-split standardisation, seeded
splits, bad files refused before training) and scikit-learn's bundled data sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import DictConfig

from tests.conftest import compose_config, train
from trainlab.data import BundledData, CSVData
from trainlab.data.splits import split_indices
from trainlab.errors import ConfigError
from trainlab.losses import NATURAL_LOSSES
from trainlab.plan import RunPlan, plan
from trainlab.tasks import Task

ROWS = 300
# The fast defaults without data.n_samples, which tables do not have.
QUICK = (
    "trainer.accelerator=cpu",
    "trainer.enable_progress_bar=false",
    "trainer.log_every_n_steps=2",
)


def composed(*overrides: str) -> DictConfig:
    """The real config with ``overrides`` after quick trainer settings."""
    return compose_config(*QUICK, *overrides, fast=False)


def planned_table(*overrides: str, run_dir: Path) -> RunPlan:
    """The plan of the real config with ``overrides`` in ``run_dir``."""
    return plan(composed(*overrides), run_dir)


def write_csv(path: Path, columns: dict[str, list[object]]) -> Path:
    """A CSV file with a header row and one row per value."""
    lines = [",".join(columns)] + [
        ",".join(map(str, row)) for row in zip(*columns.values(), strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """Three numeric features on different scales; a linear binary label, a float, a 3-class text label."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(ROWS, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, -3.0]
    score = (features - features.mean(0)) / features.std(0) @ [1.0, -2.0, 0.5]
    return write_csv(
        tmp_path / "table.csv",
        {
            "a": features[:, 0].round(4).tolist(),
            "b": features[:, 1].round(4).tolist(),
            "c": features[:, 2].round(4).tolist(),
            "label": (score > 0).astype(int).tolist(),
            "amount": score.round(4).tolist(),
            "kind": np.array(["low", "mid", "high"])[np.digitize(score, [-1, 1])].tolist(),
        },
    )


def test_the_task_is_inferred_from_the_target(table: Path) -> None:
    features = ["a", "b", "c"]
    binary = CSVData(str(table), "label", features=features)
    assert binary.task is Task.BINARY and binary.class_names is None
    assert set(binary.load()["train"][1].tolist()) == {0.0, 1.0}
    regression = CSVData(str(table), "amount", features=features)
    assert regression.task is Task.REGRESSION
    multiclass = CSVData(str(table), "kind", features=features)
    assert multiclass.task is Task.MULTICLASS and multiclass.class_names == ("high", "low", "mid")
    assert multiclass.num_outputs == 3 and multiclass.load()["val"][1].dtype == torch.int64
    declared = CSVData(str(table), "label", features=features, task="multiclass")
    assert declared.task is Task.MULTICLASS and declared.class_names == ("0", "1")


def test_features_are_standardised_with_the_training_rows_statistics(table: Path) -> None:
    data = CSVData(
        str(table), "label", features=["a", "b", "c"], seed=7, val_size=0.2, test_size=30
    )
    raw = torch.tensor(np.loadtxt(table, delimiter=",", skiprows=1, usecols=(0, 1, 2)))
    val, test, train = split_indices(ROWS, [60, 30], seed=8)
    mean, std = raw[train].mean(0), raw[train].std(0)
    splits = data.load()
    for name, index in (("train", train), ("val", val), ("test", test)):
        expected = ((raw[index] - mean) / std).float()
        assert torch.equal(splits[name][0], expected), name
    assert data.input_shape == (3,)
    again = CSVData(
        str(table), "label", features=["a", "b", "c"], seed=7, val_size=0.2, test_size=30
    )
    assert torch.equal(again.load()["val"][0], splits["val"][0])
    other = CSVData(
        str(table), "label", features=["a", "b", "c"], seed=8, val_size=0.2, test_size=30
    )
    assert not torch.equal(other.load()["val"][0], splits["val"][0])


def test_a_csv_file_trains_with_the_natural_loss_of_its_task(table: Path, tmp_path: Path) -> None:
    cfg = composed(
        "data=csv", f"data.path={table}", "data.target=label", "data.features=[a,b,c]",
        "trainer.max_epochs=5", "optimizer=adam", "optimizer.lr=0.01",
    )  # fmt: skip
    assert cfg.loss is None  # data=csv brings no loss of its own
    metrics = train(cfg, tmp_path / "run")
    assert metrics["val/acc"] > 0.85 and metrics["test/acc"] > 0.85
    recorded = (tmp_path / "run" / ".hydra" / "config.yaml").read_text()
    assert f"loss:\n  name: {NATURAL_LOSSES[Task.BINARY]}\n" in recorded


BAD_FILES = {
    "missing file": (None, "label", "data.path='{dir}/nowhere.csv': no such file"),
    "missing column": ({"a": [1, 2, 3], "y": [0, 1, 0]}, "label", "data.target='label' is not a column of {path}; its columns: a, y"),
    "text feature": ({"a": [1, 2, 3], "colour": ["red", "blue", "red"], "y": [0, 1, 0]}, "y", "column 'colour' of {path} is not numeric (line 2: 'red')"),
    "missing value": ({"a": [1, "", 3, "NA"], "y": [0, 1, 0, 1]}, "y", "column 'a' of {path} has 2 missing values (first on line 3: '')"),
    "missing target": ({"a": [1, 2, 3], "y": [0, "nan", 1]}, "y", "column 'y' of {path} has 1 missing values"),
    "one class": ({"a": [1, 2, 3], "y": [1, 1, 1]}, "y", "column 'y' of {path} holds one class only ('1')"),
    "ragged row": ({"a": [1, 2, 3], "y": ["0", "1,5", "0"]}, "y", "{path} line 3 has 3 cells, the header has 2"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_by_the_plan_with_its_message(case: str, tmp_path: Path) -> None:
    columns, target, message = BAD_FILES[case]
    path = tmp_path / "nowhere.csv" if columns is None else write_csv(tmp_path / "bad.csv", columns)
    with pytest.raises(ConfigError) as refused:
        planned_table(
            "data=csv", f"data.path={path}", f"data.target={target}", run_dir=tmp_path / "run"
        )
    assert message.format(dir=tmp_path, path=path) in str(refused.value)
    assert not (tmp_path / "run").exists()


# A bad file named on the command line is refused in tests/test_bad_input.py, with the other bad
# command lines.


@pytest.mark.parametrize(
    ("name", "task", "shape", "classes"),
    [("digits", Task.MULTICLASS, (64,), 10), ("breast_cancer", Task.BINARY, (30,), 1), ("diabetes", Task.REGRESSION, (10,), 1)],
)  # fmt: skip
def test_bundled_data_sets_are_planned_with_their_natural_loss(
    name: str, task: Task, shape: tuple[int, ...], classes: int, tmp_path: Path
) -> None:
    run_plan = planned_table(f"data={name}", run_dir=tmp_path)
    assert isinstance(run_plan.data, BundledData)
    assert (run_plan.data.task, run_plan.data.input_shape, run_plan.data.num_outputs) == (
        task,
        shape,
        classes,
    )
    assert run_plan.loss.name == NATURAL_LOSSES[task]
    splits = run_plan.data.load()
    rows = sum(len(targets) for _, targets in splits.values())
    assert len(splits["val"][1]) == len(splits["test"][1]) == round(0.2 * rows)
    assert splits["train"][0].mean(0).abs().max() < 1e-5  # standardised on the training rows


def test_digits_are_learned(tmp_path: Path) -> None:
    metrics = train(
        composed("data=digits", "trainer.max_epochs=3", "optimizer=adam", "optimizer.lr=0.01"),
        tmp_path,
    )
    assert metrics["test/acc"] > 0.85
