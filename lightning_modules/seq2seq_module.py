"""``Seq2SeqModule``: the lesson's GRU translation models (plain / bidirectional / teacher forcing / attention)."""
from __future__ import annotations

import logging
from typing import Literal

import pytorch_lightning as pl
import torch
from torch import nn

from core.checkpoint_io import check_checkpoint_fits
from core.errors import UserInputError
from datamodules.text.vocab_state import VocabState
from lightning_modules.inference import (CKPT_KEY, DecodingSettings, Hypothesis, LengthLimit,  # noqa: F401
                                         TranslationInference)
from lightning_modules.lr_schedule import OneCycleSchedule
from lightning_modules.metrics import CorpusScore
from lightning_modules.translator import Translator
from lightning_modules.unknown_copy import CopyOrder
from models.decoding import greedy_decode
from models.seq2seq import ForcingMode, Seq2Seq, Seq2SeqConfig
from models.seq2seq_loss import seq2seq_loss

log = logging.getLogger(__name__)


class Seq2SeqModule(TranslationInference, OneCycleSchedule, pl.LightningModule):
    """Trains and evaluates a :class:`~models.seq2seq.Seq2Seq` built from ``net`` (one typed group; its vocabulary
    and embedding sizes come from the DataModule through CLI links).

    Teacher forcing is the probability ``teacher_forcing``, normally driven by the ``TeacherForcingScheduler``
    callback, tossed per step for the batch or per token (``forcing_mode``). Training: cross-entropy with optional
    ``label_smoothing``, Adam with a one-cycle schedule (``one_cycle=False``: constant). Validation and test log
    sacreBLEU BLEU and chrF of greedy decodes (test also of beam search), as torchmetrics metrics; the test report
    and predictions file are written by callbacks (``callbacks.BleuReport``, ``callbacks.PredictionWriter``) from
    what ``test_step`` and ``predict_step`` return.

    Decoding: ``replace_unk`` lets the decoder produce ``_unk_`` only for a source with unknown words, and replaces
    each by one of the unknown source words its step attended to, in source order (``copy_order: source``) or where
    it attended (``attention``), a run of adjacent unknown words as one (``copy_runs``)
    (:mod:`lightning_modules.unknown_copy`); ``no_repeat_ngram`` (n ≥ 2)
    forbids repeating an n-gram; ``length_limit`` gives each sentence ``max(max_decode_len, 1.5 × source + 5)``
    steps (``"floor"``) or ``1.5 × source + 5`` (``"source"``, tighter for short sources).
    """

    def __init__(self, net: Seq2SeqConfig = Seq2SeqConfig(), freeze_embeddings: Literal["none", "src", "all"] = "none",
                 teacher_forcing: float = 0.0, forcing_mode: ForcingMode = "batch", label_smoothing: float = 0.0,
                 lr: float = 3e-3, betas: tuple[float, float] = (0.8, 0.99), weight_decay: float = 0.0,
                 one_cycle: bool = True, pct_start: float = 0.25,
                 max_decode_len: int = DecodingSettings.max_decode_len, beam_size: int = DecodingSettings.beam_size,
                 length_penalty: float = DecodingSettings.length_penalty,
                 replace_unk: bool = DecodingSettings.replace_unk,
                 no_repeat_ngram: int = DecodingSettings.no_repeat_ngram,
                 length_limit: LengthLimit = DecodingSettings.length_limit,
                 copy_order: CopyOrder = DecodingSettings.copy_order,
                 copy_runs: bool = DecodingSettings.copy_runs) -> None:
        super().__init__()
        self.save_hyperparameters()
        # LightningCLI hands the group over as a dict (and keeps it so in the checkpoint's hyperparameters)
        self.net_config = net if isinstance(net, Seq2SeqConfig) else Seq2SeqConfig(**net)
        self.model = Seq2Seq.from_config(self.net_config)
        self.teacher_forcing = teacher_forcing
        self.vocab_state: VocabState | None = None
        self.val_metrics = nn.ModuleDict()
        self.test_metrics = nn.ModuleDict()

    @property
    def decoding(self) -> DecodingSettings:
        """The decoding hyperparameters (read afresh: they may be changed after the module is built)."""
        return DecodingSettings.from_hparams(self.hparams)

    # ---- set-up ------------------------------------------------------------------------------------------------
    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if dm is not None and hasattr(dm, "vocab_state"):
            self.vocab_state = dm.vocab_state()
            if stage == "fit":
                self._init_embeddings(*dm.embedding_matrices())
        self._make_metrics()

    def _make_metrics(self) -> None:
        """BLEU and chrF of greedy decoding (validation, test) and of beam search (test), case as the data."""
        lc = self.lowercase
        self.val_metrics = nn.ModuleDict({kind: CorpusScore(kind, lc) for kind in ("bleu", "chrf")})
        decodings = ["greedy"] + ([f"beam{self.decoding.beam_size}"] if self.decoding.beam_size > 1 else [])
        self.test_metrics = nn.ModuleDict({f"{kind}_{d}": CorpusScore(kind, lc) for d in decodings
                                           for kind in ("bleu", "chrf")})

    def _init_embeddings(self, src, tgt) -> None:
        """Copy word-vector matrices into the embeddings (a resumed checkpoint overwrites them afterwards)."""
        for emb, matrix in ((self.model.encoder.emb, src), (self.model.decoder.emb, tgt)):
            if matrix is not None:
                if tuple(matrix.shape) != tuple(emb.weight.shape):
                    raise ValueError(f"embedding matrix {matrix.shape} does not fit {tuple(emb.weight.shape)}")
                with torch.no_grad():
                    emb.weight.copy_(torch.from_numpy(matrix))
        freeze = self.hparams.freeze_embeddings
        if freeze in ("src", "all"):
            self.model.encoder.emb.weight.requires_grad_(False)
        if freeze == "all":
            self.model.decoder.emb.weight.requires_grad_(False)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[CKPT_KEY] = self.vocab_state.to_dict() if self.vocab_state else None

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        name = getattr(self._trainer, "ckpt_path", None) or "the checkpoint"
        check_checkpoint_fits(self, checkpoint, name)
        if checkpoint.get(CKPT_KEY):
            saved = VocabState.from_dict(checkpoint[CKPT_KEY])
            if self.vocab_state is not None and (saved.src_itos, saved.tgt_itos) != (self.vocab_state.src_itos,
                                                                                     self.vocab_state.tgt_itos):
                raise UserInputError(f"{name} was trained on another corpus or vocabulary than this run's data: pass "
                                     "a checkpoint trained with this config's data, or use the config it was "
                                     "trained with")
            self.vocab_state = saved

    # ---- steps -------------------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        logits, _ = self.model(batch["src"], batch["src_lens"], batch["tgt"], self.teacher_forcing,
                               self.hparams.forcing_mode)
        loss = seq2seq_loss(logits, batch["tgt"], label_smoothing=self.hparams.label_smoothing)
        bs = batch["src"].size(0)
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        self.log("train/teacher_forcing", float(self.teacher_forcing), batch_size=bs)
        return loss

    def _greedy_with_loss(self, batch: dict, stage: str) -> list[str]:
        """Greedy decodes of the batch (at least as many steps as the target, for the loss); logs the loss."""
        tgt_len, guards = batch["tgt"].size(1), self.guards(batch["src"])
        out = greedy_decode(self.model, batch["src"], batch["src_lens"], self.decode_limits(batch["src_lens"]),
                            min_steps=tgt_len, guards=guards)
        loss = seq2seq_loss(out.logits, batch["tgt"])
        self.log(f"{stage}/loss", loss, prog_bar=stage == "val", batch_size=batch["src"].size(0), sync_dist=True)
        align = None if out.align is None or not self.decoding.replace_unk else out.align.tolist()
        return self.ids_to_text(out.tokens.tolist(), align, batch["src_text"], guards)

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        hyps = self._greedy_with_loss(batch, "val")
        for name, metric in self.val_metrics.items():
            metric.update(hyps, batch["tgt_text"])
            self.log(f"val/{name}", metric, prog_bar=name == "bleu")

    def test_step(self, batch: dict, batch_idx: int) -> dict:
        """Logs test BLEU/chrF per decoding; returns the batch's sentences for ``callbacks.BleuReport``."""
        greedy = self._greedy_with_loss(batch, "test")
        decoded = {"greedy": greedy}
        if self.decoding.beam_size > 1:
            decoded[f"beam{self.decoding.beam_size}"] = self.translate_batch(batch["src"], batch["src_lens"],
                                                                            sources=batch["src_text"])
        for key, metric in self.test_metrics.items():
            metric.update(decoded[key.split("_", 1)[1]], batch["tgt_text"])
            self.log(f"test/{key}", metric)
        return {"index": batch["index"].tolist(), "source": batch["src_text"], "reference": batch["tgt_text"],
                "decoded": decoded}

    def predict_step(self, batch: dict, batch_idx: int) -> dict:
        """Translations for ``callbacks.PredictionWriter``: dataset indices, sources and translations; a source
        holding several sentences is translated sentence by sentence (:class:`~lightning_modules.translator.Translator`)."""
        hyps = Translator(self, batch_size=len(batch["src_text"])).translate_texts(batch["src_text"])
        return {"index": batch["index"].tolist(), "source": batch["src_text"], "translation": hyps}

    # ---- optimisation ------------------------------------------------------------------------------------------
    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        opt = torch.optim.Adam(params, lr=self.hparams.lr, betas=tuple(self.hparams.betas),
                               weight_decay=self.hparams.weight_decay)
        return self.one_cycle(opt, self.hparams.pct_start) if self.hparams.one_cycle else opt
