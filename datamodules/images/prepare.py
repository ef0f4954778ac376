"""Build the DeViSE cache: checked image lists, class-name vectors, the held-out split, precomputed features."""
from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from core.errors import UserInputError
from core.rng import preserved_rng
from datamodules.images.backbone import create_backbone, weights_fingerprint
from datamodules.images.class_merge import merge_duplicate_classes
from datamodules.images.class_names import read_classids, read_imagenet_index
from datamodules.images.class_vectors import ClassVectors, build_class_vectors
from datamodules.images.feature_cache import feature_cache_key, load_problems, precompute_features
from datamodules.images.image_dataset import CheckingDataset, ImageDataset, check_images
from datamodules.images.loading import ImageLoader
from datamodules.images.sources import ImageSource, Item
from datamodules.images.transforms import make_transforms, transform_fingerprint
from datamodules.images.verdicts import VerdictStore
from datamodules.vectors import load_vectors

log = logging.getLogger(__name__)


def class_names(source: ImageSource, names_file: str | None, class_ids: set[str]) -> dict[str, str]:
    """Class id → name for the classes that have images; ids without a name are dropped and counted."""
    if source.names_are_ids() or names_file is None:
        return {cid: cid for cid in class_ids}
    if not Path(names_file).is_file():
        raise UserInputError(f"class-name file {names_file} not found: give WordNet's classids.txt or "
                             "imagenet_class_index.json with --data.class_names")
    table = dict(read_imagenet_index(names_file)) if names_file.endswith(".json") else read_classids(names_file)
    missing = sorted(class_ids - set(table))
    if missing:
        log.warning("%d classes have no name in %s and are skipped, e.g. %s", len(missing), names_file, missing[:5])
    return {cid: table[cid] for cid in class_ids if cid in table}


def build_classes(source: ImageSource, names_file: str | None, vectors_spec: str,
                  items: Sequence[Item]) -> tuple[ClassVectors, dict[str, str]]:
    """Class vectors (rows L2-normalised) for every class with images and a vector, one row per label: classes
    with the same name or vector are merged (``class_merge``); also returns the merged-away ids → their label."""
    names = class_names(source, names_file, {cid for _, cid in items})
    words = {w for n in names.values() for w in n.lower().replace("-", "_").replace(" ", "_").split("_")}
    vectors = load_vectors(vectors_spec, keep=words | {n.lower() for n in names.values()})
    classes, dropped = build_class_vectors(sorted(names.items()), vectors)
    if dropped:
        log.warning("%d classes have no word vector and are dropped, e.g. %s", len(dropped), dropped[:5])
    classes, aliases = merge_duplicate_classes(classes)
    if len(classes) < 2:
        raise UserInputError(f"only {len(classes)} classes have a word vector in {vectors_spec}: "
                             "give vectors that cover the class names")
    return classes, aliases


def check_no_leak(classes: ClassVectors, held: Sequence[str]) -> None:
    """Raise when a held-out class has the same vector as a training class (its "zero-shot" target would have
    been trained on)."""
    mask = np.isin(np.asarray(classes.wnids), list(held))
    if not mask.any() or mask.all():
        return
    cosine = classes.vectors[mask] @ classes.vectors[~mask].T
    if (cosine >= 1.0 - 1e-6).any():
        row, col = np.argwhere(cosine >= 1.0 - 1e-6)[0]
        held_ids, seen_ids = np.asarray(classes.wnids)[mask], np.asarray(classes.wnids)[~mask]
        raise RuntimeError(f"held-out class {held_ids[row]} has the vector of training class {seen_ids[col]}: "
                           "duplicate classes must be merged before holding out")


def listed_items(source: ImageSource, cache_dir: Path, precompute: bool) -> dict[str, list[Item]]:
    """Each split's images. With ``precompute`` they are only listed: feature extraction decodes every image anyway
    and drops (and counts) those it cannot read, so no separate pass decodes them first. Without it (fine-tuning on
    images), the cheap header check drops files that are not images at all; a file that still fails to decode at
    training time is skipped and counted there."""
    if precompute:
        return {split: source.items(split) for split in ("train", "valid")}
    out = {}
    for split in ("train", "valid"):
        good, bad = check_images(source.items(split), cache_path=verdicts_path(cache_dir), level="header")
        if bad:
            log.warning("%s: skipped %d unreadable image files", split, len(bad))
        out[split] = good
    return out


def verdicts_path(cache_dir: Path) -> Path:
    """The image-check verdicts shared by every run that uses ``cache_dir``."""
    return Path(cache_dir) / "image_checks.sqlite"


def precompute(items: list[Item], class_to_idx: dict[str, int], backbone_name: str, weights: str | None,
               views: int, train: bool, cache_dir: Path, seed: int, loader: ImageLoader | None = None,
               num_workers: int = 0) -> list[Path]:
    """Cache frozen-backbone features for ``views`` passes over ``items`` (augmented when ``train``), read by
    ``loader`` in ``num_workers`` processes. Returns one ``.npy`` path per view, each ``(len(items), feature_dim)``
    float32; the cache key holds the backbone, its weights, the transform, the loader's settings, the view, the seed
    and the image list. The decode is the image check: unreadable images are listed beside each cache
    (``feature_cache.load_problems``) and their verdicts stored for later runs.
    """
    loader = loader or ImageLoader()
    transform = make_transforms(backbone_name, train=train, weights=weights)
    backbone = None
    paths = []
    with preserved_rng():  # building the cache must not change what training draws afterwards
        for view in range(views):
            key = feature_cache_key(backbone_name, weights_fingerprint(weights),
                                    f"{transform_fingerprint(transform)}|{loader.fingerprint()}|view{view}|"
                                    f"seed{seed}|train{train}",
                                    [p for p, _ in items])
            path = cache_dir / f"features-{key[:20]}.npy"
            if not path.is_file():
                backbone = backbone or create_backbone(backbone_name, weights)
                # timm's augmentations draw from Python's `random`, torchvision's from torch: seed both per view
                # so the cached views do not depend on what ran before in the process
                random.seed(seed + 7919 * view)
                torch.manual_seed(seed + 7919 * view)
                dataset = CheckingDataset(ImageDataset(items, class_to_idx, transform, loader=loader))
                precompute_features(backbone, dataset, path, num_workers=num_workers)
                if view == 0:
                    _record_verdicts(items, load_problems(path), cache_dir)
            paths.append(path)
    return paths


def _record_verdicts(items: list[Item], problems: dict[int, str], cache_dir: Path) -> None:
    with VerdictStore(verdicts_path(cache_dir)) as store:
        store.record(((p, problems.get(i)) for i, (p, _) in enumerate(items)), "full")


def readable_rows(items: list[Item], feature_file: Path, split: str) -> np.ndarray:
    """Row indices of ``items`` whose image the extraction could read; the others are counted in a warning."""
    problems = load_problems(feature_file)
    if problems:
        examples = "; ".join(f"{items[i][0]} ({text})" for i, text in list(problems.items())[:5])
        log.warning("%s: skipped %d unreadable image files (of %d, found while computing their features), e.g. %s",
                    split, len(problems), len(items), examples)
    return np.asarray([i for i in range(len(items)) if i not in problems], dtype=np.int64)


def labels(items: list[Item], class_to_idx: dict[str, int]) -> np.ndarray:
    """Class indices ``(n_items,)`` int64 of items."""
    return np.asarray([class_to_idx[c] for _, c in items], dtype=np.int64)
