"""Console output of the command-line tools: Lightning's messages through Hydra's logging."""

from __future__ import annotations

import logging
import warnings


class _DropAdvertisements(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip")


def route_lightning_logs() -> None:
    """Send Lightning's log records only through the root (Hydra's) handlers, once each.

    ``lightning`` installs its own console handler and also propagates to the root logger, so
    under Hydra every message would print twice and only one copy would reach ``train.log``.
    """
    lightning_logger = logging.getLogger("lightning")
    lightning_logger.handlers.clear()
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_DropAdvertisements())
    # Lightning 2.6 with torch >= 2.10 warns about its own use of torch's pytree API.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
