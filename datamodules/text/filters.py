"""Which (french, english) pairs to keep: the lesson's "Wh- question" filter and two looser modes.

The fast.ai lesson 11 notebook keeps giga-fren lines whose English starts with a *Wh* question and whose French starts
with any question, and keeps only the matched question (the text up to and including the first ``?``), not the whole
line. French typography often puts U+202F or U+00A0 before the ``?``; the text is kept as is.
"""
from __future__ import annotations

import re
from typing import Literal, get_args

from core.errors import UserInputError

FilterMode = Literal["wh_questions", "questions", "none"]
FILTER_MODES: tuple[str, ...] = get_args(FilterMode)

EN_WH_QUESTION = re.compile(r"^(Wh[^?.!]+\?)")
"""The lesson's English regex: a question starting with "Wh" and ending at the first "?"."""

QUESTION = re.compile(r"^([^?.!]+\?)")
"""The lesson's French regex (also used for English in "questions" mode): text up to the first "?", no "." or "!"."""


def check_filter_mode(mode: str) -> str:
    """Return ``mode`` if it is a known filter mode, else raise ``UserInputError`` naming the valid ones."""
    if mode not in FILTER_MODES:
        raise UserInputError(f"unknown filter {mode!r}: use one of {', '.join(FILTER_MODES)}")
    return mode


def filter_pair(fr: str, en: str, mode: FilterMode) -> tuple[str, str] | None:
    """Apply filter ``mode`` to one pair; return the kept ``(french, english)`` or ``None`` to drop it.

    Both sides are stripped first. ``"wh_questions"``: English must match ``^(Wh[^?.!]+\\?)`` and French
    ``^([^?.!]+\\?)``; the matched groups are returned. ``"questions"``: both sides must match ``^([^?.!]+\\?)``.
    ``"none"``: the stripped pair is kept unless a side is empty.
    """
    fr = fr.strip()
    en = en.strip()
    if not fr or not en:
        return None
    if mode == "none":
        return fr, en
    if mode == "wh_questions":
        en_match = EN_WH_QUESTION.match(en)
    elif mode == "questions":
        en_match = QUESTION.match(en)
    else:
        check_filter_mode(mode)
        return None
    if en_match is None:
        return None
    fr_match = QUESTION.match(fr)
    if fr_match is None:
        return None
    return fr_match.group(1), en_match.group(1)
