"""The embedded corpus: a deterministic generator of French→English Wh-question pairs.

Lesson 11 of fast.ai Part 2 translates French questions into English with giga-fren, keeping pairs whose English
starts with "Wh". This module is the project's offline default: it writes such pairs itself, without files or
network, so that training, tests and demos run anywhere. About thirty question patterns (where is..., which N did...,
who is going to..., why are you so..., what time does... start) are filled from ``question_lexicon`` with real French
grammar: elision, inversion with euphonic -t- (« Où va-t-il ? ») or « est-ce que », stylistic and complex inversion
with noun subjects, quel/quelle/quels/quelles, du/au/des/aux, agreement of determiners, adjectives and participles
(with être, and with avoir after a preceding direct object), présent, passé composé, imparfait and futur proche. The
English is natural (do-support, irregular pasts, "Whose car is this?"). Many English questions have several French
translations (tu/vous, ils/elles, inversion/est-ce que), as in Tatoeba.

It is not a substitute for giga-fren: a few hundred words in fixed patterns. A good BLEU here shows that a model
learnt these patterns, not that it translates French.
"""
from __future__ import annotations

import random
from functools import lru_cache
from typing import Callable, Iterator

from datamodules.text import question_lexicon as lex
from datamodules.text.question_lexicon import Noun, Subject, Verb

Group = tuple[str, list[str]]  # one English question and French translations of it
ALTERNATIVES_RATE = 0.25  # chance that a sampled English question comes with 2-3 of its French translations
_BE, _WAS = {"1s": "am", "3s": "is", "pl": "are"}, {"1s": "was", "3s": "was", "pl": "were"}
_JE_INVERSION = {"ai": "ai", "suis": "suis", "vais": "vais", "dois": "dois", "peux": "puis"}
_WH = {"where": "où", "when": "quand", "why": "pourquoi"}
_PREPOSITIONS = (("à qui", "who", "parler", "to"), ("de qui", "who", "parler", "about"),
                 ("de quoi", "what", "parler", "about"), ("à qui", "who", "écrire", "to"),
                 ("à quoi", "what", "penser", "about"), ("à qui", "who", "penser", "about"),
                 ("avec qui", "who", "jouer", "with"), ("à quoi", "what", "jouer", ""),
                 ("avec qui", "who", "danser", "with"), ("avec qui", "who", "travailler", "with"),
                 ("de quoi", "what", "avoir besoin", ""), ("de quoi", "what", "avoir peur", "of"))
_RELATIONS = ("professeur", "médecin", "patron", "voisin", "ami", "amie", "frère", "sœur", "enfant", "fils", "fille")
# (the first four also suit a plural owner: « le médecin des voisins »)
YOU_THEM = [s for s in lex.PRONOUNS if s.fr != "je"]


def _people() -> list[Subject]:
    people = [lex.np_subject(name, name, gender, False) for name, gender in lex.NAMES]
    for noun in lex.nouns("kin"):
        for det, pl in (("mon", False), ("ton", False), ("votre", False), ("ton", True), ("votre", True)):
            if not (pl and "one" in noun.tags):  # no "your fathers"
                people.append(lex.np_subject(noun.fr_np(pl, det), noun.en_np(pl, det), noun.gender, pl))
    for noun in lex.nouns("role"):
        people += [lex.np_subject(noun.fr_np(pl), noun.en_np(pl), noun.gender, pl) for pl in (False, True)]
    return random.Random(0).sample(people, len(people))  # a fixed shuffle, so that round-robin picks vary


PEOPLE = _people()


def _pick(items: list, i: int, k: int) -> list:
    """``k`` items of ``items`` round-robin from position ``i * k``: a fixed, varied subset."""
    return [items[(i * k + j) % len(items)] for j in range(k)]


def _time(tense: str, k: int) -> tuple[str, str]:
    """Every other passé composé or futur proche question gets a time expression (hier, demain...)."""
    times = {"C": lex.PAST_TIMES, "F": lex.FUTURE_TIMES}.get(tense, ())
    return times[k // 2 % len(times)] if times and k % 2 else ("", "")


def _words(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _fr(*parts: str) -> str:
    text = lex.join_fr(*parts)
    return text[0].upper() + text[1:] + " ?"


def _en(*parts: str) -> str:
    text = _words(*parts)
    return text[0].upper() + text[1:] + "?"


def _quel(gender: str, plural: bool) -> str:
    return "quel" + ("le" if gender == "f" else "") + ("s" if plural else "")


def _owned(noun: Noun, plural: bool, owner: Subject, fr_adj: str = "", en_adj: str = "") -> tuple[str, str]:
    """« la voiture de Marie » → "Marie's car"; « le plat préféré de Paul » → "Paul's favorite dish"."""
    fr = lex.join_fr(noun.fr_np(plural), fr_adj, lex.with_prep("de", owner.fr))
    return fr, _words(lex.en_possessive(owner.en, owner.plural), en_adj, noun.en_pl if plural else noun.en)


def _invert(finite: str, pron: str) -> str:
    """Subject-verb inversion: ``va-t-il``, ``allons-nous``, ``puis-je``."""
    finite = _JE_INVERSION.get(finite, finite) if pron == "je" else finite
    return f"{finite}{'-t' if pron in ('il', 'elle', 'on') and finite[-1] in 'ae' else ''}-{pron}"


def _fr_verb(verb: Verb, tense: str, s: Subject, obj: tuple[str, bool] | None = None) -> tuple[str, str, str]:
    """(reflexive pronoun, finite verb, rest of the verb group); ``obj``: a preceding direct object's gender, number."""
    words = verb.inf.replace("s'", "se ").split()  # « se lever », « avoir peur »
    refl = lex.REFLEXIVE[s.person] if words[0] == "se" else ""
    inf, noun = (words[-1], "") if refl else (words[0], " ".join(words[1:]))
    if tense == "F":
        return "", lex.ALLER[s.person], lex.join_fr(refl, inf, noun)
    if tense in "PI":
        return refl, verb.present[s.person] if tense == "P" else verb.imparfait(s.person), noun
    if verb.aux == "être":
        participle = lex.agree(verb.participle, s.gender, s.plural)
    else:
        participle = lex.agree(verb.participle, *obj) if obj else verb.participle
    return refl, (lex.ETRE if verb.aux == "être" else lex.AVOIR)[s.person], lex.join_fr(participle, noun)


def _fr_forms(wh: str, s: Subject, refl: str, finite: str, rest: str, neg: bool = False) -> list[str]:
    """The French word orders of one question: « est-ce que » and inversion (pronoun, complex or stylistic)."""
    ne, pas = ("ne", "pas") if neg else ("", "")
    forms = [_fr(wh, "est-ce que", s.fr, ne, refl, finite, pas, rest)]
    if s.is_pronoun and (s.pron != "je" or finite in _JE_INVERSION):
        forms.append(_fr(wh, ne, refl, _invert(finite, s.pron), pas, rest))
    elif not s.is_pronoun:
        if wh not in ("que", "qui"):  # complex inversion: « Pourquoi ta sœur part-elle ? »
            forms.append(_fr(wh, s.fr, ne, refl, _invert(finite, s.pron), pas, rest))
        if not (neg or rest) and wh not in ("pourquoi", "qui"):  # stylistic inversion: « Où habite ta sœur ? »
            forms.append(_fr(wh, refl, finite, s.fr))
    return forms


def _en_verb(verb: Verb, tense: str, cls: str, neg: bool = False, simple: bool = False) -> tuple[str, str]:
    """English (auxiliary, main verb): ("is", "eating"), ("does", "want"), ("did", "go"), ("are", "going to eat")."""
    base, _, _, ing = verb.en
    n_t = "n't" if neg else ""
    if base.startswith("be_"):  # avoir peur: "What are you afraid of?"
        return (_BE if tense == "P" else _WAS)[cls] + n_t, base[3:]
    if tense in "CF":
        return ("did" + n_t, base) if tense == "C" else (_BE[cls] + n_t, "going to " + base)
    if not (verb.stative or simple):
        return (_BE if tense == "P" else _WAS)[cls] + n_t, ing
    return ("did" if tense == "I" else "does" if cls == "3s" else "do") + n_t, base


def _q(wh: str, wh_en: str, s: Subject, verb: Verb, tense: str, comp: tuple[str, str] = ("", ""),
       when: tuple[str, str] = ("", ""), *, neg: bool = False, obj: tuple[str, bool] | None = None,
       strand: str = "", simple: bool = False) -> Group:
    """One question about ``s``: ``comp``/``when`` are (french, english) complement and time, ``obj`` a preceding
    direct object (participle agreement), ``strand`` an English preposition left at the end ("Who ... with?")."""
    refl, finite, rest = _fr_verb(verb, tense, s, obj)
    aux, main = _en_verb(verb, tense, s.en_cls, neg, simple)
    english = _en(wh_en, aux, s.en, main, verb.particle, comp[1], strand, when[1])
    return english, _fr_forms(wh, s, refl, finite, lex.join_fr(rest, comp[0], when[0]), neg)


def _ask(wh: str, wh_en: str, verb: Verb, subjects: list[Subject], tenses: str = "PCIF", per: int = 0,
         comps: list[tuple[str, str]] | None = None, timed: bool = True, neg: bool = False,
         **kwargs) -> Iterator[Group]:
    """``_q`` for each complement × tense of the verb × subject (all of them, or ``per`` round-robin); with ``neg``,
    every other question is negative."""
    for i, comp in enumerate(comps or [("", "")]):
        for tense in filter(verb.has_tense, tenses):
            chosen = _pick(subjects, i + len(wh) + "PCIF".index(tense), per) if per else subjects
            for j, s in enumerate(chosen):
                when = _time(tense, i + j) if timed else ("", "")
                yield _q(wh, wh_en, s, verb, tense, comp, when, neg=neg and (i + j) % 2 == 0, **kwargs)


def _who(verb: Verb, tense: str, fr_obj: str, en_obj: str) -> Group:
    """Subject questions: « Qui (est-ce qui) a mangé le gâteau ? » → "Who ate the cake?"."""
    _, finite, rest = _fr_verb(verb, tense, lex.np_subject("qui", "who", "m", False))
    base, third, past, ing = verb.en
    en_verb = {"P": third if verb.stative else "is " + ing, "C": past, "F": "is going to " + base}[tense]
    french = [_fr(wh, finite, rest, fr_obj) for wh in ("qui", "qui est-ce qui")]
    return _en("who", en_verb, verb.particle, en_obj), french


def _objects(verb: Verb, countable: bool = True) -> list[Noun]:
    return [n for n in lex.nouns(*verb.tags) if not (countable and "mass" in n.tags)]


def where_is() -> Iterator[Group]:
    """« Où sont mes clés ? », « Où est la voiture de Marie ? », « Où se trouve la gare ? »."""
    for i, noun in enumerate(lex.nouns("obj", "wear", "animal")):
        for pl in (False, True):
            be, be_en = ("sont", "are") if pl else ("est", "is")
            for det in ("le",) if "wild" in noun.tags else ("le", "mon", "ton", "votre"):
                yield _en("where", be_en, noun.en_np(pl, det)), [_fr("où", be, noun.fr_np(pl, det))]
            for owner in _pick(PEOPLE, 2 * i + pl, 3 * ("wild" not in noun.tags)):
                fr, en = _owned(noun, pl, owner)
                yield _en("where", be_en, en), [_fr("où", be, fr)]
    for noun in lex.nouns("place"):
        yield _en("where is", noun.en_np()), [_fr("où", verb, noun.fr_np()) for verb in ("est", "se trouve")]
    for s in PEOPLE:
        yield _en("where", _BE[s.en_cls], s.en), [_fr("où", "sont" if s.plural else "est", s.fr)]


def where_put() -> Iterator[Group]:
    """« Où as-tu mis tes clés ? », « Où a-t-elle mis son écharpe hier ? »."""
    for i, noun in enumerate(lex.nouns("obj", "wear")):
        for j, s in enumerate(lex.PRONOUNS):
            for pl in (False, True):
                obj = noun.fr_np(pl, s.poss), noun.en_np(pl, s.poss, poss=s.poss_en)
                yield _q("où", "where", s, lex.VERBS["mettre"], "C", obj, _time("C", i + j + pl))


def what() -> Iterator[Group]:
    """« Que mange-t-il ? », « Qu'as-tu acheté hier ? », « Qu'est-ce que ton frère va faire ? »."""
    for i, verb in enumerate(lex.verbs("que")):
        yield from _ask("que", "what", verb, YOU_THEM + _pick(PEOPLE, i, 5))


def which() -> Iterator[Group]:
    """« Quels livres veut-elle ? », « Quelle robe a-t-elle achetée ? », « Laquelle de ces robes... »."""
    for verb in lex.VERBS.values():
        for noun in _objects(verb):
            for pl in (False, True):
                wh, wh_en = f"{_quel(noun.gender, pl)} {noun.fr_pl if pl else noun.fr}", f"which {noun.en_np(pl, 'du')}"
                yield from _ask(wh, wh_en, verb, YOU_THEM, "P")
                yield from _ask(wh, wh_en, verb, YOU_THEM, "CIF", per=2, obj=(noun.gender, pl))
    uses = (("vouloir", "P"), ("préférer", "P"), ("choisir", "C"), ("acheter", "C"), ("prendre", "F"))
    for noun in lex.nouns("obj", "wear", "food"):
        wh = f"{'laquelle' if noun.gender == 'f' else 'lequel'} de {noun.fr_np(True, 'ce')}"
        for inf, tense in (use for use in uses if noun in _objects(lex.VERBS[use[0]])):
            yield from _ask(wh, f"which of {noun.en_np(True, 'ce')}", lex.VERBS[inf], YOU_THEM, tense, per=2,
                            obj=(noun.gender, False))


def who() -> Iterator[Group]:
    """« Qui veut du café ? », « Qui a appelé le médecin ? », « Qui parle au professeur ? »."""
    for i, verb in enumerate(v for v in lex.VERBS.values() if "nowho" not in v.tags):
        for tense in filter(verb.has_tense, "PCF"):
            for k, noun in enumerate(_objects(verb, countable=False)):
                mass, pl = "mass" in noun.tags, (i + k + len(tense)) % 2 == 1 and "mass" not in noun.tags
                det = "du" if mass and tense != "C" else ("le", "ce", "mon", "ton")[(i + k) % 4]
                yield _who(verb, tense, noun.fr_np(pl, det), noun.en_np(pl, det))
            if "who" in verb.tags:
                yield from (_who(verb, tense, p.fr, p.en) for p in _pick(PEOPLE, i + len(tense), 4))
    roles = [lex.np_subject(n.fr_np(), n.en_np(), n.gender, False) for n in lex.nouns("role")]
    for i, (wh, _, inf, particle) in enumerate(use for use in _PREPOSITIONS if use[1] == "who"):
        for tense in filter(lex.VERBS[inf].has_tense, "PCF"):
            for p in _pick(PEOPLE, i + len(tense), 5) + roles * (tense == "P"):
                fr = lex.with_prep("à", p.fr) if wh == "à qui" else "avec " + p.fr
                yield _who(lex.VERBS[inf], tense, fr, f"{particle} {p.en}")


def whom() -> Iterator[Group]:
    """Questions about an object: « Qui attends-tu ? », « À qui parles-tu ? », « De quoi as-tu peur ? »."""
    uses = [("qui", "who", verb.inf, "") for verb in lex.verbs("who")] + list(_PREPOSITIONS)
    for i, (wh, wh_en, inf, particle) in enumerate(uses):
        yield from _ask(wh, wh_en, lex.VERBS[inf], YOU_THEM + _pick(PEOPLE, i, 2), strand=particle)


def whose() -> Iterator[Group]:
    """« À qui est ce livre ? » → "Whose book is this?"; « À qui étaient ces chaussures noires ? »."""
    colors, others = lex.ADJECTIVES[:11], lex.ADJECTIVES[11:]
    for i, noun in enumerate(lex.nouns("obj", "wear", "animal")):
        thing = "animal" not in noun.tags  # no « souris rouge »
        adjectives = [None] + [colors[i % 11]] * ("color" in noun.tags and thing) + [others[i % 4]] * thing
        for pl, adj in ((pl, adj) for pl in (False, True) for adj in adjectives):
            for be, be_en in (("sont", "are"), ("étaient", "were")) if pl else (("est", "is"), ("était", "was")):
                english = _en("whose", noun.en_np(pl, "du", adj), be_en, "these" if pl else "this")
                yield english, [_fr("à qui", be, noun.fr_np(pl, "ce", adj))]


def color() -> Iterator[Group]:
    """« De quelle couleur sont tes chaussures ? » / « Quelle est la couleur du chat ? »."""
    for i, noun in enumerate(lex.nouns("color")):
        for pl in (False, True):
            phrases = [(noun.fr_np(pl, det), noun.en_np(pl, det)) for det in ("le", "ton", "votre", "mon")]
            for fr, en in phrases + [_owned(noun, pl, owner) for owner in _pick(PEOPLE, 2 * i + pl, 2)]:
                french = [_fr("de quelle couleur", "sont" if pl else "est", fr),
                          _fr("quelle est la couleur", lex.with_prep("de", fr))]
                yield _en("what color", "are" if pl else "is", en), french


def favorite() -> Iterator[Group]:
    """« Quelle est ta couleur préférée ? », « Quels sont les films préférés de ton frère ? »."""
    for i, noun in enumerate(lex.nouns("fav", "favp")):
        for pl in (False, True):
            wh_fr, be = _quel(noun.gender, pl), "sont" if pl else "est"
            favorite_fr = lex.agree("préféré", noun.gender, pl)
            phrases = [(lex.join_fr(noun.fr_np(pl, det), favorite_fr), "your favorite " + noun.en_np(pl, "du"))
                       for det in ("ton", "votre")]
            phrases += [_owned(noun, pl, owner, favorite_fr, "favorite") for owner in _pick(PEOPLE, 2 * i + pl, 3)]
            for fr, en in phrases:
                french = [_fr(wh, be, fr) for wh in ((wh_fr, "qui") if "favp" in noun.tags else (wh_fr,))]
                yield _en("who" if "favp" in noun.tags else "what", "are" if pl else "is", en), french


def intransitive() -> Iterator[Group]:
    """« Où vas-tu ? », « Quand partez-vous ? », « Pourquoi ta sœur n'est-elle pas partie ? »."""
    for i, verb in enumerate(lex.verbs(*_WH)):
        for wh_en in sorted(verb.tags & set(_WH)):
            subjects = YOU_THEM + _pick(PEOPLE, 3 * i + len(wh_en), 3)
            tenses = "PCF" if wh_en == "when" else "PCIF"
            neg = "neg" in verb.tags and wh_en == "why"
            yield from _ask(_WH[wh_en], wh_en, verb, subjects, tenses, timed=wh_en != "when", neg=neg)


def _destinations() -> list[tuple[str, str]]:
    places = [(lex.with_prep("à", n.fr_np()), "to " + (n.en if "bare" in n.tags else n.en_np()))
              for n in lex.nouns("place")]
    countries = [("en " + c[3:] if c.startswith("la ") else "en " + c[2:] if c.startswith("l'")
                  else lex.with_prep("à", c), "to " + en) for c, en in lex.COUNTRIES]
    return places + [("à " + city, "to " + en) for city, en in lex.CITIES] + countries


def complemented() -> Iterator[Group]:
    """« Avec qui vas-tu au parc ? », « Où a-t-elle appris l'anglais ? », « Pourquoi n'aimes-tu pas le thé ? »,
    « Dans quelle rue habitez-vous ? »."""
    go, learn, anyone = lex.VERBS["aller"], lex.VERBS["apprendre"], YOU_THEM + PEOPLE[:40]
    yield from _ask("quand", "when", go, anyone, "PCF", per=2, comps=_destinations(), timed=False)
    yield from _ask("pourquoi", "why", go, anyone, "PCF", per=2, comps=_destinations())
    yield from _ask("avec qui", "who", go, anyone, "PCF", per=2, comps=_destinations(), strand="with")
    yield from _ask("pourquoi", "why", learn, anyone, "PF", per=2, comps=list(lex.LANGUAGES))
    yield from _ask("où", "where", learn, anyone, "C", per=3, comps=list(lex.LANGUAGES), timed=False)
    yield from _ask("quand", "when", learn, anyone, "C", per=2, comps=list(lex.LANGUAGES), timed=False)
    generic = [(n.fr_np(), n.en) for n in lex.nouns("mass")] + [
        (n.fr_np(True), n.en_pl) for n in lex.nouns("food", "animal", "watch") if "mass" not in n.tags]
    yield from _ask("pourquoi", "why", lex.VERBS["aimer"], YOU_THEM, "P", per=2, comps=generic, neg=True)
    yield from _ask("pourquoi", "why", lex.VERBS["détester"], YOU_THEM, "P", per=1, comps=generic)
    for noun in lex.nouns("home") + [n for n in lex.NOUNS if n.fr in ("ville", "pays")]:
        wh, wh_en = f"dans {_quel(noun.gender, False)} {noun.fr}", f"which {noun.en}"
        for inf in ("habiter", "travailler", "étudier"):
            strand = "on" if noun.fr == "rue" else "in"
            yield from _ask(wh, wh_en, lex.VERBS[inf], YOU_THEM, "PIC", per=6, strand=strand)


def outing() -> Iterator[Group]:
    """Long ones: « Pourquoi les enfants de tes voisins vont-ils à la piscine avec leurs amis samedi prochain ? »."""
    places, kin = lex.nouns("place"), lex.nouns("kin")
    for i, owner in enumerate(p for p in PEOPLE if not p.plural):
        for k, relative in enumerate(_pick(kin, i, 2)):
            pl = (i + k) % 2 == 1 and "one" not in relative.tags
            s = lex.np_subject(*_owned(relative, pl, owner), relative.gender, pl)
            place, (with_fr, with_en), tense = places[(i + k) % len(places)], lex.COMPANIONS[i % 6], "PCF"[k]
            comp_fr = lex.join_fr(lex.with_prep("à", place.fr_np()), "avec", "leurs" if pl else "ses", with_fr)
            comp_en = _words("to", place.en if "bare" in place.tags else place.en_np(), "with", s.poss_en, with_en)
            when = _pick(lex.PAST_TIMES if tense == "C" else lex.FUTURE_TIMES, i, 1)[0]
            yield _q(*(("pourquoi", "why") if i % 2 else ("quand", "when")), s, lex.VERBS["aller"], tense,
                     (comp_fr, comp_en), when)


def state() -> Iterator[Group]:
    """« Pourquoi es-tu si fatigué ? », « Pourquoi ta sœur n'était-elle pas prête ? »."""
    for i, adj in enumerate(lex.STATES):
        for j, s in enumerate(YOU_THEM + _pick(PEOPLE, i, 4)):
            present, form = (i + j) % 2 == 0, adj.agree(s.gender, s.plural)
            finite, be = (lex.ETRE, _BE) if present else (lex.ETRE_IMPARFAIT, _WAS)
            for adverb, adverb_en in (("", ""), ("si", "so"), ("toujours", "always"), ("ne", "")):
                if adverb == "si" and " " in form:  # not « si en colère »
                    continue
                neg = adverb == "ne"
                english = _en("why", be[s.en_cls] + "n't" * neg, s.en, adverb_en, adj.en)
                yield english, _fr_forms("pourquoi", s, "", finite[s.person], _words("" if neg else adverb, form), neg)


def timetable() -> Iterator[Group]:
    """« À quelle heure commence le film ? », « Quand ce bus est-il parti ? »."""
    for verb in lex.verbs("s:event", "s:opens", "s:ride"):
        for noun in lex.nouns(*(tag[2:] for tag in verb.tags if tag.startswith("s:"))):
            for det in ("le", "ce"):
                s = lex.np_subject(noun.fr_np(False, det), noun.en_np(False, det), noun.gender, False)
                for wh, wh_en in (("à quelle heure", "what time"), ("quand", "when")):
                    yield from (_q(wh, wh_en, s, verb, tense, simple=True) for tense in "PCF")


def routine() -> Iterator[Group]:
    """« À quelle heure te lèves-tu ? », « Pourquoi s'est-elle couchée si tard ? »."""
    late = [("si tôt", "so early"), ("si tard", "so late")]
    for i, verb in enumerate(v for v in lex.VERBS.values() if v.inf.startswith(("se ", "s'"))):
        subjects = YOU_THEM + _pick(PEOPLE, i, 4)
        yield from _ask("à quelle heure", "what time", verb, subjects, "P")
        for tense, times in (("C", lex.PAST_TIMES[:1] + lex.PAST_TIMES[3:4]), ("F", lex.FUTURE_TIMES[:3:2])):
            yield from _ask("à quelle heure", "what time", verb, subjects, tense, per=len(subjects) // 2,
                            comps=[("", "")] + list(times), timed=False)
        yield from _ask("pourquoi", "why", verb, subjects, "C", per=len(subjects) // 2, comps=late, timed=False)


def people() -> Iterator[Group]:
    """« D'où vient ton ami ? », « Comment s'appelle-t-elle ? », « Qui est le professeur de Marie ? »."""
    relations = [next(n for n in lex.NOUNS if n.fr == fr) for fr in _RELATIONS]
    venir = lex.VERBS["venir"].present
    for i, s in enumerate([p for p in lex.PRONOUNS if p.person in (1, 2, 5)] + PEOPLE):
        name = "names" if s.plural else "name"
        owner = "your" if s.person == 1 else s.poss_en if s.is_pronoun else lex.en_possessive(s.en, s.plural)
        appelle = ("", "appelles", "appelle", "", "", "appellent")[s.person]
        yield _en("what", "are" if s.plural else "is", owner, name), _fr_forms(
            "comment", s, lex.REFLEXIVE[s.person], appelle, "")
        yield _en("where", _BE[s.en_cls], s.en, "from"), _fr_forms("d'où", s, "", venir[s.person], "")
        for relation in _pick(relations if not s.plural else relations[:4], i, 2 * (not s.is_pronoun)):
            pl = relation.fr in ("voisin", "ami", "enfant") and i % 2 == 1
            fr, en = _owned(relation, pl, s)
            yield _en("who", "are" if pl else "is", en), [_fr("qui", "sont" if pl else "est", fr)]


def modal() -> Iterator[Group]:
    """« Que veux-tu manger ? », « Où pouvait-il dormir ? », « Où puis-je acheter du pain ? »."""
    uses = [(v, "que", "what") for v in lex.verbs("que") if v.has_tense("F")]
    uses += [(v, "où", "where") for v in lex.verbs("where")]
    for i, modal_verb in enumerate(lex.MODALS):
        aux, aux_past, before = modal_verb.en[0], modal_verb.en[2], modal_verb.en[3].replace("_", " ").strip()
        for k, (verb, wh, wh_en) in enumerate(uses):
            for j, s in enumerate(_pick(YOU_THEM, i + k, 3)):
                past = (i + j + k) % 2 == 1
                en_aux = aux_past if past else ("does" if s.en_cls == "3s" else "do") if aux == "do" else aux
                finite = modal_verb.imparfait(s.person) if past else modal_verb.present[s.person]
                english = _en(wh_en, en_aux, s.en, before, verb.en[0], verb.particle)
                yield english, _fr_forms(wh, s, "", finite, verb.inf)
    things = [(n.fr_np(False, "du"), n.en) for n in lex.nouns("mass")] + [
        (n.fr_np(True, "un"), n.en_pl) for n in lex.nouns("obj", "wear", "food") if "mass" not in n.tags]
    places = [(n.fr_np(False, "un"), n.en_np(False, "un")) for n in lex.nouns("place")]
    for s in (lex.PRONOUNS[0], lex.PRONOUNS[5], lex.ON):
        for verb, objects in (("acheter", things), ("trouver", places)):
            for fr, en in objects:
                yield _en("where can", s.en, lex.VERBS[verb].en[0], en), _fr_forms(
                    "où", s, "", lex.MODALS[1].present[s.person], _words(verb, fr))


def countries() -> Iterator[Group]:
    """« Quelle est la capitale du Japon ? », « Quelle langue parle-t-on au Brésil ? », and fixed phrases."""
    for (country, en), (in_fr, _) in zip(lex.COUNTRIES, _destinations()[-len(lex.COUNTRIES):]):
        yield _en("what is the capital of", en), [_fr("quelle est la capitale", lex.with_prep("de", country))]
        yield _en("what language do they speak in", en), [_fr("quelle langue parle-t-on", in_fr)]
    for city, en in lex.CITIES:
        yield _en("what is the weather like in", en), [_fr("quel temps fait-il à", city)]
    for fr, en in lex.FIXED:
        yield en, [fr]


TEMPLATES: tuple[Callable[[], Iterator[Group]], ...] = (
    where_is, where_put, what, which, who, whom, whose, color, favorite, intransitive, complemented, outing, state,
    timetable, routine, people, modal, countries)


@lru_cache(maxsize=1)
def _grammar() -> tuple[tuple[int, str, tuple[str, ...]], ...]:
    """Every (template index, English, French translations) the grammar produces, merged by English sentence."""
    groups: dict[str, tuple[int, dict[str, None]]] = {}
    for t, template in enumerate(TEMPLATES):
        for english, french in template():
            groups.setdefault(english, (t, {}))[1].update(dict.fromkeys(french))
    return tuple((t, english, tuple(french)) for english, (t, french) in groups.items())


def max_pairs() -> int:
    """How many distinct (french, english) pairs the grammar can produce."""
    return sum(len(french) for _, _, french in _grammar())


def _interleave(groups: tuple[tuple[int, str, tuple[str, ...]], ...], rng: random.Random) -> list[int]:
    """A random order of the groups mixing the templates, each weighted by the square root of its size."""
    by_template: dict[int, list[int]] = {}
    for i, (t, _, _) in enumerate(groups):
        by_template.setdefault(t, []).append(i)
    keyed = []
    for members in by_template.values():
        rng.shuffle(members)
        keyed += [((k + rng.random()) / len(members) ** 0.5, i) for k, i in enumerate(members)]
    return [i for _, i in sorted(keyed)]


def generate_question_pairs(n_pairs: int = 6000, seed: int = 0) -> list[tuple[str, str]]:
    """Return ``n_pairs`` distinct (french, english) question pairs, deterministic for a given seed."""
    groups, limit = _grammar(), max_pairs()
    if not 0 <= n_pairs <= limit:
        raise ValueError(f"n_pairs={n_pairs} is out of range: the embedded grammar produces at most {limit} "
                         "distinct question pairs")
    rng = random.Random(seed)
    chosen: list[tuple[str, str]] = []
    spare: list[tuple[str, str]] = []
    for i in _interleave(groups, rng):
        if len(chosen) >= n_pairs:
            break
        _, english, french = groups[i]
        french = rng.sample(french, len(french))
        keep = rng.randint(2, min(3, len(french))) if len(french) > 1 and rng.random() < ALTERNATIVES_RATE else 1
        chosen += [(fr, english) for fr in french[:keep]]
        spare += [(fr, english) for fr in french[keep:]]
    chosen = (chosen + spare)[:n_pairs]
    rng.shuffle(chosen)
    return chosen
