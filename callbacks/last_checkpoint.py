"""``last.ckpt``: the latest training state, rewritten at every epoch end and every N optimizer steps."""
from __future__ import annotations

import logging
import os
import shutil
from typing import Optional

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Checkpoint
from pytorch_lightning.trainer.states import TrainerFn

log = logging.getLogger(__name__)


class LastCheckpoint(Checkpoint):
    """Rewrite ``last.ckpt`` in the run's checkpoint folder (``--checkpoint.dirpath``) at the end of every epoch
    and, unless ``every_n_train_steps`` is ``None``, every that many optimizer steps, so a killed run loses at most
    that much work.

    Lightning's ``ModelCheckpoint(save_last=True)`` only refreshes ``last.ckpt`` when it also saves a top-k
    checkpoint, so after an epoch that did not improve the score its "last" is an older state; this callback always
    writes the current one. ``--ckpt_path last`` finds it (Lightning looks for ``last*.ckpt`` beside the
    ModelCheckpoint's files) and resumes mid-epoch when that is where it was written (``datamodules.resume``,
    ``callbacks.RngState``). Being a ``Checkpoint``, it runs after the other callbacks (and after the top-k
    ModelCheckpoint registered before it), so their saved state is up to date. Writes are atomic
    (``core.checkpoint_io``).

    Beside it, ``best.ckpt`` is kept as a link to the checkpoint the run's ModelCheckpoint selected by its monitored
    metric (``--ckpt_path best`` and ``translate.py``/``search.py --ckpt …/best.ckpt`` find it without its name).
    """

    FILENAME = "last.ckpt"
    BEST = "best.ckpt"

    def __init__(self, every_n_train_steps: Optional[int] = 500) -> None:
        if every_n_train_steps is not None and every_n_train_steps < 1:
            raise ValueError(f"every_n_train_steps must be ≥ 1 or null, got {every_n_train_steps}")
        self.every_n_train_steps = every_n_train_steps
        self._saved_step = -1

    @staticmethod
    def path(trainer: pl.Trainer) -> str:
        folder = next((cb.dirpath for cb in trainer.checkpoint_callbacks if getattr(cb, "dirpath", None)), None)
        return os.path.join(folder or os.path.join(trainer.default_root_dir, "checkpoints"), LastCheckpoint.FILENAME)

    def _save(self, trainer: pl.Trainer) -> None:
        if trainer.fast_dev_run or trainer.sanity_checking or trainer.state.fn != TrainerFn.FITTING:
            return
        self._saved_step, path = trainer.global_step, self.path(trainer)
        trainer.save_checkpoint(path, weights_only=False)  # every rank calls: saving is collective under DDP
        log.debug("step %d: wrote %s", trainer.global_step, path)
        if trainer.is_global_zero:
            self._link_best(trainer, os.path.dirname(path))

    def _link_best(self, trainer: pl.Trainer, folder: str) -> None:
        """Point ``best.ckpt`` at the ModelCheckpoint's selected file (a relative link, replaced atomically; a copy
        where links are not possible)."""
        best = getattr(trainer.checkpoint_callback, "best_model_path", "") or ""
        if not best or not os.path.isfile(best) or os.path.dirname(os.path.abspath(best)) != os.path.abspath(folder):
            return
        link, tmp = os.path.join(folder, self.BEST), os.path.join(folder, f".{self.BEST}.tmp")
        if os.path.islink(link) and os.readlink(link) == os.path.basename(best):
            return
        if os.path.lexists(tmp):
            os.remove(tmp)
        try:
            os.symlink(os.path.basename(best), tmp)
        except OSError:
            shutil.copyfile(best, tmp)
        os.replace(tmp, link)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch,
                           batch_idx: int) -> None:
        step, every = trainer.global_step, self.every_n_train_steps
        if every and step > 0 and step % every == 0 and step != self._saved_step:
            self._save(trainer)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._save(trainer)  # after the epoch's validation, so the ModelCheckpoint state includes its score
