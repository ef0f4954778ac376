"""From raw (french, english) pairs to the cached, numericalised corpus: tokenise, filter, split, vocab, encode."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from datamodules.errors import UserInputError
from datamodules.text.dataset import PairSplit
from datamodules.text.split import grouped_split
from datamodules.text.tokenize import SpacyTokenizer
from datamodules.text.vocab import Vocab

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextSettings:
    """Everything that decides the numericalised corpus (part of the cache key, stored in checkpoints)."""

    src_lang: str = "fr"
    tgt_lang: str = "en"
    lowercase: bool = True
    max_vocab: int = 40000
    min_freq: int = 1
    max_tgt_tokens: int = 30
    len_percentile: float = 99.0
    valid_frac: float = 0.1
    split_seed: int = 42

    def as_dict(self) -> dict:
        return asdict(self)


def tokenize_pairs(pairs: Sequence[tuple[str, str]], s: TextSettings):
    """Tokenise both sides; drop pairs with an empty side or an English side of ≥ ``max_tgt_tokens`` tokens.

    Returns ``(src_tokens, tgt_tokens, kept_pairs)``.
    """
    src_tok = SpacyTokenizer(s.src_lang, s.lowercase)
    tgt_tok = SpacyTokenizer(s.tgt_lang, s.lowercase)
    src_all = list(src_tok.pipe(p[0] for p in pairs))
    tgt_all = list(tgt_tok.pipe(p[1] for p in pairs))
    keep = [i for i, (a, b) in enumerate(zip(src_all, tgt_all)) if a and b and len(b) < s.max_tgt_tokens]
    log.info("tokenised %d pairs; kept %d (dropped %d empty or with ≥ %d English tokens)",
             len(pairs), len(keep), len(pairs) - len(keep), s.max_tgt_tokens)
    if not keep:
        raise UserInputError(f"no sentence pairs left after tokenising and dropping English sides of ≥ "
                             f"{s.max_tgt_tokens} tokens: check the corpus or raise --data.max_tgt_tokens")
    return [src_all[i] for i in keep], [tgt_all[i] for i in keep], [pairs[i] for i in keep]


def _encode(vocab: Vocab, sents: list[list[str]], max_len: int) -> list[np.ndarray]:
    """Ids ending in ``_eos_``, at most ``max_len`` ids (content truncated, ``_eos_`` kept)."""
    return [np.asarray(vocab.encode(s[: max_len - 1]), dtype=np.int32) for s in sents]


def _percentile_len(sents: list[list[str]], pct: float) -> int:
    return int(np.ceil(np.percentile([len(s) + 1 for s in sents], pct)))


def build_corpus(pairs: Sequence[tuple[str, str]], s: TextSettings) -> dict:
    """The cached payload: vocabularies (from the training split only), the two splits and length limits."""
    src_toks, tgt_toks, kept = tokenize_pairs(pairs, s)
    train_idx, valid_idx = grouped_split([p[1] for p in kept], s.valid_frac, s.split_seed)
    src_vocab = Vocab.build((src_toks[i] for i in train_idx), s.max_vocab, s.min_freq)
    tgt_vocab = Vocab.build((tgt_toks[i] for i in train_idx), s.max_vocab, s.min_freq)
    max_src = _percentile_len([src_toks[i] for i in train_idx], s.len_percentile)
    max_tgt = _percentile_len([tgt_toks[i] for i in train_idx], s.len_percentile)

    def split(idx: list[int]) -> PairSplit:
        return PairSplit(_encode(src_vocab, [src_toks[i] for i in idx], max_src),
                         _encode(tgt_vocab, [tgt_toks[i] for i in idx], max_tgt),
                         [kept[i][0] for i in idx], [kept[i][1] for i in idx])

    train, valid = split(train_idx), split(valid_idx)
    log.info("split %d train / %d valid pairs (grouped by English sentence); vocab fr %d, en %d; "
             "lengths truncated at %d / %d tokens (percentile %g)",
             len(train), len(valid), len(src_vocab), len(tgt_vocab), max_src, max_tgt, s.len_percentile)
    return {"settings": s.as_dict(), "src_itos": src_vocab.itos, "tgt_itos": tgt_vocab.itos,
            "train": train, "valid": valid, "max_src_len": max_src, "max_tgt_len": max_tgt,
            "train_src_tokens": [src_toks[i] for i in train_idx], "train_tgt_tokens": [tgt_toks[i] for i in train_idx]}

