"""Copying unknown words: the attention picks which, the source gives their order, adjacent unknown words go
together as one output token, and numbers come out written the English way."""
from __future__ import annotations

import pytest
import torch
from test_rare_words import _tiny_module

from datamodules.text.prepare import TextSettings
from datamodules.text.vocab import EOS_IDX, UNK_IDX
from lightning_modules.translator import Translator
from lightning_modules.unknown_copy import copied_text, copy_positions, copy_run
from models.decoding_guards import Guards, unknown_runs


def test_copies_follow_the_source_order_or_the_attention() -> None:
    ids = [UNK_IDX, 7, UNK_IDX, UNK_IDX, EOS_IDX, UNK_IDX]
    align = [6, 0, 1, 3, 0, 2]  # the last _unk_ is after _eos_: not copied
    assert copy_positions(ids, align) == [1, 3, 6]
    assert copy_positions(ids, align, "attention") == [6, 1, 3]
    with pytest.raises(ValueError, match="copy order"):
        copy_positions(ids, align, "alphabetical")


def test_a_copy_takes_the_whole_run_of_adjacent_unknown_words() -> None:
    runs = unknown_runs(torch.tensor([[False, True, True, False, True, True, True]]))[0].tolist()
    assert list(copy_run(2, runs)) == [1, 2]
    assert list(copy_run(1, runs)) == [1, 2]
    assert list(copy_run(5, runs)) == [4, 5, 6]
    assert list(copy_run(3, runs)) == [3]  # not unknown (attention with nothing left to copy)
    assert list(copy_run(5, None)) == [5]
    assert list(copy_run(9, runs)) == [9]  # past the source: the caller drops it


@pytest.mark.parametrize("words, text", [
    (["10", "000"], "10,000"), (["1", "250", "000"], "1,250,000"), (["3,5"], "3.5"), (["0,25"], "0.25"),
    (["1,000"], "1,000"), (["2019", "2020"], "2019 2020"), (["10", "00"], "10 00"), (["10:30"], "10:30"),
    (["Ishbel", "Dragomir"], "Ishbel Dragomir"), (["Marie-Claude"], "Marie-Claude")])
def test_copied_numbers_are_written_the_english_way(words: list[str], text: str) -> None:
    assert copied_text(words) == text


def test_translations_copy_names_whole_and_in_source_order() -> None:
    """An untrained model that writes ``_unk_`` at every step: each run of unknown words comes out once, as one
    token spelled as written, in the source's order, for greedy and beam search alike; its attention rows still
    line up with the tokens."""
    module = _tiny_module(["où", "est", "et", ",", "?"], ["where", "is", "and", "￭,", "￭?"], TextSettings())
    module.hparams.max_decode_len = 6
    line = "Où est Ishbel Dragomir et Zorglub , 10 000 ?"
    for beam in (1, 2):
        sentence = Translator(module, beam=beam).translate([line], attention=True)[0].sentences[0]
        best = sentence.hypotheses[0]
        copied = [t for t in best.tokens if t[:1].isupper() or t[:1].isdigit()]
        assert copied == ["Ishbel Dragomir", "Zorglub", "10,000"], (beam, best.tokens)
        assert len(best.tokens) <= best.attention.shape[0] <= len(best.tokens) + 1  # one row per step (+ _eos_)
    rows, aligns = [[UNK_IDX, UNK_IDX, EOS_IDX]], [[5, 2, 0]]  # attention took Zorglub first
    guards = Guards.copying(torch.tensor([[False, False, True, True, False, True, False]]))
    source = ["Où est Ishbel Dragomir et Zorglub ?"]
    assert module.ids_to_text(rows, aligns, source, guards) == ["Ishbel Dragomir Zorglub"]
    module.hparams.copy_order = "attention"
    assert module.ids_to_text(rows, aligns, source, guards) == ["Zorglub Ishbel Dragomir"]
