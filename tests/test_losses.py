"""Every registered loss builds and keeps PyTorch's exact semantics."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional

from trainlab import LOSSES
from trainlab.losses import ModelOutput, TargetKind, loss_spec, losses_for_task
from trainlab.tasks import Task

REQUIRED = [
    "mse", "sse", "l1", "smooth_l1", "huber", "bce", "bce_with_logits", "cross_entropy", "nll",
    "mse_output_penalty",
]  # fmt: skip


@pytest.fixture
def values() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(8, generator=generator), torch.randn(8, generator=generator)


@pytest.mark.parametrize("name", REQUIRED)
def test_every_required_loss_is_registered_and_builds(name: str) -> None:
    assert isinstance(LOSSES.build(name), nn.Module)
    spec = loss_spec(name)
    assert spec.tasks and isinstance(spec.expects, ModelOutput)


def test_value_losses_match_torch(values: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, y = values
    assert torch.equal(LOSSES.build("mse")(x, y), functional.mse_loss(x, y))
    assert torch.allclose(LOSSES.build("sse")(x, y), ((x - y) ** 2).sum())
    assert torch.equal(LOSSES.build("mse", reduction="sum")(x, y), LOSSES.build("sse")(x, y))
    assert torch.equal(LOSSES.build("l1")(x, y), (x - y).abs().mean())
    assert torch.equal(
        LOSSES.build("huber", delta=0.5)(x, y), functional.huber_loss(x, y, delta=0.5)
    )
    assert torch.equal(
        LOSSES.build("smooth_l1", beta=0.3)(x, y), functional.smooth_l1_loss(x, y, beta=0.3)
    )
    assert LOSSES.build("sse", reduction="mean")(x, y) == functional.mse_loss(x, y)


def test_bce_takes_probabilities_and_bce_with_logits_takes_logits(
    values: tuple[torch.Tensor, torch.Tensor],
) -> None:
    logits = values[0]
    target = (values[1] > 0).float()
    bce = LOSSES.build("bce")(torch.sigmoid(logits), target)
    with_logits = LOSSES.build("bce_with_logits")(logits, target)
    assert isinstance(LOSSES.build("bce"), nn.BCELoss)
    assert isinstance(LOSSES.build("bce_with_logits"), nn.BCEWithLogitsLoss)
    torch.testing.assert_close(bce, with_logits)
    expected = -(
        target * torch.log(torch.sigmoid(logits))
        + (1 - target) * torch.log(1 - torch.sigmoid(logits))
    ).mean()
    torch.testing.assert_close(bce, expected)


def test_cross_entropy_equals_log_softmax_plus_nll() -> None:
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(6, 4, generator=generator)
    target = torch.randint(0, 4, (6,), generator=generator)
    cross_entropy = LOSSES.build("cross_entropy")(logits, target)
    nll = LOSSES.build("nll")(logits.log_softmax(dim=1), target)
    torch.testing.assert_close(cross_entropy, nll)
    picked = -logits.log_softmax(dim=1)[torch.arange(6), target].mean()
    torch.testing.assert_close(cross_entropy, picked)
    total = LOSSES.build("cross_entropy", reduction="sum")(logits, target)
    torch.testing.assert_close(total, cross_entropy * 6)


def test_custom_loss_is_mse_plus_weighted_mean_output_penalty(
    values: tuple[torch.Tensor, torch.Tensor],
) -> None:
    x, y = values
    loss = LOSSES.build("mse_output_penalty", weight=0.5)(x, y)
    torch.testing.assert_close(loss, functional.mse_loss(x, y) + 0.5 * x.mean() ** 2)


def test_specs_declare_tasks_inputs_and_targets() -> None:
    assert loss_spec("bce").expects is ModelOutput.PROBABILITIES
    assert loss_spec("bce_with_logits").expects is ModelOutput.LOGITS
    assert loss_spec("nll").expects is ModelOutput.LOG_PROBABILITIES
    assert loss_spec("cross_entropy").target is TargetKind.CLASS_INDEX
    assert loss_spec("bce").target is TargetKind.BINARY
    assert loss_spec("mse").target is TargetKind.REAL
    for task in Task:
        fitting = losses_for_task(task)
        assert fitting == sorted(name for name in LOSSES.names() if task in loss_spec(name).tasks)
    assert {"bce", "bce_with_logits", "mse"} <= set(losses_for_task(Task.BINARY))
    assert "cross_entropy" not in losses_for_task(Task.REGRESSION)
