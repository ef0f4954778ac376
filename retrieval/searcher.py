"""The four DeViSE searches over prebuilt (or lazily built) indexes. Plain Python (no Lightning).

- image → label: nearest class vectors (the training classes) and nearest nouns (a large noun list);
- text → image: nearest collection images to the mean vector of some words ("boat", or "engine boat");
- image → image: nearest collection images to an image's predicted vector.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.errors import UserInputError
from datamodules.vectors.base import WordVectors
from retrieval.image_collection import ImageEmbedder
from retrieval.types import Hit, LabelResult
from retrieval.vector_index import VectorIndex
from retrieval.word_indexes import text_query_vector


class DeviseSearcher:
    """Searches over a class index and, built on first use, a noun index, an image-collection index and the
    word vectors (each given as a zero-argument factory so a search only pays for what it uses).

    Args:
        classes: index over the class vectors; ``meta["names"]`` gives the display name of each class id.
        embedder: turns query image files into vectors (needed by ``label`` and ``image``).
        nouns, images, vectors: factories of the noun index, the collection index (ids: image paths) and the
            word vectors (needed by ``text``).
        image_labels: optional display label of each collection image path (e.g. its true class name).
        held_out: class ids and collection image paths to mark as held out of training (zero-shot).
    """

    def __init__(self, classes: VectorIndex, embedder: ImageEmbedder | None = None,
                 nouns: Callable[[], VectorIndex | None] | None = None,
                 images: Callable[[], VectorIndex] | None = None,
                 vectors: Callable[[], WordVectors] | None = None,
                 image_labels: dict[str, str] | None = None, held_out: set[str] | None = None) -> None:
        self.classes, self.embedder = classes, embedder
        self._nouns, self._images, self._vectors = (functools.cache(f) if f else None
                                                    for f in (nouns, images, vectors))
        self.names = dict(zip(classes.ids, classes.meta.get("names", classes.ids)))
        self.image_labels = image_labels or {}
        self.held_out = held_out or set()

    def warm_up(self) -> None:
        """Build the noun and collection indexes and load the word vectors now rather than at the first search."""
        for factory in (self._nouns, self._images, self._vectors):
            if factory is not None:
                try:
                    factory()
                except UserInputError as error:  # that search will say so when asked for
                    logging.getLogger(__name__).warning("not ready: %s", error)

    def _need(self, factory: Callable | None, what: str):
        if factory is None:
            raise UserInputError(f"this search needs {what}, which was not given")
        return factory()

    def _image_vectors(self, paths: Sequence[str | Path]) -> tuple[list[Path], np.ndarray]:
        if self.embedder is None:
            raise UserInputError("this search needs a model to embed images, which was not given")
        readable = self.embedder.readable(paths)
        if not readable:
            raise UserInputError(f"none of the query images {[str(p) for p in paths][:3]} exists or can be read: "
                                 "give paths to JPEG/PNG files")
        return readable, self.embedder.embed(readable)

    # ---- image → label ----------------------------------------------------------------------------------------
    def labels_for_vectors(self, vectors: np.ndarray, k: int) -> list[tuple[list[Hit], list[Hit]]]:
        """Top-``k`` classes and top-``k`` nouns (empty without a noun index) for each vector of ``(n, dim)``."""
        scores, ids = self.classes.search(vectors, k)
        nouns = self._nouns() if self._nouns else None
        n_scores, n_ids = nouns.search(vectors, k) if nouns is not None else (None, None)
        out = []
        for row in range(len(ids)):
            classes = [Hit(self.names[c], float(s), None, c in self.held_out) for c, s in zip(ids[row], scores[row])]
            words = [] if n_ids is None else [Hit(w, float(s)) for w, s in zip(n_ids[row], n_scores[row])]
            out.append((classes, words))
        return out

    def label(self, paths: Sequence[str | Path], k: int = 5) -> list[LabelResult]:
        """Top classes and nouns for each readable image of ``paths``."""
        readable, vectors = self._image_vectors(paths)
        return [LabelResult(p, c, n) for p, (c, n) in zip(readable, self.labels_for_vectors(vectors, k))]

    # ---- text / image → image ---------------------------------------------------------------------------------
    def images_for_vector(self, vector: np.ndarray, k: int, exclude: str | None = None) -> list[Hit]:
        """The ``k`` collection images nearest ``vector`` ``(dim,)``, leaving out the path ``exclude``."""
        index = self._need(self._images, "an image collection")
        scores, ids = index.search(vector, min(len(index), k + (exclude is not None)))
        skip = Path(exclude).resolve() if exclude is not None else None
        hits = [Hit(self.image_labels.get(p, Path(p).stem), float(s), Path(p), p in self.held_out)
                for p, s in zip(ids[0], scores[0]) if skip is None or Path(p).resolve() != skip]
        return hits[:k]

    def text(self, words: Sequence[str], k: int = 9) -> tuple[list[Hit], list[str]]:
        """Images nearest the mean vector of ``words``, and the words that had no vector."""
        vectors = self._need(self._vectors, "word vectors")
        vector, unknown = text_query_vector(words, vectors)
        if vector.shape[-1] != self.classes.dim:
            raise UserInputError(f"the word vectors {vectors.fingerprint()} have {vector.shape[-1]} dimensions but "
                                 f"this model maps images to {self.classes.dim}: pass the vectors it was trained "
                                 "with (--vectors, as the run's data.vectors)")
        return self.images_for_vector(vector, k), unknown

    def image(self, path: str | Path, k: int = 9) -> list[Hit]:
        """Collection images nearest the image at ``path`` (the query itself left out)."""
        readable, vectors = self._image_vectors([path])
        return self.images_for_vector(vectors[0], k, exclude=str(readable[0]))
