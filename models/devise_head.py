"""DeViSE head: pooled CNN features -> a point in word-vector space. Plain PyTorch."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class DeviseNetConfig:
    """The DeViSE network, one typed group: the backbone (timm name, weights, whether the head trains on its
    precomputed features instead of images) and the head (``in_features`` → ``hidden`` → ``out_dim``); the
    feature and vector sizes and the backbone are linked from the DataModule by the CLI."""

    in_features: int = 1280
    out_dim: int = 50
    hidden: int = 1024
    dropout: float = 0.2
    backbone: str = "tf_efficientnet_lite0"
    backbone_weights: str | None = None
    precomputed: bool = True


torch.serialization.add_safe_globals([DeviseNetConfig])  # checkpoints keep it in their hyperparameters


class DeviseHead(nn.Module):
    """``Linear -> ReLU -> BatchNorm1d -> Dropout -> Linear``, regressing onto a class name's word vector.

    As in fast.ai lesson 11: the output is a raw vector (no softmax, no normalisation); the loss compares its
    direction with the target word vector.

    Args:
        in_features: width of the backbone's pooled features (e.g. 1280 for EfficientNet-Lite0).
        out_dim: word-vector dimension (e.g. 300 for fastText, 50 for GloVe 6B 50-d).
        hidden: width of the hidden layer.
        dropout: dropout probability before the last linear layer.
    """

    def __init__(self, in_features: int, out_dim: int, hidden: int = 1024, dropout: float = 0.2) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_dim = out_dim
        self.layers = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(inplace=True),
            nn.BatchNorm1d(hidden),
            nn.Dropout(dropout),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, in_features)`` features -> ``(batch, out_dim)`` predicted word vectors."""
        return self.layers(features)
