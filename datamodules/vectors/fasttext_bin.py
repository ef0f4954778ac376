"""fastText binary models (``.bin``): vectors for any word, built from character n-grams when it is not in the
vocabulary."""
from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import numpy as np

from core.errors import UserInputError
from core.hashing import file_signature
from datamodules.vectors.base import WordVectors, require_file


def import_fasttext() -> ModuleType:
    """The ``fasttext`` module, or UserInputError with the pip command."""
    try:
        import fasttext
    except ImportError:
        raise UserInputError("the fasttext library is not installed: pip install fasttext") from None
    return fasttext


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence stderr, both Python's ``sys.stderr`` and the C++ library's file descriptor 2."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2 (e.g. some embedded interpreters): silence Python's stream only
        with contextlib.redirect_stderr(io.StringIO()):
            yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class FastTextBinVectors(WordVectors):
    """Vectors from a fastText ``.bin`` model (``fasttext.load_model``).

    Out-of-vocabulary words get the sum-of-n-grams vector fastText computes; ``lookup`` returns None only when that
    vector is all zeros (no n-gram of the word was trained, or the word is empty).
    """

    has_subwords = True

    def __init__(self, path: str | os.PathLike) -> None:
        name = Path(path).name
        self.path = require_file(
            path, "fastText model", f"download {name} (a fastText .bin model such as wiki.fr.bin or cc.fr.300.bin) "
            "and put it there, or change the vectors spec"
        )
        fasttext = import_fasttext()
        try:
            with quiet_stderr():
                model = fasttext.load_model(str(self.path))
        except (ValueError, RuntimeError, MemoryError) as error:
            raise UserInputError(
                f"{self.path} could not be loaded as a fastText .bin model ({error}): use a .bin file saved by "
                "fastText, or a .vec/.txt spec for text vectors"
            ) from None
        self._set_model(model)

    def _set_model(self, model: Any) -> None:
        self.model = model
        self.dim = int(model.get_dimension())

    def lookup(self, word: str) -> np.ndarray | None:
        """Float32 vector of shape ``(dim,)``, or None when fastText has nothing for the word (all zeros)."""
        vector = np.asarray(self.model.get_word_vector(word), dtype=np.float32)
        return vector if vector.any() else None

    def in_vocabulary(self, word: str) -> bool:
        """True when ``word`` has its own row in the model (not only sub-word n-grams)."""
        return self.model.get_word_id(word) >= 0

    def frequent_words(self, limit: int) -> list[str]:
        """The model's own words, most frequent first."""
        return list(self.model.get_words()[:limit])

    def fingerprint(self) -> str:
        return f"ftbin:{self.path.name}:{file_signature(self.path)}"

