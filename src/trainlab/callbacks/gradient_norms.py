"""Total and per-layer gradient L2 norms, logged on logging steps only.

Written by hand because Lightning's ``grad_norm`` utility returns one norm per parameter and
gathers them on the host one by one; this computes all norms with one fused
``torch._foreach_norm`` on the device and moves them to the host in a single transfer.
"""

from __future__ import annotations

import lightning as L
import torch

from trainlab.lightning_state import is_logging_step, logger_step
from trainlab.log_writer import HISTOGRAM, LogWriter
from trainlab.models.layers import layer_names

TOTAL_TAG = "grad_norm/total"
LAYER_TAG = "grad_norm/{}"


class GradientNormLogger(L.Callback):
    """Logs ``grad_norm/total`` and ``grad_norm/<layer>`` (after AMP unscaling, before the step).

    Under DDP these are the norms of the averaged gradients, logged once, by rank 0.

    Runs only on the steps where Lightning writes logs (every ``trainer.log_every_n_steps``), so
    other steps pay nothing. With ``histograms=True`` it also writes per-layer gradient
    histograms (to the loggers that take them: TensorBoard), which costs a host copy of every gradient on those steps.
    """

    def __init__(self, per_layer: bool = True, histograms: bool = False) -> None:
        super().__init__()
        self.per_layer = per_layer
        self.histograms = histograms
        # Each trainable parameter with its layer's name, from the fit's start: walking
        # named_parameters() on every logging step also walks (and hashes) every metric module.
        self._parameters: list[tuple[str, torch.nn.Parameter]] = []
        self._writer = LogWriter([])
        self._write_histograms = False

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        layers = layer_names(pl_module)
        self._parameters = [
            (layers[name], parameter)
            for name, parameter in pl_module.named_parameters()
            if name in layers
        ]
        self._writer = LogWriter.of(trainer)
        self._write_histograms = self.histograms and self._writer.takes(HISTOGRAM)

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        # DDP has all-reduced the gradients by now (backward waits for it), so every rank holds
        # the same ones: rank 0 logs them.
        if not trainer.is_global_zero or not trainer.loggers or not is_logging_step(trainer):
            return
        step = logger_step(trainer)
        named = [(layer, p.grad) for layer, p in self._parameters if p.grad is not None]
        if not named:
            return
        self._writer.metrics(self.norms(named), step)
        if self._write_histograms:
            self._log_histograms(named, step)

    def norms(self, layer_grads: list[tuple[str, torch.Tensor]]) -> dict[str, float]:
        """``{tag: norm}`` for the total and (if enabled) every layer, with one host transfer.

        ``layer_grads`` pairs each gradient with the name of the layer it belongs to.
        """
        grads = [g.detach() for _, g in layer_grads]
        squares = torch.stack(torch._foreach_norm(grads)).float().square()
        layers = [layer for layer, _ in layer_grads]
        order = list(dict.fromkeys(layers))
        values = [squares.sum()]
        if self.per_layer:
            index = torch.tensor([order.index(name) for name in layers], device=squares.device)
            per_layer = torch.zeros(len(order), device=squares.device).index_add_(0, index, squares)
            values.append(per_layer)
        flat = torch.cat([v.reshape(-1) for v in values]).sqrt().tolist()
        tags = [TOTAL_TAG] + ([LAYER_TAG.format(name) for name in order] if self.per_layer else [])
        return dict(zip(tags, flat, strict=True))

    def _log_histograms(self, layer_grads: list[tuple[str, torch.Tensor]], step: int) -> None:
        by_layer: dict[str, list[torch.Tensor]] = {}
        for layer, grad in layer_grads:
            by_layer.setdefault(layer, []).append(grad.detach().reshape(-1))
        for layer, parts in by_layer.items():
            self._writer.histogram(f"grad_hist/{layer}", torch.cat(parts).float().cpu(), step)
