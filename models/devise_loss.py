"""DeViSE losses: the lesson's cosine loss and the paper's hinge rank loss. Plain PyTorch."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def cosine_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of ``1 - cos(pred, target)`` over the batch (fast.ai lesson 11); scale-invariant, range ``[0, 2]``.

    Args:
        pred: ``(batch, dim)`` predicted word vectors.
        target: ``(batch, dim)`` word vectors of the images' class names.

    Returns:
        A scalar: 0 when every prediction points along its target, 1 when orthogonal, 2 when opposite.
    """
    return (1.0 - F.cosine_similarity(pred, target, dim=1)).mean()


def hinge_rank_loss(pred: torch.Tensor, target_idx: torch.Tensor, class_vectors: torch.Tensor,
                    margin: float = 0.1) -> torch.Tensor:
    """DeViSE paper's hinge rank loss, averaged over the batch.

    For image ``i`` with label ``y`` and prediction ``v = Mv_i``:
    ``loss_i = sum_{j != y} max(0, margin - t_y . v + t_j . v)``.
    Both the class vectors ``t`` and the prediction ``v`` are L2-normalised first, so every dot product is a
    cosine in ``[-1, 1]`` and the margin means the same thing whatever the vectors' scale (the paper normalises
    only ``t``; normalising ``v`` too keeps the loss from being lowered by merely shrinking the prediction).

    Args:
        pred: ``(batch, dim)`` predicted word vectors.
        target_idx: ``(batch,)`` int64 row of each image's class in ``class_vectors``.
        class_vectors: ``(n_classes, dim)`` word vectors of all class names.
        margin: the hinge margin.

    Returns:
        A scalar: mean over the batch of the per-image sum over wrong classes.
    """
    v = F.normalize(pred, dim=1)
    t = F.normalize(class_vectors, dim=1)
    scores = v @ t.T  # (batch, n_classes)
    true_score = scores.gather(1, target_idx.view(-1, 1))  # (batch, 1)
    hinge = (margin - true_score + scores).clamp(min=0)  # (batch, n_classes)
    hinge = hinge.scatter(1, target_idx.view(-1, 1), 0.0)  # the label's own term is not a violation
    return hinge.sum(dim=1).mean()
