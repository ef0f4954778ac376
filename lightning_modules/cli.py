"""The project's ``LightningCLI``: default callbacks and loggers, and data-dependent sizes linked into the model."""
from __future__ import annotations

import logging
import sys

import pytorch_lightning as pl
import torch
from lightning_fabric.plugins import CheckpointIO
from pytorch_lightning.callbacks import LearningRateMonitor, ProgressBar, RichProgressBar
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI

from callbacks.last_checkpoint import LastCheckpoint
from callbacks.rng_state import RngState
from datamodules.errors import UserInputError, as_user_error
from lightning_modules.checkpoint_io import AtomicCheckpointIO

# (DataModule attribute, model init argument) pairs linked at instantiation, when both sides have them.
TRANSLATION_LINKS = (
    ("src_vocab_size", "src_vocab_size"),
    ("tgt_vocab_size", "tgt_vocab_size"),
    ("src_emb_dim", "src_emb_dim"),
    ("tgt_emb_dim", "tgt_emb_dim"),
    ("max_tgt_len", "max_decode_len"),
)

# DeViSE: feature/vector sizes and the backbone, from ImageWordVectorDataModule into DeviseModule.
DEVISE_LINKS = (
    ("feature_dim", "in_features"),
    ("vector_dim", "out_dim"),
    ("backbone", "backbone"),
    ("backbone_weights", "backbone_weights"),
    ("precompute", "precomputed"),
)


class LessonCLI(LightningCLI):
    """``python train.py {fit,validate,test,predict} -c configs/<task>/<experiment>.yaml``.

    Adds to every run a ModelCheckpoint (``--checkpoint.*``: the best by ``val/bleu``), a ``LastCheckpoint``
    (``--last_checkpoint.every_n_train_steps``: ``last.ckpt`` each epoch and every N steps, in the same folder),
    random states saved in checkpoints, atomic checkpoint writes, a learning-rate monitor and a rich progress bar,
    and links the DataModule's data-dependent sizes into the model. ``--ckpt_path last`` resumes from ``last.ckpt``,
    mid-epoch if that is where it was written.
    """

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.monitor": "val/bleu", "checkpoint.mode": "max", "checkpoint.save_last": False,
                             "checkpoint.filename": "epoch{epoch:03d}-bleu{val/bleu:.2f}",
                             "checkpoint.auto_insert_metric_name": False})
        parser.add_lightning_class_args(LastCheckpoint, "last_checkpoint")  # after "checkpoint": saves after it
        # a link whose DataModule attribute or model argument does not exist for the chosen classes is skipped by
        # jsonargparse, so one CLI serves both tasks (tests check that each task's sizes arrive)
        for src, dst in TRANSLATION_LINKS + DEVISE_LINKS:
            parser.link_arguments(f"data.{src}", f"model.init_args.{dst}", apply_on="instantiate")

    def _instantiate_trainer(self, config: dict, callbacks: list) -> pl.Trainer:
        """As LightningCLI's, but ``--trainer.enable_progress_bar false`` drops the default progress bar and
        ``--trainer.logger false`` the default learning-rate monitor (each would refuse to run otherwise), and
        checkpoints are written atomically unless another ``CheckpointIO`` plugin is given; asking for synchronised
        batch norm without a GPU is one clear error rather than torch's traceback at the first batch."""
        unwanted = (ProgressBar,) * (config.get("enable_progress_bar") is False)
        unwanted += (LearningRateMonitor,) * (config.get("logger") is False)
        defaults = self.trainer_defaults.get("callbacks", [])
        self.trainer_defaults = {**self.trainer_defaults,
                                 "callbacks": [c for c in defaults if not isinstance(c, unwanted)]}
        if config.get("sync_batchnorm") and not torch.cuda.is_available():
            raise UserInputError("--trainer.sync_batchnorm needs GPUs (torch's SyncBatchNorm is CUDA-only): leave it "
                                 "off on CPU, as configs/trainer/ddp_cpu.yaml does")
        plugins = config.get("plugins") or []
        plugins = plugins if isinstance(plugins, list) else [plugins]
        if not any(isinstance(p, CheckpointIO) for p in plugins):
            config = {**config, "plugins": [*plugins, AtomicCheckpointIO()]}
        return super()._instantiate_trainer(config, callbacks)


class _StderrHandler(logging.StreamHandler):
    """A StreamHandler on whatever ``sys.stderr`` is when a record is written (it may be redirected later)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _show_project_logs() -> None:
    """Send the project's INFO logs (counts of kept/skipped pairs, missing vectors, report paths) to stderr."""
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for name in ("datamodules", "lightning_modules", "callbacks"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)


def cli_main(args: list[str] | None = None, run: bool = True) -> LessonCLI | None:
    """Run the CLI; bad user input prints one line and exits with status 2 instead of a traceback. With
    ``run=False`` the config is only parsed and its classes instantiated (the DataModule's cache is built)."""
    _show_project_logs()
    try:
        return LessonCLI(subclass_mode_model=True, subclass_mode_data=True, seed_everything_default=0,
                         trainer_defaults={"callbacks": [LearningRateMonitor(logging_interval="step"),
                                                         RichProgressBar(leave=True), RngState()],
                                           # both DataModules shard by rank themselves (length-grouped batches
                                           # kept, no padding duplicates); Lightning's wrapper would undo that
                                           "use_distributed_sampler": False},
                         save_config_kwargs={"overwrite": True}, args=args, run=run)
    except FileNotFoundError as exc:  # Lightning's own message for a --ckpt_path that does not exist
        if "checkpoint" not in str(exc).lower():
            raise
        print(f"error: {exc}: pass an existing .ckpt (e.g. runs/<experiment>/checkpoints/last.ckpt), or `last` "
              "to resume the newest one", file=sys.stderr)
        raise SystemExit(2) from None
    except (UserInputError, OSError) as exc:  # bad input; a folder, config copy or checkpoint that cannot be written
        error = as_user_error(exc)
        if error is None:
            raise
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
