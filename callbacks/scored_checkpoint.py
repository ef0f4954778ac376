"""Which checkpoint a ``test`` or ``validate`` run scored, for the reports: its file, epoch and step, and whether it
is the one the run's ModelCheckpoint selected by its monitored metric (read from the checkpoint's own saved
ModelCheckpoint state, so it holds in a later process too). "Chosen by" is only ever said when it is true."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
import torch


@dataclass(frozen=True)
class ScoredCheckpoint:
    """``path`` None means the weights in memory (an untrained model, or the end of a fit in this process)."""

    path: str | None
    epoch: int | None
    step: int | None
    monitor: str | None
    best_path: str | None
    best_score: float | None

    @property
    def selected(self) -> bool:
        """Whether this is the checkpoint the monitored metric selected."""
        if not (self.path and self.best_path and self.monitor):
            return False
        mine, best = os.path.realpath(self.path), os.path.realpath(self.best_path)
        return mine == best or (not os.path.exists(best) and Path(mine).name == Path(best).name)

    def sentence(self) -> str:
        """One Markdown sentence naming what was scored."""
        if self.path is None:
            return ("Checkpoint: none; these are the weights in memory (an untrained model unless this process "
                    "trained it), not a saved checkpoint.")
        where = f"`{Path(self.path).name}`" + (f" → `{Path(os.path.realpath(self.path)).name}`"
                                               if os.path.islink(self.path) else "")
        when = f"epoch {self.epoch}, step {self.step:,}" if self.epoch is not None else "epoch unknown"
        if self.selected:
            score = f", {self.best_score:.4g}" if self.best_score is not None else ""
            return f"Checkpoint: {where} ({when}), the one `{self.monitor}` selected on the validation split{score}."
        if self.monitor and self.best_path:
            return (f"Checkpoint: {where} ({when}); not the one `{self.monitor}` selected "
                    f"(`{Path(self.best_path).name}`: score it with `--ckpt_path best`).")
        return f"Checkpoint: {where} ({when}); no monitored metric selected a checkpoint in its run."


def _model_checkpoint_state(ckpt: dict) -> dict:
    for key, state in (ckpt.get("callbacks") or {}).items():
        if str(key).startswith("ModelCheckpoint") and isinstance(state, dict):
            return state
    return {}


def scored_checkpoint(trainer: pl.Trainer) -> ScoredCheckpoint:
    """What ``trainer`` scored in its current ``test``/``validate``/``predict`` run."""
    path = trainer.ckpt_path
    if not path or not Path(path).is_file():
        return ScoredCheckpoint(None, None, None, None, None, None)
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    state = _model_checkpoint_state(ckpt)
    score = state.get("best_model_score")
    best = state.get("best_model_path") or None
    if best and not os.path.isabs(best):
        best = str(Path(path).parent / Path(best).name)
    return ScoredCheckpoint(str(path), ckpt.get("epoch"), ckpt.get("global_step"), state.get("monitor"), best,
                            float(score) if score is not None else None)
