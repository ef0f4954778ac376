"""``--ckpt_path`` for ``train.py``: the names ``best`` and ``last`` resolved in the run's checkpoint folder, and one
clear line for a folder, a checkpoint that resumes nothing, or a checkpoint of the other task."""
from __future__ import annotations

from pathlib import Path

import torch

from core.errors import UserInputError

# the key each task's LightningModule stores in its checkpoints, by the module's class name
TASK_KEYS = {"Seq2SeqModule": ("translation_vocab", "translation", "configs/translate/*.yaml", "translate.py"),
             "DeviseModule": ("devise_classes", "DeViSE", "configs/devise/*.yaml", "search.py")}


def resolve(value: str | None, subcommand: str, folder: str | None) -> str | None:
    """``best`` → ``<folder>/best.ckpt`` (the checkpoint the monitored metric selected); ``last`` →
    ``<folder>/last.ckpt`` when it exists (``fit`` resumes it; with none there, one error line rather than
    Lightning's hint); anything else as given, once checked not to be a folder."""
    if value is None:
        return None
    base = Path(folder) if folder else None
    if value in ("best", "last"):
        path = base / f"{value}.ckpt" if base else None
        if path is None or not path.is_file():
            where = base or "the run's checkpoint folder (--checkpoint.dirpath)"
            fix = ("drop --ckpt_path to start a new run" if subcommand == "fit" and value == "last" else
                   "train first (`train.py fit` with this config), or pass a .ckpt file")
            raise UserInputError(f"--ckpt_path {value}: there is no {value}.ckpt in {where}: {fix}")
        return str(path)
    if Path(value).is_dir():
        inside = sorted(Path(value).rglob("*.ckpt"))
        hint = f"e.g. {inside[0]}" if inside else "it holds no .ckpt file"
        raise UserInputError(f"--ckpt_path {value} is a folder, not a checkpoint file: pass a .ckpt ({hint}), or "
                             "best / last")
    return value


def check_task(path: str, model_class_path: str, config_files: list[str]) -> None:
    """One error line when ``path`` was written by the other task's model than the one the config trains."""
    wanted = TASK_KEYS.get(model_class_path.rsplit(".", 1)[-1])
    if wanted is None or not Path(path).is_file():
        return
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:  # noqa: BLE001 - pickle/zip errors come in many types
        raise UserInputError(f"--ckpt_path {path} could not be read as a checkpoint ({type(error).__name__}): "
                             "pass a .ckpt written by train.py") from None
    if not isinstance(ckpt, dict) or ckpt.get(wanted[0]):
        return
    other = next((t for t in TASK_KEYS.values() if t[0] != wanted[0] and ckpt.get(t[0])), None)
    configs = " ".join(f"-c {c}" for c in config_files) or "this config"
    what = f"a {other[1]} checkpoint (use it with {other[2]} or {other[3]})" if other else "not from this project"
    raise UserInputError(f"--ckpt_path {path} is {what}, but {configs} is a {wanted[1]} run: pass a checkpoint "
                         f"trained with {wanted[2]}")
