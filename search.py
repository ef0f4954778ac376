"""Nearest-neighbour search with a trained DeViSE checkpoint.

    python search.py label --ckpt CKPT IMAGE [IMAGE...]     # top ImageNet/training classes and top nouns
    python search.py text  --ckpt CKPT WORD [WORD...]       # images nearest the mean vector of the words
    python search.py image --ckpt CKPT IMAGE                # images nearest an image
    python search.py label --method conse --vectors glove-kumo IMAGE   # ConSE: no DeViSE training at all

Each prints a table; ``--grid out.png`` also draws the query and its results. Images are searched in
``--images DIR`` (default: the run's evaluation images, recorded in the checkpoint); nouns come from
``--nouns classids.txt`` (default: the run's ``data.nouns``, else the 20,000 most frequent words of the vectors).
Indexes are cached under ``--cache-dir`` and rebuilt when their inputs change.

``--method conse`` embeds images with ConSE instead of a DeViSE head: the probability-weighted mean of the word
vectors of the backbone's 10 most likely ImageNet classes (``--backbone``/``--backbone-weights``, or the
checkpoint's; classes the checkpoint held out of training are excluded). It needs a backbone with an ImageNet
classifier and word vectors, and no checkpoint: without one, labels are the ImageNet classes.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from cli.checkpoints import default_device
from cli.devise_search import DEFAULT_NOUNS, build_searcher, load_devise  # noqa: F401  (load_devise: public API)
from cli.quiet import quiet_third_party
from core.errors import UserInputError, exit_status
from datamodules.images.run_images import ROLES
from retrieval.grid import image_grid, label_grid
from retrieval.types import Hit

log = logging.getLogger("search")


def _table(hits: list[Hit], header: str) -> str:
    """Rank, score, ``*`` for a held-out (zero-shot) class or image, then the label (and image path)."""
    rows = [f"{'rank':>4}  {'score':>6}  *  {header}    (* held out of training)"]
    rows += [f"{i:>4}  {h.score:6.3f}  {'*' if h.held_out else ' '}  {h.label}" + (f"  {h.image}" if h.image else "")
             for i, h in enumerate(hits, 1)]
    return "\n".join(rows)


def _json_hits(hits: list[Hit]) -> list[dict]:
    return [{"rank": i, "score": round(h.score, 6), "label": h.label, "image": str(h.image) if h.image else None,
             "held_out": h.held_out} for i, h in enumerate(hits, 1)]


def _check_queries(args: argparse.Namespace) -> None:
    if args.verb == "text":
        return
    for query in args.queries:
        if Path(query).is_dir():
            raise UserInputError(f"{query} is a folder: give image files as queries (to search the images of a "
                                 "folder, pass it as --images DIR)")
    if args.verb == "image" and len(args.queries) != 1:
        raise UserInputError("search.py image takes one query image")


def _grid_path(args: argparse.Namespace) -> Path | None:
    if not args.grid:
        return None
    path = Path(args.grid)
    if path.is_dir():
        raise UserInputError(f"--grid {path} is a folder: give a .png file name")
    if not path.parent.is_dir():
        raise UserInputError(f"--grid {path}: folder {path.parent} does not exist: create it or choose another path")
    return path


def run(args: argparse.Namespace) -> str:
    """Run one search verb; returns the text to print (a table, or JSON lines), and writes ``--grid``."""
    _check_queries(args)
    grid = _grid_path(args)
    searcher = build_searcher(args)
    if args.verb == "label":
        results = searcher.label(args.queries, args.k)
        if grid:
            label_grid(grid, [(r.image, searcher.image_labels.get(str(r.image), r.image.name),
                               [r.classes] + ([r.nouns] if r.nouns else [])) for r in results],
                       ["classes"] + (["nouns"] if any(r.nouns for r in results) else []))
        if args.json:
            return "\n".join(json.dumps({"query": str(r.image), "search": "label", "results": _json_hits(r.classes),
                                         "nouns": _json_hits(r.nouns)}) for r in results)
        return "\n\n".join(f"{r.image}\n{_table(r.classes, 'class')}" + (f"\n{_table(r.nouns, 'noun')}"
                                                                         if r.nouns else "") for r in results)
    if args.verb == "text":
        hits, unknown = searcher.text(args.queries, args.k)
        query = " + ".join(args.queries)
        if grid:
            image_grid(grid, [(query, None, hits)])
        if args.json:
            return json.dumps({"query": query, "search": "text", "unknown_words": unknown, "results": _json_hits(hits)})
        return f"images nearest {query!r}\n{_table(hits, 'label  image')}"
    hits = searcher.image(args.queries[0], args.k)
    if grid:
        title = searcher.image_labels.get(str(Path(args.queries[0])), Path(args.queries[0]).name)
        image_grid(grid, [(title, Path(args.queries[0]), hits)])
    if args.json:
        return json.dumps({"query": args.queries[0], "search": "image", "results": _json_hits(hits)})
    return f"images nearest {args.queries[0]}\n{_table(hits, 'label  image')}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("verb", choices=("label", "text", "image"), help="what to search for")
    parser.add_argument("queries", nargs="+", help="image paths (label, image) or words (text)")
    parser.add_argument("--ckpt", help="DeViSE checkpoint written by train.py fit (optional with --method conse)")
    parser.add_argument("--method", choices=("devise", "conse"), default="devise",
                        help="image embedding: the checkpoint's DeViSE head, or ConSE from the backbone's classifier")
    parser.add_argument("--backbone", default="tf_efficientnet_lite0", help="ConSE without --ckpt: timm backbone")
    parser.add_argument("--backbone-weights", default="efficientnet-lite0-package",
                        help="ConSE without --ckpt: its weights (with an ImageNet classifier)")
    parser.add_argument("--class-names", help="ConSE: imagenet_class_index.json or classids.txt for class names "
                                              "(default: timm's ImageNet table)")
    parser.add_argument("-k", "--k", type=int, default=5, help="results per query")
    parser.add_argument("--grid", help="also write a PNG grid of the query and its results here (its folder must exist)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per query instead of tables")
    parser.add_argument("--images", help="folder of images to search (default: the run's evaluation images)")
    parser.add_argument("--collection", choices=sorted(ROLES), default="eval",
                        help="which of the run's images to search when no --images is given: eval (validation + test, "
                             "the default), val, test or train; from the run's cached features when it has them")
    parser.add_argument("--heldout-only", action="store_true",
                        help="search only the evaluation images of classes held out of training (zero-shot)")
    parser.add_argument("--nouns", help=f"noun list: WordNet classids.txt or vocab:N (default: the run's, "
                                        f"else {DEFAULT_NOUNS})")
    parser.add_argument("--no-nouns", action="store_true", help="label search over the classes only")
    parser.add_argument("--vectors", help="word-vector spec (default: the run's)")
    parser.add_argument("--index", choices=("flat", "hnsw", "ivf"), default="flat",
                        help="exact (flat) or approximate index (hnsw, ivf: search parameter tuned, when the index is "
                             "built, to recall@10 ≥ 0.975 against exact search on its own vectors; the parameter and "
                             "the measured recall are logged)")
    parser.add_argument("--float16", action="store_true", help="store the index in half precision (half the memory)")
    parser.add_argument("--cache-dir", default=".cache/devise/search")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default=default_device())
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    quiet_third_party()

    def act() -> None:
        print(run(args))
        if args.grid:
            print(f"grid written to {args.grid}", file=sys.stderr)

    return exit_status(act)


if __name__ == "__main__":
    raise SystemExit(main())
