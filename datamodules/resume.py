"""Training batches that follow the trainer's epoch and resume mid-epoch where a checkpoint left off.

Lightning calls ``set_epoch`` only on a loader's ``sampler`` (or ``batch_sampler.sampler``), never on a batch
sampler, and on resume it builds the loader's iterator before setting the epoch. ``ResumableBatchSampler`` therefore
reads the epoch itself when iteration starts, and skips the batches a checkpoint says were already trained on
(indices only: no skipped sample is loaded). ``ResumableTrainData`` is the DataModule side: it saves the position
(epoch, batches done) in the checkpoint and hands it to the next training loader.
"""
from __future__ import annotations

import itertools
import logging
import warnings
from typing import Any, Callable, Iterator, Optional

from pytorch_lightning.trainer.states import TrainerFn
from torch.utils.data import Sampler

from core.distributed import world_and_rank

log = logging.getLogger(__name__)


def _set_epoch(batches: Any, epoch: int) -> None:
    """Call ``set_epoch`` on a batch sampler and on the sampler it wraps, whichever have it."""
    for obj in (batches, getattr(batches, "sampler", None)):
        if callable(getattr(obj, "set_epoch", None)):
            obj.set_epoch(epoch)


class ResumableBatchSampler(Sampler[list[int]]):
    """Yield ``batches`` (a batch sampler: lists of dataset indices) for the current epoch.

    ``epoch`` returns the epoch to draw (the trainer's ``current_epoch``); it is read when iteration starts, and
    the wrapped sampler's ``set_epoch`` (and its ``sampler``'s) is called with it. After ``resume_at(epoch, done)``
    the next pass draws that epoch without its first ``done`` batches; ``len`` stays the full epoch's count, as
    Lightning expects of a resumed loader. With ``with_epoch`` each index comes as ``(epoch, index)``, for datasets
    that seed per item (``datamodules.images.seeded.EpochSeededItems``).
    """

    def __init__(self, batches: Sampler[list[int]], epoch: Optional[Callable[[], int]] = None,
                 with_epoch: bool = False) -> None:
        self.batches = batches
        self.epoch_fn, self.with_epoch = epoch, with_epoch
        self.epoch = 0
        self._resume: Optional[tuple[int, int]] = None

    def set_epoch(self, epoch: int) -> None:
        """Epoch to use when no ``epoch`` callable was given (e.g. the loader is iterated by hand)."""
        self.epoch = epoch

    def resume_at(self, epoch: int, done: int) -> None:
        """Make the next pass draw ``epoch`` (whatever the trainer says then) and skip its first ``done`` batches.

        Lightning builds a resumed loader's iterator before it restores the epoch counter, and with worker
        processes the first indices are drawn right then, so the resumed epoch has to be given explicitly."""
        self._resume = (epoch, done)

    def __iter__(self) -> Iterator[list[int]]:
        if self._resume is not None:
            (epoch, skip), self._resume = self._resume, None
            if skip:
                log.info("resuming epoch %d after batch %d of %d", epoch, skip, len(self))
        else:
            epoch, skip = (self.epoch_fn() if self.epoch_fn is not None else self.epoch), 0
        _set_epoch(self.batches, epoch)
        for batch in itertools.islice(iter(self.batches), skip, None):
            yield [(epoch, i) for i in batch] if self.with_epoch else batch

    def __len__(self) -> int:
        return len(self.batches)


class ResumableTrainData:
    """Mixin for LightningDataModules: the training position goes into checkpoints and comes back on resume.

    Use ``self.resumable(batch_sampler)`` as the training loader's ``batch_sampler``. The saved position is the
    trainer's epoch and the number of batches this epoch whose optimizer step has run, so ``--ckpt_path last``
    from a checkpoint written every N steps continues with the next unseen batch. A different number of
    processes on resume rescales the position (approximately: shards differ) and says so.
    """

    trainer: Any
    _resume_position: Optional[dict] = None

    def _world(self) -> int:
        return world_and_rank(self.trainer)[0]

    def _current_epoch(self) -> int:
        return self.trainer.current_epoch if self.trainer is not None else 0

    def resumable(self, batches: Sampler[list[int]], with_epoch: bool = False) -> ResumableBatchSampler:
        sampler = ResumableBatchSampler(batches, self._current_epoch, with_epoch)
        position, self._resume_position = self._resume_position, None
        # checkpoints older than the "finished" flag are judged by their batch count
        finished = bool(position) and position.get("finished", position["batches"] >= len(sampler))
        if finished:  # written at an epoch's end: the next epoch starts afresh
            sampler.resume_at(position["epoch"] + 1, 0)
        elif position:
            done = position["batches"]
            if position.get("world", 1) != self._world():
                done = done * position["world"] // self._world()
                log.warning("checkpoint written with %d processes, resuming with %d: the position in epoch %d is "
                            "approximate", position["world"], self._world(), position["epoch"])
            sampler.resume_at(position["epoch"], min(done, len(sampler)))
        return sampler

    def state_dict(self) -> dict[str, Any]:
        trainer = self.trainer
        if trainer is None or trainer.state.fn != TrainerFn.FITTING:
            return {}
        done = trainer.fit_loop.epoch_loop.batch_progress.current.processed
        return {"train_position": {"epoch": trainer.current_epoch, "batches": done, "world": self._world(),
                                   "finished": done >= trainer.num_training_batches}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._resume_position = state_dict.get("train_position")
        if self._resume_position:  # Lightning warns that a plain loader cannot resume mid-epoch; this one can
            warnings.filterwarnings("ignore", message=".*your dataloader is not resumable.*")
