"""Nearest-neighbour search over word and image vectors (plain numpy/faiss, no Lightning)."""
from lightning_modules.search.vector_index import StaleIndexError, VectorIndex, brute_force_search, compute_fingerprint

__all__ = ["StaleIndexError", "VectorIndex", "brute_force_search", "compute_fingerprint"]
