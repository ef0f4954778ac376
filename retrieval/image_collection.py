"""Image-side search: map image files to predicted word-space vectors, and index a collection of them.

Plain PyTorch/faiss (no Lightning). ``ImageEmbedder`` runs backbone + DeViSE head in eval mode; unreadable
images are skipped and counted. ``collection_index`` caches the index of a folder's (or list's) predicted vectors,
keyed by the model and by every file's size and modification time, and rebuilds it when any of those change.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from core.errors import UserInputError
from core.hashing import short_hash
from datamodules.images.image_dataset import ImageDataset, check_images
from datamodules.images.image_lists import is_image_file
from datamodules.images.loading import ImageLoader
from retrieval.approximate import Storage
from retrieval.vector_index import Kind, VectorIndex, cached_index, index_options

log = logging.getLogger(__name__)


class ImageEmbedder:
    """Image files → predicted word vectors ``(n, dim)`` with ``head(backbone(transform(image)))``, images read
    by ``loader`` (the training run's: same background for transparency, EXIF orientation applied)."""

    def __init__(self, backbone: nn.Module, head: nn.Module, transform: Callable, device: str = "cpu",
                 batch_size: int = 32, loader: ImageLoader | None = None) -> None:
        self.model = nn.Sequential(backbone, head).to(device).eval()
        self.transform, self.device, self.batch_size = transform, device, batch_size
        self.loader = loader or ImageLoader()

    def readable(self, paths: Sequence[str | Path]) -> list[Path]:
        """The paths that exist and decode as images; the others are logged and counted."""
        missing = [Path(p) for p in paths if not Path(p).is_file()]
        if missing:
            log.warning("skipping %d missing image path(s), e.g. %s", len(missing), missing[0])
        good, bad = check_images([(Path(p), "") for p in paths if Path(p).is_file()])
        if bad:
            log.warning("skipping %d unreadable image file(s), e.g. %s", len(bad), bad[0][0])
        return [p for p, _ in good]

    @torch.no_grad()
    def embed(self, paths: Sequence[Path]) -> np.ndarray:
        """Predicted vectors ``(len(paths), dim)`` float32 for readable ``paths`` (see ``readable``)."""
        dataset = ImageDataset([(Path(p), "") for p in paths], {"": 0}, self.transform, loader=self.loader)
        rows = [self.model(images.to(self.device)).float().cpu().numpy()
                for images, _ in DataLoader(dataset, batch_size=self.batch_size)]
        return np.concatenate(rows) if rows else np.empty((0, 0), dtype=np.float32)


def list_images(folder: str | Path) -> list[Path]:
    """Every image file under ``folder`` (recursively), sorted."""
    root = Path(folder)
    if not root.is_dir():
        raise UserInputError(f"image folder {root} not found: give a folder of images with --images")
    return sorted(p for p in root.rglob("*") if p.is_file() and is_image_file(p))


def _files_stamp(paths: Sequence[Path]) -> str:
    stats = [(str(p), os.stat(p).st_size, os.stat(p).st_mtime_ns) if p.is_file() else (str(p), -1, -1)
             for p in paths]
    return short_hash(repr(stats), length=16)


def collection_index(embedder: ImageEmbedder, paths: Sequence[Path], model_key: str, cache_dir: str | Path,
                     kind: Kind = "flat", storage: Storage = "float32") -> VectorIndex:
    """Index of the predicted vectors of ``paths`` (ids: path strings), loaded from ``cache_dir`` when the model
    (``model_key``) and the files are unchanged, else embedded, built and saved."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise UserInputError("the image collection is empty: give a folder of images with --images")
    key = short_hash(model_key, _files_stamp(paths), kind, storage, length=16)

    def build() -> VectorIndex:
        readable = embedder.readable(paths)
        if not readable:
            raise UserInputError(f"none of the {len(paths)} collection images could be read: check the image folder")
        log.info("embedding %d images for the image index", len(readable))
        return VectorIndex(embedder.embed(readable), [str(p) for p in readable], **index_options(kind, storage))

    return cached_index(Path(cache_dir) / f"images-{key}", key, build, "image")


@torch.no_grad()
def embed_features(head: nn.Module, features: np.ndarray, rows: np.ndarray, device: str = "cpu",
                   batch_size: int = 4096) -> np.ndarray:
    """``head`` applied to the cached backbone features ``features[rows]`` (memory-mapped ``(n, feature_dim)``),
    in batches: ``(len(rows), dim)`` float32. No image is decoded."""
    head = head.to(device).eval()
    out = [head(torch.from_numpy(np.ascontiguousarray(features[rows[i:i + batch_size]])).to(device)).float().cpu()
           .numpy() for i in range(0, len(rows), batch_size)]
    return np.concatenate(out) if out else np.empty((0, 0), dtype=np.float32)


def feature_collection_index(head: nn.Module, feature_files: Sequence[Path], rows: Sequence[np.ndarray],
                             paths: Sequence[str], model_key: str, cache_dir: str | Path, kind: Kind = "flat",
                             device: str = "cpu", storage: Storage = "float32") -> VectorIndex:
    """Index of the images ``paths`` from a run's cached backbone features (``feature_files[i][rows[i]]``, in
    order): the head is applied to the features, so no image is decoded. Cached in ``cache_dir`` keyed by the
    model and the feature files (whose names are content keys)."""
    key = short_hash(model_key, kind, storage, *(f"{Path(f).name}:{len(r)}" for f, r in zip(feature_files, rows)),
                     length=16)

    def build() -> VectorIndex:
        vectors = np.concatenate([embed_features(head, np.load(f, mmap_mode="r"), np.asarray(r), device)
                                  for f, r in zip(feature_files, rows)])
        log.info("applied the head to %d cached image features for the image index", len(vectors))
        return VectorIndex(vectors, [str(p) for p in paths], **index_options(kind, storage))

    return cached_index(Path(cache_dir) / f"images-{key}", key, build, "image")
