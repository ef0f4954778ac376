"""Building DeViSE searches from a checkpoint (or ConSE without one): used by ``search.py`` and the page (``app.py``).
The checkpoint carries the classes, their vectors, the backbone, the word-vector spec and the run's image lists."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch

from cli.checkpoints import check_device, checkpoint_file
from core.errors import UserInputError
from core.hashing import file_stamp
from datamodules.images.backbone import create_backbone, create_classifier
from datamodules.images.class_merge import merge_duplicate_classes
from datamodules.images.class_state import ClassState
from datamodules.images.class_vectors import ClassVectors
from datamodules.images.imagenet_classes import imagenet_class_names, imagenet_class_vectors
from datamodules.images.loading import ImageLoader
from datamodules.images.run_images import run_images
from datamodules.images.transforms import make_transforms
from datamodules.vectors import load_vectors
from lightning_modules.devise_module import CKPT_KEY, DeviseModule
from lightning_modules.loading import load_module
from models.conse import ConseHead
from models.devise_head import DeviseNetConfig
from retrieval.image_collection import ImageEmbedder, collection_index, feature_collection_index, list_images
from retrieval.searcher import DeviseSearcher
from retrieval.word_indexes import class_index, noun_index

DEFAULT_NOUNS = "vocab:20000"


def search_options(ckpt: str | None, method: str = "devise", **overrides) -> argparse.Namespace:
    """The options ``build_searcher`` reads, with ``search.py``'s defaults (for callers without a command line)."""
    defaults = dict(ckpt=ckpt, method=method, backbone="tf_efficientnet_lite0",
                    backbone_weights="efficientnet-lite0-package", class_names=None, images=None, collection="eval",
                    heldout_only=False, nouns=None, no_nouns=False, vectors=None, index="flat", float16=False,
                    cache_dir=".cache/devise/search", batch_size=32, device="cpu")
    return argparse.Namespace(**{**defaults, **overrides})


def load_devise(ckpt: str | Path, device: str = "cpu") -> tuple[DeviseModule, torch.nn.Module]:
    """The DeViSE module of ``ckpt`` (eval mode) and its image backbone; clear errors for anything else."""
    path = checkpoint_file(ckpt, "devise", "make demo-devise")
    device = check_device(device)
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - pickle/zip errors come in many types
        raise UserInputError(f"{path} could not be read as a checkpoint ({type(error).__name__}): pass a .ckpt "
                             "file written by train.py") from None
    if not isinstance(raw, dict) or not raw.get(CKPT_KEY):
        other = " (it is a translation checkpoint: use translate.py)" if isinstance(raw, dict) and \
            raw.get("translation_vocab") else ""
        raise UserInputError(f"{path} is not a DeViSE checkpoint{other}: pass a checkpoint trained with "
                             "configs/devise/*.yaml")
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
                          image_labels=_image_labels(state), held_out=_held_out(state))


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


def _held_out(state: ClassState | None) -> set[str]:
    """Ids of the classes the run held out of training, and paths of its images of them."""
    if state is None:
        return set()
    held = set(state.holdout)
    items = list(state.eval_items)
    if state.state_file and Path(state.state_file).is_file():
        items = run_images(state.state_file, "eval").items
    return held | {str(p) for p, c in items if c in held}


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
