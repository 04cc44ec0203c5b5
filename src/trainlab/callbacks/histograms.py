"""Weight and activation histograms in TensorBoard, written on logging steps only.

Lightning has no built-in callback for these; both follow :class:`GradientNormLogger`: they gate
on the flag Lightning uses for its own logging, so other steps pay nothing, and neither does a
run none of whose loggers takes histograms (:class:`~trainlab.log_writer.LogWriter` says so once).
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from trainlab.activations import ACTIVATIONS
from trainlab.lightning_state import is_logging_step, logger_step
from trainlab.log_writer import HISTOGRAM, LogWriter
from trainlab.models.layers import layer_names, short_names

WEIGHT_TAG = "weight_hist/{}"
ACTIVATION_TAG = "activation_hist/{}"


def _histogram_writer(trainer: L.Trainer) -> LogWriter | None:
    """The run's writer when some logger of it takes histograms, else None."""
    writer = LogWriter.of(trainer)
    return writer if writer.takes(HISTOGRAM) else None


def activation_types() -> tuple[type[nn.Module], ...]:
    """Module classes registered as activations (``nn.ReLU``, ``nn.Sigmoid``, ``ScaledTanh``...)."""
    factories = (ACTIVATIONS.get(name).factory for name in ACTIVATIONS.names())
    return tuple({f for f in factories if isinstance(f, type) and issubclass(f, nn.Module)})


class WeightHistogramLogger(L.Callback):
    """Logs ``weight_hist/<layer>``: all parameters of each layer, before the optimizer step."""

    def __init__(self) -> None:
        super().__init__()
        self._writer: LogWriter | None = None

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._writer = _histogram_writer(trainer)

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if self._writer is None or not is_logging_step(trainer):
            return
        step = logger_step(trainer)
        layers = layer_names(pl_module)
        by_layer: dict[str, list[torch.Tensor]] = {}
        for name, parameter in pl_module.named_parameters():
            if name in layers:
                by_layer.setdefault(layers[name], []).append(parameter.detach().reshape(-1))
        for layer, parts in by_layer.items():
            self._writer.histogram(WEIGHT_TAG.format(layer), torch.cat(parts).float().cpu(), step)


class ActivationHistogramLogger(L.Callback):
    """Logs ``activation_hist/<module>``: the outputs of every activation module.

    Forward hooks are attached only for the training batches of logging steps and removed
    after them, so other batches run without hooks.
    """

    def __init__(self) -> None:
        super().__init__()
        self._handles: list[RemovableHandle] = []
        self._outputs: dict[str, torch.Tensor] = {}
        self._step = 0
        self._writer: LogWriter | None = None

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._writer = _histogram_writer(trainer)

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any
    ) -> None:
        if self._writer is None or not is_logging_step(trainer):
            return
        self._step = logger_step(trainer)
        kinds = activation_types()
        activations = {
            name: module for name, module in pl_module.named_modules() if isinstance(module, kinds)
        }
        for path, name in short_names(activations).items():
            self._handles.append(activations[path].register_forward_hook(self._recorder(name)))

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any
    ) -> None:
        if not self._handles:
            return
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for name, output in self._outputs.items():
            self._writer.histogram(ACTIVATION_TAG.format(name), output, self._step)
        self._outputs.clear()

    def _recorder(self, name: str) -> Any:
        def record(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
            self._outputs[name] = output.detach().float().cpu()

        return record
