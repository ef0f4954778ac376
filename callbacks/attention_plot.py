"""Heatmaps of the attention weights for a few fixed validation sentences after every validation."""
from __future__ import annotations

import logging

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytorch_lightning as pl  # noqa: E402
from pytorch_lightning.loggers import TensorBoardLogger  # noqa: E402

from core.atomic import atomic_path  # noqa: E402
from core.distributed import run_dir  # noqa: E402
from datamodules.text.dataset import PairDataset, collate_pairs  # noqa: E402
from datamodules.text.joiners import strip_joiners  # noqa: E402
from datamodules.text.vocab import EOS_IDX  # noqa: E402
from models.decoding import greedy_decode  # noqa: E402

log = logging.getLogger(__name__)


def attention_figure(weights, src_tokens: list[str], out_tokens: list[str], title: str = ""):
    """A heatmap of ``weights`` ``(len(out_tokens), len(src_tokens))``: produced tokens down, source across."""
    fig, ax = plt.subplots(figsize=(1 + 0.45 * len(src_tokens), 1 + 0.4 * len(out_tokens)))
    ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(src_tokens)), src_tokens, rotation=60, ha="right", fontsize=9)
    ax.set_yticks(range(len(out_tokens)), out_tokens, fontsize=9)
    ax.set_xlabel("source (French)")
    ax.set_ylabel("produced (English)")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


class AttentionPlotter(pl.Callback):
    """After each validation, plot source × produced-token attention for ``num_sentences`` fixed validation pairs.

    Figures go to TensorBoard (``attention/<k>``) when a TensorBoard logger is attached and to
    ``<log_dir>/attention/epoch<E>_<k>.png``. Only rank 0 plots. Models without attention are skipped with a note.
    """

    def __init__(self, num_sentences: int = 4, every_n_epochs: int = 1) -> None:
        self.num_sentences, self.every_n_epochs = num_sentences, every_n_epochs

    def _examples(self, trainer: pl.Trainer) -> dict | None:
        split = trainer.datamodule.split("valid")
        if len(split) == 0:
            return None
        step = max(1, len(split) // self.num_sentences)
        idx = list(range(0, len(split), step))[: self.num_sentences]
        ds = PairDataset(split)
        return collate_pairs([ds[i] for i in idx])

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero or trainer.current_epoch % self.every_n_epochs:
            return
        if getattr(pl_module.model.decoder, "attention", None) is None:
            return
        batch = self._examples(trainer)
        if batch is None:
            return
        src, lens = batch["src"].to(pl_module.device), batch["src_lens"].to(pl_module.device)
        out = greedy_decode(pl_module.model, src, lens, pl_module.decode_limits(lens))
        self._plot_all(trainer, pl_module, batch, out)

    def _plot_all(self, trainer, pl_module, batch, out) -> None:
        tok = pl_module.vocab_state.src_tokenizer()
        out_dir = run_dir(trainer) / "attention"
        out_dir.mkdir(parents=True, exist_ok=True)
        for k, (text, n_src) in enumerate(zip(batch["src_text"], batch["src_lens"].tolist())):
            rows = out.tokens[k].tolist()
            n_out = rows.index(EOS_IDX) + 1 if EOS_IDX in rows else len(rows)
            src_tokens = (tok(text)[: n_src - 1] + ["_eos_"])[:n_src]
            out_tokens = [strip_joiners(t) for t in pl_module.tgt_vocab.decode(rows[:n_out], strip_specials=False)]
            weights = out.attention[k, :n_out, :n_src].float().cpu().numpy()
            fig = attention_figure(weights, src_tokens, out_tokens, f"epoch {trainer.current_epoch}: {text}")
            with atomic_path(out_dir / f"epoch{trainer.current_epoch:03d}_{k}.png") as tmp:
                fig.savefig(tmp, format="png", dpi=90)
            for logger in trainer.loggers:
                if isinstance(logger, TensorBoardLogger):
                    logger.experiment.add_figure(f"attention/{k}", fig, global_step=trainer.global_step)
            plt.close(fig)
