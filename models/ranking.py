"""Where the true class ranks among class scores, and hit@k from those ranks. Plain PyTorch.

Ties count against the true class: a class scoring exactly as high as the true one ranks above it, so a model that
cannot tell two classes apart never gets credit for picking the right one by luck of ordering.
"""
from __future__ import annotations

from typing import Sequence

import torch


def true_class_ranks(scores: torch.Tensor, target: torch.Tensor, among: torch.Tensor | None = None) -> torch.Tensor:
    """1-based rank of each true class.

    Args:
        scores: ``(batch, n_classes)``, higher is better.
        target: true class indices ``(batch,)``.
        among: optional ``(n_classes,)`` bool mask: only these classes compete (the true class should be one).

    Returns:
        ``(batch,)`` long: 1 + the number of other competing classes scoring at least as high as the true class.
    """
    true = scores.gather(1, target.unsqueeze(1))
    at_least = scores >= true
    at_least.scatter_(1, target.unsqueeze(1), False)
    if among is not None:
        at_least &= among.unsqueeze(0)
    return at_least.sum(1) + 1


def hit_rates(ranks: Sequence[int] | torch.Tensor, ks: Sequence[int], n_choices: int, prefix: str = "hit"
              ) -> dict[str, float]:
    """``{f"{prefix}@{k}": share of ranks ≤ k}`` for each ``k`` below ``n_choices`` (hit@k with k ≥ the number of
    choices is always 1 and says nothing); empty when there are no ranks."""
    ranks = torch.as_tensor(ranks)
    if ranks.numel() == 0:
        return {}
    return {f"{prefix}@{k}": float((ranks <= k).float().mean()) for k in ks if k < n_choices}
