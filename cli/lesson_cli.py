"""The project's ``LightningCLI``: default callbacks and loggers, and data-dependent sizes linked into the model."""
from __future__ import annotations

import contextlib
import io
import logging
import sys

import pytorch_lightning as pl
import torch
from lightning_fabric.plugins import CheckpointIO
from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint, ProgressBar, RichProgressBar
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI

from callbacks.bleu_report import BleuReport
from callbacks.devise_report import DeviseReport
from callbacks.last_checkpoint import LastCheckpoint
from callbacks.prediction_writer import PredictionWriter
from callbacks.rng_state import RngState
from cli import ckpt_path
from cli.failed_run import RemoveEmptyRunOnFailure
from cli.parse_errors import short_error
from cli.quiet import quiet_third_party
from core.checkpoint_io import AtomicCheckpointIO
from core.errors import UserInputError, as_user_error

# (DataModule attribute, model init argument) pairs linked at instantiation, when both sides have them.
TRANSLATION_LINKS = (
    ("src_vocab_size", "net.src_vocab_size"),
    ("tgt_vocab_size", "net.tgt_vocab_size"),
    ("src_emb_dim", "net.src_emb_dim"),
    ("tgt_emb_dim", "net.tgt_emb_dim"),
    ("max_tgt_len", "max_decode_len"),
)

# DeViSE: feature/vector sizes and the backbone, from ImageWordVectorDataModule into DeviseModule.
DEVISE_LINKS = (
    ("feature_dim", "net.in_features"),
    ("vector_dim", "net.out_dim"),
    ("backbone", "net.backbone"),
    ("backbone_weights", "net.backbone_weights"),
    ("precompute", "net.precomputed"),
)


class LessonCLI(LightningCLI):
    """``python train.py {fit,validate,test,predict} -c configs/<task>/<experiment>.yaml [-c overlay.yaml]``.

    Adds to every run a ModelCheckpoint (``--checkpoint.*``; each config names the score it monitors), a
    ``LastCheckpoint`` (``--last_checkpoint.every_n_train_steps``: ``last.ckpt`` each epoch and every N steps, in
    the same folder), the report callbacks (``--bleu_report.*``, ``--prediction_writer.*``, ``--devise_report.*``:
    each acts on its own task's model), random states saved in checkpoints, atomic checkpoint writes, a
    learning-rate monitor and a rich progress bar, and links the DataModule's data-dependent sizes into the model.
    ``--ckpt_path last`` resumes from ``last.ckpt``, mid-epoch if that is where it was written; ``--ckpt_path
    best`` is the checkpoint the monitored metric selected. ``test``/``validate``/``predict`` refuse to score a
    model without a checkpoint unless ``--untrained true`` says so.
    """

    EVAL_COMMANDS = ("test", "validate", "predict")

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.mode": "max", "checkpoint.save_last": False,
                             "checkpoint.filename": "epoch{epoch:03d}", "checkpoint.auto_insert_metric_name": False})
        parser.add_lightning_class_args(LastCheckpoint, "last_checkpoint")  # after "checkpoint": saves after it
        parser.add_lightning_class_args(BleuReport, "bleu_report")
        parser.add_lightning_class_args(PredictionWriter, "prediction_writer")
        parser.add_lightning_class_args(DeviseReport, "devise_report")
        parser.add_argument("--untrained", type=bool, default=False,
                            help="test/validate/predict: score the initial weights (no --ckpt_path) on purpose")
        # a link whose DataModule attribute or model argument does not exist for the chosen classes is skipped by
        # jsonargparse, so one CLI serves both tasks (tests check that each task's sizes arrive)
        for src, dst in TRANSLATION_LINKS + DEVISE_LINKS:
            parser.link_arguments(f"data.{src}", f"model.init_args.{dst}", apply_on="instantiate")

    def parse_arguments(self, parser: LightningArgumentParser, args) -> None:
        """As LightningCLI's, but a bad option is one short error (with the nearest real option for a misspelled
        one) instead of the whole usage."""
        captured = io.StringIO()
        try:
            with contextlib.redirect_stderr(captured):
                super().parse_arguments(parser, args)
        except SystemExit as exc:
            text = captured.getvalue()
            if exc.code in (0, None) or "error:" not in text:
                sys.stderr.write(text)
                raise
            sub = next((a for a in (args or sys.argv[1:]) if a in parser._subcommands_action.choices), None) \
                if parser._subcommands_action else None
            sub_parser = parser._subcommands_action.choices.get(sub, parser) if sub else parser
            options = [o for action in sub_parser._actions for o in action.option_strings]
            raise UserInputError(short_error(text, options).removeprefix("error: ")) from None
        sys.stderr.write(captured.getvalue())

    def _parse_ckpt_path(self) -> None:
        """Resolve ``--ckpt_path best|last``, refuse a folder or the other task's checkpoint, and refuse to score
        an untrained model by accident; then LightningCLI's own reading of the checkpoint's hyperparameters."""
        sub = self.config.get("subcommand")
        if sub:
            cfg = self.config[sub]
            folder = (cfg.get("checkpoint") or {}).get("dirpath")
            cfg["ckpt_path"] = ckpt_path.resolve(cfg.get("ckpt_path"), sub, folder)
            model = cfg.get("model") or {}
            class_path = model.get("class_path", "") if hasattr(model, "get") else ""
            files = [str(getattr(c, "relative", c)) for c in (cfg.get("config") or [])]
            if cfg["ckpt_path"]:
                ckpt_path.check_task(cfg["ckpt_path"], class_path, files)
            elif sub in self.EVAL_COMMANDS and not cfg.get("untrained") and \
                    not ((model.get("init_args") or {}).get("init_from") if hasattr(model, "get") else None):
                raise UserInputError(f"`{sub}` without --ckpt_path would score an untrained model: pass --ckpt_path "
                                     "best (the checkpoint the run selected), last, or a .ckpt file; --untrained true "
                                     "scores the initial weights on purpose")
        super()._parse_ckpt_path()

    def instantiate_trainer(self, **kwargs) -> pl.Trainer:
        """As LightningCLI's, but ``--trainer.enable_progress_bar false`` drops the default progress bar and
        ``--trainer.logger false`` the default learning-rate monitor (each would refuse to run otherwise), and
        checkpoints are written atomically unless another ``CheckpointIO`` plugin is given; asking for synchronised
        batch norm without a GPU is one clear error rather than torch's traceback at the first batch."""
        config = self.config_init[self.subcommand] if self.subcommand else self.config_init
        trainer = config.get("trainer", {})
        unwanted = (ProgressBar,) * (trainer.get("enable_progress_bar") is False)
        unwanted += (LearningRateMonitor,) * (trainer.get("logger") is False)
        defaults = self.trainer_defaults.get("callbacks", [])
        self.trainer_defaults = {**self.trainer_defaults,
                                 "callbacks": [c for c in defaults if not isinstance(c, unwanted)]}
        accelerator = str(trainer.get("accelerator") or "auto")
        if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
            raise UserInputError(f"--trainer.accelerator {accelerator} (e.g. from configs/trainer/gpu.yaml or ddp.yaml) "
                                 "needs a CUDA GPU and this machine has none: use -c configs/trainer/cpu.yaml or "
                                 "configs/trainer/ddp_cpu.yaml")
        if trainer.get("sync_batchnorm") and not torch.cuda.is_available():
            raise UserInputError("--trainer.sync_batchnorm needs GPUs (torch's SyncBatchNorm is CUDA-only): leave it "
                                 "off on CPU, as configs/trainer/ddp_cpu.yaml does")
        plugins = trainer.get("plugins") or []
        plugins = list(plugins) if isinstance(plugins, (list, tuple)) else [plugins]
        if not any(isinstance(p, CheckpointIO) for p in plugins):
            kwargs.setdefault("plugins", [*plugins, AtomicCheckpointIO()])
        return super().instantiate_trainer(**kwargs)


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
    for name in ("core", "datamodules", "models", "retrieval", "lightning_modules", "callbacks", "cli"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)


def cli_main(args: list[str] | None = None, run: bool = True) -> LessonCLI | None:
    """Run the CLI; bad user input prints one line and exits with status 2 instead of a traceback. With
    ``run=False`` the config is only parsed and its classes instantiated (the DataModule's cache is built)."""
    _show_project_logs()
    quiet_third_party()
    try:
        return LessonCLI(subclass_mode_model=True, subclass_mode_data=True, seed_everything_default=0,
                         trainer_defaults={"callbacks": [LearningRateMonitor(logging_interval="step"),
                                                         RichProgressBar(leave=True), RngState(),
                                                         RemoveEmptyRunOnFailure()],
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
