"""DeViSE on the shared ImageNet sample (one real image per class), with a random-vector baseline.

    python benchmarks/devise_sample.py [--data ../shared/data] [--epochs 20] [--views 4] [--out runs/bench_devise]

Uses ``configs/devise/imagenet_sample.yaml``'s setup: EfficientNet-Lite0 (package weights) features, GloVe 6B 50-d
``.vec`` class vectors, 20 % of the 1,000 classes held out. Prints:

- feature extraction: images/s of ``prepare_data`` (decode + augment + backbone; ``views`` augmented passes over the
  800 training-class images plus one centre-crop pass over all 1,000), measured on a fresh cache;
- head training time (``epochs`` epochs on the cached features);
- on the test half (the report's images; the other half chose nothing here, as no checkpoint is selected): flat
  hit@1/5 among all classes for the training classes' images (centre crops of images seen as augmented views: a
  training-set fit, since the sample has one image per class) and zero-shot hit@1/5 for the held-out test
  classes' images, among all classes and among the held-out test classes only;
- beside DeViSE, on the same images: the backbone's own softmax classifier, ConSE (top 10, held-out classes
  excluded), chance, and DeViSE trained on random Gaussian class vectors (no word semantics: zero-shot should
  fall to chance, flat hit should not);
- the image-loading check: 50 sample images re-saved as transparent PNGs (the picture on a larger canvas whose
  transparent margin hides random noise) and as JPEGs stored rotated with EXIF orientation 6; the cosine between the
  DeViSE embedding of each and of its plain twin (the picture on white; the upright JPEG), read by the project's
  loader and, for contrast, by a plain ``Image.convert("RGB")``;
- then ``benchmarks/faiss_vs_numpy.py`` on 50,000 × 300 vectors (exact search, same results).
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytorch_lightning as pl  # noqa: E402

from datamodules.devise import ImageWordVectorDataModule  # noqa: E402
from datamodules.images.backbone import create_backbone  # noqa: E402
from datamodules.images.class_state import ClassState  # noqa: E402
from datamodules.images.loading import ImageLoader  # noqa: E402
from datamodules.images.sources import FlatFolderSource  # noqa: E402
from datamodules.images.transforms import make_transforms  # noqa: E402
from lightning_modules.devise_module import DeviseModule  # noqa: E402
from models.devise_head import DeviseNetConfig  # noqa: E402
from retrieval.image_collection import ImageEmbedder  # noqa: E402


class RandomVectorsDataModule(ImageWordVectorDataModule):
    """The same data, but each class's target is a random Gaussian vector instead of its name's word vector."""

    def class_state(self) -> ClassState:
        state = super().class_state()
        rng = np.random.default_rng(self.seed)
        return dataclasses.replace(state, vectors=rng.standard_normal(np.shape(state.vectors)).astype(np.float32))


def make_dm(data: Path, cls: type, cache: Path, views: int) -> ImageWordVectorDataModule:
    images = data / "imagenet_sample_images"
    vec = data / "word_vectors"
    return cls(source=FlatFolderSource(str(images / "images"), str(images / "labels.csv")),
               class_names=str(data / "imagenet_meta" / "imagenet_class_index.json"),
               vectors=f"{vec / 'glove.6B.50d.top50k.vec'},{vec / 'glove.6B.50d.wordnet_extra.vec'}",
               holdout=0.2, backbone="tf_efficientnet_lite0", backbone_weights="efficientnet-lite0-package",
               precompute=True, train_views=views, batch_size=64, cache_dir=str(cache))


def train_and_test(dm: ImageWordVectorDataModule, epochs: int, out: Path) -> tuple[dict, float, DeviseModule]:
    """Fit the head for ``epochs`` and test; returns the test table (hit rates per method), the fit's seconds and
    the model."""
    pl.seed_everything(0, verbose=False)
    dm.setup("fit")
    net = DeviseNetConfig(in_features=dm.feature_dim, out_dim=dm.vector_dim, backbone=dm.backbone,
                          backbone_weights=dm.backbone_weights, precomputed=True)
    model = DeviseModule(net, lr=1e-2, weight_decay=1e-7)
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=str(out),
                         num_sanity_val_steps=0, limit_val_batches=0)
    start = time.perf_counter()
    trainer.fit(model, datamodule=dm)
    seconds = time.perf_counter() - start
    trainer.test(model, datamodule=dm, verbose=False)
    return model.test_table, seconds, model


def _variants(src: Path, out: Path, rng: np.random.Generator) -> dict[str, Path]:
    """The transparent PNG and its white twin; the EXIF-rotated JPEG and its upright twin."""
    picture = ImageLoader().open(src)
    w, h = picture.size
    noise = rng.integers(0, 256, (h + h // 2, w + w // 2, 3), dtype=np.uint8)
    alpha = np.zeros(noise.shape[:2], dtype=np.uint8)
    alpha[h // 4: h // 4 + h, w // 4: w // 4 + w] = 255
    canvas = np.dstack([noise, alpha])
    canvas[h // 4: h // 4 + h, w // 4: w // 4 + w, :3] = np.asarray(picture)
    files = {k: out / f"{src.stem}_{k}" for k in ("transparent.png", "white.png", "upright.jpg", "exif6.jpg")}
    Image.fromarray(canvas, "RGBA").save(files["transparent.png"])
    Image.fromarray(np.where(alpha[..., None] == 255, canvas[..., :3], 255).astype(np.uint8)).save(files["white.png"])
    picture.save(files["upright.jpg"], quality=95)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned a quarter left; viewers turn it back
    picture.transpose(Image.Transpose.ROTATE_90).save(files["exif6.jpg"], quality=95, exif=exif.tobytes())
    return files


class _PlainRGB(ImageLoader):
    """What images were read as before: ``convert("RGB")``, alpha dropped, EXIF ignored."""

    def open(self, path):  # noqa: D102
        with Image.open(path) as img:
            return img.convert("RGB")


def loading_check(model: DeviseModule, dm: ImageWordVectorDataModule, out: Path, n: int = 50) -> None:
    """Cosine between the embeddings of re-saved sample images and of their plain twins (see the docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    files = [_variants(path, out, rng) for path, _ in dm.items("test")[:n]]
    backbone = create_backbone(dm.backbone, dm.backbone_weights)
    transform = make_transforms(dm.backbone, train=False, weights=dm.backbone_weights)
    print(f"\nimage loading check on {len(files)} test images (cosine of DeViSE embeddings, mean / min):")
    for name, loader in (("project loader", dm.loader), ('plain convert("RGB")', _PlainRGB())):
        embed = ImageEmbedder(backbone, model.head, transform, loader=loader).embed
        cells = []
        for a, b in (("transparent.png", "white.png"), ("exif6.jpg", "upright.jpg")):
            va, vb = embed([f[a] for f in files]), embed([f[b] for f in files])
            cos = np.sum(va * vb, axis=1) / (np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1))
            cells.append(f"{a} vs {b}: {cos.mean():.4f} / {cos.min():.4f}")
        print(f"- {name}: " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--out", default="runs/bench_devise")
    args = parser.parse_args()
    data, out = Path(args.data), Path(args.out)
    if not (data / "imagenet_sample_images" / "labels.csv").is_file():
        sys.exit(f"error: {data}/imagenet_sample_images not found: pass --data <folder with the shared data>")
    cache = Path(tempfile.mkdtemp(prefix="devise_bench_"))
    try:
        dm = make_dm(data, ImageWordVectorDataModule, cache, args.views)
        start = time.perf_counter()
        dm.prepare_data()
        prep = time.perf_counter() - start
        n_train, n_val, n_test = (len(dm.items(split)) for split in ("train", "val", "test"))
        n_passes = n_train * args.views + n_val + n_test
        print(f"labels with vectors: {len(dm.classes)}, held out: {len(dm.class_state().holdout)}; "
              f"{n_train} training images x {args.views} views + {n_val} validation + {n_test} test images")
        print(f"feature extraction: {n_passes} images in {prep:.1f} s = {n_passes / prep:.1f} images/s "
              "(fresh cache; includes decoding, augmentation, image checks and loading the vectors)")
        print(f"test images: {dm.describe('test')}")
        rows = []
        for name, cls in (("GloVe class vectors", ImageWordVectorDataModule),
                          ("random class vectors", RandomVectorsDataModule)):
            table, seconds, model = train_and_test(make_dm(data, cls, cache, args.views), args.epochs,
                                                   out / name[:6])
            rows.append((name, seconds, table))
            if cls is ImageWordVectorDataModule:
                glove_model = model
        glove, random_vectors = rows[0][2], rows[1][2]
        methods = [("DeViSE, GloVe targets", glove["DeViSE"], f"{rows[0][1]:.1f} s"),
                   ("DeViSE, random targets", random_vectors["DeViSE"], f"{rows[1][1]:.1f} s"),
                   *((name, values, "none") for name, values in glove.items() if name != "DeViSE")]
        keys = ["hit@1", "hit@5", "zeroshot_hit@1", "zeroshot_hit@5", "zeroshot_unseen_hit@1", "zeroshot_unseen_hit@5"]
        print(f"\n| method | training ({args.epochs} epochs) | flat hit@1 | flat hit@5 | zero-shot hit@1 | "
              "zero-shot hit@5 | among held-out hit@1 | among held-out hit@5 |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, values, seconds in methods:
            cells = " | ".join(f"{values[k]:.3f}" if k in values else "n/a" for k in keys)
            print(f"| {name} | {seconds} | {cells} |")
        loading_check(glove_model, dm, out / "loading")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print("faiss vs numpy (exact cosine top-10, 50,000 x 300, 1,000 queries):", flush=True)
    subprocess.run([sys.executable, str(Path(__file__).with_name("faiss_vs_numpy.py")), "--n", "50000",
                    "--dim", "300"], check=True)


if __name__ == "__main__":
    main()
