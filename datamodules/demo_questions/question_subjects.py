"""Who the embedded questions are about (see ``embedded_questions``): subject pronouns, noun-phrase subjects and
the cast of people (first names, « ton frère », « les voisins »...) that the templates pick from.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from datamodules.demo_questions import question_lexicon as lex


@dataclass(frozen=True)
class Subject:
    fr: str
    en: str
    person: int  # conjugation slot 0-5
    gender: str
    plural: bool
    pron: str  # the French subject pronoun, for inversion (« ton frère part-il »)
    en_cls: str  # English agreement: "1s", "3s" or "pl" ("you" counts as "pl")
    poss: str  # the French possessive determiner matching this subject (mon, ton, son, notre, votre, leur)
    poss_en: str

    @property
    def is_pronoun(self) -> bool:
        return self.fr == self.pron


def np_subject(fr: str, en: str, gender: str, plural: bool) -> Subject:
    """A third-person noun-phrase subject (« ta sœur » / "your sister")."""
    pron = ("elles" if gender == "f" else "ils") if plural else ("elle" if gender == "f" else "il")
    poss_en = "their" if plural else ("her" if gender == "f" else "his")
    return Subject(fr, en, 5 if plural else 2, gender, plural, pron, "pl" if plural else "3s",
                   "leur" if plural else "son", poss_en)


def _pronoun(fr: str, en: str, person: int, gender: str, poss: str, poss_en: str) -> Subject:
    cls = "1s" if person == 0 else "3s" if person == 2 else "pl"
    return Subject(fr, en, person, gender, person >= 3, fr, cls, poss, poss_en)


PRONOUNS: tuple[Subject, ...] = (
    _pronoun("je", "I", 0, "m", "mon", "my"), _pronoun("tu", "you", 1, "m", "ton", "your"),
    _pronoun("tu", "you", 1, "f", "ton", "your"), _pronoun("il", "he", 2, "m", "son", "his"),
    _pronoun("elle", "she", 2, "f", "son", "her"), _pronoun("nous", "we", 3, "m", "notre", "our"),
    _pronoun("vous", "you", 4, "m", "votre", "your"), _pronoun("vous", "you", 4, "f", "votre", "your"),
    _pronoun("ils", "they", 5, "m", "leur", "their"), _pronoun("elles", "they", 5, "f", "leur", "their"),
)
ON = _pronoun("on", "you", 2, "m", "son", "your")  # generic « on »: « Où peut-on acheter du pain ? »

YOU_THEM = [s for s in PRONOUNS if s.fr != "je"]  # every subject pronoun but « je »


def _people() -> list[Subject]:
    people = [np_subject(name, name, gender, False) for name, gender in lex.NAMES]
    for noun in lex.nouns("kin"):
        for det, pl in (("mon", False), ("ton", False), ("votre", False), ("ton", True), ("votre", True)):
            if not (pl and "one" in noun.tags):  # no "your fathers"
                people.append(np_subject(noun.fr_np(pl, det), noun.en_np(pl, det), noun.gender, pl))
    for noun in lex.nouns("role"):
        people += [np_subject(noun.fr_np(pl), noun.en_np(pl), noun.gender, pl) for pl in (False, True)]
    return random.Random(0).sample(people, len(people))  # a fixed shuffle, so that round-robin picks vary


PEOPLE = _people()
