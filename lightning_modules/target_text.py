"""From decoded target ids to English: unknown-word replacement, detokenisation, true-casing.

An ``_unk_`` is replaced by the source word its step attended to most among the source's unknown words (the
decoder's alignment, :func:`models.decoding_guards.alignment`), spelled as the input wrote it: names and numbers
outside the vocabulary are copied instead of guessed (Luong et al., 2015). An ``_unk_`` with nothing to copy is
dropped. Word-level English is then joined by its joiner marks and, for a lower-cased model, true-cased with the
table learned from the cased training sentences; subword English is decoded by its SentencePiece model.
"""
from __future__ import annotations

from typing import Sequence

from datamodules.text.detok import detokenize
from datamodules.text.joiners import detokenize_joined
from datamodules.text.truecase import apply_truecase
from datamodules.text.vocab import BOS_IDX, EOS_IDX, PAD_IDX, UNK, UNK_IDX
from datamodules.text.vocab_state import VocabState


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
               source: Sequence[str] | str | None = None) -> list[str]:
        """Target tokens up to ``_eos_``, specials dropped; each ``_unk_`` replaced by ``source[align[t]]`` when
        both are given (and dropped when it points past the source, i.e. at its ``_eos_``). ``source`` is the
        source's tokens as written, or its raw text (tokenised only if an ``_unk_`` needs it)."""
        out = []
        for t, i in enumerate(ids):
            i = int(i)
            if i == EOS_IDX:
                break
            if i in (BOS_IDX, PAD_IDX):
                continue
            if i == UNK_IDX and source is not None and align is not None:
                if isinstance(source, str):
                    source = self.source_tokens(source)
                pos = int(align[t])
                if pos < len(source):
                    out.append(source[pos])
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
              sources: Sequence[Sequence[str] | str] | None = None) -> list[str]:
        """:meth:`text` of :meth:`tokens` for each row (``aligns`` and ``sources`` per row, or None)."""
        return [self.text(self.tokens(row, aligns[k] if aligns is not None else None,
                                      sources[k] if sources is not None else None)) for k, row in enumerate(rows)]
