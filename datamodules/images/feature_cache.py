"""Pre-computed backbone features for DeViSE: run the frozen CNN once, keep the pooled features on disk.

Plain PyTorch / NumPy (no Lightning). The cache is a ``.npy`` file of float32 ``(n_images, feature_dim)``, written
through ``np.lib.format.open_memmap`` to a temporary name and renamed only when complete, so a killed run never
leaves a half-filled file under the real name. ``feature_cache_key`` names a cache by everything its content
depends on.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from core.atomic import atomic_path, atomic_write_json
from core.errors import UserInputError


def _device_of(module: nn.Module) -> torch.device:
    """The device of the module's first parameter (CPU for a parameter-free module)."""
    first = next(module.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _fill(backbone: nn.Module, loader: DataLoader, tmp: Path, n_images: int, progress: bool) -> tuple[np.ndarray, dict]:
    """Run ``backbone`` over ``loader`` and write rows into a memmap at ``tmp`` (created at the first batch).

    Each batch is ``(images (B, 3, H, W), labels (B,))``, or with a third element, each image's problem (``""``
    when it was read; :class:`~datamodules.images.image_dataset.CheckingDataset`). Returns the memmap and
    ``{row: problem}`` of the images that could not be read (their rows hold the blank image's features).
    """
    device = _device_of(backbone)
    out: np.ndarray | None = None
    problems: dict[int, str] = {}
    row = 0
    with tqdm(total=n_images, unit="img", desc="features", disable=not progress, dynamic_ncols=True) as bar:
        for batch in loader:
            feats = backbone(batch[0].to(device)).float().cpu().numpy()  # (B, feature_dim)
            if feats.ndim != 2:
                raise RuntimeError(f"backbone returned shape {feats.shape}; expected (batch, features): num_classes=0?")
            if out is None:
                out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n_images, feats.shape[1]))
            out[row:row + len(feats)] = feats
            if len(batch) > 2:
                problems.update({row + j: text for j, text in enumerate(batch[2]) if text})
            row += len(feats)
            bar.update(len(feats))
    if row != n_images:
        raise RuntimeError(f"dataset yielded {row} images but len(dataset) is {n_images}")
    assert out is not None
    return out, problems


def problems_path(cache_path: Path) -> Path:
    """Where a cache's unreadable rows are listed (``{row: problem}`` JSON), beside the cache; only written when
    some image could not be read."""
    return Path(cache_path).with_suffix(".problems.json")


def load_problems(cache_path: Path) -> dict[int, str]:
    """The rows of a feature cache whose image could not be read, with the problem; ``{}`` when none."""
    path = problems_path(cache_path)
    if not path.is_file():
        return {}
    return {int(row): text for row, text in json.loads(path.read_text(encoding="utf-8")).items()}


def precompute_features(backbone: nn.Module, dataset: Dataset, cache_path: Path, batch_size: int = 64,
                        num_workers: int = 0, progress: bool = True) -> np.memmap:
    """Run the frozen ``backbone`` once over ``dataset`` and cache its features at ``cache_path`` (``.npy``).

    The backbone runs in eval mode under ``torch.no_grad()`` (its previous train/eval mode is restored after);
    the dataset yields ``(image tensor (3, H, W), label[, problem])`` and is read in order, ``num_workers``
    processes decoding. Rows whose image could not be read are listed beside the cache (:func:`load_problems`).
    A tqdm bar reports images/s.

    Returns:
        The cache, memory-mapped read-only: float32 ``(len(dataset), feature_dim)``, row ``i`` = image ``i``.
    """
    cache_path = Path(cache_path)
    n_images = len(dataset)  # type: ignore[arg-type]
    if n_images == 0:
        raise UserInputError(f"no images to compute features for ({cache_path}): check the dataset's image folder")
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    was_training = backbone.training
    backbone.eval()
    try:
        with torch.no_grad():
            with atomic_path(cache_path) as tmp:
                out, problems = _fill(backbone, loader, tmp, n_images, progress)
                out.flush()
                del out  # close the memmap before the rename
                if problems:
                    atomic_write_json(problems_path(cache_path), {str(k): v for k, v in problems.items()})
                else:
                    problems_path(cache_path).unlink(missing_ok=True)
    finally:
        backbone.train(was_training)
    return load_features(cache_path)


def load_features(cache_path: Path) -> np.memmap:
    """Open a cache written by ``precompute_features``: read-only float32 ``(n_images, feature_dim)`` memmap."""
    cache_path = Path(cache_path)
    if not cache_path.is_file():
        raise UserInputError(f"feature cache {cache_path} does not exist: run precompute_features first")
    try:
        feats = np.load(cache_path, mmap_mode="r")
    except (ValueError, OSError) as err:
        raise UserInputError(f"feature cache {cache_path} is unreadable ({err}): delete it and recompute") from None
    if feats.ndim != 2 or feats.dtype != np.float32:
        raise UserInputError(
            f"feature cache {cache_path} holds {feats.dtype} {feats.shape}, not float32 (n, dim): "
            "delete it and recompute"
        )
    return feats


def feature_cache_key(backbone_name: str, weights_fingerprint: str, transform_fingerprint: str,
                      image_list: Iterable[str | os.PathLike]) -> str:
    """sha256 hex of the backbone, its weights, the transform, and each image's path, size and mtime (in order).

    Any change that could change the features (other weights, other preprocessing, an image added, removed,
    reordered, or rewritten) changes the key.
    """
    digest = hashlib.sha256()
    header = {"backbone": backbone_name, "weights": weights_fingerprint, "transform": transform_fingerprint}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for image in image_list:
        path = Path(image)
        try:
            stat = path.stat()
        except OSError:
            raise UserInputError(f"image {path} is missing or unreadable: fix the image list or the folder") from None
        digest.update(f"\n{path.resolve()}\t{stat.st_size}\t{stat.st_mtime_ns}".encode())
    return digest.hexdigest()
