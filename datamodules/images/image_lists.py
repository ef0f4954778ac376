"""Lists of ``(image path, class wnid)`` from the two folder layouts, and held-out classes for zero-shot tests."""
from __future__ import annotations

import csv
import logging
import os
import random
from pathlib import Path
from typing import Sequence

from core.errors import UserInputError

log = logging.getLogger("datamodules.images.image_lists")

IMAGE_SUFFIXES = frozenset({".jpeg", ".jpg", ".png"})
_EXAMPLES = 5


def is_image_file(path: Path) -> bool:
    """True for a visible file whose suffix is .JPEG, .jpg or .png (any case)."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and path.is_file()


def list_imagenet_folder(root: str | os.PathLike, split: str) -> list[tuple[Path, str]]:
    """Images of the ImageNet layout ``<root>/<split>/<wnid>/*.JPEG|*.jpg|*.png`` as ``[(path, wnid), ...]``.

    Sorted by class folder, then file name, so the order is the same on every machine. Hidden folders and files
    are ignored. A missing split folder, or one with no images, raises UserInputError naming it and the layout.
    """
    folder = Path(root) / split
    layout = f"expected the ImageNet layout {Path(root)}/{split}/<wnid>/<image>.JPEG (one sub-folder per class)"
    if not folder.is_dir():
        raise UserInputError(f"image folder {folder} not found: {layout}")
    items: list[tuple[Path, str]] = []
    class_dirs = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    for class_dir in class_dirs:
        files = sorted(p for p in class_dir.iterdir() if is_image_file(p))
        items.extend((path, class_dir.name) for path in files)
    if not items:
        raise UserInputError(f"image folder {folder} holds no .JPEG/.jpg/.png images in class sub-folders: {layout}")
    log.info("%s: %d images in %d classes", folder, len(items), len({wnid for _, wnid in items}))
    return items


def list_flat_folder(
    folder: str | os.PathLike, labels_csv: str | os.PathLike, file_col: str = "file", label_col: str = "wnid"
) -> list[tuple[Path, str]]:
    """Images of a flat folder described by a CSV file: ``[(folder / row[file_col], row[label_col]), ...]``.

    Rows keep the CSV's order. A missing folder or CSV, a missing column, or an empty cell raises UserInputError
    naming the file (and line). Rows whose image file does not exist are skipped, counted and reported in one
    warning; if no listed file exists, that is a UserInputError (probably the wrong folder).
    """
    folder, labels_csv = Path(folder), Path(labels_csv)
    if not folder.is_dir():
        raise UserInputError(f"image folder {folder} not found: give the folder that holds the images of {labels_csv}")
    rows = _read_label_rows(labels_csv, file_col, label_col)
    items: list[tuple[Path, str]] = []
    missing: list[str] = []
    for name, label in rows:
        path = folder / name
        if path.is_file():
            items.append((path, label))
        else:
            missing.append(name)
    if missing:
        log.warning("%s: skipped %d of %d listed images not found in %s, e.g. %s",
                    labels_csv, len(missing), len(rows), folder, missing[:_EXAMPLES])
    if not items:
        raise UserInputError(f"none of the {len(rows)} images listed in {labels_csv} is in {folder}: "
                             "give the folder the CSV's file names are relative to")
    log.info("%s: %d images in %d classes", labels_csv, len(items), len({label for _, label in items}))
    return items


def _read_label_rows(labels_csv: Path, file_col: str, label_col: str) -> list[tuple[str, str]]:
    """``(file, label)`` cells of every data row of ``labels_csv``, checked."""
    if not labels_csv.is_file():
        raise UserInputError(f"labels file {labels_csv} not found: give a CSV with '{file_col}' and '{label_col}' "
                             "columns")
    try:
        with open(labels_csv, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            absent = [col for col in (file_col, label_col) if col not in columns]
            if absent:
                raise UserInputError(
                    f"{labels_csv}: no column {' or '.join(map(repr, absent))} (columns: {', '.join(columns)}): "
                    "name the right columns with file_col / label_col")
            rows = []
            for row in reader:
                name, label = (row.get(file_col) or "").strip(), (row.get(label_col) or "").strip()
                if not name or not label:
                    raise UserInputError(f"{labels_csv} line {reader.line_num}: the '{file_col}' or '{label_col}' "
                                         "cell is empty: fill it in or remove the row")
                rows.append((name, label))
    except UnicodeDecodeError as error:
        raise UserInputError(f"{labels_csv} is not UTF-8 text ({error.reason}): save it as UTF-8 CSV") from None
    if not rows:
        raise UserInputError(f"{labels_csv} has a header but no rows: list the images in it")
    return rows


def hold_out_classes(
    wnids: Sequence[str], holdout: Sequence[str] | float, seed: int
) -> tuple[set[str], set[str]]:
    """Split the distinct classes in ``wnids`` into ``(train classes, held-out classes)``, disjoint.

    ``holdout`` is either an explicit list of classes (each must occur in ``wnids``) or a fraction in ``[0, 1)``:
    ``round(fraction * n_classes)`` classes (at least one when the fraction is above 0) drawn with
    ``random.Random(seed)`` from the sorted classes, so the same inputs always give the same split. At least one
    class must stay for training.
    """
    classes = sorted(set(wnids))
    if isinstance(holdout, (int, float)) and not isinstance(holdout, bool):
        held = _draw_fraction(classes, float(holdout), seed)
    elif isinstance(holdout, str):
        raise UserInputError(f"holdout={holdout!r} is a string: give a list of class ids or a fraction like 0.2")
    else:
        held = set(holdout)
        unknown = sorted(held - set(classes))
        if unknown:
            raise UserInputError(f"held-out classes {unknown[:_EXAMPLES]} are not among the {len(classes)} classes "
                                 "of the images: hold out classes that have images")
    train = set(classes) - held
    if classes and not train:
        raise UserInputError(f"holdout={holdout!r} holds out all {len(classes)} classes: keep some for training")
    log.info("holding out %d of %d classes (seed %d)", len(held), len(classes), seed)
    return train, held


def _draw_fraction(classes: list[str], fraction: float, seed: int) -> set[str]:
    if not 0.0 <= fraction < 1.0:
        raise UserInputError(f"holdout fraction {fraction} is outside [0, 1): give e.g. 0.2 for 20 % of the classes")
    count = round(fraction * len(classes))
    if fraction > 0 and classes:
        count = max(count, 1)
    return set(random.Random(seed).sample(classes, count))
