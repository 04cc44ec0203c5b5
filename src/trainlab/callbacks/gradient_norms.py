"""Total and per-layer gradient L2 norms, logged on logging steps only.

Written by hand because Lightning's ``grad_norm`` utility returns one norm per parameter and
gathers them on the host one by one; this computes all norms with one fused
``torch._foreach_norm`` on the device and moves them to the host in a single transfer.
"""

from __future__ import annotations

import lightning as L
import torch
from torch import nn

TOTAL_TAG = "grad_norm/total"
LAYER_TAG = "grad_norm/{}"
# Wrapper module names that say nothing about the layer (``_orig_mod``: torch.compile).
_CONTAINERS = frozenset({"model", "layers", "_orig_mod"})


def layer_name(parameter_name: str) -> str:
    """``model.layers.hidden1.weight`` → ``hidden1``: the module that owns the parameter."""
    parts = parameter_name.split(".")[:-1]
    while parts and parts[0] in _CONTAINERS:
        parts = parts[1:]
    return ".".join(parts) or parameter_name


class GradientNormLogger(L.Callback):
    """Logs ``grad_norm/total`` and ``grad_norm/<layer>`` (after AMP unscaling, before the step).

    Under DDP these are the norms of the averaged gradients, logged once, by rank 0.

    Runs only on the steps where Lightning writes logs (every ``trainer.log_every_n_steps``), so
    other steps pay nothing. With ``histograms=True`` it also writes per-layer gradient
    histograms to TensorBoard, which costs a host copy of every gradient on those steps.
    """

    def __init__(self, per_layer: bool = True, histograms: bool = False) -> None:
        super().__init__()
        self.per_layer = per_layer
        self.histograms = histograms

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        # DDP has all-reduced the gradients by now (backward waits for it), so every rank holds
        # the same ones: rank 0 logs them. Lightning's LearningRateMonitor gates on the same flag.
        logging_step = trainer._logger_connector.should_update_logs
        if not trainer.is_global_zero or not trainer.loggers or not logging_step:
            return
        step = trainer.fit_loop.epoch_loop._batches_that_stepped
        named = [(n, p.grad) for n, p in _trainable(pl_module) if p.grad is not None]
        if not named:
            return
        metrics = self.norms(named)
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=step)
        if self.histograms:
            self._log_histograms(trainer, named, step)

    def norms(self, named_grads: list[tuple[str, torch.Tensor]]) -> dict[str, float]:
        """``{tag: norm}`` for the total and (if enabled) every layer, with one host transfer."""
        grads = [g.detach() for _, g in named_grads]
        squares = torch.stack(torch._foreach_norm(grads)).float().square()
        layers = [layer_name(n) for n, _ in named_grads]
        order = list(dict.fromkeys(layers))
        values = [squares.sum()]
        if self.per_layer:
            index = torch.tensor([order.index(name) for name in layers], device=squares.device)
            per_layer = torch.zeros(len(order), device=squares.device).index_add_(0, index, squares)
            values.append(per_layer)
        flat = torch.cat([v.reshape(-1) for v in values]).sqrt().tolist()
        tags = [TOTAL_TAG] + ([LAYER_TAG.format(name) for name in order] if self.per_layer else [])
        return dict(zip(tags, flat, strict=True))

    def _log_histograms(
        self, trainer: L.Trainer, named_grads: list[tuple[str, torch.Tensor]], step: int
    ) -> None:
        by_layer: dict[str, list[torch.Tensor]] = {}
        for name, grad in named_grads:
            by_layer.setdefault(layer_name(name), []).append(grad.detach().reshape(-1))
        for logger in trainer.loggers:
            writer = getattr(logger, "experiment", None)
            if not hasattr(writer, "add_histogram"):
                continue
            for layer, parts in by_layer.items():
                writer.add_histogram(f"grad_hist/{layer}", torch.cat(parts).float().cpu(), step)


def _trainable(module: nn.Module) -> list[tuple[str, nn.Parameter]]:
    return [(n, p) for n, p in module.named_parameters() if p.requires_grad]
