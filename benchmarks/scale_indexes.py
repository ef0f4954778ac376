"""Index, noun-index and image-check stages of ``scale_devise.py`` (run through ``scale_stages.py``)."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from scale_stages import class_vectors, memory, outputs_like_devise

K = 10


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _measure(base: np.ndarray, queries: np.ndarray, exact: np.ndarray, kind: str, storage: str) -> dict:
    """Build (2 threads), tune as ``search.py`` does (``TARGET_RECALL`` on the base itself), then time single
    queries on 1 thread and measure their recall against exact search."""
    import faiss

    from retrieval import approximate
    from retrieval.vector_index import TARGET_RECALL

    faiss.omp_set_num_threads(2)
    t0 = time.perf_counter()
    index = approximate.build(base, kind, storage)
    build_s = time.perf_counter() - t0
    param, self_recall = approximate.tune(index, kind, base, TARGET_RECALL, K)
    faiss.omp_set_num_threads(1)
    latencies, found = [], []
    for query in queries:
        t0 = time.perf_counter()
        found.append(index.search(query[None], K)[1][0])
        latencies.append(time.perf_counter() - t0)
    ms = np.asarray(latencies) * 1000
    return {"build_s": build_s, "index_mb": len(faiss.serialize_index(index)) / 2 ** 20, "param": param,
            "tuned_recall": self_recall, "recall": approximate.recall_at_k(np.asarray(found), exact),
            "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}


def _all_kinds(base: np.ndarray, queries: np.ndarray, kinds: list[str]) -> dict:
    from retrieval import approximate

    exact = approximate.exact_neighbours(base, queries, K)
    return {f"{kind}-{storage}": _measure(base, queries, exact, kind, storage)
            for kind in kinds for storage in ("float32", "float16")}


def stage_index(out: Path, n: int, kinds: list[str], n_queries: int) -> dict:
    """Flat / IVF / HNSW over the n synthetic head outputs; queries are other outputs of the same kind."""
    base = _unit(np.load(out / "outputs.npy"))
    queries = _unit(outputs_like_devise(n_queries, class_vectors(), seed=2)[0])
    return {"indexes": _all_kinds(base, queries, kinds), **memory()}


def stage_nouns(data: Path, n_queries: int) -> dict:
    """The WordNet nouns with real GloVe vectors (shared data); queries are the vectors of held-out nouns."""
    from retrieval.word_indexes import build_noun_index

    classids = data / "wordnet_nouns" / "classids.txt"
    if not classids.is_file():
        return {"skipped": f"{classids} not found"}
    vec = data / "word_vectors"
    spec = f"{vec / 'glove.6B.50d.top50k.vec'},{vec / 'glove.6B.50d.wordnet_extra.vec'}"
    t0 = time.perf_counter()
    flat = build_noun_index(str(classids), spec)
    load_s = time.perf_counter() - t0
    base = _unit(flat._index.reconstruct_n(0, len(flat)))  # noqa: SLF001  the normalised noun vectors
    rng = np.random.default_rng(3)
    held = rng.choice(len(base), n_queries, replace=False)
    keep = np.setdiff1d(np.arange(len(base)), held)
    return {"n": int(len(keep)), "load_s": load_s,
            "indexes": _all_kinds(np.ascontiguousarray(base[keep]), base[held], ["flat", "ivf", "hnsw"])}


def _jpeg_tree(folder: Path, n: int) -> list[Path]:
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = folder / f"d{i % 100:02d}" / f"{i}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def _per_image(fn, paths) -> float:
    t0 = time.perf_counter()
    for p in paths:
        fn(p)
    return (time.perf_counter() - t0) / len(paths) * 1e6


def stage_checks(out: Path, n: int) -> dict:
    """Per-image cost (µs) of the old full-decode pre-pass, the new header check, and what the new extraction adds
    (recording verdicts in the SQLite store); on real ImageNet JPEGs too when the shared sample is there."""
    from datamodules.images.image_dataset import header_problem, image_problem
    from datamodules.images.verdicts import VerdictStore

    paths = _jpeg_tree(out / "jpegs", n)
    result = {"n": n, "old_full_decode_us": _per_image(image_problem, paths),
              "new_header_us": _per_image(header_problem, paths)}
    t0 = time.perf_counter()
    with VerdictStore(out / "verdicts.sqlite") as store:
        store.record(((p, None) for p in paths), "full")
    result["new_in_pass_record_us"] = (time.perf_counter() - t0) / n * 1e6
    real = sorted((Path(__file__).resolve().parents[2] / "shared" / "data" / "imagenet_sample_images" /
                   "images").glob("*.JPEG"))[:300]
    if real:
        result["imagenet_full_decode_us"] = _per_image(image_problem, real)
        result["imagenet_header_us"] = _per_image(header_problem, real)
        result["imagenet_extract_us"] = _extraction_us(real)
    return result


def _extraction_us(paths: list[Path]) -> float:
    """Per-image cost of the feature-extraction pass (decode, transform, EfficientNet-Lite0) on 1 thread."""
    import torch

    from datamodules.images.backbone import create_backbone
    from datamodules.images.feature_cache import precompute_features
    from datamodules.images.image_dataset import CheckingDataset, ImageDataset
    from datamodules.images.transforms import make_transforms

    torch.set_num_threads(1)
    weights = "efficientnet-lite0-package"
    backbone = create_backbone("tf_efficientnet_lite0", weights)
    dataset = CheckingDataset(ImageDataset([(p, "x") for p in paths], {"x": 0},
                                           make_transforms("tf_efficientnet_lite0", train=False, weights=weights)))
    t0 = time.perf_counter()
    target = Path("/tmp") / f"scale_extract_{len(paths)}.npy"
    precompute_features(backbone, dataset, target, progress=False)
    target.unlink()
    target.with_suffix(".problems.json").unlink(missing_ok=True)
    return (time.perf_counter() - t0) / len(paths) * 1e6
