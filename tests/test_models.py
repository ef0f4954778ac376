"""Behaviour of the plain nn.Modules: shapes, masking, search equivalences, loss."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from datamodules.text.vocab import BOS_IDX, EOS_IDX, PAD_IDX
from models.attention import AdditiveAttention
from models.beam_search import beam_search
from models.decoding import greedy_decode
from models.seq2seq import Seq2Seq
from models.seq2seq_loss import seq2seq_loss

UNK_IDX = 3

ROOT = Path(__file__).resolve().parents[1]


def _batch(batch=5, src_vocab=23, tgt_vocab=19, seed=0):
    g = torch.Generator().manual_seed(seed)
    lens = torch.tensor([7, 3, 5, 1, 6][:batch])
    src = torch.randint(4, src_vocab, (batch, int(lens.max())), generator=g)
    src[torch.arange(src.size(1)).unsqueeze(0) >= lens.unsqueeze(1)] = PAD_IDX
    tgt = torch.randint(4, tgt_vocab, (batch, 6), generator=g)
    tgt[:, -1] = EOS_IDX
    return src, lens, tgt


def _model(bidirectional=True, attention=True, seed=0):
    torch.manual_seed(seed)
    return Seq2Seq(23, 19, 12, 10, hidden_size=16, num_layers=2, bidirectional=bidirectional,
                   attention=attention).eval()


def _model_with(mode: str, seed: int = 0) -> Seq2Seq:
    """A small model with no attention (``"none"``) or attention in ``mode``."""
    torch.manual_seed(seed)
    return Seq2Seq(23, 19, 12, 10, hidden_size=16, num_layers=2, bidirectional=True, attention=mode != "none",
                   attention_mode="input" if mode == "none" else mode, dec_hidden_size=14).eval()


def test_nn_files_never_import_lightning():
    """Plain nn.Modules and retrieval (``models/``, ``retrieval/``) import neither Lightning nor the layers above."""
    banned = {"pytorch_lightning", "lightning", "lightning_fabric", "lightning_modules", "callbacks", "cli"}
    files = sorted([*(ROOT / "models").rglob("*.py"), *(ROOT / "retrieval").rglob("*.py")])
    assert len(files) >= 10 and {p.parent.name for p in files} == {"models", "retrieval"}
    for path in files:
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0]
        assert not {n.split(".")[0] for n in names} & banned, path


@pytest.mark.parametrize("bidirectional,attention", [(False, False), (True, False), (False, True), (True, True)])
def test_forward_shapes(bidirectional, attention):
    src, lens, tgt = _batch()
    logits, attn = _model(bidirectional, attention)(src, lens, tgt, teacher_forcing=0.5)
    assert logits.shape == (5, 6, 19)
    assert (attn is not None) == attention
    if attention:
        assert attn.shape == (5, 6, src.size(1))


def test_padding_gets_exactly_zero_attention():
    src, lens, tgt = _batch()
    _, attn = _model()(src, lens, tgt)
    pad = torch.arange(src.size(1)).unsqueeze(0) >= lens.unsqueeze(1)
    assert torch.all(attn.masked_select(pad.unsqueeze(1).expand_as(attn)) == 0)
    torch.testing.assert_close(attn.sum(-1), torch.ones(5, 6))


def test_attention_module_masks_padding_even_with_huge_scores():
    att = AdditiveAttention(4, 3, 5)
    enc = torch.randn(2, 4, 4) * 100
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    ctx, w = att(torch.randn(2, 3), att.keys(enc), enc, mask)
    assert w[0, 2:].eq(0).all() and ctx.shape == (2, 4)


def test_padding_does_not_change_the_encoding():
    model = _model()
    src, lens, _ = _batch()
    padded = torch.cat([src, torch.full((5, 3), PAD_IDX)], dim=1)
    m1, h1 = model.encode(src, lens)
    m2, h2 = model.encode(padded, lens)
    torch.testing.assert_close(h1, h2)
    torch.testing.assert_close(m1.enc_out, m2.enc_out[:, : src.size(1)])


def _eos_biased(model: Seq2Seq, bias: float) -> Seq2Seq:
    """Make ``_eos_`` likely enough that random models end their sentences within a few steps."""
    with torch.no_grad():
        model.decoder.out.bias[EOS_IDX] += bias
    return model


def _strip(rows: list[list[int]]) -> list[list[int]]:
    return [[t for t in (row[: row.index(EOS_IDX)] if EOS_IDX in row else row) if t != PAD_IDX] for row in rows]


@pytest.mark.parametrize("mode", ["none", "input", "output", "input_feeding"])
def test_beam_size_one_equals_greedy(mode):
    ended = 0
    for seed in range(3):
        model = _eos_biased(_model_with(mode, seed=seed), 0.5)
        src, lens, _ = _batch(seed=seed)
        greedy = greedy_decode(model, src, lens, max_len=12).tokens.tolist()
        ended += sum(EOS_IDX in row for row in greedy)
        assert _strip(beam_search(model, src, lens, beam_size=1, max_len=12).tokens.tolist()) == _strip(greedy)
    assert 0 < ended < 15  # both kinds of sentence occur: ended with _eos_ and cut at max_len


def test_greedy_stops_when_all_sentences_end_and_pads_after_eos():
    model = _eos_biased(_model(), 3.0)
    src, lens, _ = _batch()
    out = greedy_decode(model, src, lens, max_len=40)
    rows = out.tokens.tolist()
    assert all(EOS_IDX in row for row in rows)  # the bias makes every sentence end well before 40 steps
    for row in rows:
        assert all(t == PAD_IDX for t in row[row.index(EOS_IDX) + 1:])
    assert len(rows[0]) < 40 and any(r[-1] == EOS_IDX for r in rows)  # stopped at the step the last one ended


def _sequence_logprob(model: Seq2Seq, src: torch.Tensor, lens: torch.Tensor, toks: list[int]) -> float:
    """Log-probability of ``toks`` under the same scoring as decoding (``_bos_``/``_pad_`` excluded)."""
    memory, hidden = model.encode(src, lens)
    state = model.decoder.init_state(hidden)
    prev, total = torch.tensor([BOS_IDX]), 0.0
    for tok in toks:
        logits, state, _ = model.decoder.step(prev, state, memory)
        logits[:, [BOS_IDX, PAD_IDX]] = float("-inf")
        total += torch.log_softmax(logits, -1)[0, tok].item()
        prev = torch.tensor([tok])
    return total


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_exhaustive_beam_equals_brute_force(alpha):
    """With a beam as wide as every hypothesis, beam search finds the best of all sequences (vocabulary of 4 words
    plus the specials, at most 4 steps), with the same length-normalised score."""
    import itertools

    from models.beam_search import length_penalty

    max_len, words = 4, [UNK_IDX, 4, 5, 6]
    for seed in range(4):
        torch.manual_seed(seed)
        model = _eos_biased(Seq2Seq(9, 7, 6, 5, hidden_size=8, num_layers=1, attention=True,
                                    attention_mode="input_feeding").eval(), 0.5)
        src, lens = torch.randint(4, 9, (1, 5)), torch.tensor([5])
        best, best_seq = float("-inf"), None
        for n in range(max_len + 1):
            for body in itertools.product(words, repeat=n):
                toks = list(body) + ([EOS_IDX] if n < max_len else [])
                score = _sequence_logprob(model, src, lens, toks) / length_penalty(len(toks), alpha)
                if score > best:
                    best, best_seq = score, list(body)
        out = beam_search(model, src, lens, beam_size=4 ** max_len, max_len=max_len, length_penalty_alpha=alpha)
        assert _strip(out.tokens.tolist())[0] == best_seq
        assert out.scores[0].item() == pytest.approx(best, abs=1e-5)


@pytest.mark.parametrize("mode", ["none", "output"])
def test_teacher_forced_sequence_pass_equals_step_by_step(mode):
    model = _model_with(mode)
    src, lens, tgt = _batch()
    fast, fast_attn = model(src, lens, tgt, teacher_forcing=1.0)
    memory, hidden = model.encode(src, lens)
    state, prev, steps = model.decoder.init_state(hidden), torch.full((5,), BOS_IDX), []
    for t in range(tgt.size(1)):
        logits, state, _ = model.decoder.step(prev, state, memory)
        steps.append(logits)
        prev = tgt[:, t]
    torch.testing.assert_close(fast, torch.stack(steps, 1), atol=1e-5, rtol=1e-5)
    assert (fast_attn is None) == (mode == "none")


def test_per_token_forcing_mixes_truth_and_guesses():
    truth, logits = torch.zeros(4000, dtype=torch.long), torch.zeros(4000, 7)
    logits[:, 5] = 1.0
    torch.manual_seed(0)
    mixed = Seq2Seq._next_input(logits, truth, 0.3, "token")
    assert set(mixed.tolist()) == {0, 5} and abs((mixed == 0).float().mean().item() - 0.3) < 0.03
    coins = {tuple(Seq2Seq._next_input(logits[:3], truth[:3], 0.5, "batch").tolist()) for _ in range(40)}
    assert coins == {(0, 0, 0), (5, 5, 5)}  # the lesson's coin: the whole batch one way


@pytest.mark.parametrize("mode", ["input", "output", "input_feeding"])
def test_attention_modes_shapes_and_tying(mode):
    torch.manual_seed(0)
    model = Seq2Seq(23, 19, 12, 10, hidden_size=16, num_layers=2, bidirectional=True, attention=True,
                    attention_mode=mode, dec_hidden_size=14)
    src, lens, tgt = _batch()
    logits, attn = model(src, lens, tgt, teacher_forcing=0.5)
    assert logits.shape == (5, 6, 19) and attn.shape == (5, 6, src.size(1))
    assert model.decoder.out.weight is model.decoder.emb.weight and model.decoder.to_emb is not None
    untied = Seq2Seq(23, 19, 12, 10, hidden_size=16, attention=True, attention_mode=mode, dec_hidden_size=14,
                     tie_weights=False)
    assert untied.decoder.out.weight is not untied.decoder.emb.weight and untied.decoder.out.in_features == 14


def test_decode_limit_grows_with_the_source():
    from models.decoding import decode_limit

    assert decode_limit(torch.tensor([3, 4]), 20).tolist() == [20, 20]
    assert decode_limit(torch.tensor([3, 60]), 20).tolist() == [20, 95]


@pytest.mark.parametrize("beam", [1, 3])
def test_a_sentence_decodes_the_same_alone_or_in_any_batch(beam):
    """Limits are per sentence, so a sentence's translation never depends on its batch (DDP shards differ)."""
    from models.decoding import decode_limit

    model = _eos_biased(_model_with("input_feeding", seed=2), -1.0)  # rarely ends: the step limit matters
    src, lens, _ = _batch(seed=2)
    limits = decode_limit(lens, 4)

    def run(rows):
        if beam == 1:
            return greedy_decode(model, src[rows], lens[rows], limits[rows]).tokens.tolist()
        return beam_search(model, src[rows], lens[rows], beam, limits[rows]).tokens.tolist()

    together = _strip(run(list(range(5))))
    assert [_strip(run([i]))[0] for i in range(5)] == together
    assert {len(t) for t in together} == set(limits.tolist())  # every sentence ran to its own limit


def test_loss_ignores_padding_and_pads_short_outputs():
    logits = torch.randn(2, 3, 7)
    tgt = torch.tensor([[4, 5, EOS_IDX], [6, EOS_IDX, PAD_IDX]])
    full = seq2seq_loss(logits, tgt)
    changed = logits.clone()
    changed[1, 2] = 100.0  # a padding position: must not matter
    assert torch.isclose(full, seq2seq_loss(changed, tgt))
    short = seq2seq_loss(logits[:, :2], tgt)
    assert torch.isfinite(short) and short > 0
    torch.testing.assert_close(seq2seq_loss(torch.cat([logits, logits], 1), tgt), full)


def test_loss_falls_when_overfitting_one_batch():
    torch.manual_seed(0)
    model = Seq2Seq(23, 19, 12, 10, hidden_size=32, num_layers=1, attention=True, out_dropout=0.0,
                    emb_dropout=0.0)
    src, lens, tgt = _batch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        logits, _ = model(src, lens, tgt, teacher_forcing=1.0)
        loss = seq2seq_loss(logits, tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_output_layer_is_tied_to_decoder_embedding():
    model = _model()
    assert model.decoder.out.weight is model.decoder.emb.weight


def test_one_cycle_factor_shape():
    from lightning_modules.lr_schedule import one_cycle_factor
    values = [one_cycle_factor(s, 100, pct_start=0.25) for s in range(101)]
    assert values[0] == pytest.approx(1 / 25)
    assert max(values) == pytest.approx(1.0) and values.index(max(values)) == 25
    assert values[-1] == pytest.approx(1 / 25e4)
    assert all(a <= b for a, b in zip(values[:25], values[1:26]))
    assert all(a >= b for a, b in zip(values[25:], values[26:]))
    assert one_cycle_factor(500, 100) == values[-1]


def test_int8_inference_stays_close_to_the_trained_weights():
    """Dynamic int8 quantisation (translate.py's CPU default) changes the logits by little next to their spread,
    and leaves the original model untouched."""
    from models.quantize import int8_dynamic

    model = _model_with("output", seed=3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    src, lens, tgt = _batch(seed=5)
    quantized = int8_dynamic(model)
    with torch.no_grad():
        exact, _ = model(src, lens, tgt, teacher_forcing=1.0)
        approx, _ = quantized(src, lens, tgt, teacher_forcing=1.0)
    assert not torch.equal(exact, approx)  # it did quantise
    assert (exact - approx).abs().max() < 0.1 * exact.std()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert type(quantized.decoder.out).__module__.startswith("torch.ao.nn.quantized")
