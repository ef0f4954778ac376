"""Decode-time guards shared by greedy decoding and beam search: which tokens a step may not predict (specials, an
``_unk_`` with nothing to copy, a repeated n-gram) and where each output token's attention points (for copying
unknown words). All on the model's device, with no host reads. Plain PyTorch."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from datamodules.text.vocab import BOS_IDX, PAD_IDX, UNK_IDX


@dataclass
class Guards:
    """Decode-time constraints; the defaults decode exactly as trained.

    ``no_repeat_ngram``: n ≥ 2 forbids a hypothesis from producing an n-gram it already holds (fairseq's and
    JoeyNMT's ``no_repeat_ngram_size``); 0 is off. ``unk_allowed``: ``(batch,)`` bool; where False, ``_unk_`` is never
    predicted (a source without an unknown word has nothing to copy); None allows it everywhere. ``copy_mask``:
    ``(batch, src_len)`` bool, True at unknown source words: each output step's alignment (where its attention
    peaks) is taken among them when the sentence has any, so that an ``_unk_`` can be replaced by the source word it
    stands for. ``copy_runs`` ``(batch, src_len)`` long numbers each run of adjacent unknown source words from 1
    (0 elsewhere, see :func:`unknown_runs`): a run is copied as a whole ("Ishbel Dragomir", "10 000"). Each unknown
    word, or run, is copied at most once (:meth:`after_step`): a name is not written twice while another is lost.
    """

    no_repeat_ngram: int = 0
    unk_allowed: torch.Tensor | None = None
    copy_mask: torch.Tensor | None = None
    copy_runs: torch.Tensor | None = None

    @classmethod
    def copying(cls, unknown: torch.Tensor, no_repeat_ngram: int = 0, runs: bool = True) -> "Guards":
        """Guards for sources whose unknown words are ``unknown`` ``(batch, src_len)`` bool: ``_unk_`` only where
        there is something to copy, each run of unknown words (each word without ``runs``) copied once."""
        return cls(no_repeat_ngram, unknown.any(1), unknown, unknown_runs(unknown) if runs else None)

    def _map(self, fn) -> "Guards":
        keep = lambda t: None if t is None else fn(t)  # noqa: E731
        return Guards(self.no_repeat_ngram, keep(self.unk_allowed), keep(self.copy_mask), keep(self.copy_runs))

    def select(self, rows: torch.Tensor) -> "Guards":
        """The guards of batch rows ``rows`` ``(n,)`` (sentences leaving a batch)."""
        return self._map(lambda t: t[rows])

    def repeat_interleave(self, times: int) -> "Guards":
        """The guards of each sentence repeated ``times`` times in place (one row per beam hypothesis)."""
        return self._map(lambda t: t.repeat_interleave(times, dim=0))

    def after_step(self, tokens: torch.Tensor, align: torch.Tensor | None) -> "Guards":
        """The guards for the next step once each row has emitted ``tokens`` ``(rows,)`` with ``align`` ``(rows,)``
        (:func:`alignment` of this step): an ``_unk_`` uses up the unknown source word it copies (with its whole run
        given ``copy_runs``), and a row whose last unknown word is used up may not emit ``_unk_`` again. Unchanged
        without a ``copy_mask``."""
        if self.copy_mask is None or align is None:
            return self
        unk = (tokens == UNK_IDX).unsqueeze(1)
        if self.copy_runs is None:
            copied = torch.zeros_like(self.copy_mask).scatter_(1, align.unsqueeze(1), unk)
        else:
            run = self.copy_runs.gather(1, align.unsqueeze(1))  # (rows, 1): the run copied, 0 for none
            copied = (self.copy_runs == run) & (run > 0) & unk
        mask = self.copy_mask & ~copied
        exhausted = self.copy_mask.any(-1) & ~mask.any(-1)
        allowed = ~exhausted if self.unk_allowed is None else self.unk_allowed & ~exhausted
        return Guards(self.no_repeat_ngram, allowed, mask, self.copy_runs)


def unknown_runs(unknown: torch.Tensor) -> torch.Tensor:
    """Runs of adjacent unknown source words: ``unknown`` ``(batch, src_len)`` bool → ``(batch, src_len)`` long,
    each run numbered from 1 within its row, 0 at known words."""
    before = torch.nn.functional.pad(unknown[:, :-1], (1, 0), value=False)
    starts = unknown & ~before
    return starts.long().cumsum(1).masked_fill(~unknown, 0)


def no_specials(logits: torch.Tensor) -> torch.Tensor:
    """``_bos_`` and ``_pad_`` are never a prediction (a copy of ``logits`` with them at -inf)."""
    return logits.index_fill(-1, torch.tensor([BOS_IDX, PAD_IDX], device=logits.device), float("-inf"))


def banned_ngrams(history: torch.Tensor, n: int) -> torch.Tensor | None:
    """Tokens that would repeat an n-gram: ``history`` ``(rows, t)`` holds each row's tokens so far; the result is
    ``(rows, t - n + 1)`` token ids, ``_pad_`` where nothing is banned, or None while ``t < n``."""
    if n < 2 or history.size(1) < n:
        return None
    windows = history.unfold(1, n, 1)  # (rows, t - n + 1, n)
    prefix = history[:, history.size(1) - (n - 1):].unsqueeze(1)  # (rows, 1, n - 1)
    repeat = (windows[:, :, : n - 1] == prefix).all(-1)
    return windows[:, :, n - 1].masked_fill(~repeat, PAD_IDX)


def guard_logits(logits: torch.Tensor, guards: Guards, history: torch.Tensor | None) -> torch.Tensor:
    """``logits`` ``(rows, vocab)`` with every forbidden token at -inf: specials, ``_unk_`` where not allowed, and
    tokens completing a repeated n-gram of ``history`` ``(rows, t)`` (its tokens so far)."""
    out = no_specials(logits)
    if guards.unk_allowed is not None:
        out[:, UNK_IDX] = out[:, UNK_IDX].masked_fill(~guards.unk_allowed, float("-inf"))
    if guards.no_repeat_ngram and history is not None:
        banned = banned_ngrams(history, guards.no_repeat_ngram)
        if banned is not None:
            out = out.scatter(1, banned, float("-inf"))  # _pad_ (nothing banned) is -inf already
    return out


def alignment(attention: torch.Tensor | None, copy_mask: torch.Tensor | None) -> torch.Tensor | None:
    """Where each row's attention ``(rows, src_len)`` peaks, among its unknown source words (``copy_mask``) when it
    has any: ``(rows,)`` source positions, or None without attention."""
    if attention is None:
        return None
    if copy_mask is None:
        return attention.argmax(-1)
    among = torch.where(copy_mask.any(-1, keepdim=True), copy_mask, torch.ones_like(copy_mask))
    return attention.masked_fill(~among, -1.0).argmax(-1)
