"""Leave no empty ``version_N`` folder behind when a run fails before it trained or reported anything."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.trainer.states import TrainerFn

log = logging.getLogger(__name__)
BOOKKEEPING = ("hparams.yaml", "config.yaml", "metrics.csv", "events.out.tfevents")


class RemoveEmptyRunOnFailure(pl.Callback):
    """On an exception, remove each logger's run folder if it holds only what every run writes at its start
    (hyperparameters, the config copy, empty logs) and the run had not trained a step."""

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if not trainer.is_global_zero or (trainer.state.fn == TrainerFn.FITTING and trainer.global_step > 0):
            return
        for logger in trainer.loggers:
            folder = getattr(logger, "log_dir", None)
            if not folder or not Path(folder).is_dir():
                continue
            files = [p for p in Path(folder).rglob("*") if p.is_file()]
            if all(p.name.startswith(BOOKKEEPING) for p in files):
                shutil.rmtree(folder, ignore_errors=True)
                log.debug("removed %s: the run failed before writing anything of its own", folder)
