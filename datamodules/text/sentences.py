"""Split a line of running text into sentences, so that a translator trained on single sentences sees one at a time.

Rules, not a model (no download): a sentence ends at ``.``, ``!``, ``?``, ``…`` (or several of them, ``?!``, ``...``),
optionally followed by closing quotes or brackets, when whitespace and then the start of a new sentence follow: a
capital letter, a digit, an opening quote, dash or bracket. French typography puts a (narrow) no-break space before
``?``, ``!``, ``:`` and ``;``, so ``"Où est ma chambre ? Merci."`` splits after the ``?``. A full stop does not end
a sentence after a known abbreviation (``M.``, ``Mme.``, ``Dr.``, ``etc.``, ``p.``…) or a single capital initial
(``J. K. Rowling``), nor inside a number (``3.5``), since no whitespace follows it there.
"""
from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    "m mm mme mmes mlle mlles dr pr me st ste cf etc ex env vol chap fig no nº p pp av apr j.-c "
    "mr mrs ms prof jr sr vs approx dept est inc ltd co corp".split())
_END = re.compile(r"[.!?…]+[\"'»”’)\]]*")
_GAP = re.compile(r"\s+")
_OPENERS = "\"'«“‘([¿¡—–-"


def _starts_sentence(text: str, pos: int) -> bool:
    """Whether ``text[pos:]`` looks like the start of a sentence: a capital letter or a digit, or an opening quote,
    bracket or dash (dialogue)."""
    rest = text[pos:]
    return bool(rest) and (rest[0] in _OPENERS or rest[0].isupper() or rest[0].isdigit())


def _abbreviation_before(text: str, dot: int) -> bool:
    """Whether the full stop at ``text[dot]`` ends an abbreviation or an initial rather than a sentence."""
    word = re.search(r"([^\s(\"'«“]+)$", text[:dot])
    if word is None:
        return False
    token = word.group(1)
    return token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper())


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped, in order; a text with no sentence boundary comes back whole (one item).
    Blank text gives an empty list.

    >>> split_sentences("Je suis fatigué. Où est ma chambre ? Merci beaucoup.")
    ['Je suis fatigué.', 'Où est ma chambre ?', 'Merci beaucoup.']
    """
    sentences, start = [], 0
    for end in _END.finditer(text):
        gap = _GAP.match(text, end.end())
        if gap is None or not _starts_sentence(text, gap.end()):
            continue
        if text[end.start()] == "." and end.group().rstrip("\"'»”’)]") == "." and _abbreviation_before(text, end.start()):
            continue
        piece = text[start:end.end()].strip()
        if piece:
            sentences.append(piece)
        start = gap.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences
