"""A DeViSE run's images, read back from its DataModule cache: what ``search.py`` searches by default.

The cache (``devise-<key>.pkl`` under ``data.cache_dir``) holds each role's image list and, with precomputed
features, the feature files and the rows of the readable images. Checkpoints point to it instead of carrying image
lists whose size grows with the data.
"""
from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import UserInputError

ROLES = {"eval": ("val", "test"), "val": ("val",), "test": ("test",), "train": ("train",)}


@dataclass
class RunImages:
    """``items`` ``[(path, label id), ...]``; with features, ``feature_files`` (one per item group, first view) and
    ``rows`` (each item's row in its file), else None."""

    items: list[tuple[str, str]]
    feature_files: list[Path] | None
    rows: list[np.ndarray] | None

    def features(self) -> list[np.ndarray]:
        """The items' backbone features, one memory-mapped ``(n_rows, feature_dim)`` array per file."""
        assert self.feature_files is not None
        return [np.load(f, mmap_mode="r") for f in self.feature_files]


@functools.lru_cache(maxsize=2)
def _load(path: str, mtime_ns: int) -> dict:
    with open(path, "rb") as handle:
        return pickle.load(handle)


def _root(state: dict, state_file: Path) -> Path:
    """The folder the run's relative image paths start from, so that they resolve from any working directory: the
    one recorded when the cache was written, or, for caches written before that, the nearest folder above the cache
    that holds the first image."""
    if state.get("root"):
        return Path(state["root"])
    first = next((Path(p) for split in ("val", "test", "train") for p, _ in getattr(state["splits"], split)), None)
    if first is None or first.is_absolute():
        return Path()
    return next((folder for folder in state_file.resolve().parents if (folder / first).exists()), Path())


def run_images(state_file: str | Path, role: str = "eval") -> RunImages:
    """The images of ``role`` (``eval`` = validation + test, ``val``, ``test`` or ``train``) of the run whose
    DataModule cache is ``state_file``."""
    path = Path(state_file)
    if not path.is_file():
        raise UserInputError(f"the run's image lists were in {path}, which is gone: run `train.py fit` with the same "
                             "config to rebuild the cache, or search a folder with --images DIR")
    state = _load(str(path), path.stat().st_mtime_ns)
    items: list[tuple[str, str]] = []
    files: list[Path] = []
    rows: list[np.ndarray] = []
    root = _root(state, path)
    if root.resolve() == Path.cwd().resolve():
        root = Path()  # started where the run was trained: its paths as they were written
    for split in ROLES[role]:
        items += [(str(root / p), c) for p, c in getattr(state["splits"], split)]
        if state.get("features"):
            files.append(path.parent / Path(state["features"][split][0]).name)
            rows.append(np.asarray(state["rows"][split]))
    return RunImages(items, files if state.get("features") else None, rows if state.get("features") else None)
