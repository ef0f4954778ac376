"""The one interface every word-vector backend implements, plus small helpers they share."""
from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from core.errors import UserInputError

log = logging.getLogger("datamodules.vectors")



class WordVectors(ABC):
    """A mapping from words to float32 vectors of size ``dim``.

    ``has_subwords`` is True for backends that build vectors for out-of-vocabulary words from character n-grams
    (fastText ``.bin`` models): their ``lookup`` returns ``None`` only for a word none of whose n-grams was ever
    trained (fastText then gives an all-zero vector, which carries no information).
    """

    dim: int
    has_subwords: bool = False

    @abstractmethod
    def lookup(self, word: str) -> np.ndarray | None:
        """Return the vector of ``word``, float32 of shape ``(dim,)``, or ``None`` when it has no vector."""

    @abstractmethod
    def fingerprint(self) -> str:
        """A short stable string naming the source and its options, for cache keys."""

    def frequent_words(self, limit: int) -> list[str]:
        """Up to ``limit`` words that have their own vector, most frequent first (the order the source lists them).

        Used for open-vocabulary label search when no noun list is given; backends that cannot list their
        vocabulary raise UserInputError.
        """
        raise UserInputError(f"{self.fingerprint()} cannot list its words: give a noun list (WordNet classids.txt) "
                             "instead of vocab:N")

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.lookup(word) is not None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fingerprint()}, dim={self.dim})"








def require_file(path: str | os.PathLike, what: str, fix: str) -> Path:
    """Return ``path`` as a Path, or raise UserInputError "``what`` ``path`` not found: ``fix``"."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{what} {path} not found: {fix}")
    return path

