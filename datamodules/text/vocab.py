"""Frequency-capped vocabulary with the lesson's four special tokens at fixed indices."""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

BOS, PAD, EOS, UNK = "_bos_", "_pad_", "_eos_", "_unk_"
SPECIALS = (BOS, PAD, EOS, UNK)
BOS_IDX, PAD_IDX, EOS_IDX, UNK_IDX = range(4)


class Vocab:
    """Maps tokens to ids: ``_bos_ _pad_ _eos_ _unk_`` are 0–3, then words by descending frequency.

    Unknown tokens map to ``_unk_``. Ties in frequency are broken by first appearance so the result is deterministic.
    """

    def __init__(self, itos: Sequence[str]) -> None:
        if tuple(itos[:4]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}, got {tuple(itos[:4])}")
        self.itos = list(itos)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], max_size: int = 40000, min_freq: int = 1) -> "Vocab":
        """Count tokens and keep the ``max_size`` most frequent (specials included in the cap) seen ≥ ``min_freq`` times."""
        counts: Counter[str] = Counter()
        for sent in sentences:
            counts.update(sent)
        words = [w for w, c in counts.most_common() if c >= min_freq and w not in SPECIALS]
        return cls(list(SPECIALS) + words[: max(0, max_size - len(SPECIALS))])

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str], add_eos: bool = True) -> list[int]:
        """Token list → ids, unknown → ``_unk_``, ``_eos_`` appended."""
        ids = [self.stoi.get(t, UNK_IDX) for t in tokens]
        return ids + [EOS_IDX] if add_eos else ids

    def decode(self, ids: Iterable[int], strip_specials: bool = True) -> list[str]:
        """Ids → tokens, stopping at the first ``_eos_``; specials other than ``_unk_`` are dropped."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS_IDX and strip_specials:
                break
            if strip_specials and i in (BOS_IDX, PAD_IDX):
                continue
            out.append(self.itos[i] if 0 <= i < len(self.itos) else UNK)
        return out
