"""The word types of the embedded question lexicon (see ``question_lexicon``): adjectives, nouns and verbs, each
knowing its French and English forms and the noun phrases it makes in both languages.
"""
from __future__ import annotations

from dataclasses import dataclass

from datamodules.demo_questions import french_morphology
from datamodules.demo_questions.english_morphology import with_determiner_en
from datamodules.demo_questions.french_morphology import with_determiner


@dataclass(frozen=True)
class Adjective:
    forms: tuple[str, ...]  # masculine singular, feminine singular, masculine plural, feminine plural
    en: str

    def agree(self, gender: str, plural: bool) -> str:
        return self.forms[2 * plural + (gender == "f")]


@dataclass(frozen=True)
class Noun:
    fr: str
    fr_pl: str
    gender: str  # "m" or "f"
    en: str
    en_pl: str
    tags: frozenset[str]

    def fr_np(self, plural: bool = False, det: str = "le", adj: Adjective | None = None) -> str:
        """French noun phrase; ``det`` names a determiner by its masculine form (le, un, ce, mon, du...)."""
        phrase = with_determiner(det, self.fr_pl if plural else self.fr, self.gender, plural)
        return f"{phrase} {adj.agree(self.gender, plural)}" if adj else phrase

    def en_np(self, plural: bool = False, det: str = "le", adj: Adjective | None = None, poss: str = "") -> str:
        """The English noun phrase for the same determiner (``du`` gives a bare noun); ``poss`` is his/her/its."""
        word = f"{adj.en} {self.en_pl if plural else self.en}" if adj else self.en_pl if plural else self.en
        return with_determiner_en(det, word, plural, poss)


@dataclass(frozen=True)
class Verb:
    inf: str
    present: tuple[str, ...]  # je, tu, il/elle/on, nous, vous, ils/elles
    participle: str
    aux: str  # "avoir" or "être"
    en: tuple[str, ...]  # base, third person singular, past, -ing
    particle: str  # English word(s) after the verb: "look for", "come back", "go to bed"
    tags: frozenset[str]

    @property
    def stative(self) -> bool:
        return "simple" in self.tags

    def has_tense(self, tense: str) -> bool:
        return any(tense in tag for tag in self.tags if tag.isupper())

    def imparfait(self, person: int) -> str:
        """From the ``nous`` stem: mangeons → mangeais, mangions; commençons → commençait, commencions."""
        return french_morphology.imparfait(self.present[3], person)
