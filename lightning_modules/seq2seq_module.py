"""``Seq2SeqModule``: the lesson's GRU translation models (plain / bidirectional / teacher forcing / attention)."""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Literal

import pytorch_lightning as pl
import torch

from datamodules.atomic import atomic_write_text
from datamodules.text.detok import detokenize
from datamodules.text.joiners import detokenize_joined
from datamodules.text.vocab import Vocab
from lightning_modules.bleu_report import corpus_scores, write_bleu_report
from lightning_modules.checkpoint_io import check_checkpoint_fits
from lightning_modules.distributed import gather_lists, run_dir
from lightning_modules.lr_schedule import one_cycle_factor
from lightning_modules.nn.loss import seq2seq_loss
from lightning_modules.nn.decoder import AttentionMode
from lightning_modules.nn.search import beam_search, decode_limit, greedy_decode
from lightning_modules.nn.seq2seq import EOS_IDX, ForcingMode, Seq2Seq

log = logging.getLogger(__name__)
CKPT_KEY = "translation_vocab"


def _strip_eos(rows: list[list[int]]) -> list[list[int]]:
    return [r[: r.index(EOS_IDX)] if EOS_IDX in r else r for r in rows]


class Seq2SeqModule(pl.LightningModule):
    """Wraps :class:`~lightning_modules.nn.seq2seq.Seq2Seq`: loss, BLEU, decoding, optimiser and checkpoint vocab.

    The lesson's variants are flags: ``bidirectional`` (encoder), ``attention`` (Bahdanau); teacher forcing is the
    probability ``teacher_forcing``, normally driven by the ``TeacherForcingScheduler`` callback, tossed per step for
    the batch or per token (``forcing_mode``). Beyond the lesson: ``dec_hidden_size`` (None: as wide as the target
    embedding), ``attention_mode`` (where the context enters, see :mod:`lightning_modules.nn.decoder`),
    ``tie_weights``, ``label_smoothing``, and ``one_cycle=False`` for a constant learning rate. Vocab sizes,
    embedding sizes and the decoding length come from the DataModule through CLI links.
    """

    def __init__(self, src_vocab_size: int = 4, tgt_vocab_size: int = 4, src_emb_dim: int = 300,
                 tgt_emb_dim: int = 300, hidden_size: int = 256, num_layers: int = 2, bidirectional: bool = False,
                 attention: bool = False, emb_dropout: float = 0.15, enc_dropout: float = 0.25,
                 dec_dropout: float = 0.1, out_dropout: float = 0.35,
                 freeze_embeddings: Literal["none", "src", "all"] = "none", teacher_forcing: float = 0.0,
                 lr: float = 3e-3, betas: tuple[float, float] = (0.8, 0.99), weight_decay: float = 0.0,
                 one_cycle: bool = True, pct_start: float = 0.25, max_decode_len: int = 30, beam_size: int = 5,
                 length_penalty: float = 1.0, n_report_samples: int = 20, dec_hidden_size: int | None = None,
                 attention_mode: AttentionMode = "input", tie_weights: bool = True,
                 forcing_mode: ForcingMode = "batch", label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = Seq2Seq(src_vocab_size, tgt_vocab_size, src_emb_dim, tgt_emb_dim, hidden_size, num_layers,
                             bidirectional, attention, emb_dropout, enc_dropout, dec_dropout, out_dropout,
                             dec_hidden_size, attention_mode, tie_weights)
        self.teacher_forcing = teacher_forcing
        self.vocab_state: dict | None = None
        self._outputs: list[tuple] = []

    # ---- set-up ------------------------------------------------------------------------------------------------
    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if dm is not None and hasattr(dm, "vocab_state"):
            self.vocab_state = dm.vocab_state()
            if stage == "fit":
                self._init_embeddings(*dm.embedding_matrices())

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
        checkpoint[CKPT_KEY] = self.vocab_state

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        check_checkpoint_fits(self, checkpoint, getattr(self._trainer, "ckpt_path", None))
        self.vocab_state = checkpoint.get(CKPT_KEY)

    # ---- text helpers ------------------------------------------------------------------------------------------
    @property
    def tgt_vocab(self) -> Vocab:
        if self.vocab_state is None:
            raise RuntimeError("no vocabulary: train with a TranslationDataModule or load a checkpoint")
        if getattr(self, "_tgt_vocab", None) is None:
            self._tgt_vocab = Vocab(self.vocab_state["tgt_itos"])
        return self._tgt_vocab

    def ids_to_text(self, rows: list[list[int]]) -> list[str]:
        """Token-id rows (stopping at ``_eos_``) → detokenised English (exactly, with joiner-marked tokens; by
        punctuation rules for checkpoints trained before joiners)."""
        joined = bool(self.vocab_state and self.vocab_state["settings"].get("tgt_joiners", False))
        detok = detokenize_joined if joined else detokenize
        return [detok(self.tgt_vocab.decode(r)) for r in rows]

    @property
    def lowercase(self) -> bool:
        return bool(self.vocab_state and self.vocab_state["settings"].get("lowercase", False))

    def translate_batch(self, src: torch.Tensor, src_lens: torch.Tensor, beam_size: int | None = None,
                        max_len: int | None = None) -> list[str]:
        """Translate ``src`` ``(batch, src_len)``: greedy when ``beam_size`` ≤ 1, else beam search."""
        beam = self.hparams.beam_size if beam_size is None else beam_size
        max_len = max_len or decode_limit(src_lens, self.hparams.max_decode_len)
        if beam <= 1:
            rows = greedy_decode(self.model, src, src_lens, max_len).tokens
        else:
            rows = beam_search(self.model, src, src_lens, beam, max_len, self.hparams.length_penalty).tokens
        return self.ids_to_text(_strip_eos(rows.tolist()))

    # ---- steps -------------------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        logits, _ = self.model(batch["src"], batch["src_lens"], batch["tgt"], self.teacher_forcing,
                               self.hparams.forcing_mode)
        loss = seq2seq_loss(logits, batch["tgt"], label_smoothing=self.hparams.label_smoothing)
        bs = batch["src"].size(0)
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        self.log("train/teacher_forcing", float(self.teacher_forcing), batch_size=bs)
        return loss

    def _greedy_with_loss(self, batch: dict):
        tgt_len = batch["tgt"].size(1)
        out = greedy_decode(self.model, batch["src"], batch["src_lens"],
                            decode_limit(batch["src_lens"], self.hparams.max_decode_len), min_steps=tgt_len)
        return out, seq2seq_loss(out.logits, batch["tgt"])

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        out, loss = self._greedy_with_loss(batch)
        self.log("val/loss", loss, prog_bar=True, batch_size=batch["src"].size(0), sync_dist=True)
        hyps = self.ids_to_text(_strip_eos(out.tokens.tolist()))
        self._outputs.extend(zip(batch["index"].tolist(), hyps, batch["tgt_text"]))

    def on_validation_epoch_start(self) -> None:
        self._outputs = []

    def on_validation_epoch_end(self) -> None:
        rows = sorted(dict((r[0], r) for r in gather_lists(self._outputs)).values())
        self._outputs = []
        if rows:
            scores = corpus_scores([r[1] for r in rows], [r[2] for r in rows], self.lowercase)
            self.log("val/bleu", scores["bleu"], prog_bar=True)
            self.log("val/chrf", scores["chrf"])

    def test_step(self, batch: dict, batch_idx: int) -> None:
        out, loss = self._greedy_with_loss(batch)
        self.log("test/loss", loss, batch_size=batch["src"].size(0), sync_dist=True)
        greedy = self.ids_to_text(_strip_eos(out.tokens.tolist()))
        beam = self.translate_batch(batch["src"], batch["src_lens"]) if self.hparams.beam_size > 1 else greedy
        self._outputs.extend(zip(batch["index"].tolist(), batch["src_text"], batch["tgt_text"], greedy, beam))

    def on_test_epoch_start(self) -> None:
        self._outputs = []

    def on_test_epoch_end(self) -> None:
        rows = sorted(dict((r[0], r) for r in gather_lists(self._outputs)).values())
        self._outputs = []
        if not rows:
            return
        refs = [r[2] for r in rows]
        names = {"greedy": 3, f"beam{self.hparams.beam_size}": 4} if self.hparams.beam_size > 1 else {"greedy": 3}
        results = {}
        for name, col in names.items():
            results[name] = corpus_scores([r[col] for r in rows], refs, self.lowercase) | {"n_sentences": len(rows)}
            self.log(f"test/bleu_{name}", results[name]["bleu"])
            self.log(f"test/chrf_{name}", results[name]["chrf"])
        if self.trainer.is_global_zero:
            step = max(1, len(rows) // self.hparams.n_report_samples)
            samples = [{"source": r[1], "reference": r[2], **{n: r[c] for n, c in names.items()}}
                       for r in rows[::step][: self.hparams.n_report_samples]]
            log_dir = run_dir(self.trainer)
            dm = getattr(self.trainer, "datamodule", None)
            scored = dm.eval_set("test") if hasattr(dm, "eval_set") else None
            paths = write_bleu_report(log_dir, results, samples, scored)
            log.info("BLEU report: %s", ", ".join(map(str, paths)))

    def on_predict_epoch_start(self) -> None:
        self._outputs = []

    def predict_step(self, batch: dict, batch_idx: int) -> list[str]:
        hyps = self.translate_batch(batch["src"], batch["src_lens"])
        self._outputs.extend(zip(batch["index"].tolist(), batch["src_text"], hyps))
        return hyps

    def on_predict_epoch_end(self) -> None:
        """Write ``predictions.tsv`` (source, translation; in dataset order) into the log directory."""
        rows = sorted(dict((r[0], r) for r in gather_lists(self._outputs)).values())
        self._outputs = []
        if rows and self.trainer.is_global_zero:
            path = run_dir(self.trainer) / "predictions.tsv"
            atomic_write_text(path, "source\ttranslation\n" + "".join(f"{r[1]}\t{r[2]}\n" for r in rows))
            log.info("predictions: %s", path)

    # ---- optimisation ------------------------------------------------------------------------------------------
    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        opt = torch.optim.Adam(params, lr=self.hparams.lr, betas=tuple(self.hparams.betas),
                               weight_decay=self.hparams.weight_decay)
        self._total_steps = self.trainer.estimated_stepping_batches
        if not self.hparams.one_cycle or not math.isfinite(self._total_steps) or self._total_steps < 1:
            return opt
        hp = self.hparams

        def factor(step: int) -> float:
            return one_cycle_factor(step, int(self._total_steps), hp.pct_start)

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_train_start(self) -> None:
        # a resumed run may train longer than the run that wrote the checkpoint: stretch the schedule to fit
        self._total_steps = self.trainer.estimated_stepping_batches

    @property
    def total_steps(self) -> float:
        """The length of the training schedule in optimizer steps (the trainer's estimate, or a fitted budget)."""
        total = getattr(self, "_total_steps", None)
        return float(total if total is not None else self.trainer.estimated_stepping_batches)

    def fit_schedule(self, total_steps: int) -> None:
        """Make the one-cycle schedule end after ``total_steps`` optimizer steps (``callbacks.TrainingBudget``)."""
        self._total_steps = max(1, int(total_steps))
