"""Short, stable names for a model's layers, from the model's own module names."""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn


def short_names(paths: Iterable[str]) -> dict[str, str]:
    """Each dotted module path → its shortest trailing part that no other path ends with.

    ``model.layers.hidden1`` → ``hidden1``; ``net.encoder.0`` beside ``net.decoder.0`` →
    ``encoder.0`` and ``decoder.0``. Wrappers (``_orig_mod`` of ``torch.compile``, a
    LightningModule's attribute) drop out by themselves.
    """
    unique = sorted(set(paths))
    names = {}
    for path in unique:
        parts = path.split(".")
        others = [other for other in unique if other != path]
        for length in range(1, len(parts) + 1):
            suffix = ".".join(parts[-length:])
            if not any(other == suffix or other.endswith("." + suffix) for other in others):
                names[path] = suffix
                break
        else:
            names[path] = path
    return names


def layer_names(module: nn.Module) -> dict[str, str]:
    """``{parameter name: layer name}`` for every trainable parameter of ``module``."""
    owners = {
        name: name.rpartition(".")[0] or name
        for name, parameter in module.named_parameters()
        if parameter.requires_grad
    }
    short = short_names(owners.values())
    return {name: short[owner] for name, owner in owners.items()}
