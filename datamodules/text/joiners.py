"""Reversible target tokens: spaCy's own whitespace information kept as joiner marks on the tokens.

A target token that was written with no space before the next one carries the joiner ``￭`` on the side where the
space is missing, on the punctuation side when there is one: ``"Well-known?"`` → ``well ￭-￭ known ￭?``,
``"I cannot."`` → ``i can ￭not ￭.``, ``'He said "no".'`` → ``he said "￭ no ￭" ￭.``. Detokenising joins tokens with a
space except where a joiner says not to, so tokenise → detokenise gives back the sentence exactly (up to case and
runs of whitespace), with no hand-written rules about quotes, hyphens or contractions.

Word-vector lookups and fastText training see the tokens with their joiners removed (:func:`strip_joiners`).
"""
from __future__ import annotations

from typing import Iterable, Sequence

JOINER = "\uffed"  # ￭, the mark OpenNMT's tokenizer uses for the same purpose


def _word_char(ch: str) -> bool:
    return ch.isalnum()


def annotate(tokens: Sequence[tuple[str, bool]]) -> list[str]:
    """Tokens with joiners from ``(text, space_before)`` pairs (``space_before`` of the first token is ignored).

    At each boundary without a space the joiner goes before the right token when that starts with punctuation or
    when both sides are words (``can`` + ``￭not``, ``do`` + ``￭n't``); after the left token when only the left one
    ends with punctuation (``"￭`` + ``hello``).
    """
    out = [text for text, _ in tokens]
    for i in range(1, len(tokens)):
        if tokens[i][1]:
            continue
        left, right = tokens[i - 1][0], tokens[i][0]
        if not _word_char(right[0]) or _word_char(left[-1]):
            out[i] = JOINER + out[i]
        else:
            out[i - 1] = out[i - 1] + JOINER
    return out


def strip_joiners(token: str) -> str:
    """``￭-￭`` → ``-``: the token as a word (for word vectors and display)."""
    return token.strip(JOINER) or token


def detokenize_joined(tokens: Iterable[str]) -> str:
    """Join tokens with single spaces except where a joiner marks that no space was there.

    >>> detokenize_joined(["well", "￭-￭", "known", "￭?"])
    'well-known?'
    """
    out: list[str] = []
    glue_next = True  # no space before the first token
    for tok in tokens:
        core = tok.strip(JOINER)
        if not core:
            continue
        if not (glue_next or tok.startswith(JOINER)):
            out.append(" ")
        out.append(core)
        glue_next = tok.endswith(JOINER)
    return "".join(out)
