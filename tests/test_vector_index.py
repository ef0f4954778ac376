"""VectorIndex (faiss) against numpy brute force, plus save/load, staleness and input errors."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from core.errors import UserInputError
from retrieval.vector_index import (
    IDS_FILE,
    INDEX_FILE,
    MANIFEST_FILE,
    StaleIndexError,
    VectorIndex,
    brute_force_search,
    compute_fingerprint,
)


def random_data(n: int, dim: int, n_queries: int, seed: int = 0) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Gaussian vectors (n, dim), ids "v0".."v{n-1}" and queries (n_queries, dim), all float32 (no score ties)."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    queries = rng.standard_normal((n_queries, dim)).astype(np.float32)
    return vectors, [f"v{i}" for i in range(n)], queries


@pytest.fixture(scope="module")
def flat_case() -> tuple[np.ndarray, list[str], np.ndarray, VectorIndex]:
    vectors, ids, queries = random_data(2000, 50, 20)
    return vectors, ids, queries, VectorIndex(vectors, ids, kind="flat", meta={"source": "test"})


def test_flat_matches_brute_force(flat_case) -> None:
    vectors, ids, queries, index = flat_case
    scores, found = index.search(queries, k=10)
    bf_scores, bf_pos = brute_force_search(vectors, queries, k=10)
    assert scores.shape == (20, 10) and scores.dtype == np.float32
    assert found == [[ids[p] for p in row] for row in bf_pos.tolist()]
    np.testing.assert_allclose(scores, bf_scores, rtol=0, atol=1e-5)
    assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first


def test_brute_force_matches_full_sort() -> None:
    vectors, _, queries = random_data(300, 8, 5, seed=3)
    scores, positions = brute_force_search(vectors, queries, k=7)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ unit.T
    np.testing.assert_array_equal(positions, np.argsort(-sims, axis=1)[:, :7])
    np.testing.assert_allclose(scores, np.sort(sims, axis=1)[:, ::-1][:, :7], atol=1e-6)


def test_brute_force_breaks_ties_by_position() -> None:
    vectors = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [3.0, 0.0]], dtype=np.float32)
    scores, positions = brute_force_search(vectors, np.array([1.0, 0.0]), k=3)
    assert positions.tolist() == [[0, 1, 3]]
    np.testing.assert_allclose(scores, [[1.0, 1.0, 1.0]])


def test_hnsw_recall() -> None:
    vectors, ids, queries = random_data(5000, 32, 50, seed=1)
    index = VectorIndex(vectors, ids, kind="hnsw", hnsw_m=32, ef_search=128)
    _, found = index.search(queries, k=10)
    _, bf_pos = brute_force_search(vectors, queries, k=10)
    hits = sum(len(set(row) & {ids[p] for p in exact}) for row, exact in zip(found, bf_pos.tolist()))
    assert hits / (10 * len(queries)) >= 0.9


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_save_load_round_trip(tmp_path: Path, kind: str) -> None:
    vectors, ids, queries = random_data(500, 16, 10, seed=2)
    index = VectorIndex(vectors, ids, kind=kind, ef_search=64, meta={"vectors": "glove"})
    index.save(tmp_path / "idx")
    loaded = VectorIndex.load(tmp_path / "idx", expected_fingerprint=compute_fingerprint(vectors, ids, kind))
    assert (loaded.kind, loaded.dim, len(loaded), loaded.meta) == (kind, 16, 500, {"vectors": "glove"})
    assert loaded.fingerprint == index.fingerprint and loaded.ids == ids and loaded.ef_search == 64
    before, after = index.search(queries, 5), loaded.search(queries, 5)
    np.testing.assert_array_equal(before[0], after[0])
    assert before[1] == after[1]
    assert not list((tmp_path / "idx").glob("*.tmp"))  # no temp files left behind


def test_load_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match=re.escape(str(tmp_path / "nowhere"))):
        VectorIndex.load(tmp_path / "nowhere")


def test_load_truncated_index_file(tmp_path: Path, flat_case) -> None:
    flat_case[3].save(tmp_path)
    path = tmp_path / INDEX_FILE
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(UserInputError, match=re.escape(str(path))) as caught:
        VectorIndex.load(tmp_path)
    assert not isinstance(caught.value, StaleIndexError) and "\n" not in str(caught.value)


def test_load_count_mismatch_is_corrupt(tmp_path: Path, flat_case) -> None:
    flat_case[3].save(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["count"] += 1
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(UserInputError, match="corrupt"):
        VectorIndex.load(tmp_path)


def test_load_unreadable_index_with_matching_checksum(tmp_path: Path, flat_case) -> None:
    """A file that passes the checksum but is not a faiss index still gives a one-line UserInputError."""
    flat_case[3].save(tmp_path)
    (tmp_path / INDEX_FILE).write_bytes(b"not a faiss index")
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["sha256"][INDEX_FILE] = hashlib.sha256(b"not a faiss index").hexdigest()
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(UserInputError, match="corrupt") as caught:
        VectorIndex.load(tmp_path)
    assert "\n" not in str(caught.value)


def test_load_missing_ids_file(tmp_path: Path, flat_case) -> None:
    flat_case[3].save(tmp_path)
    (tmp_path / IDS_FILE).unlink()
    with pytest.raises(UserInputError, match=IDS_FILE):
        VectorIndex.load(tmp_path)


def test_stale_fingerprint(tmp_path: Path, flat_case) -> None:
    vectors, ids, _, index = flat_case
    index.save(tmp_path)
    changed = vectors.copy()
    changed[0, 0] += 1.0
    with pytest.raises(StaleIndexError, match="rebuild"):
        VectorIndex.load(tmp_path, expected_fingerprint=compute_fingerprint(changed, ids, "flat"))
    assert compute_fingerprint(vectors, ids, "hnsw") != index.fingerprint
    assert compute_fingerprint(vectors, ids[::-1], "flat") != index.fingerprint


def test_caller_arrays_not_modified() -> None:
    vectors, ids, queries = random_data(100, 8, 4, seed=4)
    vectors_before, queries_before = vectors.copy(), queries.copy()
    index = VectorIndex(vectors, ids)
    index.search(queries, 3)
    brute_force_search(vectors, queries, 3)
    np.testing.assert_array_equal(vectors, vectors_before)
    np.testing.assert_array_equal(queries, queries_before)


def test_zero_vectors_rejected() -> None:
    vectors, ids, queries = random_data(10, 4, 2)
    vectors[3] = 0
    with pytest.raises(UserInputError, match="row 3"):
        VectorIndex(vectors, ids)
    vectors[3] = 1
    queries[1] = 0
    with pytest.raises(UserInputError, match="queries: row 1"):
        VectorIndex(vectors, ids).search(queries, 2)


def test_k_clamped_and_float64_single_query() -> None:
    vectors, ids, queries = random_data(6, 4, 1)
    for kind in ("flat", "hnsw"):
        scores, found = VectorIndex(vectors, ids, kind=kind).search(queries[0].astype(np.float64), k=50)
        assert scores.shape == (1, 6) and sorted(found[0]) == sorted(ids)
    assert brute_force_search(vectors, queries, 50)[1].shape == (1, 6)


def test_bad_inputs() -> None:
    vectors, ids, queries = random_data(10, 4, 2)
    with pytest.raises(UserInputError, match="ids"):
        VectorIndex(vectors, ids[:-1])
    with pytest.raises(UserInputError, match="kind"):
        VectorIndex(vectors, ids, kind="lsh")  # type: ignore[arg-type]
    with pytest.raises(UserInputError, match="meta"):
        VectorIndex(vectors, ids, meta={"bad": object()})
    index = VectorIndex(vectors, ids)
    with pytest.raises(UserInputError, match="dim"):
        index.search(np.ones((2, 5)), 3)
    with pytest.raises(UserInputError, match="k=0"):
        index.search(queries, 0)


def held_out_recall(index: VectorIndex, vectors: np.ndarray, ids: list[str], queries: np.ndarray) -> float:
    """recall@10 of ``index`` against brute force, measured here, on queries that are not rows of the index."""
    _, found = index.search(queries, k=10)
    _, exact = brute_force_search(vectors, queries, k=10)
    return sum(len(set(row) & {ids[p] for p in ex}) for row, ex in zip(found, exact.tolist())) / exact.size


# Gaussian 48-d vectors with a sparse graph (HNSW M=8): the smallest search parameters fall far below the target
# (held-out recall 0.09 for IVF nprobe 1, 0.28 for HNSW efSearch 11). 0.93 sits where counting a query as its own
# neighbour stops HNSW one power of two too early: at efSearch 128 the index's own rows read 0.931 with the query's own
# row and 0.922 without, while separate queries get 0.871 (0.966 at 256, where the right tuner stops).
@pytest.mark.parametrize("kind,storage", [("ivf", "float32"), ("ivf", "float16"), ("hnsw", "float32"),
                                          ("hnsw", "float16")])
def test_approximate_index_meets_its_recall_target(tmp_path: Path, kind: str, storage: str) -> None:
    """Built with the smallest search parameter and a recall target, the tuner raises the parameter until recall@10
    reaches the target; measured here by brute force on separate queries, it holds within 0.02, and keeps its tuned
    parameter through a save and load."""
    vectors, ids, queries, target = *random_data(8000, 48, 300, seed=0), 0.93
    smallest = {"ef_search": 11, "nprobe": 1, "hnsw_m": 8}
    untuned = VectorIndex(vectors, ids, kind=kind, storage=storage, **smallest)
    assert held_out_recall(untuned, vectors, ids, queries) < target - 0.2  # the data needs the tuner
    index = VectorIndex(vectors, ids, kind=kind, storage=storage, target_recall=target, **smallest)
    assert index.recall >= target and index.param > (11 if kind == "hnsw" else 1)
    assert held_out_recall(index, vectors, ids, queries) >= target - 0.02
    index.save(tmp_path / "idx")
    loaded = VectorIndex.load(tmp_path / "idx")
    assert (loaded.kind, loaded.storage, loaded.param, loaded.recall) == (kind, storage, index.param, index.recall)
    assert loaded.search(queries, 10)[1] == index.search(queries, 10)[1]
