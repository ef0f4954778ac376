"""Restore the case of lower-cased English, learned from the cased training sentences (a frequency true-caser).

Every word takes the form it most often has inside a sentence in the training text (``i`` → ``I``, ``tom`` → ``Tom``,
``paris`` → ``Paris``, ``tv`` → ``TV``); the first word of each sentence gets a capital. A word the table does not
hold (a copied source name, a number) keeps the case it has. Tokens may carry joiner marks
(:mod:`datamodules.text.joiners`); they are kept.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterable, Sequence

from datamodules.text.joiners import JOINER

_SENTENCE_END = {".", "!", "?", "…", "...", "?!", "!?"}


def _core(token: str) -> str:
    return token.strip(JOINER)


def _starts_sentence(tokens: Sequence[str], i: int) -> bool:
    """Whether ``tokens[i]`` opens a sentence (the first token, or one after sentence-final punctuation; opening
    quotes in between do not count)."""
    j = i - 1
    while j >= 0 and _core(tokens[j]) in ('"', "'", "“", "‘", "(", "«"):
        j -= 1
    return j < 0 or _core(tokens[j]) in _SENTENCE_END


def learn_truecase(sentences: Iterable[Sequence[str]]) -> dict[str, str]:
    """Lower-cased word → its most frequent cased form where its case is not positional (not at a sentence start),
    kept only when that form is not plain lower case; ties go to the lower-case form."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for tokens in sentences:
        for i, token in enumerate(tokens):
            word = _core(token)
            if word and not _starts_sentence(tokens, i):
                counts[word.lower()][word] += 1
    table = {}
    for lower, forms in counts.items():
        best = max(forms.items(), key=lambda kv: (kv[1], kv[0] == lower))[0]
        if best != lower:
            table[lower] = best
    return table


def _capitalised(word: str) -> str:
    for k, ch in enumerate(word):
        if ch.isalpha():
            return word[:k] + ch.upper() + word[k + 1:]
    return word


def apply_truecase(tokens: Sequence[str], table: dict[str, str]) -> list[str]:
    """``tokens`` with each word in its learned form and each sentence's first word capitalised (joiners kept)."""
    out = []
    for i, token in enumerate(tokens):
        word = _core(token)
        cased = table.get(word, word) if word == word.lower() else word
        if _starts_sentence(tokens, i):
            cased = _capitalised(cased)
        out.append(token.replace(word, cased, 1) if word else token)
    return out
