"""Which direction of a metric is better, from the monitor or from the metric's name."""

from __future__ import annotations

import re

# The first word that matches a whole part of the name between '/' and '_' decides:
# val/loss, test/acc_class/cat, grad_norm/hidden1 (small gradient norms: nothing exploded).
MODE_BY_WORD = {
    "loss": "min",
    "mse": "min",
    "mae": "min",
    "grad_norm": "min",
    "acc": "max",
    "f1": "max",
    "r2": "max",
}


def infer_mode(metric: str, monitor: str, monitor_mode: str) -> str | None:
    """``min`` or ``max`` for ``metric``: the monitor's own mode, else from its name."""
    if metric in (monitor, f"best/{monitor}"):
        return monitor_mode
    for word, mode in MODE_BY_WORD.items():
        if re.search(rf"(^|[/_]){re.escape(word)}($|[/_])", metric):
            return mode
    return None
