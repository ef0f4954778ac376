"""Image transforms matching a timm backbone's preprocessing, with overrides for offline weights."""
from __future__ import annotations

import logging
import re
from typing import Any, Callable, Mapping

import torch

from core.errors import UserInputError
from core.hashing import short_hash

log = logging.getLogger("datamodules.images.transforms")

# data-config keys (timm.data.resolve_data_config) and augmentation keys (timm.data.create_transform) one may set
DATA_KEYS = ("input_size", "interpolation", "mean", "std", "crop_pct", "crop_mode")
AUGMENT_KEYS = ("scale", "ratio", "hflip", "vflip", "color_jitter", "auto_augment", "re_prob")
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "box", "hamming", "lanczos")
CROP_MODES = ("center", "squash", "border")


def _check_overrides(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` validated, with ``input_size`` as ``(3, H, W)`` and mean/std as float tuples."""
    unknown = sorted(set(overrides) - set(DATA_KEYS) - set(AUGMENT_KEYS))
    if unknown:
        raise UserInputError(f"unknown transform override(s) {unknown}: use {', '.join(DATA_KEYS + AUGMENT_KEYS)}")
    checked = dict(overrides)
    for key in ("mean", "std"):
        if key in checked:
            value = checked[key]
            values = (value,) * 3 if isinstance(value, (int, float)) else tuple(value)
            if len(values) != 3 or not all(isinstance(v, (int, float)) for v in values):
                raise UserInputError(f"transform {key}={value!r}: give 3 numbers (one per RGB channel) or one number")
            if key == "std" and min(values) <= 0:
                raise UserInputError(f"transform std={value!r}: every std must be above 0")
            checked[key] = tuple(float(v) for v in values)
    if "interpolation" in checked and checked["interpolation"] not in INTERPOLATIONS:
        raise UserInputError(f"transform interpolation={checked['interpolation']!r}: use one of {INTERPOLATIONS}")
    if "crop_mode" in checked and checked["crop_mode"] not in CROP_MODES:
        raise UserInputError(f"transform crop_mode={checked['crop_mode']!r}: use one of {CROP_MODES}")
    if "crop_pct" in checked:
        crop_pct = checked["crop_pct"]
        if not isinstance(crop_pct, (int, float)) or not 0 < crop_pct <= 1:
            raise UserInputError(f"transform crop_pct={crop_pct!r}: give a fraction in (0, 1], e.g. 0.875 to resize "
                                 "to 256 and centre-crop 224")
    if "input_size" in checked:
        checked["input_size"] = _input_size(checked["input_size"])
    return checked


def _input_size(value: Any) -> tuple[int, int, int]:
    """``224`` / ``(224, 224)`` / ``(3, 224, 224)`` -> ``(3, H, W)``."""
    sizes = (value,) if isinstance(value, int) else tuple(value) if isinstance(value, (list, tuple)) else ()
    if len(sizes) == 3 and sizes[0] == 3:
        sizes = sizes[1:]
    if len(sizes) == 1:
        sizes = sizes * 2
    if len(sizes) != 2 or not all(isinstance(s, int) and s > 0 for s in sizes):
        raise UserInputError(f"transform input_size={value!r}: give a size like 224, (224, 224) or (3, 224, 224)")
    return (3, sizes[0], sizes[1])


def make_transforms(
    backbone_name: str, train: bool, pretrained_cfg_overrides: Mapping[str, Any] | None = None,
    weights: str | None = None,
) -> Callable[[Any], torch.Tensor]:
    """timm preprocessing for ``backbone_name``: PIL image -> normalised float tensor ``(3, H, W)``.

    ``train=True`` gives timm's training pipeline (random-resized crop, horizontal flip, colour jitter);
    ``train=False`` resizes the short side to ``H / crop_pct`` and centre-crops ``(H, W)``. ``pretrained_cfg_overrides``
    replaces config values (keys ``DATA_KEYS``: input_size, interpolation, mean, std, crop_pct, crop_mode) or sets
    training augmentations (``AUGMENT_KEYS``); e.g. the offline EfficientNet-Lite0 weights need
    ``{"mean": 0.5, "std": 0.5, "interpolation": "bicubic", "crop_pct": 0.875}`` (resize 256, centre crop 224),
    which ``weights="efficientnet-lite0-package"`` selects by itself (see ``backbone_data_config``).
    """
    import timm.data

    from datamodules.images.backbone import backbone_data_config

    overrides = _check_overrides(pretrained_cfg_overrides or {})
    config = {k: v for k, v in backbone_data_config(backbone_name, weights).items() if k in DATA_KEYS}
    config.update({key: value for key, value in overrides.items() if key in DATA_KEYS})
    augment = {key: value for key, value in overrides.items() if key in AUGMENT_KEYS}
    transform = timm.data.create_transform(**config, **augment, is_training=train)
    log.debug("%s transform for %s: %s", "training" if train else "evaluation", backbone_name, transform)
    return transform


def transform_fingerprint(transform: Any) -> str:
    """Short stable hash of ``repr(transform)`` for cache keys (memory addresses like ``at 0x7f..`` are removed,
    so a lambda inside the pipeline does not change the key from run to run)."""
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(transform))
    return short_hash(text, length=16)
