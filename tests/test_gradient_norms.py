"""GradientNormLogger computes the norms torch would, and logs them on logging steps."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainlab.callbacks.gradient_norms import GradientNormLogger
from trainlab.models import MLP
from trainlab.models.layers import layer_names, short_names


def named_grads(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Each gradient of a small backward pass with its layer's name."""
    torch.manual_seed(0)
    model(torch.rand(16, 4)).pow(2).sum().backward()
    layers = layer_names(model)
    return [(layers[n], p.grad) for n, p in model.named_parameters()]


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


class _UserNet(nn.Module):
    """A model written without trainlab's naming: its own attribute names, nested blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.ModuleDict(
            {"encoder": nn.Sequential(nn.Linear(4, 4)), "decoder": nn.Sequential(nn.Linear(4, 2))}
        )
        self.fc1 = nn.Linear(2, 2)
        self.scale = nn.Parameter(torch.ones(1))


def test_layer_names_come_from_the_models_own_modules() -> None:
    names = layer_names(_UserNet())
    assert names == {
        "net.encoder.0.weight": "encoder.0", "net.encoder.0.bias": "encoder.0",
        "net.decoder.0.weight": "decoder.0", "net.decoder.0.bias": "decoder.0",
        "fc1.weight": "fc1", "fc1.bias": "fc1", "scale": "scale",
    }  # fmt: skip
    wrapped = nn.Module()
    wrapped.model = MLP(input_shape=(4,), num_outputs=1, activation=nn.ReLU, hidden_sizes=(4,))
    wrapped.model.compile()  # compiling in place keeps the module names
    assert set(layer_names(wrapped).values()) == {"hidden1", "output"}


def test_short_names_are_unique_trailing_parts() -> None:
    assert short_names(["model.layers.act1", "model.layers.act2"]) == {
        "model.layers.act1": "act1",
        "model.layers.act2": "act2",
    }
    assert short_names(["a.x", "b.x", "x"]) == {"a.x": "a.x", "b.x": "b.x", "x": "x"}
