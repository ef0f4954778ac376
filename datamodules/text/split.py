"""Train/validation/test split grouped by English sentence.

Tatoeba-style corpora hold several French translations of one English sentence (tu/vous, gender variants). A plain
random split would put some of them in training and others in validation or test, so the model would be scored on
sentences it has effectively seen. Here whole groups (all pairs sharing a normalised English sentence) go to one side.
"""
from __future__ import annotations

import random
from typing import NamedTuple, Sequence


class SplitIndices(NamedTuple):
    """Pair indices of each split, each list sorted."""

    train: list[int]
    valid: list[int]
    test: list[int]


def group_key(english: str) -> str:
    """What makes two English sentences the same group: case and runs of whitespace ignored."""
    return " ".join(english.lower().split())


def grouped_split(english: Sequence[str], valid_frac: float = 0.05, seed: int = 42,
                  test_frac: float = 0.05) -> SplitIndices:
    """Split pair indices into train/valid/test with every English sentence's pairs on one side.

    Groups are shuffled with ``random.Random(seed)``; validation takes groups until it holds ``valid_frac`` of the
    pairs, then test until it holds ``test_frac`` (``test_frac=0`` gives the lesson's two-way split, and the same
    validation set as a three-way split with the same seed and ``valid_frac``). At least one group always stays in
    training.
    """
    if not (0.0 <= valid_frac < 1.0 and 0.0 <= test_frac < 1.0 and valid_frac + test_frac < 1.0):
        raise ValueError(f"valid_frac and test_frac must be in [0, 1) with a sum below 1, got {valid_frac}, "
                         f"{test_frac}")
    groups: dict[str, list[int]] = {}
    for i, sent in enumerate(english):
        groups.setdefault(group_key(sent), []).append(i)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    held: list[list[int]] = [[], []]
    targets = (valid_frac * len(english), test_frac * len(english))
    side = 0
    for key in keys[:-1]:
        while side < 2 and len(held[side]) >= targets[side]:
            side += 1
        if side == 2:
            break
        held[side].extend(groups[key])
    taken = set(held[0]) | set(held[1])
    train = [i for i in range(len(english)) if i not in taken]
    return SplitIndices(train, sorted(held[0]), sorted(held[1]))
