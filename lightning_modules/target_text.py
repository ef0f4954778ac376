"""From decoded target ids to English: unknown-word replacement, detokenisation, true-casing.

An ``_unk_`` is replaced by the source words it copies (:mod:`lightning_modules.unknown_copy`: attention picks
them, the source orders them, a run of adjacent unknown words goes whole), spelled as the input wrote it: names and
numbers outside the vocabulary are copied instead of guessed (Luong et al., 2015). An ``_unk_`` with nothing to copy
is dropped. Word-level English is then joined by its joiner marks and, for a lower-cased model, true-cased with the
table learned from the cased training sentences; subword English is decoded by its SentencePiece model.
"""
from __future__ import annotations

from typing import Sequence

from datamodules.text.detok import detokenize
from datamodules.text.joiners import detokenize_joined
from datamodules.text.truecase import apply_truecase
from datamodules.text.vocab import BOS_IDX, EOS_IDX, PAD_IDX, UNK, UNK_IDX
from datamodules.text.vocab_state import VocabState
from lightning_modules.unknown_copy import CopyOrder, copy_positions, copy_run, copied_text


class TargetText:
    """Turns rows of target ids into English for one checkpoint's :class:`VocabState`."""

    def __init__(self, state: VocabState) -> None:
        self.state = state
        self.itos = state.tgt_itos
        self.subword = state.subwords[1] is not None
        self._tgt = state.tgt_tokenizer() if self.subword else None
        self._source = state.src_display_tokenizer()
        self._truecase = state.truecase_table

    def source_tokens(self, text: str) -> list[str]:
        """The source as the model reads it, token for token, but spelled as written (for copying)."""
        return self._source(text)

    def tokens(self, ids: Sequence[int], align: Sequence[int] | None = None,
               source: Sequence[str] | str | None = None, order: CopyOrder = "source",
               runs: Sequence[int] | None = None) -> list[str]:
        """Target tokens up to ``_eos_``, specials dropped; when ``align`` and ``source`` are given, each ``_unk_``
        is replaced by the source word :func:`copy_positions` gives it, with the rest of its run of adjacent unknown
        words (``runs``: :func:`copy_run`), and dropped when it points past the source (at its ``_eos_``).
        ``source`` is the source's tokens as written, or its raw text (tokenised only if an ``_unk_`` needs it)."""
        out = []
        copies = iter(copy_positions(ids, align, order)) if source is not None and align is not None else None
        for i in ids:
            i = int(i)
            if i == EOS_IDX:
                break
            if i in (BOS_IDX, PAD_IDX):
                continue
            if i == UNK_IDX and copies is not None:
                if isinstance(source, str):
                    source = self.source_tokens(source)
                run = copy_run(next(copies), runs)
                words = [source[p] for p in run if p < len(source)]
                if words:  # one token per step, so attention rows still line up with the output
                    out.append(copied_text(words))
                continue
            out.append(self.itos[i] if 0 <= i < len(self.itos) else UNK)
        return out

    def text(self, tokens: Sequence[str]) -> str:
        """Detokenised (and, for a lower-cased word-level model with a true-caser, true-cased) English."""
        if self.subword:
            return self._tgt.detokenize(tokens)
        if self._truecase:
            tokens = apply_truecase(tokens, self._truecase)
        if self.state.settings.tgt_joiners:
            return detokenize_joined(tokens)
        return detokenize(tokens)

    def texts(self, rows: Sequence[Sequence[int]], aligns: Sequence[Sequence[int]] | None = None,
              sources: Sequence[Sequence[str] | str] | None = None, order: CopyOrder = "source",
              runs: Sequence[Sequence[int]] | None = None) -> list[str]:
        """:meth:`text` of :meth:`tokens` for each row (``aligns``, ``sources`` and ``runs`` per row, or None)."""
        pick = lambda rows_, k: None if rows_ is None else rows_[k]  # noqa: E731
        return [self.text(self.tokens(row, pick(aligns, k), pick(sources, k), order, pick(runs, k)))
                for k, row in enumerate(rows)]
