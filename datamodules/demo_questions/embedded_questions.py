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

The grammar is split by concept: ``question_lexicon`` (the words), ``question_words`` (their types),
``french_morphology`` and ``english_morphology`` (word-level rules), ``question_subjects`` (who the questions are
about), ``question_grammar`` (one question in both languages) and ``question_templates`` (the patterns). This module
merges what the templates produce and samples from it.
"""
from __future__ import annotations

import random
from functools import lru_cache

from datamodules.demo_questions.question_templates import TEMPLATES

# Bump when the generated corpus changes, so caches built from an older generator are not reused.
CORPUS_VERSION = 1
ALTERNATIVES_RATE = 0.25  # chance that a sampled English question comes with 2-3 of its French translations


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
