"""Compare the runs of a sweep: read them back, tabulate them, plot them."""

from trainlab.compare.reader import NoRunsError, RunSummary, read_sweep

__all__ = ["NoRunsError", "RunSummary", "read_sweep"]
