"""Readable-image checks and the image dataset that never lets one bad file stop a run."""
from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from PIL import Image, ImageFile, UnidentifiedImageError
from torch.utils.data import Dataset

from core.errors import UserInputError
from datamodules.images.items import Item
from datamodules.images.loading import ImageLoader
from datamodules.images.verdicts import Level, VerdictStore

log = logging.getLogger("datamodules.images.image_dataset")

_EXAMPLES = 5


@contextlib.contextmanager
def _strict_truncation() -> Iterator[None]:
    """Make PIL raise on truncated files even if some other code set ``LOAD_TRUNCATED_IMAGES``."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def describe_problem(error: BaseException) -> str:
    """``"<kind>: <detail>"`` for an error met while reading an image; kind ``missing``, ``not an image``,
    ``truncated`` or ``corrupt``."""
    if isinstance(error, FileNotFoundError):
        return "missing: no such file"
    if isinstance(error, UnidentifiedImageError):
        return "not an image: PIL cannot identify the file"
    kind = "truncated" if "truncated" in str(error).lower() else "corrupt"
    return f"{kind}: {type(error).__name__}: {error}"


def image_problem(path: str | os.PathLike) -> str | None:
    """None when ``path`` decodes fully as an RGB image, else ``"<kind>: <detail>"`` (:func:`describe_problem`).

    ``verify()`` checks the file structure but not the pixel data, so the image is then really decoded the way
    training reads it (:class:`ImageLoader`), which is what catches a JPEG cut short.
    """
    try:
        with _strict_truncation():
            with Image.open(path) as img:
                img.verify()
            ImageLoader().open(path)
    except Exception as error:  # noqa: BLE001  decoders raise OSError, SyntaxError, ValueError, struct.error, ...
        return describe_problem(error)
    return None


def header_problem(path: str | os.PathLike) -> str | None:
    """The cheap check: None when the file opens as an image and its structure verifies (``Image.open`` +
    ``verify``, no pixel decoding), else ``"<kind>: <detail>"``. A truncated JPEG usually passes; it is caught when
    decoded (feature extraction, or skipped and counted at training time)."""
    try:
        with Image.open(path) as img:
            img.verify()
    except FileNotFoundError:
        return "missing: no such file"
    except UnidentifiedImageError:
        return "not an image: PIL cannot identify the file"
    except Exception as error:  # noqa: BLE001  decoders raise OSError, SyntaxError, ValueError, struct.error, ...
        return f"corrupt: {type(error).__name__}: {error}"
    return None


def check_images(items: Sequence[Item], cache_path: str | os.PathLike | None = None,
                 level: Level = "full") -> tuple[list[Item], list[Item]]:
    """Split ``items`` (``[(path, label), ...]``) into ``(good, bad)``, order kept.

    ``level="full"`` decodes each image (:func:`image_problem`), ``"header"`` only opens and verifies it
    (:func:`header_problem`). Unreadable, truncated, missing and non-image files go to ``bad``; one warning gives
    their count by kind and examples. With ``cache_path`` the verdicts are kept in a :class:`VerdictStore` keyed by
    path, size and modification time, so a second call re-opens only new or changed files.
    """
    check = image_problem if level == "full" else header_problem
    paths = [Path(path) for path, _ in items]
    store = VerdictStore(cache_path) if cache_path is not None else None
    try:
        known = store.known(paths, level) if store is not None else {}
        fresh = [(p, "missing: no such file" if not p.exists() else check(p)) for p in paths if str(p) not in known]
        if store is not None:
            store.record(fresh, level)
    finally:
        if store is not None:
            store.close()
    verdicts = {**known, **{str(p): problem for p, problem in fresh}}
    good = [(p, label) for p, (_, label) in zip(paths, items) if verdicts[str(p)] is None]
    bad = [(p, label) for p, (_, label) in zip(paths, items) if verdicts[str(p)] is not None]
    _report([(p, verdicts[str(p)]) for p, _ in bad], len(items))
    return good, bad


def _report(problems: list[tuple[Path, str]], total: int) -> None:
    if not problems:
        log.info("all %d images are readable", total)
        return
    kinds = Counter(problem.split(":", 1)[0] for _, problem in problems)
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    examples = "; ".join(f"{path} ({problem})" for path, problem in problems[:_EXAMPLES])
    log.warning("skipped %d of %d image files that cannot be read (%s), e.g. %s",
                len(problems), total, summary, examples)


def pil_to_tensor(img: Image.Image) -> torch.Tensor:
    """An RGB PIL image as a float tensor of shape ``(3, H, W)`` with values in [0, 1]."""
    array = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float().div_(255.0)


class ImageDataset(Dataset):
    """``(image, class index)`` pairs: ``image`` is ``transform(RGB PIL image)``, a float tensor ``(3, H, W)``
    (without a transform: values in [0, 1] at the file's size), the index is ``class_to_idx[label]``. Files are
    read by ``loader`` (upright, transparency on white by default: :class:`ImageLoader`).

    An image that fails to load (deleted, corrupt, truncated after ``check_images`` ran) does not stop the run:
    the next item (index + 1, wrapping around) is returned instead, image and label together, and the failure is
    counted in ``load_failures`` with its path in ``failed_paths`` (one warning per path). With DataLoader workers
    each worker process counts its own failures in its own copy of the dataset, so the main process's counters
    only cover loads it did itself; the warnings are logged by every process. Only when ``max_fallbacks``
    consecutive items all fail is a UserInputError raised.
    """

    def __init__(
        self,
        items: Sequence[Item],
        class_to_idx: Mapping[str, int],
        transform: Callable[[Image.Image], torch.Tensor] | None = None,
        max_fallbacks: int = 16,
        loader: ImageLoader | None = None,
    ) -> None:
        unknown = sorted({label for _, label in items if label not in class_to_idx})
        if unknown:
            raise UserInputError(f"{len(unknown)} image labels are not among the {len(class_to_idx)} classes, e.g. "
                                 f"{unknown[:_EXAMPLES]}: drop those images or add the classes")
        if not items:
            raise UserInputError("the image list is empty: check the image folder and the class filter")
        self.items = [(Path(path), label) for path, label in items]
        self.class_to_idx = dict(class_to_idx)
        self.transform = transform
        self.loader = loader or ImageLoader()
        self.max_fallbacks = max_fallbacks
        self.load_failures = 0
        self.failed_paths: set[Path] = set()

    def __len__(self) -> int:
        return len(self.items)

    @property
    def targets(self) -> list[int]:
        """Class index of every item, in order."""
        return [self.class_to_idx[label] for _, label in self.items]

    def _load(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.items[index]
        rgb = self.loader.open(path)
        image = self.transform(rgb) if self.transform is not None else pil_to_tensor(rgb)
        return image, self.class_to_idx[label]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        """``(image (3, H, W) float tensor, class index)`` of item ``index``, or of the next loadable item."""
        tries = min(self.max_fallbacks, len(self.items))
        for step in range(tries):
            current = (index + step) % len(self.items)
            try:
                return self._load(current)
            except Exception as error:  # noqa: BLE001  any decoder error; the run must go on
                self._record_failure(self.items[current][0], error)
        raise UserInputError(f"{tries} images in a row, from {self.items[index][0]}, could not be loaded: "
                             "run check_images on the image list to drop unreadable files")

    def _record_failure(self, path: Path, error: Exception) -> None:
        self.load_failures += 1
        if path not in self.failed_paths:
            self.failed_paths.add(path)
            log.warning("could not load %s (%s: %s); using the next image instead (%d failed loads so far)",
                        path, type(error).__name__, error, self.load_failures)


class CheckingDataset(Dataset):
    """Items of an :class:`ImageDataset` as ``(image, class index, problem)``, each file decoded once and strictly
    (a truncated JPEG fails): a file that cannot be read gives a blank image and its problem (``"<kind>: <detail>"``,
    ``""`` when fine) instead of stopping the run or being replaced by another image. Feature extraction reads
    through it, so the decode it needs anyway is also the image check (in the DataLoader's worker processes)."""

    def __init__(self, dataset: ImageDataset) -> None:
        self.dataset = dataset
        self._blank: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.dataset)

    def _blank_image(self) -> torch.Tensor:
        if self._blank is None:
            tiny = Image.new("RGB", (8, 8))
            transform = self.dataset.transform
            self._blank = torch.zeros_like(transform(tiny) if transform is not None else pil_to_tensor(tiny))
        return self._blank

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, str]:
        try:
            with _strict_truncation():
                image, label = self.dataset._load(index)
            return image, label, ""
        except Exception as error:  # noqa: BLE001  any decoder error: the pass goes on, the problem is reported
            return self._blank_image(), self.dataset.class_to_idx[self.dataset.items[index][1]], describe_problem(error)
