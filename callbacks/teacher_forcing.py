"""Anneal the teacher-forcing probability over the first epochs (the lesson's ``(10 - epoch) * 0.1``)."""
from __future__ import annotations

from typing import Literal

import pytorch_lightning as pl


class TeacherForcingScheduler(pl.Callback):
    """Set ``pl_module.teacher_forcing`` from the training progress.

    The probability falls linearly from ``start`` at epoch 0 to ``end`` at epoch ``decay_epochs`` and stays there
    (``unit="epoch"``, the lesson's schedule). With ``unit="step"`` the same ramp runs over ``decay_steps``
    optimizer steps instead; with ``unit="progress"`` over the first ``decay_fraction`` of the module's scheduled
    steps (``pl_module.total_steps``: the run's length, or its time budget's once ``TrainingBudget`` has measured
    it). It is set before every batch from the trainer's epoch / step alone, so a run resumed mid-epoch gets the
    right value without any saved state. Validation and test never use teacher forcing (they decode greedily).
    """

    def __init__(self, start: float = 1.0, end: float = 0.0, decay_epochs: int = 10,
                 unit: Literal["epoch", "step", "progress"] = "epoch", decay_steps: int = 10000,
                 decay_fraction: float = 0.67) -> None:
        if decay_epochs < 1 or decay_steps < 1 or not 0.0 < decay_fraction <= 1.0:
            raise ValueError(f"decay_epochs and decay_steps must be ≥ 1 and decay_fraction in (0, 1], got "
                             f"{decay_epochs}, {decay_steps}, {decay_fraction}")
        self.start, self.end, self.decay_epochs = start, end, decay_epochs
        self.unit, self.decay_steps, self.decay_fraction = unit, decay_steps, decay_fraction

    def probability(self, progress: float, span: float | None = None) -> float:
        """Teacher-forcing probability after ``progress`` epochs (or steps) of a ramp ``span`` long (default: the
        configured ``decay_epochs``, or ``decay_steps`` with ``unit="step"``)."""
        if span is None:
            span = self.decay_epochs if self.unit == "epoch" else self.decay_steps
        frac = min(progress, span) / max(span, 1e-9)
        return self.start + (self.end - self.start) * frac

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int) -> None:
        # set before every batch, not only at epoch start: a run resumed mid-epoch gets no epoch-start hook
        if self.unit == "epoch":
            pl_module.teacher_forcing = self.probability(trainer.current_epoch)
        elif self.unit == "step":
            pl_module.teacher_forcing = self.probability(trainer.global_step)
        else:
            span = self.decay_fraction * float(getattr(pl_module, "total_steps", trainer.estimated_stepping_batches))
            pl_module.teacher_forcing = self.probability(trainer.global_step, span)
