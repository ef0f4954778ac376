"""DeViSE evaluation rows and the hit@k table of every method (DeViSE, the backbone's softmax, ConSE, chance)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from models.ranking import hit_rates

METHOD_NAMES = {"devise": "DeViSE", "softmax": "softmax (backbone's classifier)", "conse": "ConSE (top 10)"}
"""How each evaluated method is named in tables and reports."""
FLAT_ONLY = {"softmax"}
"""Methods with no zero-shot score: the backbone's classifier was trained on every ImageNet class, held-out ones
included, so ranking their images is not zero-shot for it."""


@dataclass
class EvalRow:
    """One evaluated image: its dataset index, whether its class was held out, the rank of its true class among
    all classes and among the held-out group being scored, per method (``"devise"``, ``"softmax"``, ``"conse"``),
    and (at test) DeViSE's predicted vector."""

    index: int
    held_out: bool
    ranks: dict[str, int] = field(default_factory=dict)
    unseen_ranks: dict[str, int] = field(default_factory=dict)
    vector: np.ndarray | None = None


def method_hit_rates(rows: Sequence[EvalRow], method: str, ks: Sequence[int], n_classes: int,
                     n_unseen: int) -> dict[str, float]:
    """``hit@k`` (images of seen classes, ranked among all classes), ``zeroshot_hit@k`` (images of held-out
    classes, among all classes: the DeViSE paper's setting) and ``zeroshot_unseen_hit@k`` (among the held-out
    group only: the conventional zero-shot protocol) for one method; keys without the method prefix."""
    seen = [r.ranks[method] for r in rows if not r.held_out and method in r.ranks]
    if method in FLAT_ONLY:
        return hit_rates(seen, ks, n_classes)
    held = [r.ranks[method] for r in rows if r.held_out and method in r.ranks]
    unseen = [r.unseen_ranks[method] for r in rows if r.held_out and method in r.unseen_ranks]
    return {**hit_rates(seen, ks, n_classes), **hit_rates(held, ks, n_classes, "zeroshot_hit"),
            **hit_rates(unseen, ks, n_unseen, "zeroshot_unseen_hit")}


def chance_hit_rates(rows: Sequence[EvalRow], ks: Sequence[int], n_classes: int, n_unseen: int) -> dict[str, float]:
    """What a random ranking scores in expectation: k / (number of competing classes)."""
    out: dict[str, float] = {}
    if any(not r.held_out for r in rows):
        out.update({f"hit@{k}": k / n_classes for k in ks if k < n_classes})
    if any(r.held_out for r in rows):
        out.update({f"zeroshot_hit@{k}": k / n_classes for k in ks if k < n_classes})
        out.update({f"zeroshot_unseen_hit@{k}": k / n_unseen for k in ks if k < n_unseen})
    return out


def comparison_table(results: dict[str, dict[str, float]]) -> list[str]:
    """Markdown rows: one per method, one column per metric any method has."""
    metrics = list(dict.fromkeys(k for values in results.values() for k in values))
    lines = ["| method | " + " | ".join(metrics) + " |", "| --- |" + " ---: |" * len(metrics)]
    for method, values in results.items():
        cells = [f"{values[m]:.3f}" if m in values else "n/a" for m in metrics]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines
