"""Train/validation split grouped by English sentence.

Tatoeba-style corpora hold several French translations of one English sentence (tu/vous, gender variants). A plain
random split would put some of them in training and others in validation, so the model would be scored on sentences
it has effectively seen. Here whole groups (all pairs sharing a normalised English sentence) go to one side.
"""
from __future__ import annotations

import random
from typing import Sequence


def _group_key(english: str) -> str:
    return " ".join(english.lower().split())


def grouped_split(english: Sequence[str], valid_frac: float = 0.1, seed: int = 42) -> tuple[list[int], list[int]]:
    """Split pair indices into (train, valid) with every English sentence's pairs on one side.

    Groups are shuffled with ``random.Random(seed)`` and taken into validation until it holds ``valid_frac`` of the
    pairs (never more than all but one group). Both index lists come back sorted.
    """
    if not 0.0 <= valid_frac < 1.0:
        raise ValueError(f"valid_frac must be in [0, 1), got {valid_frac}")
    groups: dict[str, list[int]] = {}
    for i, sent in enumerate(english):
        groups.setdefault(_group_key(sent), []).append(i)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    target = valid_frac * len(english)
    valid: list[int] = []
    for key in keys[:-1]:
        if len(valid) >= target:
            break
        valid.extend(groups[key])
    valid_set = set(valid)
    train = [i for i in range(len(english)) if i not in valid_set]
    return train, sorted(valid)
