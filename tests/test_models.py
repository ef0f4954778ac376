"""Behaviour of the plain nn.Modules: shapes, masking, search equivalences, loss."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from lightning_modules.nn.attention import AdditiveAttention
from lightning_modules.nn.loss import seq2seq_loss
from lightning_modules.nn.search import beam_search, greedy_decode
from lightning_modules.nn.seq2seq import EOS_IDX, PAD_IDX, Seq2Seq

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


def test_nn_files_never_import_lightning():
    for path in (ROOT / "lightning_modules" / "nn").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not any("lightning" in n and not n.startswith("lightning_modules") for n in names), path


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


@pytest.mark.parametrize("attention", [False, True])
def test_beam_size_one_equals_greedy(attention):
    for seed in range(3):
        model = _model(attention=attention, seed=seed)
        src, lens, _ = _batch(seed=seed)
        greedy = greedy_decode(model, src, lens, max_len=12).tokens.tolist()
        greedy = [row[: row.index(EOS_IDX)] if EOS_IDX in row else row for row in greedy]
        assert beam_search(model, src, lens, beam_size=1, max_len=12) == greedy


def test_greedy_stops_when_all_sentences_end_and_pads_after_eos():
    model = _model()
    src, lens, _ = _batch()
    out = greedy_decode(model, src, lens, max_len=40)
    rows = out.tokens.tolist()
    for row in rows:
        if EOS_IDX in row:
            assert all(t == PAD_IDX for t in row[row.index(EOS_IDX) + 1:])
    if all(EOS_IDX in r for r in rows):
        assert any(r[-1] == EOS_IDX for r in rows)


def test_beam_search_is_at_least_as_likely_as_greedy():
    model = _model(seed=1)
    src, lens, _ = _batch(seed=1)
    beams = beam_search(model, src, lens, beam_size=4, max_len=10, length_penalty=0.0)

    def logprob(i, toks):
        tgt = torch.tensor([toks + [EOS_IDX]])
        logits, _ = model(src[i:i + 1], lens[i:i + 1], tgt, teacher_forcing=1.0)
        return torch.log_softmax(logits, -1)[0].gather(-1, tgt[0].unsqueeze(-1)).sum().item()

    greedy = greedy_decode(model, src, lens, max_len=10).tokens.tolist()
    for i, row in enumerate(greedy):
        if EOS_IDX in row:
            g = row[: row.index(EOS_IDX)]
            assert logprob(i, beams[i]) >= logprob(i, g) - 1e-4


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
