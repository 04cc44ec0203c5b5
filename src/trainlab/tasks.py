"""The learning tasks trainlab knows, shared by data, losses and metrics."""

from enum import Enum


class Task(str, Enum):
    """What the data asks the model to predict."""

    REGRESSION = "regression"
    BINARY = "binary"
    MULTICLASS = "multiclass"

    def __str__(self) -> str:
        return self.value
