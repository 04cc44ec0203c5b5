"""Console output of the command-line tools: the libraries' messages through Hydra's logging."""

from __future__ import annotations

import logging
import warnings


class _DropAdvertisements(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip")


def route_library_logs() -> None:
    """Send Lightning's log records only through the root (Hydra's) handlers, once each, and
    keep TensorBoard's event-file reader to its warnings.

    ``lightning.pytorch`` and ``lightning.fabric`` install their own console handler when
    imported; imported after Hydra set up logging they also propagate to the root logger (every
    message would print twice), imported before it (a user's module that imports Lightning,
    an embedding program) they do not, and ``train.log`` would miss them. TensorBoard's reader
    (a sweep's closing comparison reads every job's event files) logs each file it moves on to
    at INFO, which Hydra's console would show.
    """
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    logging.getLogger("tensorboard").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_DropAdvertisements())
    # Lightning 2.6 with torch >= 2.10 warns about its own use of torch's pytree API.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
