"""The MLP and the classic CIFAR10 CNN."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainlab import ACTIVATIONS
from trainlab.models import MLP, CifarCNN


def test_cifar_cnn_is_the_classic_architecture() -> None:
    model = CifarCNN(input_shape=(3, 32, 32), num_outputs=10, activation=nn.Tanh)
    out = model(torch.randn(4, 3, 32, 32))
    assert out.shape == (4, 10)
    layers = dict(model.layers.named_children())
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.padding) for m in (layers["conv1"], layers["conv2"], layers["conv3"])] == [
        (3, 32, (5, 5), (2, 2)), (32, 32, (5, 5), (2, 2)), (32, 64, (5, 5), (2, 2)),
    ]  # fmt: skip
    assert (layers["fc1"].in_features, layers["fc1"].out_features) == (1024, 64)
    assert (layers["fc2"].in_features, layers["fc2"].out_features) == (64, 10)
    assert sum(isinstance(m, nn.Tanh) for m in model.modules()) == 4
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == 3
    conv = (3 * 32 + 32 * 32 + 32 * 64) * 25 + (32 + 32 + 64)
    assert sum(p.numel() for p in model.parameters()) == conv + 1024 * 64 + 64 + 64 * 10 + 10


def test_cifar_cnn_rejects_other_shapes() -> None:
    with pytest.raises(ValueError, match=r"takes 3x32x32 images, got input shape \(4,\)"):
        CifarCNN(input_shape=(4,), num_outputs=3, activation=nn.ReLU)


def test_mlp_layers_and_activation_from_registry() -> None:
    model = MLP(
        input_shape=(4,),
        num_outputs=3,
        activation=lambda: ACTIVATIONS.build("silu"),
        hidden_sizes=(8, 5),
    )
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "layers.hidden1.weight", "layers.hidden1.bias", "layers.hidden2.weight",
        "layers.hidden2.bias", "layers.output.weight", "layers.output.bias",
    ]  # fmt: skip
    assert model(torch.rand(7, 4)).shape == (7, 3)
    assert sum(isinstance(m, nn.SiLU) for m in model.modules()) == 2
    # Each activation is its own module instance.
    assert model.layers.act1 is not model.layers.act2
