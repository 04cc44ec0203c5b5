"""Networks trainlab trains; each takes the data's input shape, output count and an activation."""

from trainlab.models.cifar_cnn import CifarCNN
from trainlab.models.mlp import MLP

__all__ = ["MLP", "CifarCNN"]
