"""The generic Registry and the three public instances."""

from __future__ import annotations

import pytest
import yaml

import trainlab
from trainlab.loggers import LOGGERS
from trainlab.paths import CONFIG_DIR
from trainlab.registry import DuplicateNameError, Registry, UnknownNameError

REGISTRIES = {
    "loss": trainlab.LOSSES,
    "activation": trainlab.ACTIVATIONS,
    "optimizer": trainlab.OPTIMIZERS,
    "scheduler": trainlab.SCHEDULERS,
    "logger": LOGGERS,
}


def make_registry() -> Registry[object]:
    registry: Registry[object] = Registry("widget")
    registry.register("square", info="shape")(lambda side=1: side * side)
    registry.register("double", aliases=("twice",))(lambda x: 2 * x)
    return registry


def test_build_calls_factory_with_kwargs() -> None:
    registry = make_registry()
    assert registry.build("square", side=3) == 9
    assert registry.build("twice", x=5) == 10
    assert registry.get("twice").name == "double"
    assert registry.get("square").info == "shape"


def test_names_sorted_and_aliases() -> None:
    registry = make_registry()
    assert registry.names() == ["double", "square"]
    assert registry.aliases("double") == ["twice"]
    assert "twice" in registry and "triple" not in registry
    assert len(registry) == 2


def test_unknown_name_lists_every_choice_and_suggests() -> None:
    registry = make_registry()
    with pytest.raises(UnknownNameError) as error:
        registry.build("sqare")
    message = str(error.value)
    assert "Unknown widget 'sqare'" in message
    assert "double, square, twice" in message
    assert "Did you mean 'square'?" in message


def test_duplicate_name_or_alias_rejected() -> None:
    registry = make_registry()
    with pytest.raises(DuplicateNameError, match="'square' is already registered"):
        registry.register("square")(lambda: 0)
    with pytest.raises(DuplicateNameError, match="'twice' is already registered"):
        registry.register("other", aliases=("twice",))(lambda: 0)


def test_public_registries_importable_from_package() -> None:
    assert {"mse", "sse", "bce", "bce_with_logits", "cross_entropy", "nll"} <= set(
        trainlab.LOSSES.names()
    )
    assert {"relu", "tanh", "sigmoid", "silu"} <= set(trainlab.ACTIVATIONS.names())
    assert {"sgd", "adam", "adamw", "rmsprop", "adagrad"} <= set(trainlab.OPTIMIZERS.names())
    with pytest.raises(UnknownNameError, match="Registered optimizers: adagrad, adam"):
        trainlab.OPTIMIZERS.get("adamm")


@pytest.mark.parametrize("group", list(REGISTRIES))
def test_every_registered_option_has_one_yaml_and_every_yaml_names_one(group: str) -> None:
    registry = REGISTRIES[group]
    named = {}
    for path in (CONFIG_DIR / group).glob("*.yaml"):
        content = yaml.safe_load(path.read_text()) or {}
        # Loggers are keyed by name, so that several can be chosen at once (logger=[a,b]).
        names = (
            [k for k in content if k != "defaults"] if group == "logger" else [content.get("name")]
        )
        for name in names:
            if name not in (None, "none"):
                named[path.stem] = name
    assert all(name in registry for name in named.values()), named
    assert set(registry.names()) <= set(named.values())
    for option, name in named.items():  # an option is the entry's name or one of its aliases
        assert option == name or option in registry.aliases(registry.get(name).name)
