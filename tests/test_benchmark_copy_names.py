"""The copying probe's bookkeeping: which words must come through, renaming on both sides, and the order check."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import copy_names  # noqa: E402


def test_names_and_numbers_on_both_sides_are_the_words_to_copy() -> None:
    assert copy_names.copied_both_sides("Je suis né à Boston en 1995.", "I was born in 1995 in Boston.") == \
        ["Boston", "1995"]
    # the first word is not a name by its capital; a word twice on a side is ambiguous; one side only is not copied
    assert copy_names.copied_both_sides("Tom a vu Tom et Marie.", "Tom saw Tom and Mary.") == []
    assert copy_names.copied_both_sides("Marie a 3 chats.", "Mary has 3 cats.") == ["3"]


def test_renaming_replaces_each_word_on_both_sides() -> None:
    pairs = [("Tom a dit à Mary de venir à 18 heures.", "Tom told Mary to come at 18 o'clock.", ["Mary", "18"])]
    (fr, en, words), = copy_names.renamed(pairs, ["Ishbel", "Dragomir"])
    assert words[0] in ("Ishbel", "Dragomir") and words[1].isdigit() and words[1] != "18"
    assert all(w in fr and w in en for w in words)
    assert "Mary" not in fr + en and "18" not in fr + en and fr.startswith("Tom")


def test_a_translation_counts_when_every_word_is_present_and_in_order() -> None:
    items = [("", "I was born in 1995 in Boston.", ["Boston", "1995"])] * 3
    hyps = ["I was born in 1995 in Boston.", "I was born in Boston in 1995.", "I was born in Boston."]
    assert copy_names.count(items, hyps) == (2, 1)
