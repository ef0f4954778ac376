"""Initial embedding matrices for a vocabulary from pre-trained word vectors."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from core.errors import UserInputError
from datamodules.vectors.base import WordVectors, log

_EXAMPLES = 10


def lookup_word(vectors: WordVectors, word: str, lowercase_fallback: bool = True) -> np.ndarray | None:
    """Vector of ``word`` (shape ``(dim,)``), else of ``word.lower()`` when ``lowercase_fallback``; else None."""
    vector = vectors.lookup(word)
    if vector is None and lowercase_fallback:
        lower = word.lower()
        if lower != word:
            vector = vectors.lookup(lower)
    return vector


def build_embedding_matrix(
    itos: Sequence[str],
    vectors: WordVectors,
    *,
    n_specials: int = 4,
    pad_idx: int | None = 1,
    seed: int = 0,
    lowercase_fallback: bool = True,
) -> tuple[np.ndarray, list[str]]:
    """Embedding matrix for the vocabulary ``itos`` (index -> word).

    Returns ``(matrix, missing)``: ``matrix`` is float32 of shape ``(len(itos), vectors.dim)``; ``missing`` lists the
    words (after the ``n_specials`` special tokens) that had no vector, in vocabulary order. The found vectors are
    all multiplied by one factor, ``1 / std`` of their values, so the found rows have unit standard deviation
    overall (fastText vectors have std ~0.3, hence the "times 3" of the fast.ai lesson). Special tokens and missing
    words get N(0, 1) rows from ``numpy.random.default_rng(seed)``; the ``pad_idx`` row is zero.
    """
    if n_specials < 0:
        raise UserInputError(f"n_specials={n_specials} is invalid: give the number of special tokens (>= 0)")
    size = len(itos)
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((size, vectors.dim), dtype=np.float32)
    rows: list[int] = []
    found: list[np.ndarray] = []
    missing: list[str] = []
    for index in range(min(n_specials, size), size):
        if index == pad_idx:
            continue
        vector = lookup_word(vectors, itos[index], lowercase_fallback)
        if vector is None:
            missing.append(itos[index])
        else:
            rows.append(index)
            found.append(vector)
    scale = 1.0
    if found:
        found_matrix = np.stack(found).astype(np.float32)
        scale = _unit_std_scale(found_matrix)
        matrix[rows] = found_matrix * np.float32(scale)
    if pad_idx is not None and 0 <= pad_idx < size:
        matrix[pad_idx] = 0.0
    _report(len(found), missing, scale, vectors)
    return matrix, missing


def _unit_std_scale(found: np.ndarray) -> float:
    """``1 / std`` of all values of ``found`` (shape ``(n, dim)``); 1.0 when they are all equal."""
    std = float(found.std(dtype=np.float64))
    return 1.0 / std if std > 0 else 1.0


def _report(n_found: int, missing: list[str], scale: float, vectors: WordVectors) -> None:
    total = n_found + len(missing)
    if total and not n_found:
        log.warning("none of the %d vocabulary words has a vector in %s", total, vectors.fingerprint())
        return
    log.info(
        "%d of %d vocabulary words have no vector in %s (random init), e.g. %s; found vectors scaled by %.3f",
        len(missing), total, vectors.fingerprint(), missing[:_EXAMPLES], scale,
    )


def mean_vector(words: Sequence[str], vectors: WordVectors, *, lowercase_fallback: bool = True) -> np.ndarray | None:
    """Mean (float32, shape ``(dim,)``) of the vectors of those ``words`` that have one; None when none has.

    Used for multi-word names ("great_white_shark" split on "_") and for averaging the words of a text query.
    """
    found = [vector for word in words if (vector := lookup_word(vectors, word, lowercase_fallback)) is not None]
    if not found:
        return None
    return np.mean(np.stack(found).astype(np.float32), axis=0)
