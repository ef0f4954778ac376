"""The lesson's question filter and its looser modes."""
from __future__ import annotations

import pytest

from core.errors import UserInputError
from datamodules.text.filters import filter_pair


@pytest.mark.parametrize("fr,en,expected", [
    ("Qu'est-ce que la lumière?", "What is light?", ("Qu'est-ce que la lumière?", "What is light?")),
    ("Où est la gare ? Et puis", "Where's the station? And then", ("Où est la gare ?", "Where's the station?")),
    ("  Qui êtes-vous ?\n", "\tWho are you?  ", ("Qui êtes-vous ?", "Who are you?")),
    ("Quand partez-vous\u202f?", "When do you leave?", ("Quand partez-vous\u202f?", "When do you leave?")),
    ("Pourquoi\u00a0?", "Why not?", ("Pourquoi\u00a0?", "Why not?")),
])
def test_wh_questions_keeps_the_matched_questions(fr, en, expected):
    assert filter_pair(fr, en, "wh_questions") == expected


@pytest.mark.parametrize("fr,en", [
    ("Comment allez-vous ?", "How are you?"),                    # not a Wh- question
    ("Quelle est la lumière.", "What is light?"),                # French is not a question
    ("Qu'est-ce que c'est ?", "What. Is it?"),                   # "." before the "?"
    ("Qu'est-ce que c'est ?", "What is it"),                     # no "?"
    ("Voici la gare ! Où ?", "Where is it?"),                    # "!" before the French "?"
    ("", "What is light?"),
    ("Quoi ?", "   "),
])
def test_wh_questions_drops(fr, en):
    assert filter_pair(fr, en, "wh_questions") is None


def test_questions_mode_keeps_any_question():
    assert filter_pair("Comment allez-vous ?", "How are you?", "questions") == ("Comment allez-vous ?", "How are you?")
    assert filter_pair("Est-ce vrai ? Oui.", "Is it true? Yes.", "questions") == ("Est-ce vrai ?", "Is it true?")
    assert filter_pair("Il pleut.", "Is it raining?", "questions") is None
    assert filter_pair("Pleut-il ?", "It rains.", "questions") is None


def test_none_mode_strips_and_drops_only_empty_sides():
    assert filter_pair(" Il pleut. ", "It rains.\n", "none") == ("Il pleut.", "It rains.")
    assert filter_pair("Comment ?", "How?", "none") == ("Comment ?", "How?")
    assert filter_pair("  ", "It rains.", "none") is None
    assert filter_pair("Il pleut.", "", "none") is None


def test_unknown_mode_is_a_user_error():
    with pytest.raises(UserInputError, match="unknown filter 'wh'.*wh_questions, questions, none"):
        filter_pair("Quoi ?", "What?", "wh")  # type: ignore[arg-type]
