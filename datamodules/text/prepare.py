"""From raw (french, english) pairs to the cached, numericalised corpus: tokenise, split, filter, vocab, encode."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from core.errors import UserInputError
from datamodules.text.dataset import PairSplit
from datamodules.text.joiners import strip_joiners
from datamodules.text.split import grouped_split
from datamodules.text.tokenize import SpacyTokenizer
from datamodules.text.vocab import Vocab

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextSettings:
    """Everything that decides the numericalised corpus (part of the cache key, stored in checkpoints).

    ``max_tgt_tokens`` and ``len_percentile`` shape the training split only: validation and test pairs are kept
    whole, however long, so that they are scored on everything they hold. ``tgt_joiners`` marks missing spaces on
    the English tokens so that detokenising is exact (:mod:`datamodules.text.joiners`).
    """

    src_lang: str = "fr"
    tgt_lang: str = "en"
    lowercase: bool = True
    max_vocab: int = 40000
    min_freq: int = 1
    max_tgt_tokens: int = 30
    len_percentile: float = 99.0
    valid_frac: float = 0.05
    test_frac: float = 0.05
    split_seed: int = 42
    tgt_joiners: bool = True

    def as_dict(self) -> dict:
        return asdict(self)

    def tokenizers(self) -> tuple[SpacyTokenizer, SpacyTokenizer]:
        """The source and target tokenisers these settings describe."""
        return (SpacyTokenizer(self.src_lang, self.lowercase),
                SpacyTokenizer(self.tgt_lang, self.lowercase, joiners=self.tgt_joiners))


def tokenize_pairs(pairs: Sequence[tuple[str, str]], s: TextSettings):
    """Tokenise both sides and drop (and count) pairs with an empty side.

    Returns ``(src_tokens, tgt_tokens, kept_pairs)``.
    """
    src_tok, tgt_tok = s.tokenizers()
    src_all = list(src_tok.pipe(p[0] for p in pairs))
    tgt_all = list(tgt_tok.pipe(p[1] for p in pairs))
    keep = [i for i, (a, b) in enumerate(zip(src_all, tgt_all)) if a and b]
    if len(keep) < len(pairs):
        log.info("tokenised %d pairs; dropped %d with an empty side", len(pairs), len(pairs) - len(keep))
    if not keep:
        raise UserInputError("no sentence pairs left after tokenising: every pair has an empty side; check the corpus")
    return [src_all[i] for i in keep], [tgt_all[i] for i in keep], [pairs[i] for i in keep]


def encode_split(src_vocab: Vocab, tgt_vocab: Vocab, src_toks: list[list[str]], tgt_toks: list[list[str]],
                 texts: Sequence[tuple[str, str]], max_src: int | None = None,
                 max_tgt: int | None = None) -> PairSplit:
    """Ids ending in ``_eos_``; with ``max_src``/``max_tgt`` at most that many ids (content cut, ``_eos_`` kept)."""
    def enc(vocab: Vocab, sents: list[list[str]], max_len: int | None) -> list[np.ndarray]:
        cut = (lambda s: s[: max_len - 1]) if max_len else (lambda s: s)  # noqa: E731
        return [np.asarray(vocab.encode(cut(s)), dtype=np.int32) for s in sents]

    return PairSplit(enc(src_vocab, src_toks, max_src), enc(tgt_vocab, tgt_toks, max_tgt),
                     [t[0] for t in texts], [t[1] for t in texts])


def _percentile_len(sents: list[list[str]], pct: float) -> int:
    return int(np.ceil(np.percentile([len(s) + 1 for s in sents], pct)))


def build_corpus(pairs: Sequence[tuple[str, str]], s: TextSettings) -> dict:
    """The cached payload: vocabularies (from the training split only), the three splits and length limits.

    Pairs are split train/valid/test grouped by English sentence first; then training pairs whose English side
    has ≥ ``max_tgt_tokens`` tokens are dropped and the rest cut at the ``len_percentile`` lengths. Held-out pairs
    are never filtered or cut.
    """
    src_toks, tgt_toks, kept = tokenize_pairs(pairs, s)
    idx = grouped_split([p[1] for p in kept], s.valid_frac, s.split_seed, s.test_frac)
    train_idx = [i for i in idx.train if len(tgt_toks[i]) < s.max_tgt_tokens]
    if not train_idx:
        raise UserInputError(f"no training pairs left after dropping English sides of ≥ {s.max_tgt_tokens} tokens: "
                             "check the corpus or raise --data.max_tgt_tokens")
    src_vocab = Vocab.build((src_toks[i] for i in train_idx), s.max_vocab, s.min_freq)
    tgt_vocab = Vocab.build((tgt_toks[i] for i in train_idx), s.max_vocab, s.min_freq)
    max_src = _percentile_len([src_toks[i] for i in train_idx], s.len_percentile)
    max_tgt = _percentile_len([tgt_toks[i] for i in train_idx], s.len_percentile)

    def split(ids: list[int], cut: bool) -> PairSplit:
        return encode_split(src_vocab, tgt_vocab, [src_toks[i] for i in ids], [tgt_toks[i] for i in ids],
                            [kept[i] for i in ids], max_src if cut else None, max_tgt if cut else None)

    out = {"train": split(train_idx, True), "valid": split(idx.valid, False), "test": split(idx.test, False)}
    log.info("split %d train / %d valid / %d test pairs (grouped by English sentence; %d long training pairs "
             "dropped); vocab fr %d, en %d; training lengths cut at %d / %d tokens (percentile %g)",
             len(out["train"]), len(out["valid"]), len(out["test"]), len(idx.train) - len(train_idx),
             len(src_vocab), len(tgt_vocab), max_src, max_tgt, s.len_percentile)
    return {"settings": s.as_dict(), "src_itos": src_vocab.itos, "tgt_itos": tgt_vocab.itos, **out,
            "max_src_len": max_src, "max_tgt_len": max_tgt,
            "train_src_tokens": [src_toks[i] for i in train_idx],
            "train_tgt_tokens": [[strip_joiners(t) for t in tgt_toks[i]] for i in train_idx]}


def encode_external(pairs: Sequence[tuple[str, str]], s: TextSettings, src_itos: list[str],
                    tgt_itos: list[str]) -> PairSplit:
    """An external test set, tokenised with the corpus settings and encoded with its vocabularies, kept whole."""
    src_toks, tgt_toks, kept = tokenize_pairs(pairs, s)
    return encode_split(Vocab(src_itos), Vocab(tgt_itos), src_toks, tgt_toks, kept)
