"""The learning-rate finder from the CLI: a plot and a suggestion, then a stop (or training with the suggestion)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger
from test_cli_translate import _demo_args
from torch.utils.data import DataLoader, TensorDataset

from callbacks.lr_finder import LrFinder, valley
from cli.lesson_cli import cli_main


def test_valley_suggests_a_rate_where_the_loss_still_falls() -> None:
    lrs = [10 ** (-6 + i * 0.1) for i in range(50)]  # 1e-6 … 1e-1.1
    losses = [6.0 if lr < 1e-4 else 6.0 - 2.0 * math.log10(lr / 1e-4) if lr < 1e-2 else 2.0 + 30 * (lr - 1e-2)
              for lr in lrs]
    suggestion = valley(lrs, losses)
    assert 1e-4 < suggestion < 1e-2  # inside the fall, before the minimum
    assert valley(lrs, [5.0] * 50) is None


def test_lr_finder_writes_plot_and_suggestion_and_stops(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["fit", *_demo_args(tmp_path, "--trainer.default_root_dir", str(tmp_path)),
            "--trainer.callbacks+=callbacks.LrFinder", "--trainer.callbacks.num_training_steps", "30",
            "--trainer.enable_progress_bar", "false"]
    cli = cli_main(args)
    found = list(tmp_path.rglob("lr_find.json"))
    assert len(found) == 1 and (found[0].parent / "lr_find.png").stat().st_size > 5000
    record = json.loads(found[0].read_text())
    assert len(record["lr"]) == len(record["loss"]) > 10 and 1e-6 <= record["suggestion"] <= 1.0
    assert cli.trainer.global_step == 0 and not (tmp_path / "ckpt" / "last.ckpt").exists()
    trained = cli_main([*args, "--trainer.callbacks.then", "train", "--trainer.max_steps", "3"])
    assert trained.trainer.global_step == 3
    second = max(tmp_path.rglob("lr_find.json"), key=lambda p: p.stat().st_mtime)
    assert trained.model.hparams.lr == json.loads(second.read_text())["suggestion"]


class _ConstantLoss(pl.LightningModule):
    """A loss of 5 whatever the weights: the recorded curve must be flat at 5."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.lr = 1e-3

    def training_step(self, batch, batch_idx):
        return (self.w * 0.0).sum() + 5.0

    def train_dataloader(self):
        return DataLoader(TensorDataset(torch.zeros(64, 1)), batch_size=1)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def test_recorded_loss_is_the_loss_from_the_first_step(tmp_path: Path) -> None:
    """Lightning's smoothing is debiased one step too far; the finder's record and plot start at the true loss."""
    trainer = pl.Trainer(default_root_dir=tmp_path, max_epochs=1, logger=CSVLogger(tmp_path), accelerator="cpu",
                         callbacks=[LrFinder(num_training_steps=20, early_stop_threshold=None)],
                         enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(_ConstantLoss())
    losses = json.loads(next(tmp_path.rglob("lr_find.json")).read_text())["loss"]
    assert len(losses) == 20 and all(abs(loss - 5.0) < 1e-6 for loss in losses), losses[:5]
