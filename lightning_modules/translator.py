"""Translate lines of French text with a trained model: each line is split into sentences, every sentence is
translated (in length-sorted batches), and each line's translation joins its sentences', so a line with three
sentences comes back with three. Used by ``translate.py``, the page (``app.py``) and ``Seq2SeqModule.predict_step``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence

import torch

from datamodules.text.joiners import strip_joiners
from datamodules.text.sentences import split_sentences
from datamodules.text.vocab import PAD_IDX, Vocab


class TranslationModel(Protocol):
    """What the translator needs of a ``Seq2SeqModule`` (its inference API)."""

    vocab_state: object
    device: torch.device

    def hypotheses(self, src, src_lens, sources=None, beam_size=None, n_best=1, max_len=None, attention=False,
                   scores=True): ...


@dataclass
class SentenceTranslation:
    """One source sentence: its text, its tokens as the model read them (shown form), and its n-best list."""

    source: str
    source_tokens: list[str]
    hypotheses: list = field(default_factory=list)

    @property
    def best(self) -> str:
        return self.hypotheses[0].text if self.hypotheses else ""


@dataclass
class LineTranslation:
    """One input line: its sentences, each translated."""

    line: str
    sentences: list[SentenceTranslation]

    @property
    def text(self) -> str:
        """The line's translation: its sentences' best translations joined by a space."""
        return " ".join(s.best for s in self.sentences if s.best)


class Translator:
    """Lines of French → :class:`LineTranslation`; ``beam`` None uses the model's, 1 is greedy."""

    def __init__(self, module: TranslationModel, beam: int | None = None, n_best: int = 1,
                 max_len: int | None = None, batch_size: int = 64, split: bool = True, scores: bool = True) -> None:
        self.module, self.beam, self.n_best, self.max_len = module, beam, n_best, max_len
        self.batch_size, self.split, self.scores = batch_size, split, scores
        self.tokenizer = module.vocab_state.src_tokenizer()
        self.src_vocab = Vocab(module.vocab_state.src_itos)

    def sentences(self, line: str) -> list[str]:
        """The sentences of ``line`` (the whole line when splitting is off); none for a blank line."""
        if not line.strip():
            return []
        return split_sentences(line) if self.split else [line.strip()]

    def translate(self, lines: Iterable[str], attention: bool = False) -> list[LineTranslation]:
        """One :class:`LineTranslation` per input line, in order; blank lines give no sentences."""
        lines = [ln.rstrip("\n") for ln in lines]
        result = [LineTranslation(ln, []) for ln in lines]
        todo = []
        for i, line in enumerate(lines):
            for sentence in self.sentences(line):
                tokens = self.tokenizer(sentence)
                item = SentenceTranslation(sentence, [strip_joiners(t) for t in tokens])
                result[i].sentences.append(item)
                todo.append((item, self.src_vocab.encode(tokens)))
        todo.sort(key=lambda x: -len(x[1]))
        for start in range(0, len(todo), self.batch_size):
            self._translate_batch(todo[start:start + self.batch_size], attention)
        return result

    def _translate_batch(self, chunk: Sequence[tuple[SentenceTranslation, list[int]]], attention: bool) -> None:
        lens = torch.tensor([len(ids) for _, ids in chunk])
        src = torch.full((len(chunk), int(lens.max())), PAD_IDX, dtype=torch.long)
        for row, (_, ids) in enumerate(chunk):
            src[row, : len(ids)] = torch.tensor(ids)
        device = self.module.device
        hyps = self.module.hypotheses(src.to(device), lens.to(device), [item.source for item, _ in chunk],
                                      self.beam, self.n_best, self.max_len, attention, self.scores)
        for (item, _), found in zip(chunk, hyps):
            item.hypotheses = found

    def translate_texts(self, lines: Iterable[str]) -> list[str]:
        """The best translation of each line (an empty string for a blank line)."""
        return [t.text for t in self.translate(lines)]
