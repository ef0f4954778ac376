"""The question templates of the embedded corpus (see ``embedded_questions``): where is..., which N did..., who
is going to..., why are you so..., what time does... start, whose N is this, and more.

Each template yields (English question, French translations) groups, filling its pattern from ``question_lexicon``
with subjects from ``question_subjects`` through the sentence building of ``question_grammar``.
"""
from __future__ import annotations

from typing import Callable, Iterator

from datamodules.demo_questions import question_lexicon as lex
from datamodules.demo_questions.english_morphology import BE, WAS, en_possessive
from datamodules.demo_questions.french_morphology import ETRE, ETRE_IMPARFAIT, REFLEXIVE, agree, join_fr, with_prep
from datamodules.demo_questions.question_grammar import (
    Group,
    ask,
    en_question,
    fr_forms,
    fr_question,
    join_words,
    owned,
    pick,
    quel,
    question,
    time_phrase,
    who_question,
)
from datamodules.demo_questions.question_subjects import ON, PEOPLE, PRONOUNS, YOU_THEM, np_subject

_WH = {"where": "où", "when": "quand", "why": "pourquoi"}
_PREPOSITIONS = (("à qui", "who", "parler", "to"), ("de qui", "who", "parler", "about"),
                 ("de quoi", "what", "parler", "about"), ("à qui", "who", "écrire", "to"),
                 ("à quoi", "what", "penser", "about"), ("à qui", "who", "penser", "about"),
                 ("avec qui", "who", "jouer", "with"), ("à quoi", "what", "jouer", ""),
                 ("avec qui", "who", "danser", "with"), ("avec qui", "who", "travailler", "with"),
                 ("de quoi", "what", "avoir besoin", ""), ("de quoi", "what", "avoir peur", "of"))
_RELATIONS = ("professeur", "médecin", "patron", "voisin", "ami", "amie", "frère", "sœur", "enfant", "fils", "fille")
# (the first four also suit a plural owner: « le médecin des voisins »)


def where_is() -> Iterator[Group]:
    """« Où sont mes clés ? », « Où est la voiture de Marie ? », « Où se trouve la gare ? »."""
    for i, noun in enumerate(lex.nouns("obj", "wear", "animal")):
        for pl in (False, True):
            be, be_en = ("sont", "are") if pl else ("est", "is")
            for det in ("le",) if "wild" in noun.tags else ("le", "mon", "ton", "votre"):
                yield en_question("where", be_en, noun.en_np(pl, det)), [fr_question("où", be, noun.fr_np(pl, det))]
            for owner in pick(PEOPLE, 2 * i + pl, 3 * ("wild" not in noun.tags)):
                fr, en = owned(noun, pl, owner)
                yield en_question("where", be_en, en), [fr_question("où", be, fr)]
    for noun in lex.nouns("place"):
        french = [fr_question("où", verb, noun.fr_np()) for verb in ("est", "se trouve")]
        yield en_question("where is", noun.en_np()), french
    for s in PEOPLE:
        yield en_question("where", BE[s.en_cls], s.en), [fr_question("où", "sont" if s.plural else "est", s.fr)]


def where_put() -> Iterator[Group]:
    """« Où as-tu mis tes clés ? », « Où a-t-elle mis son écharpe hier ? »."""
    for i, noun in enumerate(lex.nouns("obj", "wear")):
        for j, s in enumerate(PRONOUNS):
            for pl in (False, True):
                obj = noun.fr_np(pl, s.poss), noun.en_np(pl, s.poss, poss=s.poss_en)
                yield question("où", "where", s, lex.VERBS["mettre"], "C", obj, time_phrase("C", i + j + pl))


def what() -> Iterator[Group]:
    """« Que mange-t-il ? », « Qu'as-tu acheté hier ? », « Qu'est-ce que ton frère va faire ? »."""
    for i, verb in enumerate(lex.verbs("que")):
        yield from ask("que", "what", verb, YOU_THEM + pick(PEOPLE, i, 5))


def which() -> Iterator[Group]:
    """« Quels livres veut-elle ? », « Quelle robe a-t-elle achetée ? », « Laquelle de ces robes... »."""
    for verb in lex.VERBS.values():
        for noun in lex.objects(verb):
            for pl in (False, True):
                wh, wh_en = f"{quel(noun.gender, pl)} {noun.fr_pl if pl else noun.fr}", f"which {noun.en_np(pl, 'du')}"
                yield from ask(wh, wh_en, verb, YOU_THEM, "P")
                yield from ask(wh, wh_en, verb, YOU_THEM, "CIF", per=2, obj=(noun.gender, pl))
    uses = (("vouloir", "P"), ("préférer", "P"), ("choisir", "C"), ("acheter", "C"), ("prendre", "F"))
    for noun in lex.nouns("obj", "wear", "food"):
        wh = f"{'laquelle' if noun.gender == 'f' else 'lequel'} de {noun.fr_np(True, 'ce')}"
        for inf, tense in (use for use in uses if noun in lex.objects(lex.VERBS[use[0]])):
            yield from ask(wh, f"which of {noun.en_np(True, 'ce')}", lex.VERBS[inf], YOU_THEM, tense, per=2,
                           obj=(noun.gender, False))


def who() -> Iterator[Group]:
    """« Qui veut du café ? », « Qui a appelé le médecin ? », « Qui parle au professeur ? »."""
    for i, verb in enumerate(v for v in lex.VERBS.values() if "nowho" not in v.tags):
        for tense in filter(verb.has_tense, "PCF"):
            for k, noun in enumerate(lex.objects(verb, countable=False)):
                mass, pl = "mass" in noun.tags, (i + k + len(tense)) % 2 == 1 and "mass" not in noun.tags
                det = "du" if mass and tense != "C" else ("le", "ce", "mon", "ton")[(i + k) % 4]
                yield who_question(verb, tense, noun.fr_np(pl, det), noun.en_np(pl, det))
            if "who" in verb.tags:
                yield from (who_question(verb, tense, p.fr, p.en) for p in pick(PEOPLE, i + len(tense), 4))
    roles = [np_subject(n.fr_np(), n.en_np(), n.gender, False) for n in lex.nouns("role")]
    for i, (wh, _, inf, particle) in enumerate(use for use in _PREPOSITIONS if use[1] == "who"):
        for tense in filter(lex.VERBS[inf].has_tense, "PCF"):
            for p in pick(PEOPLE, i + len(tense), 5) + roles * (tense == "P"):
                fr = with_prep("à", p.fr) if wh == "à qui" else "avec " + p.fr
                yield who_question(lex.VERBS[inf], tense, fr, f"{particle} {p.en}")


def whom() -> Iterator[Group]:
    """Questions about an object: « Qui attends-tu ? », « À qui parles-tu ? », « De quoi as-tu peur ? »."""
    uses = [("qui", "who", verb.inf, "") for verb in lex.verbs("who")] + list(_PREPOSITIONS)
    for i, (wh, wh_en, inf, particle) in enumerate(uses):
        yield from ask(wh, wh_en, lex.VERBS[inf], YOU_THEM + pick(PEOPLE, i, 2), strand=particle)


def whose() -> Iterator[Group]:
    """« À qui est ce livre ? » → "Whose book is this?"; « À qui étaient ces chaussures noires ? »."""
    colors, others = lex.ADJECTIVES[:11], lex.ADJECTIVES[11:]
    for i, noun in enumerate(lex.nouns("obj", "wear", "animal")):
        thing = "animal" not in noun.tags  # no « souris rouge »
        adjectives = [None] + [colors[i % 11]] * ("color" in noun.tags and thing) + [others[i % 4]] * thing
        for pl, adj in ((pl, adj) for pl in (False, True) for adj in adjectives):
            for be, be_en in (("sont", "are"), ("étaient", "were")) if pl else (("est", "is"), ("était", "was")):
                english = en_question("whose", noun.en_np(pl, "du", adj), be_en, "these" if pl else "this")
                yield english, [fr_question("à qui", be, noun.fr_np(pl, "ce", adj))]


def color() -> Iterator[Group]:
    """« De quelle couleur sont tes chaussures ? » / « Quelle est la couleur du chat ? »."""
    for i, noun in enumerate(lex.nouns("color")):
        for pl in (False, True):
            phrases = [(noun.fr_np(pl, det), noun.en_np(pl, det)) for det in ("le", "ton", "votre", "mon")]
            for fr, en in phrases + [owned(noun, pl, owner) for owner in pick(PEOPLE, 2 * i + pl, 2)]:
                french = [fr_question("de quelle couleur", "sont" if pl else "est", fr),
                          fr_question("quelle est la couleur", with_prep("de", fr))]
                yield en_question("what color", "are" if pl else "is", en), french


def favorite() -> Iterator[Group]:
    """« Quelle est ta couleur préférée ? », « Quels sont les films préférés de ton frère ? »."""
    for i, noun in enumerate(lex.nouns("fav", "favp")):
        for pl in (False, True):
            wh_fr, be = quel(noun.gender, pl), "sont" if pl else "est"
            favorite_fr = agree("préféré", noun.gender, pl)
            phrases = [(join_fr(noun.fr_np(pl, det), favorite_fr), "your favorite " + noun.en_np(pl, "du"))
                       for det in ("ton", "votre")]
            phrases += [owned(noun, pl, owner, favorite_fr, "favorite") for owner in pick(PEOPLE, 2 * i + pl, 3)]
            for fr, en in phrases:
                french = [fr_question(wh, be, fr) for wh in ((wh_fr, "qui") if "favp" in noun.tags else (wh_fr,))]
                yield en_question("who" if "favp" in noun.tags else "what", "are" if pl else "is", en), french


def intransitive() -> Iterator[Group]:
    """« Où vas-tu ? », « Quand partez-vous ? », « Pourquoi ta sœur n'est-elle pas partie ? »."""
    for i, verb in enumerate(lex.verbs(*_WH)):
        for wh_en in sorted(verb.tags & set(_WH)):
            subjects = YOU_THEM + pick(PEOPLE, 3 * i + len(wh_en), 3)
            tenses = "PCF" if wh_en == "when" else "PCIF"
            neg = "neg" in verb.tags and wh_en == "why"
            yield from ask(_WH[wh_en], wh_en, verb, subjects, tenses, timed=wh_en != "when", neg=neg)


def _destinations() -> list[tuple[str, str]]:
    places = [(with_prep("à", n.fr_np()), "to " + (n.en if "bare" in n.tags else n.en_np()))
              for n in lex.nouns("place")]
    countries = [("en " + c[3:] if c.startswith("la ") else "en " + c[2:] if c.startswith("l'")
                  else with_prep("à", c), "to " + en) for c, en in lex.COUNTRIES]
    return places + [("à " + city, "to " + en) for city, en in lex.CITIES] + countries


def complemented() -> Iterator[Group]:
    """« Avec qui vas-tu au parc ? », « Où a-t-elle appris l'anglais ? », « Pourquoi n'aimes-tu pas le thé ? »,
    « Dans quelle rue habitez-vous ? »."""
    go, learn, anyone = lex.VERBS["aller"], lex.VERBS["apprendre"], YOU_THEM + PEOPLE[:40]
    yield from ask("quand", "when", go, anyone, "PCF", per=2, comps=_destinations(), timed=False)
    yield from ask("pourquoi", "why", go, anyone, "PCF", per=2, comps=_destinations())
    yield from ask("avec qui", "who", go, anyone, "PCF", per=2, comps=_destinations(), strand="with")
    yield from ask("pourquoi", "why", learn, anyone, "PF", per=2, comps=list(lex.LANGUAGES))
    yield from ask("où", "where", learn, anyone, "C", per=3, comps=list(lex.LANGUAGES), timed=False)
    yield from ask("quand", "when", learn, anyone, "C", per=2, comps=list(lex.LANGUAGES), timed=False)
    generic = [(n.fr_np(), n.en) for n in lex.nouns("mass")] + [
        (n.fr_np(True), n.en_pl) for n in lex.nouns("food", "animal", "watch") if "mass" not in n.tags]
    yield from ask("pourquoi", "why", lex.VERBS["aimer"], YOU_THEM, "P", per=2, comps=generic, neg=True)
    yield from ask("pourquoi", "why", lex.VERBS["détester"], YOU_THEM, "P", per=1, comps=generic)
    for noun in lex.nouns("home") + [n for n in lex.NOUNS if n.fr in ("ville", "pays")]:
        wh, wh_en = f"dans {quel(noun.gender, False)} {noun.fr}", f"which {noun.en}"
        for inf in ("habiter", "travailler", "étudier"):
            strand = "on" if noun.fr == "rue" else "in"
            yield from ask(wh, wh_en, lex.VERBS[inf], YOU_THEM, "PIC", per=6, strand=strand)


def outing() -> Iterator[Group]:
    """Long ones: « Pourquoi les enfants de tes voisins vont-ils à la piscine avec leurs amis samedi prochain ? »."""
    places, kin = lex.nouns("place"), lex.nouns("kin")
    for i, owner in enumerate(p for p in PEOPLE if not p.plural):
        for k, relative in enumerate(pick(kin, i, 2)):
            pl = (i + k) % 2 == 1 and "one" not in relative.tags
            s = np_subject(*owned(relative, pl, owner), relative.gender, pl)
            place, (with_fr, with_en), tense = places[(i + k) % len(places)], lex.COMPANIONS[i % 6], "PCF"[k]
            comp_fr = join_fr(with_prep("à", place.fr_np()), "avec", "leurs" if pl else "ses", with_fr)
            comp_en = join_words("to", place.en if "bare" in place.tags else place.en_np(), "with", s.poss_en, with_en)
            when = pick(lex.PAST_TIMES if tense == "C" else lex.FUTURE_TIMES, i, 1)[0]
            yield question(*(("pourquoi", "why") if i % 2 else ("quand", "when")), s, lex.VERBS["aller"], tense,
                           (comp_fr, comp_en), when)


def state() -> Iterator[Group]:
    """« Pourquoi es-tu si fatigué ? », « Pourquoi ta sœur n'était-elle pas prête ? »."""
    for i, adj in enumerate(lex.STATES):
        for j, s in enumerate(YOU_THEM + pick(PEOPLE, i, 4)):
            present, form = (i + j) % 2 == 0, adj.agree(s.gender, s.plural)
            finite, be = (ETRE, BE) if present else (ETRE_IMPARFAIT, WAS)
            for adverb, adverb_en in (("", ""), ("si", "so"), ("toujours", "always"), ("ne", "")):
                if adverb == "si" and " " in form:  # not « si en colère »
                    continue
                neg = adverb == "ne"
                english = en_question("why", be[s.en_cls] + "n't" * neg, s.en, adverb_en, adj.en)
                rest = join_words("" if neg else adverb, form)
                yield english, fr_forms("pourquoi", s, "", finite[s.person], rest, neg)


def timetable() -> Iterator[Group]:
    """« À quelle heure commence le film ? », « Quand ce bus est-il parti ? »."""
    for verb in lex.verbs("s:event", "s:opens", "s:ride"):
        for noun in lex.nouns(*(tag[2:] for tag in verb.tags if tag.startswith("s:"))):
            for det in ("le", "ce"):
                s = np_subject(noun.fr_np(False, det), noun.en_np(False, det), noun.gender, False)
                for wh, wh_en in (("à quelle heure", "what time"), ("quand", "when")):
                    yield from (question(wh, wh_en, s, verb, tense, simple=True) for tense in "PCF")


def routine() -> Iterator[Group]:
    """« À quelle heure te lèves-tu ? », « Pourquoi s'est-elle couchée si tard ? »."""
    late = [("si tôt", "so early"), ("si tard", "so late")]
    for i, verb in enumerate(v for v in lex.VERBS.values() if v.inf.startswith(("se ", "s'"))):
        subjects = YOU_THEM + pick(PEOPLE, i, 4)
        yield from ask("à quelle heure", "what time", verb, subjects, "P")
        for tense, times in (("C", lex.PAST_TIMES[:1] + lex.PAST_TIMES[3:4]), ("F", lex.FUTURE_TIMES[:3:2])):
            yield from ask("à quelle heure", "what time", verb, subjects, tense, per=len(subjects) // 2,
                           comps=[("", "")] + list(times), timed=False)
        yield from ask("pourquoi", "why", verb, subjects, "C", per=len(subjects) // 2, comps=late, timed=False)


def people() -> Iterator[Group]:
    """« D'où vient ton ami ? », « Comment s'appelle-t-elle ? », « Qui est le professeur de Marie ? »."""
    relations = [next(n for n in lex.NOUNS if n.fr == fr) for fr in _RELATIONS]
    venir = lex.VERBS["venir"].present
    for i, s in enumerate([p for p in PRONOUNS if p.person in (1, 2, 5)] + PEOPLE):
        name = "names" if s.plural else "name"
        owner = "your" if s.person == 1 else s.poss_en if s.is_pronoun else en_possessive(s.en, s.plural)
        appelle = ("", "appelles", "appelle", "", "", "appellent")[s.person]
        yield en_question("what", "are" if s.plural else "is", owner, name), fr_forms(
            "comment", s, REFLEXIVE[s.person], appelle, "")
        yield en_question("where", BE[s.en_cls], s.en, "from"), fr_forms("d'où", s, "", venir[s.person], "")
        for relation in pick(relations if not s.plural else relations[:4], i, 2 * (not s.is_pronoun)):
            pl = relation.fr in ("voisin", "ami", "enfant") and i % 2 == 1
            fr, en = owned(relation, pl, s)
            yield en_question("who", "are" if pl else "is", en), [fr_question("qui", "sont" if pl else "est", fr)]


def modal() -> Iterator[Group]:
    """« Que veux-tu manger ? », « Où pouvait-il dormir ? », « Où puis-je acheter du pain ? »."""
    uses = [(v, "que", "what") for v in lex.verbs("que") if v.has_tense("F")]
    uses += [(v, "où", "where") for v in lex.verbs("where")]
    for i, modal_verb in enumerate(lex.MODALS):
        aux, aux_past, before = modal_verb.en[0], modal_verb.en[2], modal_verb.en[3].replace("_", " ").strip()
        for k, (verb, wh, wh_en) in enumerate(uses):
            for j, s in enumerate(pick(YOU_THEM, i + k, 3)):
                past = (i + j + k) % 2 == 1
                en_aux = aux_past if past else ("does" if s.en_cls == "3s" else "do") if aux == "do" else aux
                finite = modal_verb.imparfait(s.person) if past else modal_verb.present[s.person]
                english = en_question(wh_en, en_aux, s.en, before, verb.en[0], verb.particle)
                yield english, fr_forms(wh, s, "", finite, verb.inf)
    things = [(n.fr_np(False, "du"), n.en) for n in lex.nouns("mass")] + [
        (n.fr_np(True, "un"), n.en_pl) for n in lex.nouns("obj", "wear", "food") if "mass" not in n.tags]
    places = [(n.fr_np(False, "un"), n.en_np(False, "un")) for n in lex.nouns("place")]
    for s in (PRONOUNS[0], PRONOUNS[5], ON):
        for verb, objects in (("acheter", things), ("trouver", places)):
            for fr, en in objects:
                yield en_question("where can", s.en, lex.VERBS[verb].en[0], en), fr_forms(
                    "où", s, "", lex.MODALS[1].present[s.person], join_words(verb, fr))


def countries() -> Iterator[Group]:
    """« Quelle est la capitale du Japon ? », « Quelle langue parle-t-on au Brésil ? », and fixed phrases."""
    for (country, en), (in_fr, _) in zip(lex.COUNTRIES, _destinations()[-len(lex.COUNTRIES):]):
        capital = fr_question("quelle est la capitale", with_prep("de", country))
        yield en_question("what is the capital of", en), [capital]
        yield en_question("what language do they speak in", en), [fr_question("quelle langue parle-t-on", in_fr)]
    for city, en in lex.CITIES:
        yield en_question("what is the weather like in", en), [fr_question("quel temps fait-il à", city)]
    for fr, en in lex.FIXED:
        yield en, [fr]


TEMPLATES: tuple[Callable[[], Iterator[Group]], ...] = (
    where_is, where_put, what, which, who, whom, whose, color, favorite, intransitive, complemented, outing, state,
    timetable, routine, people, modal, countries)

