"""Where DeViSE images come from: an ImageNet-style folder tree, a flat folder + labels CSV, or the generated demo.

Each source lists ``(image path, class id)`` items per split. Class ids are WordNet ids for ImageNet data (their
names come from ``classids.txt`` / ``imagenet_class_index.json``) and the nouns themselves for the demo set.
"""
from __future__ import annotations

import random
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Literal

from core.hashing import file_stamp
from datamodules.demo_drawings.demo_images import generate_demo_images
from datamodules.images.image_lists import list_flat_folder, list_imagenet_folder
from datamodules.images.items import Item

Split = Literal["train", "valid"]


class ImageSource(ABC):
    """Lists the images of each split with their class ids."""

    def prepare(self, cache_dir: Path) -> None:
        """Create or fetch the images if needed (called once, in ``prepare_data``)."""

    @abstractmethod
    def items(self, split: Split) -> list[Item]:
        """``[(path, class_id), ...]`` of a split, in a deterministic order."""

    def names_are_ids(self) -> bool:
        """True when the class ids are already the class names (no WordNet name file needed)."""
        return False

    def eval_is_train(self) -> bool:
        """True when the evaluation images are the training images themselves (scores then measure a fit)."""
        return False

    @abstractmethod
    def fingerprint(self) -> str:
        """Identifies the data and options, for cache keys."""


class ImageNetFolderSource(ImageSource):
    """``<root>/<train_split>/<wnid>/*.JPEG`` and ``<root>/<valid_split>/<wnid>/*.JPEG`` (the lesson's layout)."""

    def __init__(self, root: str = "data/imagenet", train_split: str = "train", valid_split: str = "valid") -> None:
        self.root, self.splits = root, {"train": train_split, "valid": valid_split}

    def items(self, split: Split) -> list[Item]:
        return list_imagenet_folder(self.root, self.splits[split])

    def fingerprint(self) -> str:
        return f"ImageNetFolderSource|{Path(self.root).resolve()}|{self.splits}"


class FlatFolderSource(ImageSource):
    """One folder of images + a CSV naming each file's class.

    With ``eval_per_class=0`` (the default) the same images serve training (augmented views) and evaluation
    (centre crop) — the layout of the shared one-image-per-class ImageNet sample, whose seen-class scores are
    therefore a training-set fit. With ``eval_per_class=N`` every class with more than N images gives N of them
    (drawn with ``eval_seed``) to evaluation only; classes with fewer images are trained on and not evaluated.
    """

    def __init__(self, folder: str, labels_csv: str, file_column: str = "file", label_column: str = "wnid",
                 eval_per_class: int = 0, eval_seed: int = 0) -> None:
        self.folder, self.labels_csv = folder, labels_csv
        self.file_column, self.label_column = file_column, label_column
        self.eval_per_class, self.eval_seed = eval_per_class, eval_seed

    def items(self, split: Split) -> list[Item]:
        everything = list_flat_folder(self.folder, self.labels_csv, self.file_column, self.label_column)
        if not self.eval_per_class:
            return everything
        held = held_out_per_class(everything, self.eval_per_class, self.eval_seed)
        return [it for it in everything if (it[0] in held) == (split == "valid")]

    def eval_is_train(self) -> bool:
        return not self.eval_per_class

    def fingerprint(self) -> str:
        return f"FlatFolderSource|{Path(self.folder).resolve()}|{file_stamp(Path(self.labels_csv))}|" \
               f"{self.file_column}|{self.label_column}|{self.eval_per_class}|{self.eval_seed}"


def held_out_per_class(items: list[Item], per_class: int, seed: int) -> set[Path]:
    """Paths of ``per_class`` images drawn (seeded) from every class that has more than that many."""
    by_class: dict[str, list[Path]] = {}
    for path, cid in items:
        by_class.setdefault(cid, []).append(path)
    rng = random.Random(seed)
    held: set[Path] = set()
    for cid in sorted(by_class):
        paths = sorted(by_class[cid])
        if len(paths) > per_class:
            held.update(rng.sample(paths, per_class))
    return held


class DemoImagesSource(ImageSource):
    """The offline default: generated drawings of ~30 everyday nouns (see ``demo_images``)."""

    def __init__(self, folder: str = ".cache/devise/demo_images", images_per_class: int = 40,
                 valid_per_class: int = 10, size: int = 96, seed: int = 0) -> None:
        self.folder, self.size, self.seed = folder, size, seed
        self.images_per_class, self.valid_per_class = images_per_class, valid_per_class

    def prepare(self, cache_dir: Path) -> None:
        generate_demo_images(self.folder, self.images_per_class, self.valid_per_class, self.size, self.seed)

    def items(self, split: Split) -> list[Item]:
        return list_imagenet_folder(self.folder, split)

    def names_are_ids(self) -> bool:
        return True

    def fingerprint(self) -> str:
        return f"DemoImagesSource|{Path(self.folder).resolve()}|{self.images_per_class}|{self.valid_per_class}|" \
               f"{self.size}|{self.seed}"
