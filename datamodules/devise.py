"""``ImageWordVectorDataModule``: images labelled by WordNet class, each class mapped to its name's word vector."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, DistributedSampler, Subset

from core.atomic import atomic_pickle, load_pickle
from core.distributed import world_and_rank
from core.hashing import file_stamp
from core.rng import preserved_rng
from datamodules.images.class_state import ClassState
from datamodules.images.class_vectors import ClassVectors
from datamodules.images.devise_splits import DeviseSplits, plan_splits
from datamodules.images.image_dataset import ImageDataset
from datamodules.images.imagenet_classes import imagenet_class_vectors
from datamodules.images.loading import ImageLoader
from datamodules.images.prepare import build_classes, check_no_leak, labels, listed_items, precompute, readable_rows
from datamodules.images.seeded import EpochSeededItems
from datamodules.images.sources import DemoImagesSource, ImageSource
from datamodules.images.transforms import make_transforms
from datamodules.resume import ResumableTrainData

log = logging.getLogger(__name__)
CACHE_VERSION = 3


class FeatureDataset(Dataset):
    """Precomputed backbone features: items ``(features (feature_dim,), class index)``; several views stacked.

    ``rows`` picks the feature-file rows to use (the readable images), in the order of ``targets``."""

    def __init__(self, feature_files: list[Path], targets: np.ndarray, rows: np.ndarray | None = None) -> None:
        self.views = [np.load(p, mmap_mode="r") for p in feature_files]
        self.targets = targets
        self.rows = np.arange(len(targets)) if rows is None else np.asarray(rows)
        if len(self.rows) != len(targets):
            raise ValueError(f"{len(self.rows)} feature rows for {len(targets)} targets")

    def __len__(self) -> int:
        return len(self.targets) * len(self.views)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        view, k = divmod(i, len(self.targets))
        return torch.from_numpy(np.array(self.views[view][self.rows[k]])), int(self.targets[k])


class WithIndex(Dataset):
    """Items of ``dataset`` with their position appended: ``(*item, index)`` (evaluation outputs are matched to
    images, and de-duplicated across processes, by it)."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple:
        return (*self.dataset[i], i)


class ImageWordVectorDataModule(ResumableTrainData, pl.LightningDataModule):
    """DeViSE data: images → class ids → word vectors of the class names; optional zero-shot hold-out.

    ``prepare_data`` checks every image (unreadable ones are skipped and counted), maps each class to the vector of
    its lower-cased name (multi-word names: mean of the words; classes without a vector are dropped and counted),
    merges classes with the same name or vector into one label (logged), assigns images and classes to training,
    validation (checkpoint selection) and test (the report) — see ``datamodules.images.devise_splits`` — and, with
    ``precompute``, runs the frozen backbone once over the images, caching pooled features on disk
    (``train_views`` augmented passes for training). ``setup`` only loads those caches.

    Args:
        source: the images (ImageNet folder tree, flat folder + CSV, or the generated demo set, the default).
        class_names: ``classids.txt`` or ``imagenet_class_index.json`` mapping WordNet ids to names (None when
            the class ids are the names, as in the demo set).
        vectors: word-vector spec (see ``datamodules.vectors.load_vectors``), e.g. ``glove-kumo`` or ``a.vec,b.vec``.
        holdout: class ids, or a fraction of classes, kept out of training for zero-shot evaluation.
        holdout_val: which held-out classes choose the checkpoint (a list, or a fraction of ``holdout``); the rest
            are scored by ``test``.
        eval_val_fraction: share of each seen class's evaluation images used for validation; the rest are tested.
        nouns: noun list for ``search.py label`` (WordNet ``classids.txt``; default: the 20,000 most frequent
            words of the vectors). Recorded in the checkpoint; not used in training.
        image_background: colour that transparent pixels are composited onto when images are read (training,
            feature caches, evaluation, and ``search.py`` with this run's checkpoint).
    """

    def __init__(self, source: ImageSource | None = None, class_names: str | None = None,
                 vectors: str = "glove-kumo", holdout: list[str] | float | None = None, holdout_seed: int = 0,
                 holdout_val: list[str] | float = 0.5, eval_val_fraction: float = 0.5,
                 backbone: str = "tf_efficientnet_lite0", backbone_weights: str | None = "efficientnet-lite0-package",
                 precompute: bool = True, train_views: int = 1, batch_size: int = 64, num_workers: int = 0,
                 cache_dir: str = ".cache/devise", seed: int = 0, nouns: str | None = None,
                 image_background: str = "white") -> None:
        super().__init__()
        self.source = source if source is not None else DemoImagesSource()
        self.class_names, self.vectors, self.holdout, self.holdout_seed = class_names, vectors, holdout, holdout_seed
        self.holdout_val, self.eval_val_fraction = holdout_val, eval_val_fraction
        self.backbone, self.backbone_weights = backbone, backbone_weights
        self.precompute, self.train_views = precompute, train_views
        self.batch_size, self.num_workers = batch_size, num_workers
        self.cache_dir, self.seed, self.nouns = Path(cache_dir), seed, nouns
        self.image_background = image_background
        self.loader = ImageLoader.with_background(image_background)
        self._state: dict | None = None

    def cache_key(self) -> str:
        spec = {"v": CACHE_VERSION, "source": self.source.fingerprint(), "vectors": self.vectors,
                "names": file_stamp(Path(self.class_names)) if self.class_names else None,
                "holdout": self.holdout, "hseed": self.holdout_seed, "hval": self.holdout_val,
                "eval_val": self.eval_val_fraction, "backbone": [self.backbone, self.backbone_weights],
                "precompute": self.precompute, "views": self.train_views, "seed": self.seed,
                "loader": self.loader.fingerprint()}
        return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def state_path(self) -> Path:
        return self.cache_dir / f"devise-{self.cache_key()}.pkl"

    def prepare_data(self) -> None:
        """Fetch/check the images, choose classes and hold-outs, cache backbone features (when precomputing)."""
        with preserved_rng():  # runs on one process only, and only without a cache: must not move the seeds
            self._prepare()

    def _prepare(self) -> None:
        self.source.prepare(self.cache_dir)
        if self.state_path.exists():
            return
        classes, aliases, splits = self._plan()
        # the word vectors of the ImageNet-1k classes, for the backbone-classifier baselines (ConSE)
        imagenet = imagenet_class_vectors(self.vectors, self._names_file()) if self.backbone_weights else None
        state = {"classes": classes, "aliases": aliases, "splits": splits, "features": None, "rows": None,
                 "imagenet": imagenet, "root": str(Path.cwd())}  # relative image paths are relative to it
        if self.precompute:
            state["features"], state["rows"], state["splits"] = self._extract(classes, splits)
        atomic_pickle(self.state_path, state)

    def _plan(self) -> tuple[ClassVectors, dict[str, str], DeviseSplits]:
        """Labels (duplicates merged), and the images and classes of each role."""
        items = listed_items(self.source, self.cache_dir, self.precompute)
        classes, aliases = build_classes(self.source, self.class_names, self.vectors,
                                         items["train"] + items["valid"])
        known = set(classes.wnids)
        canon = {split: [(p, aliases.get(c, c)) for p, c in its if aliases.get(c, c) in known]
                 for split, its in items.items()}
        splits = plan_splits(classes.wnids, canon["train"], canon["valid"], self._holdout(aliases),
                             self._holdout_val(aliases), self.eval_val_fraction, self.holdout_seed,
                             self.source.eval_is_train())
        check_no_leak(classes, splits.heldout)
        log.info("%d labels (%d merged classes; %d held out); %d training, %d validation and %d test images",
                 len(classes), len(aliases), len(splits.heldout), len(splits.train), len(splits.val),
                 len(splits.test))
        return classes, aliases, splits

    def _extract(self, classes: ClassVectors, splits: DeviseSplits) -> tuple[dict, dict, DeviseSplits]:
        """Feature files per split, the rows of the images extraction could read, and the splits without the
        others."""
        idx = {c: i for i, c in enumerate(classes.wnids)}
        files, rows, kept = {}, {}, {}
        for name in ("train", "val", "test"):
            its = getattr(splits, name)
            views = self.train_views if name == "train" else 1
            files[name] = precompute(its, idx, self.backbone, self.backbone_weights, views,
                                     name == "train" and self.train_views > 1, self.cache_dir, self.seed,
                                     self.loader, self.num_workers)
            rows[name] = readable_rows(its, files[name][0], name)
            kept[name] = [its[i] for i in rows[name]]
        return files, rows, dataclasses.replace(splits, **kept)

    def _names_file(self) -> str | None:
        """The class-name file, when the source's ids are WordNet ids that need one."""
        return None if self.source.names_are_ids() else self.class_names

    def _holdout(self, aliases: dict[str, str]) -> list[str] | float | None:
        """``holdout`` with merged-away class ids replaced by their label's id."""
        return sorted({aliases.get(c, c) for c in self.holdout}) if isinstance(self.holdout, list) else self.holdout

    def _holdout_val(self, aliases: dict[str, str]) -> list[str] | float:
        hv = self.holdout_val
        return sorted({aliases.get(c, c) for c in hv}) if isinstance(hv, list) else hv

    def _load(self) -> dict:
        if self._state is None:
            self._state = load_pickle(lambda: self.state_path, self.prepare_data)
        return self._state

    def setup(self, stage: str | None = None) -> None:
        self._load()

    # ---- linked into the model ---------------------------------------------------------------------------------
    @property
    def vector_dim(self) -> int:
        return self.classes.dim

    @property
    def feature_dim(self) -> int:
        feats = self._load()["features"]
        if feats is not None:
            return int(np.load(self._feature_files("train")[0], mmap_mode="r").shape[1])
        import timm
        return int(timm.create_model(self.backbone, pretrained=False, num_classes=0).num_features)

    @property
    def classes(self) -> ClassVectors:
        return self._load()["classes"]

    @property
    def splits(self) -> DeviseSplits:
        return self._load()["splits"]

    def class_state(self) -> ClassState:
        """What the model and ``search.py`` need besides the weights (see ``ClassState``)."""
        st = self._load()
        c, sp = st["classes"], st["splits"]
        return ClassState(tuple(c.wnids), tuple(c.names), np.asarray(c.vectors), tuple(sp.heldout),
                          tuple(sp.heldout_val), tuple(sp.heldout_test), dict(st["aliases"]), self.backbone,
                          self.backbone_weights, self.vectors, self.nouns, self.loader.background,
                          sp.seen_eval_is_fit, (), st.get("imagenet"), str(self.state_path.resolve()))

    def items(self, split: str) -> list:
        """``[(path, class_id), ...]`` of ``"train"``, ``"val"`` or ``"test"``."""
        return getattr(self.splits, split)

    def describe(self, stage: str) -> str:
        """Which images and classes ``stage`` (``"val"`` or ``"test"``) scores."""
        return self.splits.describe(stage)

    def _feature_files(self, split: str) -> list[Path]:
        """The split's feature files, found in ``cache_dir`` (so a moved or copied cache folder still works)."""
        return [self.cache_dir / Path(p).name for p in self._load()["features"][split]]

    # ---- loaders -----------------------------------------------------------------------------------------------
    def _dataset(self, split: str) -> Dataset:
        st = self._load()
        idx = {c: i for i, c in enumerate(st["classes"].wnids)}
        items = self.items(split)
        if st["features"] is not None:
            return FeatureDataset(self._feature_files(split), labels(items, idx), st["rows"][split])
        transform = make_transforms(self.backbone, train=split == "train", weights=self.backbone_weights)
        return ImageDataset(items, idx, transform,
                            loader=self.loader)

    def train_dataloader(self) -> DataLoader:
        """Shuffled by ``(seed, epoch)``; under DDP every image once per epoch across ranks (a few repeated to even
        the shards). A last batch of one is dropped (the head has BatchNorm), under DDP any short last batch."""
        ds = self._dataset("train")
        augmented = isinstance(ds, ImageDataset)  # augmentations seeded per (epoch, image): see EpochSeededItems
        ds = EpochSeededItems(ds, self.seed) if augmented else ds
        world, rank = world_and_rank(self.trainer)
        sampler = DistributedSampler(ds, world, rank, shuffle=True, seed=self.seed)
        drop_last = world > 1 or len(sampler) % self.batch_size == 1
        batches = self.resumable(BatchSampler(sampler, self.batch_size, drop_last=drop_last), with_epoch=augmented)
        # own generator: building the iterator leaves the global RNG untouched
        return DataLoader(ds, batch_sampler=batches, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0, generator=torch.Generator().manual_seed(self.seed))

    def _eval_loader(self, split: str) -> DataLoader:
        """Each rank evaluates every ``world``-th image; outputs carry dataset indices, so metrics count each
        image once."""
        ds = WithIndex(self._dataset(split))
        world, rank = world_and_rank(self.trainer)
        subset = ds if world == 1 else Subset(ds, range(rank, len(ds), world))
        return DataLoader(subset, batch_size=self.batch_size, num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")
