"""Word-side search indexes for DeViSE: the training classes, a large noun list, and text queries.

Plain NumPy/faiss (no Lightning). The noun index (~80k WordNet nouns, or the most frequent words of the vectors
when no noun list is given) is slow to build, so it is saved under the cache folder, keyed by everything it was
built from; a saved index that is damaged or was built from other inputs is rebuilt (and logged), never used.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from core.errors import UserInputError
from core.hashing import file_stamp, short_hash
from datamodules.images.class_names import read_classids
from datamodules.images.class_vectors import build_class_vectors, name_forms, name_vector
from datamodules.vectors import load_vectors
from datamodules.vectors.base import WordVectors
from retrieval.approximate import Storage
from retrieval.vector_index import Kind, VectorIndex, cached_index, index_options

log = logging.getLogger(__name__)
VOCAB_SPEC = re.compile(r"^vocab:(\d+)$")
_WORD = re.compile(r"^[a-z][a-z'-]*[a-z]$")


def class_index(wnids: Sequence[str], names: Sequence[str], vectors: np.ndarray) -> VectorIndex:
    """Exact index over the class vectors ``(n_classes, dim)``; ids are the class ids, ``meta["names"]`` their
    names."""
    return VectorIndex(np.asarray(vectors, dtype=np.float32), list(wnids), kind="flat",
                       meta={"names": list(names)})


def _vectors_stamp(spec: str) -> str:
    """The vectors spec with a content stamp of each file it names, so a replaced file changes the key."""
    parts = []
    for item in spec.split(","):
        path = Path(item.strip())
        parts.append(f"{item}@{file_stamp(path)}" if path.is_file() else item.strip())
    return ",".join(parts)


def _noun_table(nouns: str, spec: str) -> tuple[list[str], WordVectors]:
    """Unique noun names to index (from ``classids.txt`` or ``vocab:N``) and vectors covering them."""
    match = VOCAB_SPEC.match(nouns)
    if match:  # no part-of-speech tags offline: keep alphabetic words that are not English stop words
        from spacy.lang.en.stop_words import STOP_WORDS

        vectors = load_vectors(spec)
        words = [w for w in vectors.frequent_words(int(match.group(1)) * 2) if _WORD.match(w) and w not in STOP_WORDS]
        return words[: int(match.group(1))], vectors
    if not Path(nouns).is_file():
        raise UserInputError(f"noun list {nouns} not found: give WordNet's classids.txt (lines 'wnid lemma') or "
                             "vocab:N for the N most frequent words of the vectors")
    names = list(dict.fromkeys(name.lower() for name in read_classids(nouns).values()))
    keep = {word for name in names for form_list in name_forms(name) for word in form_list}
    return names, load_vectors(spec, keep=keep)


def build_noun_index(nouns: str, spec: str, kind: Kind = "flat", storage: Storage = "float32") -> VectorIndex:
    """Index over every noun of ``nouns`` that has a vector in ``spec`` (multi-word nouns: mean of the words);
    ids are the noun names. Nouns without a vector are dropped and counted."""
    names, vectors = _noun_table(nouns, spec)
    classes, dropped = build_class_vectors([(name, name) for name in names], vectors)
    if len(classes) == 0:
        raise UserInputError(f"none of the {len(names)} nouns of {nouns} has a vector in {spec}: give vectors "
                             "of the same language as the noun list")
    log.info("noun index: %d of %d nouns of %s have a vector in %s", len(classes), len(names), nouns, spec)
    return VectorIndex(classes.vectors, list(classes.wnids), meta={"nouns": nouns, "vectors": spec},
                       **index_options(kind, storage))


def noun_index(nouns: str, spec: str, cache_dir: str | Path, kind: Kind = "flat",
               storage: Storage = "float32") -> VectorIndex:
    """The noun index from the cache when it was built from the same inputs, otherwise built and saved."""
    stamp = file_stamp(Path(nouns)) if Path(nouns).is_file() else nouns
    key = short_hash(stamp, _vectors_stamp(spec), kind, storage, length=16)
    return cached_index(Path(cache_dir) / f"nouns-{key}", key, lambda: build_noun_index(nouns, spec, kind, storage),
                        "noun")


def text_query_vector(words: Sequence[str], vectors: WordVectors) -> tuple[np.ndarray, list[str]]:
    """Mean of the unit vectors of ``words`` (each lower-cased; ``great_white_shark`` style names allowed),
    ``(dim,)``, and the words that had no vector (skipped with a warning).

    Raises UserInputError naming the words when none of them has a vector.
    """
    rows, unknown = [], []
    for word in words:
        vector, _ = name_vector(word, vectors)
        if vector is None or not np.linalg.norm(vector):
            unknown.append(word)
            continue
        rows.append(np.asarray(vector, dtype=np.float32) / np.linalg.norm(vector))
    hint = "" if vectors.has_subwords else " (a fastText .bin model would give sub-word vectors for any word)"
    if not rows:
        raise UserInputError(f"no word vector for {', '.join(map(repr, words))} in {vectors.fingerprint()}: "
                             f"try other words{hint}")
    if unknown:
        log.warning("no word vector for %s in %s: searching with %d other word(s)%s", ", ".join(map(repr, unknown)),
                    vectors.fingerprint(), len(rows), hint)
    return np.mean(rows, axis=0), unknown
