"""``load_vectors``: turn a vectors spec string from the config into a WordVectors backend."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from core.errors import UserInputError
from datamodules.vectors.base import WordVectors
from datamodules.vectors.chained import ChainedVectors
from datamodules.vectors.fasttext_bin import FastTextBinVectors
from datamodules.vectors.glove_kumo import GloveKumoVectors
from datamodules.vectors.spacy_vectors import SpacyVectors
from datamodules.vectors.trained import TrainedFastTextVectors
from datamodules.vectors.vec_file import VecFileVectors

SPEC_FORMS = (
    "a path ending in .bin (fastText model), .vec or .txt (text vectors), 'spacy:<package>', 'glove-kumo', "
    "'train' or 'train:<dim>' (fastText trained on the corpus), or several of these separated by commas"
)


def load_vectors(
    spec: str | os.PathLike | Sequence[str | os.PathLike] | None,
    *,
    keep: Iterable[str] | None = None,
    corpus: Sequence[Sequence[str]] | None = None,
    cache_dir: str | os.PathLike = ".cache",
    train_dim: int = 100,
    train_epochs: int = 10,
    seed: int = 0,
) -> WordVectors:
    """Build the word vectors named by ``spec``.

    Specs: ``x.bin`` -> FastTextBinVectors; ``x.vec`` / ``x.txt`` -> VecFileVectors (filtered by ``keep``);
    ``spacy:<package>`` -> SpacyVectors; ``glove-kumo`` -> GloveKumoVectors; ``train`` / ``train:<dim>`` ->
    TrainedFastTextVectors on ``corpus`` (tokenised sentences), cached in ``cache_dir``, of size ``<dim>`` or
    ``train_dim``. A list, or a comma-separated string, gives ChainedVectors (first hit wins). ``None`` means
    ``train``. Bad specs and missing files raise UserInputError.
    """
    specs = _split(spec)
    parts = [
        _load_one(item, keep=keep, corpus=corpus, cache_dir=cache_dir, train_dim=train_dim,
                  train_epochs=train_epochs, seed=seed)
        for item in specs
    ]
    return parts[0] if len(parts) == 1 else ChainedVectors(parts)


def _split(spec: str | os.PathLike | Sequence[str | os.PathLike] | None) -> list[str]:
    """The single specs in ``spec``: a string is split on commas; list items (maybe paths) are taken whole."""
    if spec is None:
        return ["train"]
    if isinstance(spec, str):
        items = spec.split(",")
    elif isinstance(spec, os.PathLike):
        items = [os.fspath(spec)]
    else:
        items = [os.fspath(item) for item in spec]
    specs = [item.strip() for item in items if item.strip()]
    if not specs:
        raise UserInputError(f"the vectors spec {spec!r} is empty: give {SPEC_FORMS}")
    return specs


def _load_one(
    spec: str,
    *,
    keep: Iterable[str] | None,
    corpus: Sequence[Sequence[str]] | None,
    cache_dir: str | os.PathLike,
    train_dim: int,
    train_epochs: int,
    seed: int,
) -> WordVectors:
    if spec == "train" or spec.startswith("train:"):
        dim = _train_dim(spec, train_dim)
        if corpus is None:
            raise UserInputError(
                f"the vectors spec {spec!r} trains fastText on the corpus, but no corpus was given: "
                "give a vectors file instead"
            )
        return TrainedFastTextVectors(corpus, cache_dir, dim=dim, epochs=train_epochs, seed=seed)
    if spec.startswith("spacy:"):
        package = spec[len("spacy:"):].strip()
        if not package:
            raise UserInputError(f"the vectors spec {spec!r} names no package: write e.g. 'spacy:fr_core_news_md'")
        return SpacyVectors(package)
    if spec == "glove-kumo":
        return GloveKumoVectors()
    suffix = Path(spec).suffix.lower()
    if suffix == ".bin":
        return FastTextBinVectors(spec)
    if suffix in (".vec", ".txt"):
        return VecFileVectors(spec, keep=keep)
    raise UserInputError(f"unknown vectors spec {spec!r}: use {SPEC_FORMS}")


def _train_dim(spec: str, default: int) -> int:
    """The size in ``train:<dim>``, or ``default`` for plain ``train``."""
    if spec == "train":
        return default
    text = spec[len("train:"):].strip()
    if not text.isdigit() or int(text) <= 0:
        raise UserInputError(f"bad vectors spec {spec!r}: the size after 'train:' must be a positive integer")
    return int(text)
