"""What a run shows in TensorBoard's HParams tab: its headline choices and what was overridden."""

from __future__ import annotations

from tests.conftest import compose_config
from trainlab.summary import CHOICE_SECTIONS, hparams

HEADLINE = ["loss", "activation", "optimizer", "optimizer.lr", "seed"]


def test_hparams_lead_with_the_choices_and_seed_and_skip_constant_defaults() -> None:
    values = hparams(compose_config("optimizer=adam", "loss=mse", "seed=7"), overrides=[])
    assert list(values)[:5] == HEADLINE
    assert [values[k] for k in HEADLINE] == ["mse", "relu", "adam", 0.001, 7]
    # Every other section's choice is named; none of the default arguments is a column.
    assert set(values) == set(HEADLINE) | set(CHOICE_SECTIONS)
    assert values["scheduler"] == "none"


def test_hparams_add_every_overridden_key_with_its_resolved_value() -> None:
    overrides = [
        "optimizer=sgd",
        "optimizer.momentum=0.9",
        "+optimizer.nesterov=true",
        "model.hidden_sizes=[16,8]",
        "loss=huber",
        "loss.delta=0.5",
        "data=regression",
        "experiment=bce_vs_mse",  # a group choice with no value of its own in the config
    ]
    cfg = compose_config(*(o.lstrip("+") for o in overrides if not o.startswith("experiment")))
    values = hparams(cfg, overrides)
    assert values["optimizer.momentum"] == 0.9
    assert values["optimizer.nesterov"] is True
    assert values["model.hidden_sizes"] == "[16, 8]"  # TensorBoard takes scalars and strings
    assert values["loss.delta"] == 0.5
    assert "experiment" not in values
    assert all(isinstance(v, (int, float, str, bool)) for v in values.values())
