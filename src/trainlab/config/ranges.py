"""What each argument of a chosen loss, activation, init, optimizer or scheduler may be: one table.

torch checks some of these arguments itself, with messages that do not say what is allowed
("Invalid beta parameter at index 0: 1.5"), and many not at all (``StepLR(step_size=0)`` fails
only at its first step, a negative ``eta_min`` gives negative learning rates). A run's plan
checks each section's arguments against this table before building anything; arguments a
table does not name are left to the constructor and the plan's dry step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trainlab.errors import ConfigError


@dataclass(frozen=True)
class Allowed:
    """A rule for one argument: what it must be, in words, and the test of a value."""

    description: str
    test: Callable[[Any], bool]


def at_least(low: float) -> Allowed:
    """``>= low``."""
    return Allowed(f">= {low}", lambda value: value >= low)


def above(low: float) -> Allowed:
    """``> low``."""
    return Allowed(f"> {low}", lambda value: value > low)


def within(low: float, high: float, *, high_included: bool = True) -> Allowed:
    """In ``[low, high]`` (or ``[low, high)``)."""
    bracket = "]" if high_included else ")"
    return Allowed(
        f"in [{low}, {high}{bracket}",
        lambda value: low <= value <= high if high_included else low <= value < high,
    )


def each(rule: Allowed) -> Allowed:
    """Every element of a list follows ``rule``."""
    return Allowed(
        f"a list whose every element is {rule.description}",
        lambda values: all(rule.test(value) for value in values),
    )


def one_of(*choices: str, why: str = "") -> Allowed:
    """One of ``choices``."""
    reason = f" ({why})" if why else ""
    return Allowed(
        f"one of {', '.join(map(repr, choices))}{reason}", lambda value: value in choices
    )


ALLOWED: dict[str, dict[str, Allowed]] = {
    "loss": {
        "reduction": one_of("mean", "sum", why="training needs one number per batch"),
        "delta": above(0),  # huber
        "beta": at_least(0),  # smooth_l1
        "label_smoothing": within(0, 1),
    },
    "activation": {
        "beta": above(0),  # softplus: 1/beta · log(1 + exp(beta·x))
        "approximate": one_of("none", "tanh"),  # gelu
    },
    "init": {
        "mode": one_of("fan_in", "fan_out"),  # kaiming: the fan its std is scaled by
    },
    "optimizer": {
        "lr": at_least(0),
        "momentum": at_least(0),
        "dampening": within(0, 1),
        "weight_decay": at_least(0),
        "eps": at_least(0),
        "betas": each(within(0, 1, high_included=False)),
        "alpha": at_least(0),  # rmsprop's smoothing constant
        "lr_decay": at_least(0),  # adagrad
        "initial_accumulator_value": at_least(0),  # adagrad
        "momentum_decay": at_least(0),  # nadam
    },
    "scheduler": {
        "eta_min": at_least(0),  # cosine: the lowest learning rate
        "step_size": at_least(1),  # step: epochs between decays
        "gamma": above(0),  # step: the decay factor
        "max_lr": at_least(0),  # onecycle
        "pct_start": within(0, 1),  # onecycle: share of the run spent warming up
        "div_factor": above(0),  # onecycle
        "final_div_factor": above(0),  # onecycle
    },
}


def check_allowed(section: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` for the first argument of ``section`` outside its range."""
    rules = ALLOWED.get(section, {})
    for key, value in params.items():
        rule = rules.get(key)
        if rule is None or value is None:
            continue
        try:
            fits = rule.test(value)
        except TypeError:  # a value of a kind the rule does not compare (a typed schema's Any)
            fits = False
        if not fits:
            raise ConfigError(
                f"{section}.{key}={value!r} is not allowed: {section}.{key} must be "
                f"{rule.description}"
            )
