"""Sentence building for the embedded questions (see ``embedded_questions``): one question in both languages.

French: the verb group in each tense (présent, passé composé with avoir or être and participle agreement, imparfait,
futur proche), negation, and the word orders of a question: « est-ce que », pronoun inversion with euphonic -t-
(« Où va-t-il ? »), complex inversion (« Pourquoi ta sœur part-elle ? ») and stylistic inversion (« Où habite ta
sœur ? »). English: do-support, progressive or simple aspect, "going to", stranded prepositions ("Who ... with?").
``ask`` fills a question over subjects × tenses × complements; ``question_templates`` uses these to write patterns.
"""
from __future__ import annotations

from typing import Iterator

from datamodules.demo_questions import question_lexicon as lex
from datamodules.demo_questions.english_morphology import BE, WAS, en_possessive
from datamodules.demo_questions.french_morphology import ALLER, AVOIR, ETRE, REFLEXIVE, agree, join_fr, with_prep
from datamodules.demo_questions.question_subjects import Subject, np_subject
from datamodules.demo_questions.question_words import Noun, Verb

Group = tuple[str, list[str]]  # one English question and French translations of it
_JE_INVERSION = {"ai": "ai", "suis": "suis", "vais": "vais", "dois": "dois", "peux": "puis"}


def pick(items: list, i: int, k: int) -> list:
    """``k`` items of ``items`` round-robin from position ``i * k``: a fixed, varied subset."""
    return [items[(i * k + j) % len(items)] for j in range(k)]


def time_phrase(tense: str, k: int) -> tuple[str, str]:
    """Every other passé composé or futur proche question gets a time expression (hier, demain...)."""
    times = {"C": lex.PAST_TIMES, "F": lex.FUTURE_TIMES}.get(tense, ())
    return times[k // 2 % len(times)] if times and k % 2 else ("", "")


def join_words(*parts: str) -> str:
    """Join the non-empty words with spaces."""
    return " ".join(part for part in parts if part)


def fr_question(*parts: str) -> str:
    """A French question from its parts: elided, capitalised, with « ? » after a space."""
    text = join_fr(*parts)
    return text[0].upper() + text[1:] + " ?"


def en_question(*parts: str) -> str:
    """An English question from its parts: capitalised, with "?"."""
    text = join_words(*parts)
    return text[0].upper() + text[1:] + "?"


def quel(gender: str, plural: bool) -> str:
    """The agreeing interrogative determiner: quel, quelle, quels, quelles."""
    return "quel" + ("le" if gender == "f" else "") + ("s" if plural else "")


def owned(noun: Noun, plural: bool, owner: Subject, fr_adj: str = "", en_adj: str = "") -> tuple[str, str]:
    """« la voiture de Marie » → "Marie's car"; « le plat préféré de Paul » → "Paul's favorite dish"."""
    fr = join_fr(noun.fr_np(plural), fr_adj, with_prep("de", owner.fr))
    return fr, join_words(en_possessive(owner.en, owner.plural), en_adj, noun.en_pl if plural else noun.en)


def _invert(finite: str, pron: str) -> str:
    """Subject-verb inversion: ``va-t-il``, ``allons-nous``, ``puis-je``."""
    finite = _JE_INVERSION.get(finite, finite) if pron == "je" else finite
    return f"{finite}{'-t' if pron in ('il', 'elle', 'on') and finite[-1] in 'ae' else ''}-{pron}"


def _fr_verb(verb: Verb, tense: str, s: Subject, obj: tuple[str, bool] | None = None) -> tuple[str, str, str]:
    """(reflexive pronoun, finite verb, rest of the verb group); ``obj``: a preceding direct object's gender, number."""
    words = verb.inf.replace("s'", "se ").split()  # « se lever », « avoir peur »
    refl = REFLEXIVE[s.person] if words[0] == "se" else ""
    inf, noun = (words[-1], "") if refl else (words[0], " ".join(words[1:]))
    if tense == "F":
        return "", ALLER[s.person], join_fr(refl, inf, noun)
    if tense in "PI":
        return refl, verb.present[s.person] if tense == "P" else verb.imparfait(s.person), noun
    if verb.aux == "être":
        participle = agree(verb.participle, s.gender, s.plural)
    else:
        participle = agree(verb.participle, *obj) if obj else verb.participle
    return refl, (ETRE if verb.aux == "être" else AVOIR)[s.person], join_fr(participle, noun)


def fr_forms(wh: str, s: Subject, refl: str, finite: str, rest: str, neg: bool = False) -> list[str]:
    """The French word orders of one question: « est-ce que » and inversion (pronoun, complex or stylistic)."""
    ne, pas = ("ne", "pas") if neg else ("", "")
    forms = [fr_question(wh, "est-ce que", s.fr, ne, refl, finite, pas, rest)]
    if s.is_pronoun and (s.pron != "je" or finite in _JE_INVERSION):
        forms.append(fr_question(wh, ne, refl, _invert(finite, s.pron), pas, rest))
    elif not s.is_pronoun:
        if wh not in ("que", "qui"):  # complex inversion: « Pourquoi ta sœur part-elle ? »
            forms.append(fr_question(wh, s.fr, ne, refl, _invert(finite, s.pron), pas, rest))
        if not (neg or rest) and wh not in ("pourquoi", "qui"):  # stylistic inversion: « Où habite ta sœur ? »
            forms.append(fr_question(wh, refl, finite, s.fr))
    return forms


def _en_verb(verb: Verb, tense: str, cls: str, neg: bool = False, simple: bool = False) -> tuple[str, str]:
    """English (auxiliary, main verb): ("is", "eating"), ("does", "want"), ("did", "go"), ("are", "going to eat")."""
    base, _, _, ing = verb.en
    n_t = "n't" if neg else ""
    if base.startswith("be_"):  # avoir peur: "What are you afraid of?"
        return (BE if tense == "P" else WAS)[cls] + n_t, base[3:]
    if tense in "CF":
        return ("did" + n_t, base) if tense == "C" else (BE[cls] + n_t, "going to " + base)
    if not (verb.stative or simple):
        return (BE if tense == "P" else WAS)[cls] + n_t, ing
    return ("did" if tense == "I" else "does" if cls == "3s" else "do") + n_t, base


def question(wh: str, wh_en: str, s: Subject, verb: Verb, tense: str, comp: tuple[str, str] = ("", ""),
             when: tuple[str, str] = ("", ""), *, neg: bool = False, obj: tuple[str, bool] | None = None,
             strand: str = "", simple: bool = False) -> Group:
    """One question about ``s``: ``comp``/``when`` are (french, english) complement and time, ``obj`` a preceding
    direct object (participle agreement), ``strand`` an English preposition left at the end ("Who ... with?")."""
    refl, finite, rest = _fr_verb(verb, tense, s, obj)
    aux, main = _en_verb(verb, tense, s.en_cls, neg, simple)
    english = en_question(wh_en, aux, s.en, main, verb.particle, comp[1], strand, when[1])
    return english, fr_forms(wh, s, refl, finite, join_fr(rest, comp[0], when[0]), neg)


def ask(wh: str, wh_en: str, verb: Verb, subjects: list[Subject], tenses: str = "PCIF", per: int = 0,
        comps: list[tuple[str, str]] | None = None, timed: bool = True, neg: bool = False,
        **kwargs) -> Iterator[Group]:
    """``question`` for each complement × tense of the verb × subject (all of them, or ``per`` round-robin); with
    ``neg``, every other question is negative."""
    for i, comp in enumerate(comps or [("", "")]):
        for tense in filter(verb.has_tense, tenses):
            chosen = pick(subjects, i + len(wh) + "PCIF".index(tense), per) if per else subjects
            for j, s in enumerate(chosen):
                when = time_phrase(tense, i + j) if timed else ("", "")
                yield question(wh, wh_en, s, verb, tense, comp, when, neg=neg and (i + j) % 2 == 0, **kwargs)


def who_question(verb: Verb, tense: str, fr_obj: str, en_obj: str) -> Group:
    """Subject questions: « Qui (est-ce qui) a mangé le gâteau ? » → "Who ate the cake?"."""
    _, finite, rest = _fr_verb(verb, tense, np_subject("qui", "who", "m", False))
    base, third, past, ing = verb.en
    en_verb = {"P": third if verb.stative else "is " + ing, "C": past, "F": "is going to " + base}[tense]
    french = [fr_question(wh, finite, rest, fr_obj) for wh in ("qui", "qui est-ce qui")]
    return en_question("who", en_verb, verb.particle, en_obj), french

