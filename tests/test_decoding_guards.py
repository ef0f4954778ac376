"""Decode-time guards: with them off decoding is exactly what it was before they existed; n-gram blocking stops
repetition; ``_unk_`` is only produced where a source word can be copied, and alignments point at it."""
from __future__ import annotations

import pytest
import torch

from datamodules.text.vocab import EOS_IDX, PAD_IDX, UNK_IDX
from models.beam_search import beam_search
from models.decoding import greedy_decode
from models.decoding_guards import Guards, banned_ngrams, unknown_runs
from test_models import _batch, _model_with

# Outputs of the decoder before the guards existed (commit d6a7f47), same seeded models and batch: greedy tokens,
# beam-3 tokens and beam-3 scores, step limit 9.
BEFORE = {
    "output": ([[8, 17, 8, 8, 8, 8, 8, 8, 8], [17] * 9, [8] * 9, [8] * 9, [8] * 9],
               [[8, 17, 8, 8, 8, 8, 8, 8, 8], [17] * 9, [7] + [8] * 8, [7] + [8] * 8, [7] + [8] * 8],
               [-9.7307, -9.6517, -9.4668, -9.6118, -9.7454]),
    "input_feeding": ([[17] + [8] * 8, [3] + [8] * 8, [8] * 9, [17] + [8] * 7 + [17], [3] + [8] * 8],
                      [[17] + [8] * 8, [1] * 9, [1] * 9, [8] * 7 + [17, 17], [3] + [8] * 8],
                      [-9.6979, -2.5821, -2.5543, -9.6693, -9.6614]),
}


@pytest.mark.parametrize("mode", sorted(BEFORE))
def test_decoding_with_the_guards_off_is_unchanged(mode: str) -> None:
    model = _model_with(mode, seed=3)
    src, lens, _ = _batch(seed=5)
    greedy, beam_tokens, beam_scores = BEFORE[mode]
    for guards in (None, Guards()):
        assert greedy_decode(model, src, lens, max_len=9, guards=guards).tokens.tolist() == greedy
        out = beam_search(model, src, lens, 3, 9, guards=guards)
        assert out.tokens.tolist() == beam_tokens
        assert [round(s, 4) for s in out.scores.tolist()] == beam_scores


def _repeats(row: list[int], n: int) -> bool:
    grams = [tuple(row[i:i + n]) for i in range(len(row) - n + 1) if PAD_IDX not in row[i:i + n]]
    return len(grams) != len(set(grams))


@pytest.mark.parametrize("n", [2, 3])
def test_no_repeat_ngram_blocks_every_repeated_ngram(n: int) -> None:
    model = _model_with("output", seed=3)
    src, lens, _ = _batch(seed=5)
    plain = greedy_decode(model, src, lens, max_len=12).tokens.tolist()
    assert any(_repeats(r, n) for r in plain)  # this model loops: the guard has work to do
    guards = Guards(no_repeat_ngram=n)
    for rows in (greedy_decode(model, src, lens, max_len=12, guards=guards).tokens.tolist(),
                 beam_search(model, src, lens, 3, 12, guards=guards).tokens.tolist()):
        assert not any(_repeats([t for t in r if t != EOS_IDX], n) for r in rows), rows


def test_banned_ngrams_names_the_token_that_would_repeat() -> None:
    history = torch.tensor([[5, 6, 7, 5], [5, 6, 5, 6]])
    banned = banned_ngrams(history, 2).tolist()
    assert banned[0] == [6, PAD_IDX, PAD_IDX]  # "5 6" seen: after the last 5, 6 would repeat it
    assert banned[1] == [PAD_IDX, 5, PAD_IDX]  # after the last 6, "6 5" would repeat
    assert banned_ngrams(history[:, :1], 2) is None


def _unk_loving_model() -> torch.nn.Module:
    model = _model_with("output", seed=3)
    with torch.no_grad():
        model.decoder.out.bias[UNK_IDX] += 50.0  # _unk_ is by far the most likely token at every step
    return model


def test_unk_is_never_produced_where_not_allowed() -> None:
    model = _unk_loving_model()
    src, lens, _ = _batch(seed=5)
    assert (greedy_decode(model, src, lens, max_len=6).tokens == UNK_IDX).any()
    allowed = torch.tensor([True, False, False, True, False])
    for out in (greedy_decode(model, src, lens, 6, guards=Guards(unk_allowed=allowed)).tokens,
                beam_search(model, src, lens, 3, 6, guards=Guards(unk_allowed=allowed)).tokens):
        has_unk = (out == UNK_IDX).any(1)
        assert has_unk[0] and has_unk[3] and not has_unk[[1, 2, 4]].any()


def _decodes(model, src, lens, guards: Guards) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Tokens and alignments ``(batch, steps)`` of each decoding loop, with 6 steps at most."""
    from models.decoding import greedy_search

    greedy = greedy_decode(model, src, lens, 6, guards=guards)
    fast = greedy_search(model, src, lens, 6, guards=guards, track="align")
    beam = beam_search(model, src, lens, 3, 6, guards=guards, track="align")
    return {"greedy": (greedy.tokens, greedy.align), "inference greedy": (fast.tokens, fast.align),
            "beam": (beam.tokens, beam.nbest_align[:, 0])}


def test_alignment_points_at_the_unknown_source_word() -> None:
    """With one unknown word in each source, the ``_unk_`` is aligned to it, whatever attention does; a source
    without unknown words is aligned by attention alone."""
    model = _unk_loving_model()
    src, lens, _ = _batch(seed=5)
    copy = torch.zeros_like(src, dtype=torch.bool)
    unknown_at = [2, 0, 4, 0, 1]
    for row, pos in enumerate(unknown_at):
        copy[row, pos] = True
    copy[3] = False  # no unknown word: plain attention argmax
    for name, (tokens, align) in _decodes(model, src, lens, Guards(copy_mask=copy)).items():
        for row in (0, 1, 2, 4):
            assert tokens[row, 0] == UNK_IDX and align[row, 0] == unknown_at[row], name
    greedy = greedy_decode(model, src, lens, 6, guards=Guards(copy_mask=copy))
    assert greedy.align[3].tolist() == greedy.attention[3].argmax(-1).tolist()


def test_each_unknown_source_word_is_copied_once() -> None:
    """A model that would write ``_unk_`` at every step copies each unknown source word exactly once, each to its
    own ``_unk_``, and then writes other words: a name is never written twice while another one is lost."""
    model = _unk_loving_model()
    src, lens, _ = _batch(seed=5)
    copy = torch.zeros_like(src, dtype=torch.bool)
    unknown_at = [(0, 2), (1, 3), (0, 4), (1, 2), (2, 3)]
    for row, positions in enumerate(unknown_at):
        copy[row, list(positions)] = True
    for name, (tokens, align) in _decodes(model, src, lens, Guards(copy_mask=copy)).items():
        for row, positions in enumerate(unknown_at):
            is_unk = tokens[row] == UNK_IDX
            assert sorted(align[row][is_unk].tolist()) == sorted(positions), (name, row, tokens[row], align[row])


def test_a_run_of_adjacent_unknown_words_is_copied_once_as_a_whole() -> None:
    """Adjacent unknown words (a two-word name, a number in digit groups) are one unit: one ``_unk_`` uses up the
    whole run, so a model that would write ``_unk_`` at every step writes one per run, each aligned inside its own
    run, and never a second one into a run already copied."""
    model = _unk_loving_model()
    src, lens, _ = _batch(seed=5)
    runs_at = [[(1, 2, 3), (5,)], [(0,), (2,)], [(0,), (2, 3, 4)], [(0,)], [(1, 2)]]  # within each length
    unknown = torch.zeros_like(src, dtype=torch.bool)
    for row, runs in enumerate(runs_at):
        unknown[row, [p for run in runs for p in run]] = True
    assert unknown_runs(unknown).tolist() == [[0, 1, 1, 1, 0, 2, 0], [1, 0, 2, 0, 0, 0, 0], [1, 0, 2, 2, 2, 0, 0],
                                              [1, 0, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0]]
    for name, (tokens, align) in _decodes(model, src, lens, Guards.copying(unknown)).items():
        for row, runs in enumerate(runs_at):
            copied = align[row][tokens[row] == UNK_IDX].tolist()
            found = [next(i for i, run in enumerate(runs) if p in run) for p in copied]
            assert sorted(found) == list(range(len(runs))), (name, row, tokens[row], align[row])


def test_beam_tracks_attention_of_each_hypothesis() -> None:
    """The n-best list comes with the attention of each kept hypothesis: rows sum to 1 over the real source."""
    model = _model_with("output", seed=3)
    with torch.no_grad():
        model.decoder.out.bias[EOS_IDX] += 4.0  # hypotheses end before the limit: their _eos_ step has attention
    src, lens, _ = _batch(seed=5)
    out = beam_search(model, src, lens, 3, 7, track="attention")
    assert ((out.nbest[:, 0] != PAD_IDX).sum(1) < 6).any()
    assert out.nbest.shape[:2] == (5, 3) and out.nbest_attention.shape[:3] == (5, 3, 7)
    for b in range(5):
        best = out.nbest_attention[b, 0]
        steps = min(int((out.nbest[b, 0] != PAD_IDX).sum()) + 1, 7)  # tokens and the _eos_ step, within the limit
        torch.testing.assert_close(best[:steps, : int(lens[b])].sum(-1), torch.ones(steps))
        assert (best[:steps, int(lens[b]):] == 0).all()
    assert (out.nbest_scores[:, :-1] >= out.nbest_scores[:, 1:]).all()


@pytest.mark.parametrize("mode", ["none", "input", "output", "input_feeding"])
@pytest.mark.parametrize("guarded", [False, True])
def test_inference_greedy_that_drops_ended_sentences_equals_greedy_decoding(mode: str, guarded: bool) -> None:
    """Sentences leave the batch as they end, and nothing changes: tokens, alignments and scores are those of
    the plain greedy loop (whose sentences all run to the slowest one's end)."""
    from models.decoding import greedy_search

    model = _model_with(mode, seed=3)
    src, lens, _ = _batch(seed=5)
    copy = src == src[:, :1]  # some positions to copy from
    guards = Guards(3, torch.tensor([True, False, True, False, True]), copy, unknown_runs(copy)) if guarded else None
    limits = torch.tensor([3, 9, 5, 12, 7])
    plain = greedy_decode(model, src, lens, limits, guards=guards, with_scores=True)
    fast = greedy_search(model, src, lens, limits, guards=guards, track="align", with_scores=True)
    assert fast.tokens.tolist() == plain.tokens[:, : fast.tokens.size(1)].tolist()
    assert (plain.tokens[:, fast.tokens.size(1):] == PAD_IDX).all()
    torch.testing.assert_close(fast.scores, plain.scores)
    if plain.align is not None:
        ended = fast.tokens != PAD_IDX
        assert fast.align[ended].tolist() == plain.align[:, : fast.tokens.size(1)][ended].tolist()
