"""English word-level rules for the embedded question corpus (see ``embedded_questions``).

The forms of "be" by agreement class ("1s", "3s", "pl"), the English determiner matching a French one (a/an, this,
these, the, my...), regular noun plurals, possessives and the third person singular.
"""
from __future__ import annotations

BE = {"1s": "am", "3s": "is", "pl": "are"}
WAS = {"1s": "was", "3s": "was", "pl": "were"}
_DETERMINERS = {"le": "the", "mon": "my", "ton": "your", "votre": "your", "notre": "our", "leur": "their"}


def with_determiner_en(det: str, word: str, plural: bool, poss: str = "") -> str:
    """``word`` after the English determiner for the French ``det`` (``du`` gives a bare noun); ``poss`` is
    his/her/its, for a French son/sa/ses."""
    if det in ("un", "ce", "du"):
        an = "an" if word[0] in "aeiou" and not word.startswith("uni") else "a"
        article = {"un": "" if plural else an, "ce": "these" if plural else "this", "du": ""}[det]
    else:
        article = poss or _DETERMINERS[det]
    return f"{article} {word}".strip()


def en_plural(word: str) -> str:
    """Regular English noun plural (box → boxes, city → cities, key → keys)."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word[:-1] + "ies" if word.endswith("y") and word[-2] not in "aeiou" else word + "s"


def en_possessive(phrase: str, plural: bool) -> str:
    """``the teacher`` → ``the teacher's``; ``the neighbors`` → ``the neighbors'``; ``the children's``."""
    return phrase + ("'" if plural and phrase.endswith("s") else "'s")


def third_person(base: str) -> str:
    """Third person singular: have → has, go → goes, watch → watches, study → studies."""
    if base == "have" or base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return "has" if base == "have" else base + "es"
    return base[:-1] + "ies" if base.endswith("y") and base[-2] not in "aeiou" else base + "s"
