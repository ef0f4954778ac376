"""Nearest-neighbour search over word and image vectors (faiss/NumPy, no Lightning)."""
from retrieval.vector_index import StaleIndexError, VectorIndex, brute_force_search, compute_fingerprint

__all__ = ["StaleIndexError", "VectorIndex", "brute_force_search", "compute_fingerprint"]
