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

    ``lightning`` installs its own console handler and also propagates to the root logger, so
    under Hydra every message would print twice and only one copy would reach ``train.log``.
    TensorBoard's reader (a sweep's closing comparison reads every job's event files) logs each
    file it moves on to at INFO, which Hydra's console would show.
    """
    lightning_logger = logging.getLogger("lightning")
    lightning_logger.handlers.clear()
    logging.getLogger("tensorboard").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_DropAdvertisements())
    # Lightning 2.6 with torch >= 2.10 warns about its own use of torch's pytree API.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
