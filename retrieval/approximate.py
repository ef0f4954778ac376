"""faiss indexes by kind and storage, and approximate search tuned by measured recall, not guessed.

Kinds: ``flat`` (exact), ``hnsw`` (a graph; parameter ``efSearch``), ``ivf`` (an inverted file over k-means cells;
parameter ``nprobe``, the cells visited per query). Storage: ``float32``, or ``float16`` (faiss's fp16 scalar
quantizer: half the memory, cosine scores to about 1e-3). :func:`tune` sets an approximate index's search
parameter to the smallest value whose recall@k against exact search, measured on queries drawn from the indexed
vectors themselves, reaches the target.
"""
from __future__ import annotations

import math
from typing import Literal

import faiss
import numpy as np

Kind = Literal["flat", "hnsw", "ivf"]
Storage = Literal["float32", "float16"]
KINDS: tuple[str, ...] = ("flat", "hnsw", "ivf")
STORAGES: tuple[str, ...] = ("float32", "float16")
_IP = faiss.METRIC_INNER_PRODUCT


def default_nlist(n: int) -> int:
    """IVF cells for ``n`` vectors: about 4·√n, at most 4096, with at least 39 training points per cell."""
    return max(1, min(4096, int(4 * math.sqrt(n)), n // 39))


def build(array: np.ndarray, kind: Kind, storage: Storage = "float32", hnsw_m: int = 32,
          nlist: int | None = None, seed: int = 0) -> faiss.Index:
    """A faiss inner-product index of ``kind`` and ``storage`` holding the (normalised) rows of ``array`` (n, dim).
    IVF trains its cells on at most 64 × nlist rows drawn with ``seed``."""
    n, dim = array.shape
    fp16 = storage == "float16"
    if kind == "flat":
        index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, _IP) if fp16 else faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = (faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, hnsw_m, _IP) if fp16
                 else faiss.IndexHNSWFlat(dim, hnsw_m, _IP))
    else:
        cells = nlist or default_nlist(n)
        quantizer = faiss.IndexFlatIP(dim)
        index = (faiss.IndexIVFScalarQuantizer(quantizer, dim, cells, faiss.ScalarQuantizer.QT_fp16, _IP) if fp16
                 else faiss.IndexIVFFlat(quantizer, dim, cells, _IP))
        sample = np.random.default_rng(seed).choice(n, size=min(n, 64 * cells), replace=False)
        index.train(array[np.sort(sample)])
    if not index.is_trained:
        index.train(array)
    index.add(array)
    return index


def set_param(index: faiss.Index, kind: str, value: int) -> None:
    """Set the search parameter: ``efSearch`` (HNSW) or ``nprobe`` (IVF); nothing for flat."""
    if kind == "hnsw":
        faiss.downcast_index(index).hnsw.efSearch = int(value)
    elif kind == "ivf":
        faiss.extract_index_ivf(index).nprobe = int(value)


def exact_neighbours(array: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Row positions ``(n_queries, k)`` of the exact top-k by inner product (faiss flat search)."""
    flat = faiss.IndexFlatIP(array.shape[1])
    flat.add(array)
    return flat.search(queries, k)[1]


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top-k (rows of ``exact``) that the approximate search also returned."""
    hits = sum(len(set(f.tolist()) & set(e.tolist())) for f, e in zip(found, exact))
    return hits / exact.size


def _without_self(neighbours: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Each query's neighbours other than itself (queries are rows of the indexed vectors), the first ``k``."""
    return np.stack([[n for n in found if n != row][:k] for found, row in zip(neighbours.tolist(), rows)])


def tune(index: faiss.Index, kind: str, array: np.ndarray, target: float = 0.95, k: int = 10,
         n_queries: int = 200, seed: int = 0) -> tuple[int, float]:
    """Smallest search parameter (powers of two) whose recall@k reaches ``target``, measured on ``n_queries`` rows
    of ``array`` searched for their k nearest *other* rows (a row finding itself would flatter the recall); the
    index is left set to it. Returns ``(parameter, measured recall)``; flat gives ``(0, 1.0)``."""
    if kind == "flat" or len(array) < 2:
        return 0, 1.0
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(array), size=min(n_queries, len(array)), replace=False)
    queries = np.ascontiguousarray(array[rows])
    k = min(k, len(array) - 1)
    exact = _without_self(exact_neighbours(array, queries, k + 1), rows, k)
    limit = faiss.extract_index_ivf(index).nlist if kind == "ivf" else max(len(array), k + 1)
    value, recall = 1, 0.0
    while True:
        set_param(index, kind, max(value, k + 1) if kind == "hnsw" else value)
        recall = recall_at_k(_without_self(index.search(queries, k + 1)[1], rows, k), exact)
        if recall >= target or value >= limit:
            break
        value = min(value * 2, limit)
    return (max(value, k + 1) if kind == "hnsw" else value), recall
