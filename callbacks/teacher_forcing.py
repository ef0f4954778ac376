"""Anneal the teacher-forcing probability over the first epochs (the lesson's ``(10 - epoch) * 0.1``)."""
from __future__ import annotations

import pytorch_lightning as pl


class TeacherForcingScheduler(pl.Callback):
    """Set ``pl_module.teacher_forcing`` at the start of every training epoch.

    The probability falls linearly from ``start`` at epoch 0 to ``end`` at epoch ``decay_epochs`` and stays there.
    It is computed from ``trainer.current_epoch`` alone, so a resumed run gets the right value without any saved
    state. Validation and test never use teacher forcing (they decode greedily).
    """

    def __init__(self, start: float = 1.0, end: float = 0.0, decay_epochs: int = 10) -> None:
        if decay_epochs < 1:
            raise ValueError(f"decay_epochs must be ≥ 1, got {decay_epochs}")
        self.start, self.end, self.decay_epochs = start, end, decay_epochs

    def probability(self, epoch: int) -> float:
        frac = min(epoch, self.decay_epochs) / self.decay_epochs
        return self.start + (self.end - self.start) * frac

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pl_module.teacher_forcing = self.probability(trainer.current_epoch)
