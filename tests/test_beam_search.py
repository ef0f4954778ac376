"""Beam search drops done sentences from the batch as it goes: a sentence's n-best list, scores, alignments and
attention are those it gets when decoded alone, whatever the step limits and end times of its batch companions."""
from __future__ import annotations

import pytest
import torch

from datamodules.text.vocab import PAD_IDX
from models.beam_search import beam_search
from models.decoding_guards import Guards
from test_models import _batch, _model_with


@pytest.mark.parametrize("mode", ["none", "output", "input_feeding"])
@pytest.mark.parametrize("beam", [1, 3])
def test_each_sentence_gets_what_it_gets_alone(mode: str, beam: int) -> None:
    model = _model_with(mode, seed=3)
    src, lens, _ = _batch(seed=5)
    limits = torch.tensor([3, 11, 5, 12, 7])
    guards = Guards(2, torch.tensor([True, False, True, False, True]))
    track = "none" if mode == "none" else "attention"
    together = beam_search(model, src, lens, beam, limits, guards=guards, track=track)
    lengths = (together.nbest != PAD_IDX).sum(2)
    assert len(set(lengths[:, 0].tolist())) >= 3  # sentences leave the batch at different steps
    for row in range(src.size(0)):
        n = int(lens[row])
        alone = beam_search(model, src[row:row + 1, :n], lens[row:row + 1], beam, limits[row:row + 1],
                            guards=Guards(2, guards.unk_allowed[row:row + 1]), track=track)
        steps = alone.nbest.size(2)
        assert together.nbest[row, :, :steps].tolist() == alone.nbest[0].tolist(), row
        assert (together.nbest[row, :, steps:] == PAD_IDX).all()
        torch.testing.assert_close(together.nbest_scores[row], alone.nbest_scores[0])
        if track != "none":
            assert together.nbest_align[row, :, :steps].tolist() == alone.nbest_align[0].tolist(), row
            torch.testing.assert_close(together.nbest_attention[row, :, :steps, :n], alone.nbest_attention[0])
