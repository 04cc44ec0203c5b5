"""Every registered initialiser draws what torch.nn.init documents, with the activation's gain."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import pytest
import torch
from omegaconf import open_dict
from scipy import stats
from torch import nn

from tests.conftest import FAST_OVERRIDES, built, compose_config, planned
from tests.subprocess_runs import TRAIN, record, run_script
from trainlab.activations import ACTIVATIONS
from trainlab.config.ranges import ALLOWED
from trainlab.errors import ConfigError
from trainlab.initializers import DEFAULT, INITIALIZERS, activation_gain, initialize
from trainlab.models import MLP, CifarCNN
from trainlab.plan import plan
from trainlab.summary import hparams


@dataclass(frozen=True)
class Documented:
    """What torch.nn.init documents for a scheme: its std (or orthogonality) and its shape."""

    std: Callable[[float, int, int], float] | None  # (gain, fan_in, fan_out) -> std; None: W Wᵀ
    uniform: bool = False


# The formulas of torch.nn.init's documentation; kaiming with its default mode, fan_in.
DOCUMENTED = {
    "xavier_uniform": Documented(
        lambda g, fi, fo: g * math.sqrt(6 / (fi + fo)) / math.sqrt(3), True
    ),
    "xavier_normal": Documented(lambda g, fi, fo: g * math.sqrt(2 / (fi + fo))),
    "kaiming_uniform": Documented(lambda g, fi, fo: g * math.sqrt(3 / fi) / math.sqrt(3), True),
    "kaiming_normal": Documented(lambda g, fi, fo: g / math.sqrt(fi)),
    "orthogonal": Documented(None),
}
DRAWN = [name for name in INITIALIZERS.names() if name != DEFAULT]
# One activation torch has a gain for, one whose gain takes the activation's argument, one whose
# gain trainlab computes.
GAIN_CASES = {
    "relu": ({}, math.sqrt(2)),
    "leaky_relu": ({"negative_slope": 0.2}, math.sqrt(2 / (1 + 0.2**2))),
    "silu": ({}, None),
}


def second_moment(name: str, params: dict) -> float:
    """``E[f(z)²]`` for ``z ~ N(0, 1)``, integrated by scipy."""
    activation = ACTIVATIONS.build(name, **params)
    return stats.norm.expect(lambda z: float(activation(torch.tensor(z, dtype=torch.float64))) ** 2)


def wide_mlp(activation: str, params: dict) -> MLP:
    torch.manual_seed(0)
    return MLP(
        (600,), 300, lambda: ACTIVATIONS.build(activation, **params), hidden_sizes=[400, 500]
    )


def small_mlp(activation: str) -> MLP:
    torch.manual_seed(0)
    return MLP((20,), 5, lambda: ACTIVATIONS.build(activation), hidden_sizes=[30, 40])


@pytest.mark.parametrize("activation", sorted(GAIN_CASES))
@pytest.mark.parametrize("name", DRAWN)
def test_initializer_draws_the_documented_statistics(name: str, activation: str) -> None:
    params, torch_gain = GAIN_CASES[activation]
    gain = torch_gain or 1 / math.sqrt(second_moment(activation, params))
    model = wide_mlp(activation, params)
    initialize(model, {"name": name}, activation, params)
    layers = dict(model.layers.named_children())
    for layer_name in ("hidden1", "hidden2", "output"):
        weight = layers[layer_name].weight.detach().double()
        fan_out, fan_in = weight.shape
        # The output layer is followed by no activation: it gets the linear gain, 1.
        expected_gain = 1.0 if layer_name == "output" else gain
        documented = DOCUMENTED[name]
        if documented.std is None:
            small = weight @ weight.T if fan_out <= fan_in else weight.T @ weight
            torch.testing.assert_close(
                small,
                expected_gain**2 * torch.eye(len(small), dtype=torch.float64),
                atol=1e-5,  # float32 weights
                rtol=0,
            )
            continue
        std = documented.std(expected_gain, fan_in, fan_out)
        # ~10^5 draws: the sample std is within 1 % of the true one (its relative error is ~0.2 %).
        assert weight.std().item() == pytest.approx(std, rel=0.01), layer_name
        assert abs(weight.mean().item()) < 0.015 * std
        if documented.uniform:
            bound = std * math.sqrt(3)
            assert bound * 0.999 < weight.abs().max().item() <= bound
        else:  # a normal's kurtosis is 3, a uniform's 1.8
            assert stats.kurtosis(weight.flatten().numpy(), fisher=False) == pytest.approx(
                3, abs=0.1
            )
        assert not layers[layer_name].bias.any(), "biases are zeroed"


def torch_init(name: str) -> Callable[..., torch.Tensor]:
    """The ``torch.nn.init`` function a registered initialiser is named after (``xavier_uniform_``)."""
    return getattr(nn.init, f"{name}_")


@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu"])
@pytest.mark.parametrize("name", DRAWN)
def test_initializer_draws_torchs_own_tensors(name: str, activation: str) -> None:
    """Same seed, same tensors: each layer drawn by the torch.nn.init function of that name."""
    model = small_mlp(activation)
    initialize(model, {"name": name}, activation, {})
    expected = small_mlp(activation)
    draw = torch_init(name)
    layers = [m for m in expected.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for layer in layers:
            # The output layer is followed by no activation: torch's "linear".
            nonlinearity = "linear" if layer is layers[-1] else activation
            if "gain" in inspect.signature(draw).parameters:
                draw(layer.weight, gain=nn.init.calculate_gain(nonlinearity))
            else:  # kaiming: the activation by name (leaky_relu's default slope 0.01 as a)
                a = 0.01 if nonlinearity == "leaky_relu" else 0.0
                draw(layer.weight, a=a, nonlinearity=nonlinearity)
            nn.init.zeros_(layer.bias)
    for (key, value), (_, torch_value) in zip(
        model.state_dict().items(), expected.state_dict().items(), strict=True
    ):
        assert torch.equal(value, torch_value), key


def test_kaiming_fan_out_mode() -> None:
    model = wide_mlp("relu", {})
    initialize(model, {"name": "kaiming_normal", "mode": "fan_out"}, "relu", {})
    weight = model.layers.hidden1.weight.detach()
    assert weight.std().item() == pytest.approx(math.sqrt(2) / math.sqrt(400), rel=0.01)


def test_conv_layers_get_the_activation_gain_and_the_last_layer_the_linear_one() -> None:
    torch.manual_seed(0)
    model = CifarCNN((3, 32, 32), 10, nn.ReLU)
    initialize(model, {"name": "kaiming_normal"}, "relu", {})
    layers = dict(model.layers.named_children())
    fan_in = 32 * 5 * 5
    assert layers["conv2"].weight.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.02)
    assert layers["fc1"].weight.std().item() == pytest.approx(math.sqrt(2 / 1024), rel=0.02)
    assert layers["fc2"].weight.std().item() == pytest.approx(math.sqrt(1 / 64), rel=0.1)
    assert not any(layers[name].bias.any() for name in ("conv1", "conv2", "conv3", "fc1", "fc2"))


def test_default_touches_nothing_not_even_the_random_state() -> None:
    untouched = wide_mlp("relu", {})
    model = wide_mlp("relu", {})
    state = torch.get_rng_state()
    initialize(model, {"name": DEFAULT}, "relu", {})
    assert torch.equal(torch.get_rng_state(), state)
    for (name, value), (_, expected) in zip(
        model.state_dict().items(), untouched.state_dict().items(), strict=True
    ):
        assert torch.equal(value, expected), name
    assert model.layers.hidden1.bias.abs().min() > 0  # PyTorch's own biases, not zeros


def test_default_run_builds_the_model_pytorch_builds(tmp_path: Path) -> None:
    run_plan = planned(run_dir=tmp_path)
    assert run_plan.init.name == DEFAULT
    model = built(run_plan).module.model
    L.seed_everything(run_plan.seed, workers=True, verbose=False)
    plain = MLP(
        run_plan.data.input_shape,
        run_plan.data.num_outputs,
        nn.ReLU,
        hidden_sizes=list(run_plan.cfg.model.hidden_sizes),
    )
    for (name, value), (_, expected) in zip(
        model.state_dict().items(), plain.state_dict().items(), strict=True
    ):
        assert torch.equal(value, expected), name


def test_a_config_recorded_before_init_existed_keeps_pytorchs(tmp_path: Path) -> None:
    cfg = compose_config()
    with open_dict(cfg):
        del cfg["init"]
    assert plan(cfg, tmp_path).init.name == DEFAULT


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_every_activation_has_its_gain(name: str) -> None:
    rule = ACTIVATIONS.get(name).info
    try:
        torch_gain = nn.init.calculate_gain(name)
    except ValueError:
        torch_gain = None
    if torch_gain is not None:
        # torch knows this activation by name: its value is used.
        assert rule.nonlinearity == name
        assert activation_gain(name, {}).value == torch_gain
    elif rule.nonlinearity is not None:
        assert rule.nonlinearity == "linear" and activation_gain(name, {}).value == 1
        assert second_moment(name, {}) == pytest.approx(1)  # the identity
    else:
        assert activation_gain(name, {}).value == pytest.approx(
            1 / math.sqrt(second_moment(name, {})), rel=1e-9
        )


def test_a_gain_follows_the_activation_arguments() -> None:
    leaky = activation_gain("leaky_relu", {"negative_slope": 0.2})
    assert (leaky.value, leaky.nonlinearity, leaky.a) == (
        nn.init.calculate_gain("leaky_relu", 0.2),
        "leaky_relu",
        0.2,
    )
    for name, params in (("elu", {"alpha": 0.5}), ("softplus", {"beta": 2.0})):
        assert activation_gain(name, params).value == pytest.approx(
            1 / math.sqrt(second_moment(name, params)), rel=1e-9
        )
        assert activation_gain(name, params).value != activation_gain(name, {}).value


def test_the_computed_gain_is_torchs_where_torch_derives_it() -> None:
    """1/sqrt(E[f(z)²]) gives torch's linear, relu and leaky_relu gains: the same derivation."""
    assert 1 / math.sqrt(second_moment("identity", {})) == pytest.approx(1)
    assert 1 / math.sqrt(second_moment("relu", {})) == pytest.approx(math.sqrt(2))
    assert 1 / math.sqrt(second_moment("leaky_relu", {"negative_slope": 0.2})) == pytest.approx(
        nn.init.calculate_gain("leaky_relu", 0.2)
    )


@pytest.mark.parametrize(
    "name", [n for n in ACTIVATIONS.names() if ACTIVATIONS.get(n).info.nonlinearity is None]
)
def test_computed_gain_keeps_unit_variance_pre_activations(name: str) -> None:
    torch.manual_seed(0)
    model = MLP((1024,), 1, ACTIVATIONS.get(name).factory, hidden_sizes=[1024, 1024])
    initialize(model, {"name": "kaiming_normal"}, name, {})
    pre_activations = torch.randn(4096, 1024)
    with torch.no_grad():
        following = model.layers.hidden2(model.layers.act1(pre_activations))
    assert following.var().item() == pytest.approx(1, rel=0.05)


def test_bad_init_sections_are_refused_by_the_plan(tmp_path: Path) -> None:
    cases = {
        ("init.name=glorot",): (
            f"init: Unknown initializer 'glorot'. Registered initializers: "
            f"{', '.join(INITIALIZERS.names())}."
        ),
        ("init=kaiming_normal", "init.mode=fan_avg"): (
            f"init.mode='fan_avg' is not allowed: init.mode must be "
            f"{ALLOWED['init']['mode'].description}"
        ),
        ("init=orthogonal", "+init.gain=2"): (
            "init.gain is set by trainlab and cannot be configured"
        ),
    }
    for overrides, message in cases.items():
        with pytest.raises(ConfigError) as error:
            planned(*overrides, run_dir=tmp_path / "run")
        assert message in str(error.value)
        assert not (tmp_path / "run").exists()


def test_the_init_choice_is_a_hyperparameter() -> None:
    overrides = ("init=kaiming_uniform", "init.mode=fan_out")
    values = hparams(compose_config(*overrides), overrides)
    assert (values["init"], values["init.mode"]) == ("kaiming_uniform", "fan_out")


@pytest.mark.slow
def test_cli_run_starts_from_the_chosen_initialisation(tmp_path: Path) -> None:
    overrides = (*FAST_OVERRIDES, "init=kaiming_normal", "activation=tanh", "seed=3")
    # lr=0: the saved weights are the initial ones.
    result = run_script(TRAIN, *overrides, "optimizer.lr=0", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    assert record(tmp_path)["status"] == "completed"
    saved = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    expected = built(planned(*overrides, run_dir=tmp_path / "planned")).module.model.state_dict()
    for name, value in expected.items():
        assert torch.equal(saved[f"model.{name}"], value), name
    assert not saved["model.layers.hidden1.bias"].any()
    hidden2 = saved["model.layers.hidden2.weight"]
    # 64 x 64 tanh layer: std 5/3 / sqrt(64) within the sampling error of 4096 draws.
    assert hidden2.std().item() == pytest.approx(5 / 3 / 8, rel=0.05)
