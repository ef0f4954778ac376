"""Load a trained LightningModule from a checkpoint file for inference, including checkpoints written before the
network's hyperparameters were grouped under ``net`` (they are regrouped in memory; the file is not touched)."""
from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

import torch

if TYPE_CHECKING:  # Lightning is not imported at run time: inference code regroups hyperparameters without it
    import pytorch_lightning as pl

T = TypeVar("T", bound="pl.LightningModule")


def group_hyperparameters(hparams: dict, config_cls: type, dropped: tuple[str, ...] = ()) -> dict:
    """Flat hyperparameters of an older checkpoint → the current form: the fields of ``config_cls`` (the network's
    group) under ``net``, the rest as they were, ``dropped`` (arguments that moved elsewhere) removed."""
    if "net" in hparams:
        return hparams
    names = {f.name for f in dataclasses.fields(config_cls)}
    rest = {k: v for k, v in hparams.items() if k not in names and k not in dropped}
    return {**rest, "net": {k: v for k, v in hparams.items() if k in names}}


def load_module(cls: type[T], path: str | Path, config_cls: type, map_location: str = "cpu",
                dropped: tuple[str, ...] = (), adjust: Callable[[dict], dict] | None = None, **overrides) -> T:
    """``cls.load_from_checkpoint`` of ``path`` (read with ``weights_only=True``), its hyperparameters regrouped
    by :func:`group_hyperparameters` when it predates ``net`` and then passed through ``adjust``; ``overrides``
    replace hyperparameters."""
    raw = torch.load(path, map_location="cpu", weights_only=True)
    hparams = group_hyperparameters(raw.get("hyper_parameters", {}), config_cls, dropped)
    raw["hyper_parameters"] = adjust(hparams) if adjust else hparams
    buffer = io.BytesIO()
    torch.save(raw, buffer)
    buffer.seek(0)
    return cls.load_from_checkpoint(buffer, map_location=map_location, weights_only=True, **overrides)
