"""Every registered activation builds and computes what torch does."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional

from trainlab import ACTIVATIONS

X = torch.linspace(-4, 4, 41)

EXPECTED = {
    "relu": functional.relu(X),
    "leaky_relu": functional.leaky_relu(X, 0.01),
    "elu": functional.elu(X),
    "gelu": functional.gelu(X),
    "silu": X * torch.sigmoid(X),
    "swish": X * torch.sigmoid(X),
    "sigmoid": torch.sigmoid(X),
    "tanh": torch.tanh(X),
    "softplus": torch.log1p(torch.exp(X)),
    "identity": X,
    "scaled_tanh": 1.7159 * torch.tanh(2 * X / 3),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_activation_matches_its_definition(name: str) -> None:
    module = ACTIVATIONS.build(name)
    assert isinstance(module, nn.Module)
    torch.testing.assert_close(module(X), EXPECTED[name])


def test_swish_is_an_alias_of_silu() -> None:
    assert ACTIVATIONS.get("swish").name == "silu"
    assert isinstance(ACTIVATIONS.build("swish"), nn.SiLU)


def test_keyword_arguments_pass_through() -> None:
    leaky = ACTIVATIONS.build("leaky_relu", negative_slope=0.2)
    assert leaky(torch.tensor([-1.0])).item() == pytest.approx(-0.2)
    scaled = ACTIVATIONS.build("scaled_tanh")
    assert scaled(torch.tensor([1.0])).item() == pytest.approx(1.0, abs=1e-4)


def test_saturating_activations_have_vanishing_derivatives() -> None:
    x = torch.tensor([0.0, 6.0], requires_grad=True)
    ACTIVATIONS.build("sigmoid")(x).sum().backward()
    assert x.grad[0].item() == pytest.approx(0.25)
    assert x.grad[1].item() < 0.01
