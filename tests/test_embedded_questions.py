"""The embedded French/English question generator: determinism, format, grammar coverage and limits."""
from __future__ import annotations

import random
import re
from collections import Counter, defaultdict

import pytest

from datamodules.demo_questions.embedded_questions import generate_question_pairs, max_pairs
from datamodules.text.filters import EN_WH_QUESTION, QUESTION


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    return generate_question_pairs(6000, seed=0)


@pytest.fixture(scope="module")
def everything() -> dict[str, str]:
    """French → English over every pair the grammar can produce."""
    return dict(generate_question_pairs(max_pairs(), seed=0))


def test_same_seed_same_list(pairs):
    assert generate_question_pairs(6000, seed=0) == pairs


def test_other_seed_other_list(pairs):
    other = generate_question_pairs(6000, seed=1)
    assert other != pairs and len(set(other) & set(pairs)) < 0.5 * len(pairs)


@pytest.mark.parametrize("n_pairs", [0, 1, 37, 2500])
def test_n_pairs_distinct_pairs(n_pairs):
    got = generate_question_pairs(n_pairs, seed=3)
    assert len(got) == n_pairs == len(set(got))
    assert all(isinstance(fr, str) and isinstance(en, str) for fr, en in got)


def test_default_is_6000_distinct(pairs):
    assert len(generate_question_pairs()) == 6000 == len(set(pairs))


def test_global_random_state_untouched():
    random.seed(1234)
    state = random.getstate()
    generate_question_pairs(100, seed=5)
    assert random.getstate() == state


def test_the_lesson_regexes_match_whole_sentences(pairs):
    for fr, en in pairs:
        assert EN_WH_QUESTION.match(en) and EN_WH_QUESTION.match(en).group(1) == en, en
        assert QUESTION.match(fr) and QUESTION.match(fr).group(1) == fr, fr
        assert en.split()[0] in {"What", "Where", "When", "Who", "Whom", "Which", "Why", "Whose"}, en
        assert fr.endswith(" ?") and not fr.endswith("  ?") and fr == fr.strip() and "  " not in fr, fr


@pytest.mark.parametrize("pattern", [
    r"-t-il\b", r"-t-elle\b", r"-t-on\b", r"\w-nous\b", r"\w-vous\b", r"\w-tu\b", r"\bqu'", r"\bqu'est-ce que\b",
    r"\best-ce que\b", r"\bl'", r"\bd'", r"\bj'", r"\bs'", r"\bn'", r"\bdu ", r"\bau ", r"\bdes ", r"\baux ",
    r"\bquel ", r"\bquelle ", r"\bquels ", r"\bquelles ", r"\blequel ", r"\bcet ", r"\bvont\b", r"\bva-t-",
])
def test_each_phenomenon_appears_many_times(pairs, pattern):
    french = "\n".join(fr.lower() for fr, _ in pairs)
    assert len(re.findall(pattern, french)) >= 10, pattern


@pytest.mark.parametrize("fr, en", [  # the brief's examples, and samples of each construction in the current grammar
    ("Qu'est-ce que c'est ?", "What is it?"),
    ("Où va-t-il ?", "Where is he going?"),
    ("Que mange-t-elle ?", "What is she eating?"),
    ("Où allons-nous ?", "Where are we going?"),
    ("Quand partez-vous ?", "When are you leaving?"),
    ("Pourquoi est-ce qu'il pleut ?", "Why is it raining?"),
    ("À qui est ce livre ?", "Whose book is this?"),
    ("À qui est cette voiture ?", "Whose car is this?"),
    ("Qui parle au professeur ?", "Who is talking to the teacher?"),
    ("Quelle est la couleur du chat ?", "What color is the cat?"),
    ("Quels livres veut-elle ?", "Which books does she want?"),
    ("Quelles pommes a-t-elle mangées ?", "Which apples did she eat?"),  # agreement with a preceding object
    ("Où es-tu allé ?", "Where did you go?"),
    ("Où êtes-vous allées ?", "Where did you go?"),  # agreement with être
    ("Que mangeaient-ils ?", "What were they eating?"),  # imparfait
    ("Qu'est-ce que tu vas faire demain ?", "What are you going to do tomorrow?"),  # futur proche
    ("Où habite ta tante ?", "Where does your aunt live?"),  # stylistic inversion
    ("Pourquoi ma mère n'est-elle pas heureuse ?", "Why isn't my mother happy?"),  # complex inversion, negation
    ("Pourquoi ne sont-elles pas parties ?", "Why didn't they leave?"),
    ("Comment s'appelle-t-il ?", "What is his name?"),
    ("Où puis-je acheter du pain ?", "Where can I buy bread?"),
    ("À quelle heure t'es-tu levé ?", "What time did you get up?"),
    ("Avec qui vas-tu aller au parc ?", "Who are you going to go to the park with?"),
    ("Quelle est la capitale des États-Unis ?", "What is the capital of the United States?"),
])
def test_known_translations_are_in_the_grammar(everything, fr, en):
    assert everything.get(fr) == en


def test_agreement_after_etre_and_preceding_objects(everything):
    checked = 0
    for fr in everything:
        for pron, word in re.findall(r"\b(?:est|sont|était|étaient)-(elles?|ils) (?:pas )?(\w+)", fr):
            if word not in ("si", "toujours", "en"):
                assert word.endswith({"elle": "e", "elles": "es", "ils": ("s", "x")}[pron]), fr
                checked += 1
        match = re.match(r"(Quel|Quelle|Quels|Quelles) [\w ]+? (?:a|as|avons|avez|ont)-(?:t-)?\w+ (\w+)", fr)
        if match:
            quel, participle = match.groups()
            assert participle.endswith({"Quel": ("é", "i", "u", "s", "t"), "Quelle": "e", "Quels": "s",
                                        "Quelles": "es"}[quel]), fr
            checked += 1
    assert checked > 1000


def test_no_french_sentence_has_two_english_translations(everything):
    assert len(everything) == max_pairs()  # dict keys: every French sentence is paired with one English sentence


def test_some_english_sentences_have_several_french_translations(pairs):
    counts = Counter(en for _, en in pairs)
    shared = sum(count > 1 for count in counts.values()) / len(counts)
    assert 0.1 <= shared <= 0.3, shared


def test_vocabulary_and_lengths(pairs):
    english_words = {word for _, en in pairs for word in en[:-1].lower().split()}
    french_words = {word for fr, _ in pairs for word in re.split(r"[\s']+", fr[:-2].lower())}
    lengths = [len(en.split()) for _, en in pairs]
    assert len(english_words) >= 400 and len(french_words) >= 400
    assert max(lengths) < 30 and max(lengths) >= 14 and min(lengths) <= 4
    templates = defaultdict(set)
    for _, en in pairs:
        templates[" ".join(en.split()[:2])].add(en)
    assert len(templates) >= 20  # many distinct sentence openings


def test_grammar_is_large_enough_and_bounded():
    assert max_pairs() >= 30_000
    with pytest.raises(ValueError, match=f"at most {max_pairs()} distinct"):
        generate_question_pairs(max_pairs() + 1)
    with pytest.raises(ValueError):
        generate_question_pairs(-1)


def test_spacy_splits_elisions_and_clitics(pairs):
    spacy = pytest.importorskip("spacy")
    tokenizer = spacy.blank("fr").tokenizer
    assert [t.text for t in tokenizer("Qu'est-ce que c'est ?")] == ["Qu'", "est", "-ce", "que", "c'", "est", "?"]
    for doc in tokenizer.pipe(fr for fr, _ in pairs[:2000]):
        tokens = [t.text for t in doc]
        assert tokens[-1] == "?" and "?" not in tokens[:-1]
        assert not any(re.fullmatch(r"(qu|[ldjsnt])'\w+", t, re.IGNORECASE) for t in tokens), tokens
