"""Translation at inference, without Lightning: the decoding and text side of a trained translator, shared by
``Seq2SeqModule`` (training, validation, test) and :class:`TranslationModel`, the light form ``translate.py`` and
the page load (no Lightning import, so a command starts faster)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import torch

from datamodules.text.joiners import strip_joiners
from datamodules.text.vocab import UNK_IDX, Vocab
from datamodules.text.vocab_state import VocabState
from lightning_modules.loading import group_hyperparameters
from lightning_modules.target_text import TargetText
from lightning_modules.unknown_copy import CopyOrder
from models.beam_search import beam_search
from models.decoding import decode_limit, greedy_search
from models.decoding_guards import Guards
from models.seq2seq import Seq2Seq, Seq2SeqConfig

CKPT_KEY = "translation_vocab"
LengthLimit = Literal["floor", "source"]


@dataclass(frozen=True)
class DecodingSettings:
    """How a translator decodes unless told otherwise: the hyperparameters of the same names of ``Seq2SeqModule``
    (whose signature takes its defaults from here) and of a checkpoint loaded by :func:`load_translation_model`.
    ``max_decode_len`` is the floor of each sentence's step limit (``length_limit: floor``) or unused (``source``:
    the limit follows the source's length alone). ``copy_order``: the order copied unknown words take;
    ``copy_runs``: whether adjacent unknown words are copied together (see :mod:`lightning_modules.unknown_copy`)."""

    max_decode_len: int = 30
    beam_size: int = 5
    length_penalty: float = 1.0
    replace_unk: bool = True
    no_repeat_ngram: int = 0
    length_limit: LengthLimit = "floor"
    copy_order: CopyOrder = "source"
    copy_runs: bool = True

    @classmethod
    def from_hparams(cls, hparams) -> "DecodingSettings":
        """The settings found in a hyperparameter mapping, defaults for the others (older checkpoints)."""
        return cls(**{f.name: hparams[f.name] for f in dataclasses.fields(cls) if f.name in hparams})


@dataclass
class Hypothesis:
    """One translation of one sentence: ``text`` (detokenised English), ``tokens`` (the output words or pieces, as
    shown), ``score`` (log-probability; divided by the length penalty for beam search) and, when asked for,
    ``attention`` ``(len(tokens) + 1, src_len + 1)``: per output token and the final ``_eos_``, the weights over the
    source tokens and the source's ``_eos_``."""

    text: str
    tokens: list[str]
    score: float
    attention: np.ndarray | None = None


def _run_rows(guards: Guards | None) -> list[list[int]] | None:
    """The run number of each source position that the decoding ``guards`` used up copies by, as lists."""
    return None if guards is None or guards.copy_runs is None else guards.copy_runs.tolist()


class TranslationInference:
    """The inference methods of a translator. The class using it provides ``model`` (a :class:`Seq2Seq`),
    ``vocab_state``, ``decoding`` (:class:`DecodingSettings`) and ``device``."""

    @property
    def tgt_vocab(self) -> Vocab:
        if self.vocab_state is None:
            raise RuntimeError("no vocabulary: train with a TranslationDataModule or load a checkpoint")
        if getattr(self, "_tgt_vocab", None) is None:
            self._tgt_vocab = self.vocab_state.tgt_vocab
        return self._tgt_vocab

    @property
    def target_text(self) -> TargetText:
        """Decoded ids → English for this checkpoint (unknown-word replacement, detokenising, true-casing)."""
        if self.vocab_state is None:
            raise RuntimeError("no vocabulary: train with a TranslationDataModule or load a checkpoint")
        cached = getattr(self, "_target_text", None)
        if cached is None or cached.state is not self.vocab_state:
            self._target_text = TargetText(self.vocab_state)
        return self._target_text

    def ids_to_text(self, rows: list[list[int]], aligns: list[list[int]] | None = None,
                    sources: Sequence[str] | None = None, guards: Guards | None = None) -> list[str]:
        """Token-id rows (stopping at ``_eos_``) → English; with ``aligns`` and the raw ``sources``, unknown words
        are copied from the source (runs of them whole, as the decoding ``guards`` numbered them)."""
        if aligns is None:  # nothing is copied: neither the sources nor the guards' runs are read
            return self.target_text.texts(rows)
        return self.target_text.texts(rows, aligns, sources, self.decoding.copy_order, _run_rows(guards))

    @property
    def lowercase(self) -> bool:
        """Whether the English side was lower-cased and has no true-caser: only then are scores case-insensitive."""
        state = self.vocab_state
        return bool(state and state.settings.target_lowercase and not state.truecase)

    def guards(self, src: torch.Tensor) -> Guards:
        """This model's decode-time guards for a batch of source ids ``(batch, src_len)``."""
        settings = self.decoding
        if not settings.replace_unk:
            return Guards(settings.no_repeat_ngram)
        return Guards.copying(src == UNK_IDX, settings.no_repeat_ngram, runs=settings.copy_runs)

    def decode_limits(self, src_lens: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
        """Steps each sentence may take ``(batch,)`` (see the class docstring), at most ``max_len`` when given."""
        settings = self.decoding
        floor = 0 if settings.length_limit == "source" else settings.max_decode_len
        limits = decode_limit(src_lens, floor)
        return limits.clamp(max=max_len) if max_len else limits

    @torch.no_grad()
    def hypotheses(self, src: torch.Tensor, src_lens: torch.Tensor, sources: Sequence[str] | None = None,
                   beam_size: int | None = None, n_best: int = 1, max_len: int | None = None,
                   attention: bool = False, scores: bool = True) -> list[list[Hypothesis]]:
        """The ``n_best`` translations of each sentence of ``src`` ``(batch, src_len)``, best first: greedy when
        ``beam_size`` ≤ 1 and one is asked for, else beam search (of at least ``n_best``). ``sources`` (the raw
        sentences) enable unknown-word replacement; ``attention`` returns each hypothesis's attention; greedy
        decoding computes scores only when ``scores`` is set (beam search always has them; otherwise 0)."""
        settings = self.decoding
        beam = max(settings.beam_size if beam_size is None else beam_size, n_best)
        limits, guards = self.decode_limits(src_lens, max_len), self.guards(src)
        copying = sources is not None and guards.copy_mask is not None and bool(guards.copy_mask.any())
        track = "attention" if attention else ("align" if copying else "none")
        if beam <= 1:
            out = greedy_search(self.model, src, src_lens, limits, guards, track, with_scores=scores)
            rows = out.tokens.unsqueeze(1)
            found = out.scores.unsqueeze(1) if scores else torch.zeros(rows.shape[:2])
            align = None if out.align is None else out.align.unsqueeze(1)
            att = None if out.attention is None else out.attention.unsqueeze(1)
        else:
            out = beam_search(self.model, src, src_lens, beam, limits, settings.length_penalty, guards, track)
            rows, found = out.nbest[:, :n_best], out.nbest_scores[:, :n_best]
            align = None if out.nbest_align is None else out.nbest_align[:, :n_best]
            att = None if out.nbest_attention is None else out.nbest_attention[:, :n_best]
        copy = (align.tolist(), _run_rows(guards)) if align is not None and copying else None
        return self._hypotheses(rows.tolist(), found.tolist(), copy, None if att is None else att.float().cpu().numpy(),
                                src_lens.tolist(), sources)

    def _hypotheses(self, rows, scores, copy, attention, src_lens, sources) -> list[list[Hypothesis]]:
        """``copy``: None, or the alignments ``(batch, n, steps)`` and the run numbers of the unknown source words
        ``(batch, src_len)`` (or None) as lists, for copying unknown words from ``sources``."""
        text, order = self.target_text, self.decoding.copy_order
        aligns, runs = copy if copy is not None else (None, None)
        out = []
        for b, (row_n, score_n) in enumerate(zip(rows, scores)):
            source = sources[b] if sources is not None and aligns is not None else None
            hyps = []
            for k, (row, score) in enumerate(zip(row_n, score_n)):
                if not np.isfinite(score):
                    continue
                tokens = text.tokens(row, aligns[b][k] if aligns is not None else None, source, order,
                                     runs[b] if runs is not None else None)
                att = None
                if attention is not None:
                    att = attention[b, k, : len(tokens) + 1, : src_lens[b]]
                hyps.append(Hypothesis(text.text(tokens), [strip_joiners(t) for t in tokens], float(score), att))
            out.append(hyps)
        return out

    def translate_batch(self, src: torch.Tensor, src_lens: torch.Tensor, beam_size: int | None = None,
                        max_len: int | None = None, sources: Sequence[str] | None = None) -> list[str]:
        """The best translation of each sentence of ``src`` ``(batch, src_len)`` (see :meth:`hypotheses`)."""
        return [h[0].text if h else "" for h in self.hypotheses(src, src_lens, sources, beam_size, 1, max_len,
                                                                 scores=False)]


class TranslationModel(TranslationInference):
    """A trained translator loaded for inference alone: the network in eval mode, its ``VocabState`` and decoding
    settings, read from a ``train.py`` checkpoint without Lightning (see :func:`load_translation_model`)."""

    def __init__(self, net_config: Seq2SeqConfig, state_dict: dict, vocab_state: VocabState,
                 decoding: DecodingSettings = DecodingSettings(), device: str = "cpu") -> None:
        self.net_config, self.vocab_state, self.decoding = net_config, vocab_state, decoding
        self.model = Seq2Seq.from_config(net_config)
        self.model.load_state_dict(state_dict)
        self.model.to(device).eval()
        self.device = torch.device(device)

    def eval(self) -> "TranslationModel":
        self.model.eval()
        return self


def load_translation_model(raw: dict, device: str = "cpu") -> TranslationModel:
    """A :class:`TranslationModel` from a checkpoint dict read with ``torch.load(weights_only=True)`` (also one
    written before the network's hyperparameters were grouped under ``net``)."""
    hparams = group_hyperparameters(dict(raw.get("hyper_parameters") or {}), Seq2SeqConfig)
    fields = {f.name for f in dataclasses.fields(Seq2SeqConfig)}
    net = hparams["net"]
    net = net if isinstance(net, Seq2SeqConfig) else Seq2SeqConfig(**{k: v for k, v in net.items() if k in fields})
    weights = {k.removeprefix("model."): v for k, v in raw["state_dict"].items() if k.startswith("model.")}
    return TranslationModel(net, weights, VocabState.from_dict(raw[CKPT_KEY]), DecodingSettings.from_hparams(hparams),
                            device)
