"""Readable-image checks and the image dataset that never lets one bad file stop a run."""
from __future__ import annotations

import contextlib
import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from PIL import Image, ImageFile, UnidentifiedImageError
from torch.utils.data import Dataset

from core.atomic import atomic_write_json
from core.errors import UserInputError
from datamodules.images.items import Item
from datamodules.images.loading import ImageLoader

log = logging.getLogger("datamodules.images.image_dataset")

_CACHE_VERSION = 1
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


def image_problem(path: str | os.PathLike) -> str | None:
    """None when ``path`` decodes fully as an RGB image, else ``"<kind>: <detail>"`` with kind ``missing``,
    ``not an image``, ``truncated`` or ``corrupt``.

    ``verify()`` checks the file structure but not the pixel data, so the image is then really decoded the way
    training reads it (:class:`ImageLoader`), which is what catches a JPEG cut short.
    """
    try:
        with _strict_truncation():
            with Image.open(path) as img:
                img.verify()
            ImageLoader().open(path)
    except FileNotFoundError:
        return "missing: no such file"
    except UnidentifiedImageError:
        return "not an image: PIL cannot identify the file"
    except Exception as error:  # noqa: BLE001  decoders raise OSError, SyntaxError, ValueError, struct.error, ...
        kind = "truncated" if "truncated" in str(error).lower() else "corrupt"
        return f"{kind}: {type(error).__name__}: {error}"
    return None


def _stat_key(path: Path) -> list[int] | None:
    """``[size, mtime_ns]`` of ``path``, or None when it cannot be stat'ed."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _read_cache(cache_path: Path | None) -> dict[str, list]:
    """``{path: [size, mtime_ns, problem]}`` from a verdict cache; empty when absent or unusable."""
    if cache_path is None or not cache_path.is_file():
        return {}
    try:
        data = json.loads(cache_path.read_text(encoding="utf-8"))
        if data.get("version") == _CACHE_VERSION and isinstance(data.get("images"), dict):
            return data["images"]
    except (OSError, ValueError, AttributeError):
        pass
    log.info("%s: unreadable image-check cache, checking the images again", cache_path)
    return {}


def check_images(items: Sequence[Item], cache_path: str | os.PathLike | None = None) -> tuple[list[Item], list[Item]]:
    """Split ``items`` (``[(path, label), ...]``) into ``(good, bad)``, order kept, by fully decoding each image.

    Unreadable, truncated, missing and non-image files go to ``bad``; one warning gives their count by kind and
    examples. With ``cache_path`` the verdicts are kept in a JSON file keyed by path, size and modification time, so
    a second call re-opens only new or changed files; the cache is rewritten (atomically) only when it changed.
    """
    cache_file = None if cache_path is None else Path(cache_path)
    cache = _read_cache(cache_file)
    good: list[Item] = []
    bad: list[Item] = []
    problems: list[tuple[Path, str]] = []
    changed = False
    for path, label in items:
        path = Path(path)
        key = _stat_key(path)
        cached = cache.get(str(path))
        if key is not None and cached is not None and cached[:2] == key:
            problem = cached[2]
        else:
            problem = "missing: no such file" if key is None else image_problem(path)
            if key is not None:
                cache[str(path)] = [*key, problem]
                changed = True
        if problem is None:
            good.append((path, label))
        else:
            bad.append((path, label))
            problems.append((path, problem))
    if cache_file is not None and changed:
        atomic_write_json(cache_file, {"version": _CACHE_VERSION, "images": cache})
    _report(problems, len(items))
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
