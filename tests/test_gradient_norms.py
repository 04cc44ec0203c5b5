"""GradientNormLogger computes the norms torch would, and logs them on logging steps."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainlab.callbacks.gradient_norms import GradientNormLogger, layer_name
from trainlab.models import MLP


def named_grads(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    torch.manual_seed(0)
    model(torch.rand(16, 4)).pow(2).sum().backward()
    return [(f"model.{n}", p.grad) for n, p in model.named_parameters()]


def test_total_and_per_layer_norms_match_torch() -> None:
    model = MLP(input_shape=(4,), num_outputs=3, activation=nn.Tanh, hidden_sizes=(8, 8))
    grads = named_grads(model)
    norms = GradientNormLogger().norms(grads)
    total = torch.nn.utils.get_total_norm([g for _, g in grads])
    assert norms["grad_norm/total"] == pytest.approx(total.item(), rel=1e-6)
    layer = model.layers.hidden2
    expected = torch.cat([layer.weight.grad.flatten(), layer.bias.grad.flatten()]).norm().item()
    assert norms["grad_norm/hidden2"] == pytest.approx(expected, rel=1e-6)
    assert list(norms) == [
        "grad_norm/total",
        "grad_norm/hidden1",
        "grad_norm/hidden2",
        "grad_norm/output",
    ]


def test_total_only_when_per_layer_is_off() -> None:
    model = MLP(input_shape=(4,), num_outputs=1, activation=nn.ReLU, hidden_sizes=(4,))
    assert list(GradientNormLogger(per_layer=False).norms(named_grads(model))) == [
        "grad_norm/total"
    ]


@pytest.mark.parametrize(
    ("name", "layer"),
    [
        ("model.layers.hidden1.weight", "hidden1"),
        ("model.layers.conv2.bias", "conv2"),
        ("model._orig_mod.layers.fc1.weight", "fc1"),
        ("scale", "scale"),
    ],
)
def test_layer_names(name: str, layer: str) -> None:
    assert layer_name(name) == layer
