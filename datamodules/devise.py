"""``ImageWordVectorDataModule``: images labelled by WordNet class, each class mapped to its name's word vector."""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, DistributedSampler, Subset

from datamodules.atomic import atomic_pickle, load_pickle
from datamodules.images.class_vectors import ClassVectors
from datamodules.images.image_dataset import ImageDataset
from datamodules.images.prepare import build_classes, checked_items, labels, precompute, transforms_for
from datamodules.images.seeded import EpochSeededItems
from datamodules.images.sources import DemoImagesSource, ImageSource
from datamodules.resume import ResumableTrainData
from datamodules.text.source_base import file_stamp
from lightning_modules.distributed import world_and_rank
from lightning_modules.rng import preserved_rng

log = logging.getLogger(__name__)
CACHE_VERSION = 1


class FeatureDataset(Dataset):
    """Precomputed backbone features: items ``(features (feature_dim,), class index)``; several views stacked."""

    def __init__(self, feature_files: list[Path], targets: np.ndarray) -> None:
        self.views = [np.load(p, mmap_mode="r") for p in feature_files]
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets) * len(self.views)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        view, row = divmod(i, len(self.targets))
        return torch.from_numpy(np.array(self.views[view][row])), int(self.targets[row])


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
    picks the held-out classes, and — with ``precompute`` — runs the frozen backbone once over the images, caching
    pooled features on disk (``train_views`` augmented passes for training). ``setup`` only loads those caches.

    Args:
        source: the images (ImageNet folder tree, flat folder + CSV, or the generated demo set, the default).
        class_names: ``classids.txt`` or ``imagenet_class_index.json`` mapping WordNet ids to names (None when
            the class ids are the names, as in the demo set).
        vectors: word-vector spec (see ``datamodules.vectors.load_vectors``), e.g. ``glove-kumo`` or ``a.vec,b.vec``.
        holdout: class ids, or a fraction of classes, kept out of training for zero-shot evaluation.
        nouns: noun list for ``search.py label`` (WordNet ``classids.txt``; default: the 20,000 most frequent
            words of the vectors). Recorded in the checkpoint; not used in training.
    """

    def __init__(self, source: ImageSource | None = None, class_names: str | None = None,
                 vectors: str = "glove-kumo", holdout: list[str] | float | None = None, holdout_seed: int = 0,
                 backbone: str = "tf_efficientnet_lite0", backbone_weights: str | None = "efficientnet-lite0-package",
                 precompute: bool = True, train_views: int = 1, batch_size: int = 64, num_workers: int = 0,
                 cache_dir: str = ".cache/devise", seed: int = 0, nouns: str | None = None) -> None:
        super().__init__()
        self.source = source if source is not None else DemoImagesSource()
        self.class_names, self.vectors, self.holdout, self.holdout_seed = class_names, vectors, holdout, holdout_seed
        self.backbone, self.backbone_weights = backbone, backbone_weights
        self.precompute, self.train_views = precompute, train_views
        self.batch_size, self.num_workers = batch_size, num_workers
        self.cache_dir, self.seed, self.nouns = Path(cache_dir), seed, nouns
        self._state: dict | None = None

    def cache_key(self) -> str:
        spec = {"v": CACHE_VERSION, "source": self.source.fingerprint(), "vectors": self.vectors,
                "names": file_stamp(Path(self.class_names)) if self.class_names else None,
                "holdout": self.holdout, "hseed": self.holdout_seed, "backbone": [self.backbone, self.backbone_weights],
                "precompute": self.precompute, "views": self.train_views, "seed": self.seed}
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
        items = checked_items(self.source, self.cache_dir)
        classes, held = build_classes(self.source, self.class_names, self.vectors, items["train"] + items["valid"],
                                      self.holdout, self.holdout_seed)
        idx = {c: i for i, c in enumerate(classes.wnids)}
        train = [it for it in items["train"] if it[1] in idx and it[1] not in held]
        valid = [it for it in items["valid"] if it[1] in idx]
        log.info("%d classes with vectors (%d held out); %d training and %d evaluation images",
                 len(classes), len(held), len(train), len(valid))
        state = {"classes": classes, "holdout": held, "train": train, "valid": valid, "features": None}
        if self.precompute:
            state["features"] = {
                "train": precompute(train, idx, self.backbone, self.backbone_weights, self.train_views,
                                    self.train_views > 1, self.cache_dir, self.seed),
                "valid": precompute(valid, idx, self.backbone, self.backbone_weights, 1, False, self.cache_dir,
                                    self.seed)}
        atomic_pickle(self.state_path, state)

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

    def class_state(self) -> dict:
        """What the model and search.py need: class ids, names, vectors ``(n_classes, dim)``, held-out ids, the
        backbone, the vectors spec and noun list, and the evaluation images ``[(path, class id), ...]``."""
        st = self._load()
        c = st["classes"]
        return {"wnids": list(c.wnids), "names": list(c.names), "vectors": np.asarray(c.vectors),
                "holdout": list(st["holdout"]), "backbone": self.backbone, "backbone_weights": self.backbone_weights,
                "vectors_spec": self.vectors, "nouns": self.nouns,
                "eval_items": [[str(p), cid] for p, cid in st["valid"]]}

    def items(self, split: str) -> list:
        """``[(path, class_id), ...]`` of ``"train"`` or ``"valid"``."""
        return self._load()[split]

    def _feature_files(self, split: str) -> list[Path]:
        """The split's feature files, found in ``cache_dir`` (so a moved or copied cache folder still works)."""
        return [self.cache_dir / Path(p).name for p in self._load()["features"][split]]

    # ---- loaders -----------------------------------------------------------------------------------------------
    def _dataset(self, split: str) -> Dataset:
        st = self._load()
        idx = {c: i for i, c in enumerate(st["classes"].wnids)}
        if st["features"] is not None:
            return FeatureDataset(self._feature_files(split), labels(st[split], idx))
        return ImageDataset(st[split], idx, transforms_for(self.backbone, self.backbone_weights, split == "train"))

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

    def _eval_loader(self) -> DataLoader:
        """Each rank evaluates every ``world``-th image; outputs carry dataset indices, so metrics count each
        image once."""
        ds = WithIndex(self._dataset("valid"))
        world, rank = world_and_rank(self.trainer)
        subset = ds if world == 1 else Subset(ds, range(rank, len(ds), world))
        return DataLoader(subset, batch_size=self.batch_size, num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader()

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader()
