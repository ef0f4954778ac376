"""Classes that cannot be told apart in word space become one label.

ImageNet names two different synsets "crane" (the bird and the machine), two "cardigan", two "maillot": their word
vectors are identical, so no model can rank one above the other, and holding out one while training on its twin
would leak the "zero-shot" target into training. Classes with the same (lower-cased) name or the same vector are
therefore merged into one label, under the first id in sorted order, before anything is split or scored.
"""
from __future__ import annotations

import logging

import numpy as np

from datamodules.images.class_vectors import ClassVectors

log = logging.getLogger(__name__)


def _groups(classes: ClassVectors) -> list[list[int]]:
    """Rows connected by a shared name or an identical vector (union–find), each group in row order."""
    parent = list(range(len(classes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[object, int] = {}
    for row, (name, vector) in enumerate(zip(classes.names, classes.vectors)):
        for key in (("name", name.strip().lower()), ("vector", np.asarray(vector, np.float32).tobytes())):
            if key in first:
                parent[find(row)] = find(first[key])
            else:
                first[key] = row
    groups: dict[int, list[int]] = {}
    for row in range(len(classes)):
        groups.setdefault(find(row), []).append(row)
    return sorted(groups.values(), key=lambda rows: rows[0])


def merge_duplicate_classes(classes: ClassVectors) -> tuple[ClassVectors, dict[str, str]]:
    """One label per group of indistinguishable classes.

    Returns the merged ``ClassVectors`` (one row per label, kept under the group's first wnid in sorted order,
    named by the distinct names of its members joined with " / ") and ``aliases``: every merged-away wnid → the
    wnid of its label.
    """
    order = sorted(range(len(classes)), key=lambda i: classes.wnids[i])
    ranked = ClassVectors([classes.wnids[i] for i in order], [classes.names[i] for i in order],
                          classes.vectors[order], classes.source)
    groups = _groups(ranked)
    aliases: dict[str, str] = {}
    examples: list[str] = []
    for rows in groups:
        for row in rows[1:]:
            aliases[ranked.wnids[row]] = ranked.wnids[rows[0]]
        if len(rows) > 1 and len(examples) < 5:
            examples.append(f"{ranked.names[rows[0]]} ({', '.join(ranked.wnids[r] for r in rows)})")
    keep = [rows[0] for rows in groups]
    names = [" / ".join(dict.fromkeys(ranked.names[r] for r in rows)) for rows in groups]
    merged = ClassVectors([ranked.wnids[r] for r in keep], names, ranked.vectors[keep], classes.source)
    if aliases:
        log.warning("merged %d classes into others with the same name or word vector (%d classes → %d labels), "
                    "e.g. %s", len(aliases), len(classes), len(merged), "; ".join(examples))
    else:
        log.info("all %d classes have distinct names and word vectors", len(classes))
    return merged, aliases
