"""``predictions.tsv``: the translations ``predict`` made, written by a Lightning ``BasePredictionWriter``."""
from __future__ import annotations

import logging
from typing import Any, Sequence

import pytorch_lightning as pl
from pytorch_lightning.callbacks import BasePredictionWriter

from core.atomic import atomic_write_text
from core.distributed import gather_lists, run_dir

log = logging.getLogger(__name__)


class PredictionWriter(BasePredictionWriter):
    """After ``predict``, write ``source<TAB>translation`` lines in dataset order to ``predictions.tsv`` in the
    run's log folder, from every process's predictions (dicts with ``index``, ``source``, ``translation``, as
    ``Seq2SeqModule.predict_step`` returns them); other predictions are ignored."""

    def __init__(self, filename: str = "predictions.tsv") -> None:
        super().__init__(write_interval="epoch")
        self.filename = filename

    def write_on_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, predictions: Sequence[Any],
                           batch_indices: Sequence[Any] | None) -> None:
        batches = predictions[0] if predictions and isinstance(predictions[0], list) else predictions
        rows = [(i, s, t) for b in batches if isinstance(b, dict) and "translation" in b
                for i, s, t in zip(b["index"], b["source"], b["translation"])]
        rows = sorted(gather_lists(rows))
        if rows and trainer.is_global_zero:
            path = run_dir(trainer) / self.filename
            atomic_write_text(path, "source\ttranslation\n" + "".join(f"{s}\t{t}\n" for _, s, t in rows))
            log.info("predictions: %s", path)
