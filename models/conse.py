"""Baselines from the backbone's own ImageNet classifier: its softmax over the run's labels, and ConSE.

ConSE (Norouzi et al., 2014, "Zero-shot learning by convex combination of semantic embeddings") needs no training:
an image's word-space vector is the probability-weighted mean of the word vectors of the classifier's top-T
classes. Plain PyTorch.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def label_probabilities(logits: torch.Tensor, label_of_class: torch.Tensor, n_labels: int) -> torch.Tensor:
    """Softmax over the classifier's classes, summed into labels.

    Args:
        logits: ``(batch, n_classifier_classes)``.
        label_of_class: ``(n_classifier_classes,)`` long, the run's label index of each classifier class or -1.
        n_labels: number of labels.

    Returns:
        ``(batch, n_labels)``: the probability of each label (0 for labels the classifier does not know).
    """
    probs = torch.softmax(logits.float(), dim=-1)
    known = label_of_class >= 0
    out = probs.new_zeros(probs.size(0), n_labels)
    return out.index_add_(1, label_of_class[known], probs[:, known])


def conse_vectors(logits: torch.Tensor, class_vectors: torch.Tensor, allowed: torch.Tensor, top_t: int = 10
                  ) -> torch.Tensor:
    """ConSE image vectors ``(batch, dim)``, unit length.

    Args:
        logits: classifier logits ``(batch, n_classes)``.
        class_vectors: word vector of each classifier class ``(n_classes, dim)`` (unit rows).
        allowed: ``(n_classes,)`` bool, the classes that may take part: classes with a vector, and for a
            zero-shot score none of the held-out ones. The softmax is taken over these only.
        top_t: how many of the most probable allowed classes are combined.
    """
    masked = logits.float().masked_fill(~allowed, float("-inf"))
    probs = torch.softmax(masked, dim=-1)
    top_p, top_i = probs.topk(min(top_t, int(allowed.sum())), dim=-1)
    combined = torch.einsum("bt,btd->bd", top_p, class_vectors[top_i].float())
    return F.normalize(combined, dim=-1)


class ConseHead(nn.Module):
    """Pooled features ``(batch, feature_dim)`` → ConSE vectors ``(batch, dim)``: the classifier's logits combined
    over the word vectors ``(n_classes, dim)`` of its classes (zero rows: no vector), never over ``excluded``
    ``(n_classes,)`` bool (classes held out of a run's training)."""

    def __init__(self, classifier: nn.Module, class_vectors: torch.Tensor, excluded: torch.Tensor | None = None,
                 top_t: int = 10) -> None:
        super().__init__()
        self.classifier, self.top_t = classifier.eval(), top_t
        vectors = F.normalize(torch.as_tensor(class_vectors, dtype=torch.float32), dim=-1)
        self.register_buffer("class_vectors", vectors)
        allowed = vectors.norm(dim=-1).gt(0)
        self.register_buffer("allowed", allowed if excluded is None else allowed & ~excluded.bool())

    @torch.no_grad()
    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return conse_vectors(self.classifier(features.float()), self.class_vectors, self.allowed, self.top_t)


class ClassifierBaselines(nn.Module):
    """The backbone's classifier head on pooled features, mapped onto a run's labels.

    Args:
        classifier: ``(features) → (n_classes)`` logits, e.g. a timm model's ``get_classifier()``.
        label_of_class: the run's label index of each classifier class, -1 for none.
        class_vectors: word vector of each classifier class ``(n_classes, dim)``; rows of zeros for classes without
            one (they never take part in ConSE).
        heldout_labels: label indices held out of training; their classifier classes are excluded from ConSE.
    """

    def __init__(self, classifier: nn.Module, label_of_class: Sequence[int], class_vectors: torch.Tensor,
                 heldout_labels: Sequence[int], n_labels: int, top_t: int = 10) -> None:
        super().__init__()
        self.n_labels = n_labels
        self.register_buffer("label_of_class", torch.as_tensor(list(label_of_class), dtype=torch.long))
        held = torch.isin(self.label_of_class, torch.as_tensor(list(heldout_labels), dtype=torch.long))
        self.conse = ConseHead(classifier, class_vectors, held, top_t)

    @property
    def has_softmax(self) -> bool:
        """Whether the classifier knows any of the run's labels."""
        return bool((self.label_of_class >= 0).any())

    @torch.no_grad()
    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled features ``(batch, feature_dim)`` → label probabilities ``(batch, n_labels)`` and ConSE vectors
        ``(batch, dim)``."""
        logits = self.conse.classifier(features.float())
        probs = label_probabilities(logits, self.label_of_class, self.n_labels)
        return probs, conse_vectors(logits, self.conse.class_vectors, self.conse.allowed, self.conse.top_t)
