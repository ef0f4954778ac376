"""What the command-line entry points check before loading a model: that a checkpoint path is a file (with real
suggestions when it is not) and that a device exists. Each failure is one ``UserInputError`` line."""
from __future__ import annotations

from pathlib import Path

import torch

from core.errors import UserInputError


def _newest(paths: list[Path], n: int = 3) -> list[str]:
    return [str(p) for p in sorted(paths, key=lambda p: p.stat().st_mtime, reverse=True)[:n]]


def suggestions(root: Path, experiment_hint: str) -> list[str]:
    """Checkpoint files that exist under ``root`` (``runs/`` by default), newest first, those whose path names the
    hinted experiment (e.g. ``translate``) first."""
    if not root.is_dir():
        return []
    found = [p for p in root.rglob("*.ckpt") if p.is_file()]
    hinted = [p for p in found if experiment_hint in str(p)]
    return _newest(hinted or found)


def checkpoint_file(path: str | Path, experiment_hint: str, make_target: str) -> Path:
    """``path`` as an existing checkpoint file, else one clear error: a folder (naming the checkpoints inside it)
    or a missing file (naming real checkpoints under ``runs/``, or how to make one: ``make_target``)."""
    path = Path(path)
    if path.is_dir():
        inside = _newest([p for p in path.rglob("*.ckpt") if p.is_file()])
        hint = f"e.g. {inside[0]}" if inside else "it holds no .ckpt file"
        raise UserInputError(f"checkpoint {path} is a folder, not a file: pass a .ckpt file ({hint})")
    if not path.is_file():
        found = suggestions(Path("runs"), experiment_hint)
        hint = (f"checkpoints here: {', '.join(found)}" if found else
                f"none exists under runs/ yet: `{make_target}` trains one")
        raise UserInputError(f"checkpoint {path} not found: pass a .ckpt written by `train.py fit` ({hint})")
    return path


def check_device(device: str) -> str:
    """``device`` if this machine has it, else one clear error naming what it has."""
    kind = device.split(":")[0]
    if kind == "cpu":
        return device
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise UserInputError(f"--device {device}: this machine has no CUDA GPU (torch sees none): use --device cpu")
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise UserInputError(f"--device {device}: only {torch.cuda.device_count()} GPU(s) here: use cuda:0 "
                                 f"… cuda:{torch.cuda.device_count() - 1}")
        return device
    if kind == "mps":
        if not torch.backends.mps.is_available():
            raise UserInputError(f"--device {device}: Apple's MPS is not available here: use --device cpu")
        return device
    raise UserInputError(f"--device {device}: unknown device: use cpu, cuda, cuda:N or mps")


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"
