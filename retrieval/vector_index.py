"""Cosine nearest-neighbour search over word vectors and predicted image vectors (DeViSE).

Vectors are L2-normalised (as float32 copies) and searched by inner product, so scores are cosine similarities in
``[-1, 1]``. ``kind="flat"`` is exact; ``"hnsw"`` (a graph) and ``"ivf"`` (an inverted file) are approximate, for
large sets such as the ~80k WordNet nouns or a million images, with their search parameter set by measured recall
(``target_recall``, see ``retrieval.approximate``); ``storage="float16"`` halves their memory.

A saved index is a folder holding ``index.faiss``, ``ids.json`` and ``manifest.json``. Each file is written to a
temporary name and renamed; the manifest goes last and records kind, dim, count, fingerprint and the SHA-256 of the
other two files, so a half-finished save or a damaged file is detected on load instead of giving wrong answers.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Callable

import faiss
import numpy as np

import retrieval.approximate as approximate
from core.atomic import atomic_open, atomic_path, atomic_write_json
from core.errors import UserInputError
from core.hashing import sha256_file
from retrieval.approximate import KINDS, STORAGES, Kind, Storage

log = logging.getLogger(__name__)
INDEX_FILE, IDS_FILE, MANIFEST_FILE = "index.faiss", "ids.json", "manifest.json"
FORMAT_VERSION = 2
_BRUTE_FORCE_CHUNK = 1 << 24  # score-matrix elements per chunk in brute_force_search (64 MB of float32)


class StaleIndexError(UserInputError):
    """A saved index whose fingerprint differs from the one expected: the vectors or ids changed, rebuild it."""


def normalise(vectors: np.ndarray, what: str = "vectors") -> np.ndarray:
    """Return an L2-normalised float32 C-contiguous copy of ``vectors`` (n, dim); the input is never modified.

    Raises ``UserInputError`` naming ``what`` for a wrong shape, non-finite values or an all-zero row.
    """
    array = np.array(vectors, dtype=np.float32, order="C", copy=True)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise UserInputError(f"{what}: expected a non-empty 2-D array (n, dim), got shape {array.shape}")
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise UserInputError(f"{what}: row {row} contains NaN or infinity; clean or drop that vector")
    norms = np.linalg.norm(array, axis=1, keepdims=True)  # (n, 1)
    if (norms == 0).any():
        row = int(np.flatnonzero(norms[:, 0] == 0)[0])
        raise UserInputError(f"{what}: row {row} is an all-zero vector, which has no direction; drop it")
    array /= norms
    return array


def compute_fingerprint(vectors: np.ndarray, ids: list[str], kind: str, hnsw_m: int = 32) -> str:
    """SHA-256 of the vectors (n, dim) as little-endian float32, the ids and the index kind (with M for HNSW).

    Pass it as ``expected_fingerprint`` to ``VectorIndex.load`` to detect a saved index built from other data.
    """
    array = np.ascontiguousarray(vectors, dtype="<f4")
    digest = hashlib.sha256()
    digest.update(json.dumps({"shape": list(array.shape), "kind": _kind_label(kind, hnsw_m)}).encode())
    digest.update(array.tobytes())
    digest.update(json.dumps(list(ids), ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def brute_force_search(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine top-k in numpy: scores (n_queries, k) float32 and row positions (n_queries, k) int64.

    Both inputs are normalised like ``VectorIndex`` does; ``k`` is clamped to ``len(vectors)``. Results are sorted
    by descending score, ties broken by lower position. Queries are processed in chunks to bound memory.
    """
    base = normalise(vectors, "vectors")  # (n, dim)
    query = normalise(np.atleast_2d(queries), "queries")  # (q, dim)
    if query.shape[1] != base.shape[1]:
        raise UserInputError(f"queries have dim {query.shape[1]} but the vectors have dim {base.shape[1]}")
    k = _check_k(k, base.shape[0])
    chunk = max(1, _BRUTE_FORCE_CHUNK // base.shape[0])
    scores = np.empty((query.shape[0], k), dtype=np.float32)
    positions = np.empty((query.shape[0], k), dtype=np.int64)
    for start in range(0, query.shape[0], chunk):
        sims = query[start:start + chunk] @ base.T  # (c, n)
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < base.shape[0] else np.argsort(-sims, axis=1)
        top_scores = np.take_along_axis(sims, top, axis=1)  # (c, k), unordered
        order = np.lexsort((top, -top_scores), axis=1)  # primary: score desc, secondary: position asc
        positions[start:start + chunk] = np.take_along_axis(top, order, axis=1)
        scores[start:start + chunk] = np.take_along_axis(top_scores, order, axis=1)
    return scores, positions


class VectorIndex:
    """Cosine nearest neighbours: vectors are L2-normalised, searched by inner product."""

    def __init__(self, vectors: np.ndarray, ids: list[str], kind: Kind = "flat", hnsw_m: int = 32,
                 ef_search: int = 128, meta: dict | None = None, storage: Storage = "float32", nprobe: int = 16,
                 target_recall: float | None = None) -> None:
        """Build an index over ``vectors`` (n, dim), one string id per row; ``meta`` is any JSON-able dict.

        For an approximate ``kind``, ``target_recall`` (e.g. 0.95) sets ``ef_search`` (HNSW) or ``nprobe`` (IVF) to
        the smallest value whose recall@10 against exact search reaches it, measured on the vectors themselves
        (``self.recall``); without it the given value is used."""
        _check_kind(kind, hnsw_m, ef_search, storage)
        ids = list(ids)
        array = normalise(vectors, "vectors")
        if len(ids) != array.shape[0] or not all(isinstance(item, str) for item in ids):
            raise UserInputError(f"ids: expected {array.shape[0]} strings (one per vector row), got {len(ids)} items")
        index = approximate.build(array, kind, storage, hnsw_m)
        param, recall = (nprobe if kind == "ivf" else ef_search), None
        if target_recall is not None:
            param, recall = approximate.tune(index, kind, array, target_recall)
            if kind != "flat":
                log.info("%s index over %d vectors: %s %d gives recall@10 %.3f against exact search on its own "
                         "vectors (target %.3f)", kind, len(ids), "efSearch" if kind == "hnsw" else "nprobe", param,
                         recall, target_recall)
        self._set(index, ids, kind, hnsw_m, param, _check_meta(meta), compute_fingerprint(vectors, ids, kind, hnsw_m),
                  storage, recall)

    def _set(self, index: faiss.Index, ids: list[str], kind: Kind, hnsw_m: int, param: int, meta: dict,
             fingerprint: str, storage: Storage = "float32", recall: float | None = None) -> None:
        self._index, self._ids = index, tuple(ids)
        self.kind, self.hnsw_m, self.meta, self.fingerprint = kind, hnsw_m, meta, fingerprint
        self.storage, self.recall, self.param = storage, recall, param
        approximate.set_param(index, kind, param)
        self.dim: int = int(index.d)

    @property
    def ef_search(self) -> int:
        """HNSW's ``efSearch`` (the search parameter of an HNSW index)."""
        return self.param

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __repr__(self) -> str:
        return (f"VectorIndex(kind={self.kind!r}, count={len(self)}, dim={self.dim}, "
                f"fingerprint={self.fingerprint[:12]})")

    @property
    def ids(self) -> list[str]:
        """The id of every row, in insertion order (a copy)."""
        return list(self._ids)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[list[str]]]:
        """Top-``k`` neighbours of each query (n_queries, dim) or (dim,).

        Returns cosine scores (n_queries, k) float32, best first, and the matching ids per query. ``k`` is clamped to
        ``len(self)``. If HNSW finds fewer than ``k`` neighbours, the missing scores are ``-inf`` and that id list is
        shorter (does not happen with flat indexes).
        """
        query = normalise(np.atleast_2d(queries), "queries")
        if query.shape[1] != self.dim:
            raise UserInputError(f"queries have dim {query.shape[1]} but this index has dim {self.dim}")
        k = _check_k(k, len(self))
        if self.kind == "hnsw":
            approximate.set_param(self._index, "hnsw", max(self.param, k))
        scores, labels = self._index.search(query, k)  # (q, k) float32, (q, k) int64 with -1 for "none"
        scores = np.where(labels >= 0, scores, -np.inf).astype(np.float32)
        return scores, [[self._ids[label] for label in row if label >= 0] for row in labels.tolist()]

    def save(self, folder: Path) -> None:
        """Write ``index.faiss``, ``ids.json`` and then ``manifest.json`` into ``folder``, each atomically."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / INDEX_FILE) as tmp:
            faiss.write_index(self._index, str(tmp))
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            index_sha = sha256_file(tmp)
        ids_bytes = json.dumps(list(self._ids), ensure_ascii=False).encode("utf-8")
        with atomic_open(folder / IDS_FILE, "wb") as handle:
            handle.write(ids_bytes)
        checksums = {INDEX_FILE: index_sha, IDS_FILE: hashlib.sha256(ids_bytes).hexdigest()}
        manifest = {"format": FORMAT_VERSION, "kind": self.kind, "dim": self.dim, "count": len(self),
                    "fingerprint": self.fingerprint, "hnsw_m": self.hnsw_m, "param": self.param,
                    "storage": self.storage, "recall": self.recall, "meta": self.meta, "sha256": checksums}
        atomic_write_json(folder / MANIFEST_FILE, manifest)

    @classmethod
    def load(cls, folder: Path, expected_fingerprint: str | None = None) -> "VectorIndex":
        """Load an index saved by ``save``.

        Raises ``UserInputError`` if the folder is missing or any file is damaged or disagrees with the manifest,
        and ``StaleIndexError`` (a ``UserInputError``) if ``expected_fingerprint`` differs from the saved one.
        """
        folder = Path(folder)
        manifest = _read_manifest(folder)
        if expected_fingerprint is not None and manifest["fingerprint"] != expected_fingerprint:
            raise StaleIndexError(f"{folder}: saved index fingerprint {manifest['fingerprint'][:12]} does not match "
                                  f"the current data's {expected_fingerprint[:12]}; rebuild the index and save it")
        for name in (INDEX_FILE, IDS_FILE):
            _verify_file(folder / name, manifest["sha256"][name])
        try:
            ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
            index = faiss.read_index(str(folder / INDEX_FILE))
        except (ValueError, RuntimeError) as error:
            raise _corrupt(folder, f"cannot read it ({_first_line(error)})") from error
        _verify_contents(folder, manifest, index, ids)
        self = cls.__new__(cls)
        self._set(index, ids, manifest["kind"], manifest["hnsw_m"], manifest["param"], manifest["meta"],
                  manifest["fingerprint"], manifest["storage"], manifest["recall"])
        return self


TARGET_RECALL = 0.975
"""The recall@10 an approximate index is tuned to when built for search (``index_options``): measured on its own
vectors, with a margin so that queries it has not seen (text queries, new images) still get about 0.95."""


def index_options(kind: Kind, storage: Storage = "float32") -> dict:
    """Keyword arguments of ``VectorIndex`` for a search index of ``kind``: approximate kinds tuned to
    ``TARGET_RECALL``."""
    return {"kind": kind, "storage": storage, "target_recall": None if kind == "flat" else TARGET_RECALL}


def cached_index(folder: Path, key: str, build: Callable[[], "VectorIndex"], what: str) -> "VectorIndex":
    """The index saved in ``folder`` when its ``meta["key"]`` is ``key``; otherwise (missing, damaged, or built
    from other inputs) ``build()``, tagged with ``key``, saved there and returned. Rebuilds are logged."""
    folder = Path(folder)
    if folder.exists():
        try:
            index = VectorIndex.load(folder)
            if index.meta.get("key") == key:
                return index
            log.warning("%s was built from other inputs; rebuilding the %s index", folder, what)
        except UserInputError as error:
            log.warning("rebuilding the %s index: %s", what, error)
    index = build()
    index.meta["key"] = key
    index.save(folder)
    log.info("%s index saved to %s", what, folder)
    return index


def _kind_label(kind: str, hnsw_m: int) -> str:
    return f"hnsw(M={hnsw_m})" if kind == "hnsw" else kind


def _check_kind(kind: str, hnsw_m: int, ef_search: int, storage: str = "float32") -> None:
    if kind not in KINDS:
        raise UserInputError(f"kind={kind!r} is not an index kind; use 'flat' (exact), 'hnsw' or 'ivf' (approximate)")
    if storage not in STORAGES:
        raise UserInputError(f"storage={storage!r}: use 'float32' or 'float16'")
    if kind == "hnsw" and (hnsw_m < 2 or ef_search < 1):
        raise UserInputError(f"hnsw_m={hnsw_m}, ef_search={ef_search}: use hnsw_m >= 2 and ef_search >= 1")


def _check_k(k: int, count: int) -> int:
    if int(k) < 1:
        raise UserInputError(f"k={k}: ask for at least 1 neighbour")
    return min(int(k), count)


def _check_meta(meta: dict | None) -> dict:
    meta = dict(meta or {})
    try:
        json.dumps(meta)
    except (TypeError, ValueError) as error:
        raise UserInputError(f"meta is not JSON-serialisable ({error}); use only strings, numbers, lists, dicts") \
            from error
    return meta






def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


def _corrupt(folder: Path, why: str) -> UserInputError:
    return UserInputError(f"{folder}: saved vector index is corrupt: {why}; delete the folder and rebuild the index")


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE
    if not path.is_file():
        where = f"{path} is missing" if folder.is_dir() else f"folder {folder} does not exist"
        raise UserInputError(f"no saved vector index: {where}; build one with VectorIndex(...).save({str(folder)!r})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        wanted = ("format", "kind", "dim", "count", "fingerprint", "hnsw_m", "param", "storage", "recall", "meta",
                  "sha256")
        if not isinstance(manifest, dict) or any(key not in manifest for key in wanted):
            raise ValueError("missing keys")
        if not isinstance(manifest["sha256"], dict) or {INDEX_FILE, IDS_FILE} - set(manifest["sha256"]):
            raise ValueError("missing file checksums")
    except (ValueError, UnicodeDecodeError) as error:
        raise _corrupt(folder, f"{path.name} is unreadable ({error})") from error
    if manifest["format"] != FORMAT_VERSION or manifest["kind"] not in KINDS:
        raise _corrupt(folder, f"{path.name} has format {manifest['format']!r}, kind {manifest['kind']!r}")
    return manifest


def _verify_file(path: Path, expected_sha: str) -> None:
    if not path.is_file():
        raise _corrupt(path.parent, f"{path} is missing")
    if sha256_file(path) != expected_sha:
        raise _corrupt(path.parent, f"{path} does not match its checksum in {MANIFEST_FILE} (truncated or overwritten)")


_EXPECTED_TYPES = {("flat", "float32"): faiss.IndexFlatIP, ("flat", "float16"): faiss.IndexScalarQuantizer,
                   ("hnsw", "float32"): faiss.IndexHNSWFlat, ("hnsw", "float16"): faiss.IndexHNSWSQ,
                   ("ivf", "float32"): faiss.IndexIVFFlat, ("ivf", "float16"): faiss.IndexIVFScalarQuantizer}


def _verify_contents(folder: Path, manifest: dict, index: faiss.Index, ids: Any) -> None:
    """Check that the loaded faiss index and ids agree with the manifest's kind, dim and count."""
    expected_type = _EXPECTED_TYPES[(manifest["kind"], manifest["storage"])]
    if not isinstance(index, expected_type) or index.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise _corrupt(folder, f"{INDEX_FILE} is a {type(index).__name__}, manifest says {manifest['kind']!r}")
    if index.d != manifest["dim"] or index.ntotal != manifest["count"]:
        raise _corrupt(folder, f"{INDEX_FILE} holds {index.ntotal} x {index.d}, manifest says "
                               f"{manifest['count']} x {manifest['dim']}")
    if not isinstance(ids, list) or len(ids) != manifest["count"] or not all(isinstance(i, str) for i in ids):
        raise _corrupt(folder, f"{IDS_FILE} does not hold {manifest['count']} string ids")
