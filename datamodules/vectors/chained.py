"""Several word-vector sources tried in order: the first one that has the word wins."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from core.errors import UserInputError
from datamodules.vectors.base import WordVectors


class ChainedVectors(WordVectors):
    """``parts`` tried in order; all must have the same ``dim``.

    ``has_subwords`` is True when any part has sub-word vectors (from then on the later parts are only reached for
    words the sub-word model has nothing for).
    """

    def __init__(self, parts: Sequence[WordVectors]) -> None:
        self.parts = list(parts)
        if not self.parts:
            raise UserInputError("an empty list of word-vector sources was given: name at least one")
        dims = {part.dim for part in self.parts}
        if len(dims) > 1:
            listed = ", ".join(f"{part.fingerprint()} has {part.dim}" for part in self.parts)
            raise UserInputError(
                f"word-vector sources to combine must have the same size, but {listed}: use sources of one size "
                "(for 'train' give the size as 'train:DIM')"
            )
        self.dim = dims.pop()
        self.has_subwords = any(part.has_subwords for part in self.parts)

    def lookup(self, word: str) -> np.ndarray | None:
        """Float32 vector of shape ``(dim,)`` from the first part that has one, or None."""
        for part in self.parts:
            vector = part.lookup(word)
            if vector is not None:
                return vector
        return None

    def frequent_words(self, limit: int) -> list[str]:
        """The first part's words, then the next part's new ones, up to ``limit``."""
        seen: dict[str, None] = {}
        for part in self.parts:
            for word in part.frequent_words(limit):
                seen.setdefault(word, None)
                if len(seen) >= limit:
                    return list(seen)
        return list(seen)

    def fingerprint(self) -> str:
        return "+".join(part.fingerprint() for part in self.parts)
