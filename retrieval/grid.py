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
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path


def _wrapped(text: str, width: int = 18, lines: int = 2) -> str:
    """``text`` on at most ``lines`` lines of ``width`` characters (cut with … only beyond that)."""
    import textwrap

    parts = textwrap.wrap(text.replace("_", " "), width) or [""]
    return "\n".join(parts[: lines - 1] + [textwrap.shorten(" ".join(parts[lines - 1:]), width, placeholder="…")]
                     if len(parts) > lines else parts)


def label_grid(path: str | Path, rows: Sequence[tuple[Path, str, Sequence[Sequence[Hit]]]],
               headers: Sequence[str] = ("classes", "nouns")) -> Path:
    """One row per query image: the image (titled ``caption``, e.g. its class or file name), then one text column
    per result list under its header (e.g. classes | nouns), each line ``label  score``, held-out classes marked
    ``*``; columns are as wide as their longest label."""
    n_lists = max(len(lists) for _, _, lists in rows)
    widths = [max([len(h.label) + h.held_out * 2 for _, _, lists in rows if i < len(lists) for h in lists[i]] + [8])
              for i in range(n_lists)]
    col_inches = [max(2.2, 0.075 * (w + 6)) for w in widths]
    fig, axes = plt.subplots(len(rows), 1 + n_lists, figsize=(2.4 + sum(col_inches), 2.4 * len(rows)),
                             squeeze=False, gridspec_kw={"width_ratios": [2.4, *col_inches]})
    for r, ((image, caption, lists), ax_row) in enumerate(zip(rows, axes)):
        _show_image(ax_row[0], image, _wrapped(caption, 24))
        for i, (ax, hits) in enumerate(zip(ax_row[1:], lists)):
            ax.axis("off")
            if r == 0 and i < len(headers):
                ax.set_title(headers[i], fontsize=9, fontweight="bold", loc="left")
            text = "\n".join(f"{h.label + (' *' if h.held_out else ''):<{widths[i]}} {h.score:5.2f}" for h in hits)
            ax.text(0.0, 1.0, text, va="top", ha="left", family="monospace", fontsize=8, transform=ax.transAxes)
    if any(h.held_out for _, _, lists in rows for hits in lists for h in hits):
        fig.text(0.01, 0.005, "* held out of training (zero-shot)", fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def image_grid(path: str | Path, rows: Sequence[tuple[str, Path | None, Sequence[Hit]]]) -> Path:
    """One row per query: the query image (or an empty panel showing the query words), titled with the query,
    then the result images titled with their label (on two lines when long) and score; held-out ones marked."""
    n_cols = 1 + max(len(hits) for _, _, hits in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(1.8 * n_cols, 2.1 * len(rows)), squeeze=False)
    for (query, image, hits), ax_row in zip(rows, axes):
        _show_image(ax_row[0], image, "query:\n" + _wrapped(query))
        if image is None:
            ax_row[0].text(0.5, 0.5, _wrapped(query, 14, 3), ha="center", va="center", fontsize=10)
        for ax, hit in zip(ax_row[1:], hits):
            _show_image(ax, hit.image, _wrapped(hit.label + (" *" if hit.held_out else "")) + f"\n{hit.score:.2f}")
        for ax in ax_row[1 + len(hits):]:
            ax.axis("off")
    fig.tight_layout()
    return _save(fig, path)
