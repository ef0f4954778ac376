"""Lightning's overhead on the translation model: the same seq2seq-with-attention, batches and optimizer trained
for a fixed number of steps by ``Seq2SeqModule`` under ``pl.Trainer`` and by a bare PyTorch loop, side by side.

    python benchmarks/overhead.py [--steps 150] [--repeats 3] [--pairs 6000] [--hidden 256]

Both sides get identical batches (the DataModule's length-grouped training loader, materialised once), the same
initial weights, Adam with the one-cycle LambdaLR stepped per batch, gradient clipping at 1.0 and the same
teacher-forcing probability; the Lightning side runs with logging to an in-memory logger off, no checkpointing and
no progress bar, as a benchmark should, but keeps its ``self.log`` calls. Runs alternate (Lightning, bare,
Lightning, ...) and each side's best of ``--repeats`` is reported, so machine noise hits both alike. Prints steps/s,
target tokens/s and the slowdown of Lightning relative to the bare loop (target: ≤ 5 %).
"""
from __future__ import annotations

import argparse
import copy
import logging
import sys
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datamodules.text.sources import EmbeddedQuestionsSource  # noqa: E402
from datamodules.translation import TranslationDataModule  # noqa: E402
from lightning_modules import Seq2SeqModule  # noqa: E402
from lightning_modules.lr_schedule import one_cycle_factor  # noqa: E402
from models.seq2seq import Seq2SeqConfig  # noqa: E402
from models.seq2seq_loss import seq2seq_loss  # noqa: E402

TEACHER_FORCING = 0.5


def _batches(args: argparse.Namespace) -> tuple[TranslationDataModule, list[dict]]:
    dm = TranslationDataModule(source=EmbeddedQuestionsSource(n_pairs=args.pairs, seed=0), src_vectors=None,
                               tgt_vectors=None, emb_dim=args.emb, batch_size=args.batch_size,
                               cache_dir=args.cache_dir)
    dm.prepare_data()
    dm.setup("fit")
    batches: list[dict] = []
    while len(batches) < args.steps:
        batches.extend(dm.train_dataloader())
    return dm, batches[: args.steps]


class _Fixed(torch.utils.data.Dataset):
    """Pre-built batches served as-is (batch_size=None), so neither side pays for collation."""

    def __init__(self, batches: list[dict]) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> dict:
        return self.batches[i]


def _module(dm: TranslationDataModule, args: argparse.Namespace) -> Seq2SeqModule:
    net = Seq2SeqConfig(dm.src_vocab_size, dm.tgt_vocab_size, dm.src_emb_dim, dm.tgt_emb_dim, args.hidden,
                        attention=True, bidirectional=True)
    module = Seq2SeqModule(net, teacher_forcing=TEACHER_FORCING, max_decode_len=dm.max_tgt_len)
    module.vocab_state = dm.vocab_state()
    return module


def run_lightning(module: Seq2SeqModule, batches: list[dict]) -> float:
    loader = torch.utils.data.DataLoader(_Fixed(batches), batch_size=None, shuffle=False)
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=len(batches), max_epochs=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         limit_val_batches=0, gradient_clip_val=1.0, num_sanity_val_steps=0)
    start = time.perf_counter()
    trainer.fit(module, train_dataloaders=loader)
    return time.perf_counter() - start


def run_bare(module: Seq2SeqModule, batches: list[dict]) -> float:
    """The loop Lightning automates, written out: forward, loss, backward, clip, step, schedule."""
    model = module.model
    hp = module.hparams
    start = time.perf_counter()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=hp.lr, betas=tuple(hp.betas),
                           weight_decay=hp.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: one_cycle_factor(step, len(batches), hp.pct_start))
    model.train()
    for batch in batches:
        logits, _ = model(batch["src"], batch["src_lens"], batch["tgt"], TEACHER_FORCING)
        loss = seq2seq_loss(logits, batch["tgt"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        float(loss.detach())  # what logging the loss costs the bare loop, too
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=6000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--emb", type=int, default=100)
    parser.add_argument("--cache-dir", default=".cache/benchmarks/overhead")
    args = parser.parse_args()
    for name in ("pytorch_lightning", "lightning_fabric", "lightning.pytorch"):  # keep the output to the figures
        logging.getLogger(name).setLevel(logging.ERROR)

    pl.seed_everything(0, verbose=False)
    dm, batches = _batches(args)
    tokens = sum(int((b["tgt"] != 0).sum()) for b in batches)
    template = _module(dm, args)
    times: dict[str, list[float]] = {"lightning": [], "bare": []}
    run_lightning(copy.deepcopy(template), batches[:5])  # warm-up: imports, allocator, first-call costs
    run_bare(copy.deepcopy(template), batches[:5])
    for _ in range(args.repeats):
        torch.manual_seed(0)
        times["lightning"].append(run_lightning(copy.deepcopy(template), batches))
        torch.manual_seed(0)
        times["bare"].append(run_bare(copy.deepcopy(template), batches))

    print(f"seq2seq (bidirectional GRU encoder + Bahdanau attention, hidden {args.hidden}), {args.steps} steps of "
          f"{args.batch_size} pairs, {tokens:,} target tokens, torch threads {torch.get_num_threads()}")
    print(f"{'loop':<10} {'best s':>8} {'all runs (s)':<26} {'steps/s':>8} {'tokens/s':>10}")
    best = {name: min(values) for name, values in times.items()}
    for name, values in times.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name:<10} {best[name]:>8.2f} {runs:<26} {args.steps / best[name]:>8.2f} {tokens / best[name]:>10,.0f}")
    slowdown = best["lightning"] / best["bare"] - 1
    print(f"Lightning slower than the bare loop by {100 * slowdown:+.1f} % (target ≤ 5 %)")


if __name__ == "__main__":
    main()
