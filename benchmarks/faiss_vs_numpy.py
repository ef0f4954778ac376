"""Exact cosine top-k with faiss (IndexFlatIP) versus numpy brute force, plus approximate HNSW.

    python benchmarks/faiss_vs_numpy.py --n 50000 --dim 300 --queries 1000 --k 10 --seed 0

Random Gaussian float32 vectors (n, dim) and queries (queries, dim) stand in for word vectors and predicted image
vectors. Both exact methods L2-normalise the same way and must return the same ids for every query; the mismatch
count is printed (expected 0; a non-zero count is only acceptable where the differing neighbours' scores tie to
within float32 rounding). HNSW is timed separately and scored by recall@k against the exact answer.

Timings are single-run wall-clock seconds. ``--threads`` (default 1) caps BLAS/OpenMP threads for numpy and faiss
alike, so the comparison is algorithm against algorithm rather than who grabs more cores.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="vectors in the index")
    parser.add_argument("--dim", type=int, default=300, help="vector dimension")
    parser.add_argument("--queries", type=int, default=1_000, help="number of queries")
    parser.add_argument("--k", type=int, default=10, help="neighbours per query")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the data")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for numpy and faiss")
    parser.add_argument("--hnsw-m", type=int, default=32, help="HNSW graph degree M")
    parser.add_argument("--ef-search", type=int, default=128, help="HNSW search breadth efSearch")
    args = parser.parse_args(argv)
    if min(args.n, args.dim, args.queries, args.k, args.threads) < 1:
        parser.error("--n, --dim, --queries, --k and --threads must all be >= 1")
    return args


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # thread caps must be in the environment before numpy/faiss load their BLAS
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(ARGS.threads)

import faiss  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retrieval.vector_index import VectorIndex, brute_force_search, normalise  # noqa: E402


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Run ``fn`` once; return its result and the wall-clock seconds it took."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def compare_exact(faiss_scores: np.ndarray, faiss_ids: list[list[str]], bf_scores: np.ndarray,
                  bf_ids: list[list[str]], tie_tol: float = 1e-5) -> dict[str, float]:
    """Compare two exact top-k answers, scores (q, k) and ids per query.

    Returns the number of queries whose ordered id lists differ, how many of those differ only among neighbours whose
    scores are within ``tie_tol`` (a float32 rounding tie), and the largest absolute score difference.
    """
    mismatched = [i for i, (a, b) in enumerate(zip(faiss_ids, bf_ids)) if a != b]
    ties = 0
    for i in mismatched:
        differing = [j for j, (a, b) in enumerate(zip(faiss_ids[i], bf_ids[i])) if a != b]
        if all(abs(float(faiss_scores[i, j]) - float(bf_scores[i, j])) <= tie_tol for j in differing):
            ties += 1
    return {"mismatches": len(mismatched), "explained_by_ties": ties,
            "max_score_diff": float(np.abs(faiss_scores - bf_scores).max())}


def recall_at_k(found: list[list[str]], exact: list[list[str]]) -> float:
    """Fraction of the exact top-k ids (per query) that the approximate search also returned."""
    hits = sum(len(set(a) & set(b)) for a, b in zip(found, exact))
    return hits / max(1, sum(len(b) for b in exact))


def print_table(rows: list[tuple[str, float, int | None]]) -> None:
    """Rows of (method, seconds, queries answered or None for builds); prints seconds and queries/s."""
    width = max(len(row[0]) for row in rows)
    print(f"{'method':<{width}}  {'seconds':>9}  {'queries/s':>11}")
    for method, seconds, queries in rows:
        rate = f"{queries / seconds:>11,.0f}" if queries else f"{'-':>11}"
        print(f"{method:<{width}}  {seconds:>9.3f}  {rate}")


def run(args: argparse.Namespace) -> dict[str, float]:
    """Run every timing; print the setup, the table and the checks; return the headline numbers."""
    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    vectors = rng.standard_normal((args.n, args.dim), dtype=np.float32)  # (n, dim)
    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)  # (q, dim)
    ids = [f"v{i}" for i in range(args.n)]
    print(f"data: {args.n:,} x {args.dim} float32, {args.queries:,} queries, k={args.k}, seed={args.seed}, "
          f"threads={args.threads}, faiss {faiss.__version__}, numpy {np.__version__}")
    print(f"process niceness {os.nice(0)}, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(timings are inflated when niced below another busy job)\n")

    flat, t_flat_build = timed(lambda: VectorIndex(vectors, ids, kind="flat"))
    (f_scores, f_ids), t_flat = timed(lambda: flat.search(queries, args.k))
    _, t_norm = timed(lambda: normalise(vectors))
    (b_scores, b_pos), t_bf = timed(lambda: brute_force_search(vectors, queries, args.k))
    b_ids = [[ids[p] for p in row] for row in b_pos.tolist()]
    hnsw, t_hnsw_build = timed(lambda: VectorIndex(vectors, ids, kind="hnsw", hnsw_m=args.hnsw_m,
                                                   ef_search=args.ef_search))
    (_, h_ids), t_hnsw = timed(lambda: hnsw.search(queries, args.k))

    print_table([
        ("faiss flat build (normalise + fingerprint + add)", t_flat_build, None),
        ("faiss flat search", t_flat, args.queries),
        ("numpy brute-force search (normalises base each call)", t_bf, args.queries),
        ("  of which normalising the base vectors", t_norm, None),
        (f"faiss HNSW build (M={args.hnsw_m})", t_hnsw_build, None),
        (f"faiss HNSW search (efSearch={args.ef_search})", t_hnsw, args.queries),
    ])
    check = compare_exact(f_scores, f_ids, b_scores, b_ids)
    recall = recall_at_k(h_ids, b_ids)
    print(f"\nspeed ratio, numpy / faiss flat search: {t_bf / t_flat:.2f}x "
          f"({max(t_bf - t_norm, 1e-9) / t_flat:.2f}x without normalising the base)")
    print(f"speed ratio, faiss flat / HNSW search: {t_flat / t_hnsw:.2f}x")
    print(f"exact check: {check['mismatches']} of {args.queries} queries with different ids "
          f"({check['explained_by_ties']} explained by float32 score ties), "
          f"max |score difference| {check['max_score_diff']:.2e}")
    print(f"HNSW recall@{args.k} vs exact: {recall:.4f}")
    return {**check, "recall": recall, "flat_search_s": t_flat, "numpy_search_s": t_bf}


if __name__ == "__main__":
    run(ARGS)
