"""Optimizers are the torch classes with their exact update rules; schedulers see the run length."""

from __future__ import annotations

import pytest
import torch

from trainlab import OPTIMIZERS, SCHEDULERS


def quadratic_step(optimizer: torch.optim.Optimizer, weight: torch.nn.Parameter) -> None:
    optimizer.zero_grad()
    (0.5 * (weight**2).sum()).backward()  # gradient = weight
    optimizer.step()


def manual_sgd(
    steps: int, lr: float, momentum: float, dampening: float, wd: float, nesterov: bool
) -> torch.Tensor:
    weight = torch.tensor([1.0, -2.0])
    buffer = None
    for _ in range(steps):
        grad = weight + wd * weight
        buffer = grad.clone() if buffer is None else momentum * buffer + (1 - dampening) * grad
        update = grad + momentum * buffer if nesterov else buffer
        weight = weight - lr * update
    return weight


@pytest.mark.parametrize(
    ("momentum", "dampening", "wd", "nesterov"),
    [
        (0.0, 0.0, 0.0, False),
        (0.9, 0.0, 0.0, False),
        (0.9, 0.5, 0.1, False),
        (0.9, 0.0, 0.01, True),
    ],
)
def test_sgd_matches_the_update_rule(
    momentum: float, dampening: float, wd: float, nesterov: bool
) -> None:
    weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    optimizer = OPTIMIZERS.build(
        "sgd",
        params=[weight],
        lr=0.1,
        momentum=momentum,
        dampening=dampening,
        weight_decay=wd,
        nesterov=nesterov,
    )
    assert type(optimizer) is torch.optim.SGD
    for _ in range(3):
        quadratic_step(optimizer, weight)
    torch.testing.assert_close(
        weight.detach(), manual_sgd(3, 0.1, momentum, dampening, wd, nesterov)
    )


def test_sgd_maximize_climbs() -> None:
    weight = torch.nn.Parameter(torch.tensor([1.0]))
    quadratic_step(OPTIMIZERS.build("sgd", params=[weight], lr=0.5, maximize=True), weight)
    assert weight.item() == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
        ("rmsprop", torch.optim.RMSprop),
        ("adagrad", torch.optim.Adagrad),
    ],
)
def test_adaptive_optimizers_are_torch_classes(name: str, cls: type) -> None:
    weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    reference = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    ours = OPTIMIZERS.build(name, params=[weight], lr=0.05)
    theirs = cls([reference], lr=0.05)
    assert type(ours) is cls
    for _ in range(3):
        quadratic_step(ours, weight)
        quadratic_step(theirs, reference)
    assert torch.equal(weight, reference)


def test_adam_first_step_moves_each_weight_by_lr() -> None:
    weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    quadratic_step(OPTIMIZERS.build("adam", params=[weight], lr=0.1), weight)
    torch.testing.assert_close(weight.detach(), torch.tensor([0.9, -1.9]))


def test_schedulers_span_the_whole_run() -> None:
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = OPTIMIZERS.build("sgd", params=[weight], lr=1.0)
    cosine = SCHEDULERS.build("cosine", optimizer=optimizer, total_steps=10)
    for _ in range(10):
        optimizer.step()
        cosine.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)

    optimizer = OPTIMIZERS.build("sgd", params=[weight], lr=0.4)
    onecycle = SCHEDULERS.build("onecycle", optimizer=optimizer, total_steps=20, pct_start=0.5)
    peak = 0.0
    for _ in range(19):
        optimizer.step()
        onecycle.step()
        peak = max(peak, optimizer.param_groups[0]["lr"])
    assert peak == pytest.approx(0.4, rel=1e-3)
    assert SCHEDULERS.get("step").info.interval == "epoch"
