"""One unit-length word vector per image class: the regression targets of DeViSE.

A class's vector is the word vector of its name, lower-cased as in the fast.ai lesson. A multi-word name
(``great_white_shark``, ``German shepherd``, ``jack-o'-lantern``) first tries the whole name in a few spellings
(as written, with ``_``, with ``-``, run together like ``bottlecap``) and otherwise takes the mean of its words'
vectors. Classes whose name has no vector at all are dropped and reported.
"""
from __future__ import annotations

import logging
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from core.atomic import atomic_open
from core.errors import UserInputError
from datamodules.vectors import WordVectors, mean_vector

log = logging.getLogger("datamodules.images.class_vectors")

_SEPARATORS = re.compile(r"[\s_\-]+")
_EXAMPLES = 10


@dataclass
class ClassVectors:
    """Classes and their target vectors.

    ``wnids[i]`` and ``names[i]`` (the name as given, before lower-casing) describe row ``i`` of ``vectors``, a
    float32 array of shape ``(n_classes, dim)`` whose rows have unit L2 norm. ``source`` is the fingerprint of the
    word vectors they came from (for cache keys).
    """

    wnids: list[str]
    names: list[str]
    vectors: np.ndarray
    source: str = ""
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.wnids = list(self.wnids)
        self.names = list(self.names)
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or not len(self.wnids) == len(self.names) == len(self.vectors):
            raise ValueError(f"ClassVectors needs as many wnids ({len(self.wnids)}) and names ({len(self.names)}) "
                             f"as vector rows (vectors of shape {self.vectors.shape})")
        self._index = {wnid: row for row, wnid in enumerate(self.wnids)}
        if len(self._index) != len(self.wnids):
            raise ValueError("ClassVectors wnids must be distinct")

    def __len__(self) -> int:
        return len(self.wnids)

    def __contains__(self, wnid: object) -> bool:
        return wnid in self._index

    @property
    def dim(self) -> int:
        """Size of each vector."""
        return int(self.vectors.shape[1])

    def index_of(self, wnid: str) -> int:
        """Row of ``wnid`` in ``vectors``; KeyError naming the wnid when it has no vector."""
        try:
            return self._index[wnid]
        except KeyError:
            raise KeyError(f"class {wnid!r} has no target vector (dropped or never listed)") from None

    def save(self, path: str | os.PathLike) -> None:
        """Write an ``.npz`` file atomically (strings as unicode arrays, loadable without pickle)."""
        with atomic_open(path, "wb") as handle:
            np.savez(handle, wnids=np.array(self.wnids, dtype=str), names=np.array(self.names, dtype=str),
                     vectors=self.vectors, source=np.array(self.source, dtype=str))

    @classmethod
    def load(cls, path: str | os.PathLike) -> ClassVectors:
        """Read a file written by ``save``; a missing or foreign file raises UserInputError."""
        path = Path(path)
        if not path.is_file():
            raise UserInputError(f"class-vector file {path} not found: build it again with build_class_vectors")
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls([str(w) for w in data["wnids"]], [str(n) for n in data["names"]],
                           np.array(data["vectors"]), str(data["source"]))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise UserInputError(f"{path} is not a class-vector file ({error}): delete it and build it again") from None


def name_forms(name: str) -> tuple[list[str], list[str]]:
    """Lower-case spellings of a whole class name to try, and its words.

    ``"German shepherd"`` -> (["german shepherd", "german_shepherd", "german-shepherd", "germanshepherd"],
    ["german", "shepherd"]). A one-word name gives ([name], [name]).
    """
    lower = name.strip().lower()
    words = [word for word in _SEPARATORS.split(lower) if word]
    forms = [lower, "_".join(words), "-".join(words), "".join(words)]
    return list(dict.fromkeys(form for form in forms if form)), words


def _whole_name_vector(forms: list[str], multi_word: bool, vectors: WordVectors) -> np.ndarray | None:
    """The vector of the first spelling in ``forms`` that has one of its own.

    A sub-word model (fastText ``.bin``) makes up a vector for any string, so for a multi-word name only a
    spelling that is in its vocabulary counts (when the backend can tell, via ``in_vocabulary``); otherwise the
    mean of the words is used, which is what such a model would approximate anyway.
    """
    in_vocabulary = getattr(vectors, "in_vocabulary", None)
    for form in forms:
        if multi_word and vectors.has_subwords and (in_vocabulary is None or not in_vocabulary(form)):
            continue
        vector = vectors.lookup(form)
        if vector is not None:
            return vector
    return None


def _word_form(word: str, vectors: WordVectors) -> str:
    """``word``, or a form without the possessive / apostrophe (``carpenter's`` -> ``carpenter``) that has a
    vector; ``word`` itself when no form has one."""
    for form in (word, re.sub(r"'s$", "", word), word.replace("'", "")):
        if form and vectors.lookup(form) is not None:
            return form
    return word


def name_vector(name: str, vectors: WordVectors) -> tuple[np.ndarray | None, str]:
    """Vector (float32, shape ``(dim,)``, not normalised) of a class name, and how it was found.

    The second element is ``"word"`` (the whole name had a vector), ``"mean"`` (mean of all its words),
    ``"partial-mean"`` (mean of the words that have a vector) or ``"missing"`` (vector is None).
    """
    forms, words = name_forms(name)
    vector = _whole_name_vector(forms, len(words) > 1, vectors)
    if vector is not None:
        return vector, "word"
    if len(words) < 2:
        return None, "missing"
    resolved = [_word_form(word, vectors) for word in words]
    vector = mean_vector(resolved, vectors, lowercase_fallback=False)
    if vector is None:
        return None, "missing"
    complete = all(vectors.lookup(word) is not None for word in resolved)
    return vector, "mean" if complete else "partial-mean"


def build_class_vectors(
    names: dict[str, str] | Sequence[tuple[str, str]], vectors: WordVectors
) -> tuple[ClassVectors, list[str]]:
    """Target vectors for the classes in ``names`` (``{wnid: name}`` or ``[(wnid, name), ...]``, order kept).

    Returns ``(class_vectors, dropped)``: ``class_vectors.vectors`` is float32 ``(n_found, vectors.dim)`` with unit
    rows, for the classes in input order minus ``dropped``, the wnids whose name has no vector (or an all-zero one).
    A wnid listed twice raises UserInputError. How many classes were found whole, by a mean of words, or dropped is
    logged.
    """
    pairs = list(names.items()) if isinstance(names, dict) else [tuple(pair) for pair in names]
    wnids = [wnid for wnid, _ in pairs]
    if len(set(wnids)) != len(wnids):
        repeated = sorted(w for w, count in Counter(wnids).items() if count > 1)[:_EXAMPLES]
        raise UserInputError(f"the class list names some wnids twice ({repeated}): give each class once")
    kept: list[tuple[str, str]] = []
    rows: list[np.ndarray] = []
    dropped: list[str] = []
    how: dict[str, list[str]] = {"word": [], "mean": [], "partial-mean": [], "missing": []}
    for wnid, name in pairs:
        vector, method = name_vector(name, vectors)
        norm = 0.0 if vector is None else float(np.linalg.norm(vector))
        if norm == 0.0 or not np.isfinite(norm):
            dropped.append(wnid)
            how["missing"].append(name)
            continue
        how[method].append(name)
        kept.append((wnid, name))
        rows.append(np.asarray(vector, dtype=np.float32) / np.float32(norm))
    matrix = np.stack(rows) if rows else np.empty((0, vectors.dim), dtype=np.float32)
    result = ClassVectors([w for w, _ in kept], [n for _, n in kept], matrix, vectors.fingerprint())
    _report(how, len(pairs), vectors)
    return result, dropped


def _report(how: dict[str, list[str]], total: int, vectors: WordVectors) -> None:
    log.info("class vectors from %s: %d of %d class names have a vector of their own, %d the mean of all their "
             "words, %d the mean of some of their words (e.g. %s)", vectors.fingerprint(), len(how["word"]), total,
             len(how["mean"]), len(how["partial-mean"]), how["partial-mean"][:_EXAMPLES])
    if how["missing"]:
        log.warning("dropped %d of %d classes whose name has no word vector in %s, e.g. %s",
                    len(how["missing"]), total, vectors.fingerprint(), how["missing"][:_EXAMPLES])
