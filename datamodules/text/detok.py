"""Turn English tokens back into text: no space before punctuation, clitics (``'s``, ``n't``) attached."""
from __future__ import annotations

import re
from typing import Sequence

_NO_SPACE_BEFORE = {"?", "!", ".", ",", ";", ":", "%", ")", "]", "}", "...", "'"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#"}
_CLITIC = re.compile(r"^(n't|'s|'re|'ve|'ll|'d|'m|’s|’re|’ve|’ll|’d|’m|n’t)$", re.IGNORECASE)


def detokenize(tokens: Sequence[str]) -> str:
    """Join English tokens as a person would write them.

    >>> detokenize(["what", "'s", "that", "?"])
    "what's that?"
    >>> detokenize(["why", "do", "n't", "you", "come", ",", "then", "?"])
    "why don't you come, then?"
    """
    out: list[str] = []
    glue_next = False
    for tok in tokens:
        if out and not glue_next and tok not in _NO_SPACE_BEFORE and not _CLITIC.match(tok):
            out.append(" ")
        out.append(tok)
        glue_next = tok in _NO_SPACE_AFTER
    return "".join(out)
