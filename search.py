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
import dataclasses
import logging
import sys
from pathlib import Path

import numpy as np
import torch

from core.errors import UserInputError, exit_status
from core.hashing import file_stamp
from datamodules.images.backbone import create_backbone, create_classifier
from datamodules.images.class_merge import merge_duplicate_classes
from datamodules.images.class_state import ClassState
from datamodules.images.class_vectors import ClassVectors
from datamodules.images.imagenet_classes import imagenet_class_names, imagenet_class_vectors
from datamodules.images.loading import ImageLoader
from datamodules.images.run_images import ROLES, run_images
from datamodules.images.transforms import make_transforms
from datamodules.vectors import load_vectors
from lightning_modules.devise_module import CKPT_KEY, DeviseModule
from lightning_modules.loading import load_module
from models.conse import ConseHead
from models.devise_head import DeviseNetConfig
from retrieval.grid import image_grid, label_grid
from retrieval.image_collection import ImageEmbedder, collection_index, feature_collection_index, list_images
from retrieval.searcher import DeviseSearcher
from retrieval.types import Hit
from retrieval.word_indexes import class_index, noun_index

log = logging.getLogger("search")
DEFAULT_NOUNS = "vocab:20000"


def load_devise(ckpt: str | Path, device: str = "cpu") -> tuple[DeviseModule, torch.nn.Module]:
    """The DeViSE module of ``ckpt`` (eval mode) and its image backbone; clear errors for anything else."""
    path = Path(ckpt)
    if not path.is_file():
        raise UserInputError(f"checkpoint {path} not found: pass the .ckpt written by `train.py fit -c "
                             "configs/devise/...` (e.g. runs/devise_demo/checkpoints/last.ckpt)")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - pickle/zip errors come in many types
        raise UserInputError(f"{path} could not be read as a checkpoint ({type(error).__name__}): pass a .ckpt "
                             "file written by train.py") from None
    if not isinstance(raw, dict) or not raw.get(CKPT_KEY):
        raise UserInputError(f"{path} is not a DeViSE checkpoint (no class vectors inside): pass a checkpoint "
                             "trained with configs/devise/*.yaml")
    module = load_module(DeviseModule, path, DeviseNetConfig, device, adjust=_no_pretrained_download,
                         init_from=None).eval()
    state = module.class_state
    backbone = module.backbone or create_backbone(state.backbone, state.backbone_weights)
    return module, backbone


def _no_pretrained_download(hparams: dict) -> dict:
    """A fine-tuned backbone's weights are in the checkpoint: build it without fetching pretrained ones."""
    net = hparams["net"] if isinstance(hparams["net"], dict) else dataclasses.asdict(hparams["net"])
    return hparams if net.get("precomputed", True) else {**hparams, "net": {**net, "backbone_weights": None}}


def _imagenet_labels(imagenet: dict, names_file: str | None):
    """The ImageNet classes that have a word vector, same-name / same-vector classes merged, as a class index."""
    names = imagenet_class_names(names_file)
    keep = [i for i, v in enumerate(imagenet["vectors"]) if np.linalg.norm(v) > 0]
    merged, _ = merge_duplicate_classes(ClassVectors([imagenet["wnids"][i] for i in keep],
                                                     [names[imagenet["wnids"][i]] for i in keep],
                                                     imagenet["vectors"][keep]))
    return class_index(merged.wnids, merged.names, merged.vectors)


def _conse_parts(args: argparse.Namespace, state: ClassState | None):
    """ConSE's image head (classifier → convex combination of class vectors), its backbone, class index, backbone
    name and weights, and word-vector spec."""
    name = state.backbone if state else args.backbone
    weights = state.backbone_weights if state else args.backbone_weights
    spec = args.vectors or (state.vectors_spec if state else None)
    if not spec:
        raise UserInputError("--method conse needs word vectors: give --vectors (e.g. glove-kumo)")
    classifier = create_classifier(name, weights)
    if classifier is None:
        raise UserInputError(f"backbone {name} with weights {weights} has no ImageNet classifier, which ConSE needs: "
                             "use e.g. --backbone-weights efficientnet-lite0-package")
    imagenet = imagenet_class_vectors(spec, args.class_names)
    held, aliases = (set(state.holdout), state.aliases) if state else (set(), {})
    excluded = torch.tensor([aliases.get(w, w) in held for w in imagenet["wnids"]])
    head = ConseHead(classifier, torch.as_tensor(imagenet["vectors"]), excluded)
    classes = class_index(state.wnids, state.names, state.vectors) if state else _imagenet_labels(imagenet,
                                                                                                  args.class_names)
    return head, create_backbone(name, weights), classes, name, weights, spec


def build_searcher(args: argparse.Namespace) -> DeviseSearcher:
    """Class index from the checkpoint (or ImageNet's, for ConSE without one); embedder, noun index, image index
    and word vectors on first use."""
    state = None
    if args.ckpt:
        module, backbone = load_devise(args.ckpt, args.device)
        state, head = module.class_state, module.head
    elif args.method == "devise":
        raise UserInputError("search.py needs --ckpt (a DeViSE checkpoint), or --method conse")
    if args.method == "conse":
        head, backbone, classes, name, weights, spec = _conse_parts(args, state)
    else:
        name, weights, spec = state.backbone, state.backbone_weights, args.vectors or state.vectors_spec
        classes = class_index(state.wnids, state.names, state.vectors)
    loader = ImageLoader(state.image_background if state else (255, 255, 255))
    embedder = ImageEmbedder(backbone, head, make_transforms(name, train=False, weights=weights), args.device,
                             args.batch_size, loader)
    model_key = f"{args.method}|{file_stamp(Path(args.ckpt)) if args.ckpt else f'{name}|{weights}|{spec}'}"
    nouns = args.nouns or (state.nouns if state else None) or DEFAULT_NOUNS
    cache = Path(args.cache_dir)
    wants_nouns = spec and not args.no_nouns
    return DeviseSearcher(classes, embedder,
                          nouns=(lambda: noun_index(nouns, spec, cache, args.index, _storage(args))) if wants_nouns
                          else None, images=_collection(args, state, embedder, head, model_key),
                          vectors=lambda: _vectors(spec),
                          image_labels=_image_labels(state))


def _collection(args: argparse.Namespace, state: ClassState | None, embedder: ImageEmbedder, head: torch.nn.Module,
                model_key: str):
    """Factory of the index of the images to search: ``--images DIR`` (embedded from the files), or the run's
    ``--collection`` images, from their cached backbone features when the run precomputed them."""
    def images():
        if args.images:
            return collection_index(embedder, list_images(args.images), model_key, Path(args.cache_dir), args.index,
                                    _storage(args))
        if state is None or not (state.state_file or state.eval_items):
            raise UserInputError("give a folder of images to search with --images DIR")
        held = set(state.holdout) if args.heldout_only else None
        if not state.state_file:  # a checkpoint from before state_file: its evaluation images, embedded again
            paths = [Path(p) for p, c in state.eval_items if not held or c in held]
            return collection_index(embedder, paths, model_key, Path(args.cache_dir), args.index, _storage(args))
        run = run_images(state.state_file, args.collection)
        keep = [i for i, (_, c) in enumerate(run.items) if not held or c in held]
        paths = [run.items[i][0] for i in keep]
        if run.feature_files is None or args.method != "devise":
            return collection_index(embedder, [Path(p) for p in paths], model_key, Path(args.cache_dir), args.index,
                                    _storage(args))
        rows, offset = [], 0
        for r in run.rows:
            mine = [i - offset for i in keep if offset <= i < offset + len(r)]
            rows.append(np.asarray(r)[mine])
            offset += len(r)
        return feature_collection_index(head, run.feature_files, rows, paths,
                                        f"{model_key}|{args.collection}|held={bool(held)}", Path(args.cache_dir),
                                        args.index, args.device, _storage(args))

    return images


def _image_labels(state: ClassState | None) -> dict[str, str]:
    """Display label (class name) of each of the run's images."""
    if state is None:
        return {}
    items = list(state.eval_items)
    if state.state_file and Path(state.state_file).is_file():
        items = run_images(state.state_file, "eval").items + run_images(state.state_file, "train").items
    return {p: state.label_names.get(c, c) for p, c in items}


def _storage(args: argparse.Namespace) -> str:
    return "float16" if args.float16 else "float32"


def _vectors(spec: str | None):
    if not spec:
        raise UserInputError("the checkpoint does not record its word vectors: give them with --vectors")
    return load_vectors(spec)


def _table(hits: list[Hit], header: str) -> str:
    rows = [f"{'rank':>4}  {'score':>6}  {header}"]
    rows += [f"{i:>4}  {h.score:6.3f}  {h.label}" + (f"  {h.image}" if h.image else "") for i, h in
             enumerate(hits, 1)]
    return "\n".join(rows)


def run(args: argparse.Namespace) -> str:
    """Run one search verb; returns the text to print (and writes ``--grid``)."""
    searcher = build_searcher(args)
    if args.verb == "label":
        results = searcher.label(args.queries, args.k)
        blocks = [f"{r.image}\n{_table(r.classes, 'class')}" + (f"\n{_table(r.nouns, 'noun')}" if r.nouns else "")
                  for r in results]
        if args.grid:
            label_grid(args.grid, [(r.image, r.image.name, [r.classes] + ([r.nouns] if r.nouns else []))
                                   for r in results])
        return "\n\n".join(blocks)
    if args.verb == "text":
        hits, _ = searcher.text(args.queries, args.k)
        query = " + ".join(args.queries)
        if args.grid:
            image_grid(args.grid, [(query, None, hits)])
        return f"images nearest {query!r}\n{_table(hits, 'label  image')}"
    if len(args.queries) != 1:
        raise UserInputError("search.py image takes one query image")
    hits = searcher.image(args.queries[0], args.k)
    if args.grid:
        image_grid(args.grid, [(Path(args.queries[0]).name, Path(args.queries[0]), hits)])
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
    parser.add_argument("--grid", help="also write a PNG grid of the query and its results here")
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
                        help="exact (flat) or approximate index (hnsw, ivf: search parameter tuned to recall@10 ≥ 0.95 "
                             "against exact search, measured when the index is built)")
    parser.add_argument("--float16", action="store_true", help="store the index in half precision (half the memory)")
    parser.add_argument("--cache-dir", default=".cache/devise/search")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    return exit_status(lambda: print(run(args)))


if __name__ == "__main__":
    raise SystemExit(main())
