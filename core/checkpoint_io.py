"""Checkpoint files: written atomically in their own folder, checked to fit the model before loading."""
from __future__ import annotations

from typing import Any, Optional

import torch
from lightning_fabric.plugins import TorchCheckpointIO

from core.atomic import atomic_open
from core.errors import UserInputError


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` whose local writes go to a temporary file beside the target, are flushed to disk and
    then renamed over it. Lightning's own writer stages in the system temp folder and *moves* the file, which is a
    copy (and can leave a half-written ``last.ckpt``) when that folder is on another file system. Remote paths
    (``s3://`` …) use Lightning's writer."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Optional[Any] = None) -> None:
        if storage_options is not None or "://" in str(path):
            return super().save_checkpoint(checkpoint, path, storage_options)
        with atomic_open(path, "wb") as handle:
            torch.save(checkpoint, handle)


def check_checkpoint_fits(module: torch.nn.Module, checkpoint: dict[str, Any], ckpt_path: Optional[str]) -> None:
    """Raise ``UserInputError`` (one line) when ``checkpoint``'s weights do not fit ``module``: written by the
    other task, or by a run with other vocabulary or word-vector sizes. Without this, loading fails later with
    torch's multi-line "size mismatch" report."""
    saved = checkpoint.get("state_dict") or {}
    own = module.state_dict()
    name = ckpt_path or "the checkpoint"
    missing = [k for k in own if k not in saved]
    if not saved or len(missing) == len(own):
        raise UserInputError(f"{name} holds none of this model's weights (written by the other task?): pass a "
                             f"checkpoint written with the same configs/<task>/ YAML")
    wrong = [f"{k} {tuple(saved[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
             if k in saved and tuple(saved[k].shape) != tuple(v.shape)]
    if wrong:
        raise UserInputError(f"{name} does not fit this model: {len(wrong)} weight(s) of another size, e.g. "
                             f"{wrong[0]} (saved vs now); use the data and word-vector settings of the run that "
                             "wrote it, or train without --ckpt_path")
