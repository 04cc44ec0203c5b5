"""Synthetic data, splits and the in-memory batch loader."""

from __future__ import annotations

import pytest
import torch

from trainlab.data import SyntheticData
from trainlab.data.loaders import EpochPermutation, InMemoryBatchLoader
from trainlab.data.splits import resolve_size
from trainlab.tasks import Task


def splits(task: str, seed: int, **kwargs: object) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    return SyntheticData(task=task, seed=seed, **kwargs).load()


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_generation_is_deterministic_in_the_seed(task: str) -> None:
    first, again, other = splits(task, 3), splits(task, 3), splits(task, 4)
    for name in ("train", "val", "test"):
        assert torch.equal(first[name][0], again[name][0])
        assert torch.equal(first[name][1], again[name][1])
    assert not torch.equal(first["train"][0], other["train"][0])


def test_shapes_types_and_ranges() -> None:
    x, y = splits("multiclass", 0, n_samples=1000, n_classes=5)["train"]
    assert x.shape == (600, 4) and x.min() >= 0 and x.max() <= 1
    assert y.dtype == torch.int64 and set(y.unique().tolist()) == {0, 1, 2, 3, 4}
    _, binary = splits("binary", 0)["train"]
    assert set(binary.unique().tolist()) == {0.0, 1.0}
    assert 0.3 < binary.mean().item() < 0.7
    _, values = splits("regression", 0, noise=0.0)["train"]
    assert values.dtype == torch.float32 and values.std().item() == pytest.approx(1.0, abs=0.1)


def test_linear_teacher_without_noise_is_exactly_linear() -> None:
    x, y = splits("regression", 1, noise=0.0)["train"]
    design = torch.cat([x, torch.ones(len(x), 1)], dim=1)
    solution = torch.linalg.lstsq(design, y[:, None]).solution
    residual = design @ solution - y[:, None]
    assert residual.abs().max().item() < 1e-4


def test_split_sizes_counts_and_fractions() -> None:
    parts = splits("binary", 0, n_samples=500, val_size=100, test_size=0.1)
    assert [len(parts[s][0]) for s in ("train", "val", "test")] == [350, 100, 50]
    everything = torch.cat([parts[s][0] for s in ("train", "val", "test")])
    assert len(torch.unique(everything, dim=0)) == 500


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, "data.n_samples must be >= 3, got 0"),
        ({"val_size": 0}, r"data.val_size must be a count >= 1 or a fraction in \(0, 1\), got 0"),
        ({"test_size": 2.5}, "data.test_size must be a whole count when >= 1, got 2.5"),
        ({"val_size": 0.6, "test_size": 0.5}, "leave no training data"),
        (
            {"task": "ranking"},
            "data.task must be one of regression, binary, multiclass; got 'ranking'",
        ),
        ({"n_classes": 1}, "data.n_classes must be >= 2, got 1"),
        ({"noise": -1.0}, "data.noise must be >= 0, got -1.0"),
    ],
)
def test_bad_sizes_name_the_field(kwargs: dict[str, object], message: str) -> None:
    arguments = {"task": "multiclass", **kwargs}
    with pytest.raises(ValueError, match=message):
        SyntheticData(**arguments)


def test_resolve_size() -> None:
    assert resolve_size(0.25, 200, "x") == 50
    assert resolve_size(30, 200, "x") == 30
    with pytest.raises(ValueError, match="x=200 leaves no training data"):
        resolve_size(200, 200, "x")


def test_loader_covers_every_example_once_per_epoch() -> None:
    inputs = torch.arange(10).float()[:, None]
    loader = InMemoryBatchLoader(inputs, torch.arange(10), batch_size=4, shuffle=True, seed=5)
    assert len(loader) == 3
    loader.sampler.set_epoch(0)
    epoch0 = torch.cat([y for _, y in loader])
    loader.sampler.set_epoch(1)
    epoch1 = torch.cat([y for _, y in loader])
    assert sorted(epoch0.tolist()) == list(range(10)) == sorted(epoch1.tolist())
    assert not torch.equal(epoch0, epoch1)
    for x, y in loader:
        assert torch.equal(x[:, 0].long(), y)


def test_permutation_depends_only_on_seed_and_epoch() -> None:
    first, second = EpochPermutation(50, seed=1), EpochPermutation(50, seed=1)
    first.set_epoch(3)
    second.set_epoch(3)
    assert torch.equal(first.indices(), second.indices())
    second.set_epoch(4)
    assert not torch.equal(first.indices(), second.indices())


def test_unshuffled_loader_keeps_order_and_drop_last() -> None:
    loader = InMemoryBatchLoader(torch.arange(10)[:, None], torch.arange(10), batch_size=4)
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    dropping = InMemoryBatchLoader(torch.arange(10)[:, None], torch.arange(10), 4, drop_last=True)
    assert len(dropping) == 2 and [len(y) for _, y in dropping] == [4, 4]


def test_source_declares_the_data_contract() -> None:
    data = SyntheticData(task="multiclass", n_features=7, n_classes=4)
    assert (data.task, data.input_shape, data.num_outputs) == (Task.MULTICLASS, (7,), 4)
    assert data.class_names == ("class_0", "class_1", "class_2", "class_3")
    binary = SyntheticData(task="binary")
    assert (binary.num_outputs, binary.class_names) == (1, None)
    inputs, targets = data.example_batch(3)
    assert torch.equal(inputs, data.load()["train"][0][:3]) and len(targets) == 3
