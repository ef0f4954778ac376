"""Class names for DeViSE: WordNet noun ids -> lemmas (``classids.txt``) and the ImageNet-1k class index
(``imagenet_class_index.json``)."""
from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

from core.errors import UserInputError

log = logging.getLogger("datamodules.images.class_names")

WNID_PATTERN = re.compile(r"[nvasr]\d{8}")
_EXAMPLES = 5


def is_wnid(text: str) -> bool:
    """True for a WordNet id such as ``n01440764`` (part-of-speech letter + 8-digit synset offset)."""
    return WNID_PATTERN.fullmatch(text) is not None


def _require_file(path: str | os.PathLike, what: str, fix: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{what} {path} not found: {fix}")
    return path


def read_classids(path: str | os.PathLike) -> dict[str, str]:
    """Read a ``classids.txt`` file of lines ``<wnid> <lemma>`` into ``{wnid: lemma}`` (file order).

    The lemma is the rest of the line with runs of white space collapsed to one space (WordNet lemmas use ``_``
    for spaces, but a hand-made ``n02106662 German shepherd`` line is accepted too). Blank lines are ignored. A line
    whose first field is not a WordNet id raises UserInputError naming the file and line; a wnid with no name, or a
    wnid seen before (the first name wins), is skipped and counted in one logged warning.
    """
    path = _require_file(path, "WordNet class-id file", "give the path of classids.txt (lines '<wnid> <name>')")
    names: dict[str, str] = {}
    unnamed: list[str] = []
    repeated: list[str] = []
    try:
        with open(path, encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, start=1):
                fields = line.split()
                if not fields:
                    continue
                if not is_wnid(fields[0]):
                    raise UserInputError(
                        f"{path} line {lineno}: {line.strip()[:60]!r} does not start with a WordNet id like "
                        "'n01440764': every line must be '<wnid> <name>'; fix the line or use the right file"
                    )
                if len(fields) == 1:
                    unnamed.append(fields[0])
                elif fields[0] in names:
                    repeated.append(fields[0])
                else:
                    names[fields[0]] = " ".join(fields[1:])
    except UnicodeDecodeError as error:
        raise UserInputError(f"{path} is not UTF-8 text ({error.reason}): give a classids.txt text file") from None
    if not names:
        raise UserInputError(f"{path} holds no '<wnid> <name>' lines: give a classids.txt file")
    _warn_skipped(path, unnamed, repeated)
    log.info("%s: %d WordNet class names", path, len(names))
    return names


def _warn_skipped(path: Path, unnamed: list[str], repeated: list[str]) -> None:
    if unnamed:
        log.warning("%s: skipped %d WordNet ids with no name, e.g. %s", path, len(unnamed), unnamed[:_EXAMPLES])
    if repeated:
        log.warning("%s: skipped %d repeated WordNet ids (the first name wins), e.g. %s",
                    path, len(repeated), repeated[:_EXAMPLES])


def read_imagenet_index(path: str | os.PathLike) -> list[tuple[str, str]]:
    """Read ``imagenet_class_index.json`` (``{"0": ["n01440764", "tench"], ...}``) into ``[(wnid, label), ...]``.

    The list is in class-index order, so position ``i`` is the model's output ``i``. Keys must be exactly
    ``"0" .. "N-1"``, values ``[wnid, label]`` pairs of strings with distinct wnids; labels may repeat (ImageNet has
    two "crane" and two "maillot" classes). Anything else raises UserInputError.
    """
    path = _require_file(path, "ImageNet class index", "give the path of imagenet_class_index.json")
    fix = 'it must be a JSON object {"0": ["n01440764", "tench"], "1": [...], ...}; use the canonical file'
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except UnicodeDecodeError as error:
        raise UserInputError(f"{path} is not UTF-8 text ({error.reason}): {fix}") from None
    except json.JSONDecodeError as error:
        raise UserInputError(f"{path} line {error.lineno}: not valid JSON ({error.msg}): {fix}") from None
    if not isinstance(data, dict) or not data:
        raise UserInputError(f"{path}: the top level is not a non-empty JSON object: {fix}")
    expected = {str(i) for i in range(len(data))}
    if set(data) != expected:
        odd = sorted(set(data) - expected)[:_EXAMPLES]
        raise UserInputError(f"{path}: the keys are not the class indices 0..{len(data) - 1} (e.g. {odd}): {fix}")
    classes = [_index_entry(path, key, data[key], fix) for key in map(str, range(len(data)))]
    seen: dict[str, int] = {}
    for index, (wnid, _) in enumerate(classes):
        if wnid in seen:
            raise UserInputError(f"{path}: the wnid {wnid} is used by classes {seen[wnid]} and {index}: {fix}")
        seen[wnid] = index
    log.info("%s: %d ImageNet classes", path, len(classes))
    return classes


def _index_entry(path: Path, key: str, value: object, fix: str) -> tuple[str, str]:
    """One ``[wnid, label]`` value of the class index, checked."""
    if (not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) for v in value)
            or not value[1].strip()):
        raise UserInputError(f"{path}: class {key} is {json.dumps(value)[:60]}, not a [wnid, label] pair: {fix}")
    if not is_wnid(value[0]):
        raise UserInputError(f"{path}: class {key} has {value[0]!r} where a WordNet id like 'n01440764' belongs: {fix}")
    return value[0], value[1].strip()
