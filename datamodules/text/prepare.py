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
from datamodules.text.subword import SubwordKind, SubwordTokenizer, train_subword_model
from datamodules.text.tokenize import SpacyTokenizer
from datamodules.text.truecase import learn_truecase
from datamodules.text.vocab import UNK, Vocab

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextSettings:
    """Everything that decides the numericalised corpus (part of the cache key, stored in checkpoints).

    ``max_tgt_tokens`` and ``len_percentile`` shape the training split only: validation and test pairs are kept
    whole, however long, so that they are scored on everything they hold. ``tgt_joiners`` marks missing spaces on
    the English tokens so that detokenising is exact (:mod:`datamodules.text.joiners`).

    Case: ``lowercase`` lower-cases the French side, and the English side unless ``tgt_lowercase`` says otherwise.
    A lower-cased English side with ``truecase`` gets a true-caser learned from the cased training sentences
    (:mod:`datamodules.text.truecase`), applied to translations. ``copy_numbers`` leaves tokens holding a digit out
    of both vocabularies: they become ``_unk_`` and are copied from the source when decoding. ``subword_vocab`` > 0
    replaces word tokens by SentencePiece pieces (``subword_kind``), a model of that many pieces per side trained on
    the training split.
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
    tgt_lowercase: bool | None = None
    truecase: bool = False
    copy_numbers: bool = False
    subword_vocab: int = 0
    subword_kind: SubwordKind = "unigram"

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def target_lowercase(self) -> bool:
        return self.lowercase if self.tgt_lowercase is None else self.tgt_lowercase

    def tokenizers(self, subwords: tuple[bytes | None, bytes | None] = (None, None)):
        """The source and target tokenisers these settings describe: spaCy words, or the corpus's SentencePiece
        models (``subwords``, source and target) when ``subword_vocab`` > 0."""
        src_sp, tgt_sp = subwords
        src = SubwordTokenizer(src_sp, self.lowercase) if src_sp else SpacyTokenizer(self.src_lang, self.lowercase)
        tgt = (SubwordTokenizer(tgt_sp, self.target_lowercase) if tgt_sp else
               SpacyTokenizer(self.tgt_lang, self.target_lowercase, joiners=self.tgt_joiners))
        return src, tgt


def has_digit(token: str) -> bool:
    return any(ch.isdigit() for ch in token)


def tokenize_pairs(pairs: Sequence[tuple[str, str]], s: TextSettings, subwords=(None, None),
                   cased_target: bool = False):
    """Tokenise both sides and drop (and count) pairs with an empty side; ``cased_target`` tokenises the English
    side without lower-casing (for learning a true-caser).

    Returns ``(src_tokens, tgt_tokens, kept_pairs)``.
    """
    src_tok, tgt_tok = s.tokenizers(subwords)
    if cased_target:
        tgt_tok = SpacyTokenizer(s.tgt_lang, False, joiners=s.tgt_joiners)
    src_all = list(src_tok.pipe(p[0] for p in pairs))
    tgt_all = list(tgt_tok.pipe(p[1] for p in pairs))
    keep = [i for i, (a, b) in enumerate(zip(src_all, tgt_all)) if a and b]
    if len(keep) < len(pairs):
        log.info("tokenised %d pairs; dropped %d with an empty side", len(pairs), len(pairs) - len(keep))
    if not keep:
        raise UserInputError("no sentence pairs left after tokenising: every pair has an empty side; check the corpus")
    return [src_all[i] for i in keep], [tgt_all[i] for i in keep], [pairs[i] for i in keep]


def _numbers_unknown(sents: list[list[str]], s: TextSettings) -> list[list[str]]:
    """With ``copy_numbers``, every token holding a digit becomes ``_unk_`` (copied from the source when decoding)."""
    if not s.copy_numbers:
        return sents
    return [[UNK if has_digit(t) else t for t in sent] for sent in sents]


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


def _subword_models(kept: Sequence[tuple[str, str]], train_idx: list[int], s: TextSettings) -> tuple[bytes, bytes]:
    """SentencePiece models of ``s.subword_vocab`` pieces for each side, trained on the training split's texts."""
    models = []
    for side, lower in ((0, s.lowercase), (1, s.target_lowercase)):
        texts = [kept[i][side].lower() if lower else kept[i][side] for i in train_idx]
        models.append(train_subword_model(texts, s.subword_vocab, s.subword_kind, seed=s.split_seed))
    return models[0], models[1]


def build_corpus(pairs: Sequence[tuple[str, str]], s: TextSettings) -> dict:
    """The cached payload: vocabularies (from the training split only), the three splits, length limits, and the
    corpus-made parts of the tokenisation (subword models, true-caser).

    Pairs are split train/valid/test grouped by English sentence first; then training pairs whose English side
    has ≥ ``max_tgt_tokens`` word tokens are dropped and the rest cut at the ``len_percentile`` lengths. Held-out
    pairs are never filtered or cut.
    """
    src_toks, cased_tgt, kept = tokenize_pairs(pairs, s, cased_target=True)
    idx = grouped_split([p[1] for p in kept], s.valid_frac, s.split_seed, s.test_frac)
    train_idx = [i for i in idx.train if len(cased_tgt[i]) < s.max_tgt_tokens]
    if not train_idx:
        raise UserInputError(f"no training pairs left after dropping English sides of ≥ {s.max_tgt_tokens} tokens: "
                             "check the corpus or raise --data.max_tgt_tokens")
    truecase = learn_truecase(cased_tgt[i] for i in train_idx) if s.truecase and s.target_lowercase else {}
    subwords: tuple[bytes | None, bytes | None] = (None, None)
    if s.subword_vocab > 0:
        subwords = _subword_models(kept, train_idx, s)
        src_toks, tgt_toks, _ = tokenize_pairs(kept, s, subwords)
        src_vocab, tgt_vocab = (Vocab(SubwordTokenizer(m).pieces) for m in subwords)
    else:
        tgt_toks = [[t.lower() for t in sent] for sent in cased_tgt] if s.target_lowercase else cased_tgt
        src_toks, tgt_toks = _numbers_unknown(src_toks, s), _numbers_unknown(tgt_toks, s)
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
            "max_src_len": max_src, "max_tgt_len": max_tgt, "truecase": truecase, "subwords": subwords,
            "train_src_tokens": [src_toks[i] for i in train_idx],
            "train_tgt_tokens": [[strip_joiners(t) for t in tgt_toks[i]] for i in train_idx]}


def encode_external(pairs: Sequence[tuple[str, str]], s: TextSettings, src_itos: list[str],
                    tgt_itos: list[str], subwords=(None, None)) -> PairSplit:
    """An external test set, tokenised with the corpus settings and encoded with its vocabularies, kept whole."""
    src_toks, tgt_toks, kept = tokenize_pairs(pairs, s, subwords)
    return encode_split(Vocab(src_itos), Vocab(tgt_itos), _numbers_unknown(src_toks, s),
                        _numbers_unknown(tgt_toks, s), kept)
