"""``ClassState``: what a DeViSE checkpoint carries besides its weights, for evaluation and ``search.py``; stored
as plain lists, dicts and tensors so checkpoints load with ``torch.load(weights_only=True)``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass(frozen=True)
class ClassState:
    """The labels (ids, names, unit vectors ``(n_labels, dim)``), the held-out ones (all; those choosing the
    checkpoint; those the report scores), merged-away ids → their label, the backbone and word vectors used, the
    noun list for ``search.py label``, the image background, whether seen-class evaluation images are training
    images, the ImageNet-1k class vectors for the backbone-classifier baselines (``{"wnids", "vectors"}``, or None),
    and where the run's image lists and feature caches are: ``state_file``, the DataModule's cache beside the run
    (their size grows with the data, so they stay out of the checkpoint). ``eval_items`` is only filled by
    checkpoints written before ``state_file`` existed."""

    wnids: tuple[str, ...]
    names: tuple[str, ...]
    vectors: np.ndarray
    holdout: tuple[str, ...] = ()
    holdout_val: tuple[str, ...] = ()
    holdout_test: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    backbone: str = "tf_efficientnet_lite0"
    backbone_weights: str | None = None
    vectors_spec: str | None = None
    nouns: str | None = None
    image_background: tuple[int, int, int] = (255, 255, 255)
    seen_eval_is_fit: bool = False
    eval_items: tuple[tuple[str, str], ...] = ()
    imagenet: dict | None = None
    state_file: str | None = None

    def to_dict(self) -> dict:
        """Plain types and tensors: what checkpoints store."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out.update({k: list(out[k]) for k in ("wnids", "names", "holdout", "holdout_val", "holdout_test",
                                               "image_background")})
        out["vectors"] = torch.as_tensor(np.asarray(self.vectors), dtype=torch.float32)
        out["eval_items"] = [list(item) for item in self.eval_items]
        out["aliases"] = dict(self.aliases)
        if self.imagenet:
            out["imagenet"] = {"wnids": list(self.imagenet["wnids"]),
                               "vectors": torch.as_tensor(np.asarray(self.imagenet["vectors"]), dtype=torch.float32)}
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "ClassState":
        """From ``to_dict`` output or a checkpoint written before the held-out classes were split into validation
        and test groups (every held-out class is then in both)."""
        known = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in data.items() if k in known}
        held = tuple(d.get("holdout", ()))
        d.update(wnids=tuple(d["wnids"]), names=tuple(d["names"]), holdout=held,
                 vectors=np.asarray(d["vectors"], dtype=np.float32),
                 holdout_val=tuple(d.get("holdout_val", held)), holdout_test=tuple(d.get("holdout_test", held)),
                 image_background=tuple(d.get("image_background", (255, 255, 255))),
                 eval_items=tuple((str(p), str(c)) for p, c in d.get("eval_items", ())),
                 aliases=dict(d.get("aliases", {})))
        if d.get("imagenet"):
            d["imagenet"] = {"wnids": list(d["imagenet"]["wnids"]),
                             "vectors": np.asarray(d["imagenet"]["vectors"], dtype=np.float32)}
        return cls(**d)

    @property
    def label_names(self) -> dict[str, str]:
        """Label id → name."""
        return dict(zip(self.wnids, self.names))
