"""French word-level rules for the embedded question corpus (see ``embedded_questions``).

Elision (« qu'il », « j'ai », « d'où »), determiners and their agreement (le, la, l', les; ce, cet, cette...),
à/de contractions (au, aux, du, des), agreement of participles, regular noun plurals, and the conjugation rules the
lexicon relies on: the regular présent of -er/-ir/-re verbs, regular past participles, the imparfait and the
auxiliaries avoir, être and aller. ``question_lexicon`` lists the words; these rules derive their regular forms.
"""
from __future__ import annotations

_VOWELS = "aeiouéèêëàâîïôûœh"  # every h-word in this lexicon has a mute h (l'hôtel, j'habite)
_ELIDED = ("que", "ne", "je", "me", "te", "se", "de")
AVOIR = ("ai", "as", "a", "avons", "avez", "ont")
ETRE = ("suis", "es", "est", "sommes", "êtes", "sont")
ETRE_IMPARFAIT = ("étais", "étais", "était", "étions", "étiez", "étaient")
ALLER = ("vais", "vas", "va", "allons", "allez", "vont")
REFLEXIVE = ("me", "te", "se", "nous", "vous", "se")
_IMPARFAIT = ("ais", "ais", "ait", "ions", "iez", "aient")
_DETERMINERS = {det: forms.split() for det, forms in (  # masc., fem., masc. and fem. before a vowel, plural
    ("le", "le la l' l' les"), ("un", "un une un une des"), ("ce", "ce cette cet cette ces"),
    ("mon", "mon ma mon mon mes"), ("ton", "ton ta ton ton tes"), ("son", "son sa son son ses"),
    ("notre", "notre notre notre notre nos"), ("votre", "votre votre votre votre vos"),
    ("leur", "leur leur leur leur leurs"), ("du", "du de_la de_l' de_l' des"))}


def starts_with_vowel(word: str) -> bool:
    """True if a French word elides what comes before it (vowel or mute h)."""
    return word[:1].lower() in _VOWELS


def join_fr(*parts: str) -> str:
    """Join French words, eliding que/ne/je/me/te/se/de before a vowel (``qu'il``, ``n'a``, ``j'ai``, ``d'où``)."""
    out = ""
    for part in filter(None, parts):
        head, _, last = out.rpartition(" ")
        if last.lower() in _ELIDED and starts_with_vowel(part):
            out = f"{head} {last[:-1]}'{part}".lstrip()
        else:
            out = f"{out} {part}" if out else part
    return out


def with_prep(prep: str, phrase: str) -> str:
    """``à``/``de`` + a noun phrase, contracted (au, aux, du, des) or elided (d'Antoine)."""
    for article, contracted in (("le ", {"à": "au ", "de": "du "}), ("les ", {"à": "aux ", "de": "des "})):
        if phrase.startswith(article):
            return contracted[prep] + phrase[len(article):]
    return join_fr(prep, phrase)


def with_determiner(det: str, word: str, gender: str, plural: bool) -> str:
    """``word`` after a determiner named by its masculine form (le, un, ce, mon, du...): l'hôtel, cette robe, de la
    viande, des pommes."""
    forms = _DETERMINERS[det]
    article = forms[4] if plural else forms[2 * starts_with_vowel(word) + (gender == "f")].replace("_", " ")
    return article + word if article.endswith("'") else f"{article} {word}"


def agree(word: str, gender: str, plural: bool) -> str:
    """Regular agreement of a past participle: ``parti`` → partie, partis, parties; ``pris`` → prise, pris."""
    word += "e" if gender == "f" else ""
    return word + "s" if plural and not word.endswith("s") else word


def fr_plural(word: str) -> str:
    """Regular French noun plural: -s, -x and -z stay; -eau/-eu take -x; -al becomes -aux."""
    if word.endswith(("s", "x", "z")):
        return word
    return word + "x" if word.endswith(("eau", "eu")) else word[:-2] + "aux" if word.endswith("al") else word + "s"


def _stem(inf: str) -> str:
    """The stem of a (reflexive) infinitive: manger → mang, se lever → lev, s'habiller → habill."""
    return inf.split()[-1].removeprefix("s'")[:-2]


def regular_present(inf: str, grave: bool = False) -> tuple[str, ...]:
    """Présent of a regular -er verb (mange, mangeons, commençons), -ir like finir or -re like vendre; ``grave``
    adds the stem change of acheter and préférer (achète, préfère; achetons, préférons)."""
    stem, group = _stem(inf), inf[-2:]
    accent = max(stem.rfind("e"), stem.rfind("é"))  # achet- → achèt-, préfér- → préfèr- for je, tu, il, ils
    one = stem[:accent] + "è" + stem[accent + 1:] if grave else stem
    if group == "ir":
        return stem + "is", stem + "is", stem + "it", stem + "issons", stem + "issez", stem + "issent"
    if group == "re":
        return stem + "s", stem + "s", stem, stem + "ons", stem + "ez", stem + "ent"
    nous = stem[:-1] + "çons" if stem.endswith("c") else stem + ("eons" if stem.endswith("g") else "ons")
    return one + "e", one + "es", one + "e", nous, stem + "ez", one + "ent"


def regular_participle(inf: str) -> str:
    """Regular past participle: mangé, fini, vendu."""
    return _stem(inf) + {"er": "é", "ir": "i", "re": "u"}[inf[-2:]]


def imparfait(nous: str, person: int) -> str:
    """From the ``nous`` présent: mangeons → mangeais, mangions; commençons → commençait, commencions."""
    stem, ending = nous[:-3], _IMPARFAIT[person]
    if ending[0] == "i" and stem.endswith(("ge", "ç")):
        stem = stem[:-1] if stem.endswith("ge") else stem[:-1] + "c"
    return stem + ending
