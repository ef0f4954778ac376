"""PNG grids of search results: a query (image or words) followed by its neighbours with labels and scores."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from core.atomic import atomic_path  # noqa: E402
from datamodules.images.loading import ImageLoader  # noqa: E402
from retrieval.types import Hit  # noqa: E402


def _show_image(ax, path: Path | None, title: str) -> None:
    ax.axis("off")
    ax.set_title(title, fontsize=8)
    if path is None:
        return
    try:
        ax.imshow(ImageLoader().open(path))
    except OSError:
        ax.text(0.5, 0.5, "unreadable", ha="center", va="center", fontsize=8)


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path


def label_grid(path: str | Path, rows: Sequence[tuple[Path, str, Sequence[Sequence[Hit]]]]) -> Path:
    """One row per query image: the image (titled ``caption``), then one text column per result list (e.g. the
    top classes and the top nouns), each line ``label  score``."""
    n_cols = 1 + max(len(lists) for _, _, lists in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(2.6 * n_cols, 2.4 * len(rows)), squeeze=False)
    for (image, caption, lists), ax_row in zip(rows, axes):
        _show_image(ax_row[0], image, caption)
        for ax, hits in zip(ax_row[1:], lists):
            ax.axis("off")
            text = "\n".join(f"{h.label[:22]:<22} {h.score:5.2f}" for h in hits)
            ax.text(0.0, 1.0, text, va="top", ha="left", family="monospace", fontsize=8, transform=ax.transAxes)
    fig.tight_layout()
    return _save(fig, path)


def image_grid(path: str | Path, rows: Sequence[tuple[str, Path | None, Sequence[Hit]]]) -> Path:
    """One row per query: the query image (or an empty panel titled with the query words), then the result images
    titled ``label score``."""
    n_cols = 1 + max(len(hits) for _, _, hits in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(1.7 * n_cols, 1.9 * len(rows)), squeeze=False)
    for (query, image, hits), ax_row in zip(rows, axes):
        _show_image(ax_row[0], image, f"query: {query}")
        if image is None:
            ax_row[0].text(0.5, 0.5, query, ha="center", va="center", fontsize=10, wrap=True)
        for ax, hit in zip(ax_row[1:], hits):
            _show_image(ax, hit.image, f"{hit.label[:16]} {hit.score:.2f}")
        for ax in ax_row[1 + len(hits):]:
            ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)
