"""``DeviseModule``: regress image features onto word vectors of class names (DeViSE, fast.ai lesson 11)."""
from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn

from core.checkpoint_io import check_checkpoint_fits
from core.errors import UserInputError
from datamodules.images.backbone import create_backbone, create_classifier
from datamodules.images.class_state import ClassState
from lightning_modules.devise_eval import METHOD_NAMES as METHODS
from lightning_modules.devise_eval import EvalRow
from lightning_modules.lr_schedule import OneCycleSchedule
from lightning_modules.metrics import RankHits
from models.conse import ClassifierBaselines
from models.devise_head import DeviseHead, DeviseNetConfig
from models.devise_loss import cosine_loss, hinge_rank_loss
from models.ranking import true_class_ranks

log = logging.getLogger(__name__)
CKPT_KEY = "devise_classes"


class DeviseModule(OneCycleSchedule, pl.LightningModule):
    """Head (and, when not working on precomputed features, the backbone) trained with ``1 - cosine`` (default)
    or the DeViSE paper's hinge rank loss. Evaluation ranks every class vector by cosine to the prediction (ties
    against the true class): flat hit@k for images of seen classes, zero-shot hit@k for images of the stage's
    held-out classes, as torchmetrics ``RankHits``; at test also for the backbone's own classifier (softmax) and
    ConSE when the weights have an ImageNet head. ``test_step`` returns the rows ``callbacks.DeviseReport`` needs.

    ``net`` (one typed group) holds the backbone and head; its sizes and the backbone come from the DataModule
    through CLI links. ``init_from``: a checkpoint of an earlier DeViSE run (e.g. the head trained on precomputed
    features) whose head weights start this run, as in the lesson's second stage (fine-tuning).
    """

    def __init__(self, net: DeviseNetConfig = DeviseNetConfig(), loss: Literal["cosine", "hinge"] = "cosine",
                 margin: float = 0.1, lr: float = 1e-2, weight_decay: float = 1e-7, backbone_lr_factor: float = 0.1,
                 one_cycle: bool = True, pct_start: float = 0.25, hit_ks: tuple[int, ...] = (1, 2, 5, 10),
                 init_from: str | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        # LightningCLI hands the group over as a dict (and keeps it so in the checkpoint's hyperparameters)
        net = self.net_config = net if isinstance(net, DeviseNetConfig) else DeviseNetConfig(**net)
        self.head = DeviseHead(net.in_features, net.out_dim, net.hidden, net.dropout)
        self.backbone = None if net.precomputed else create_backbone(net.backbone, net.backbone_weights)
        if init_from:
            load_head(self.head, init_from)
        self.class_state: ClassState | None = None
        self.register_buffer("class_vectors", torch.zeros(0, net.out_dim), persistent=False)
        self.register_buffer("heldout_mask", torch.zeros(0, dtype=torch.bool), persistent=False)
        self.unseen_masks: dict[str, torch.Tensor] = {}
        self.hits = nn.ModuleDict()
        self.baselines: ClassifierBaselines | None = None

    # ---- classes -----------------------------------------------------------------------------------------------
    def set_classes(self, state: ClassState) -> None:
        """Install the labels, their vectors ``(n_classes, out_dim)``, the held-out groups and the hit@k metrics."""
        self.class_state = state
        vectors = torch.as_tensor(np.asarray(state.vectors), dtype=torch.float32)
        self.class_vectors = F.normalize(vectors, dim=-1).to(self.device)

        def mask(ids) -> torch.Tensor:
            ids = set(ids)
            return torch.tensor([w in ids for w in state.wnids], dtype=torch.bool, device=self.device)

        self.heldout_mask = mask(state.holdout)
        self.unseen_masks = {"val": mask(state.holdout_val), "test": mask(state.holdout_test)}
        n, ks = len(state.wnids), self.hparams.hit_ks
        self.hits = nn.ModuleDict({f"{stage}_{m}": RankHits(ks, n, int(self.unseen_masks[stage].sum()), m)
                                   for stage, methods in (("val", ["devise"]), ("test", list(METHODS)))
                                   for m in methods}).to(self.device)

    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if dm is not None and hasattr(dm, "class_state"):
            self.set_classes(dm.class_state())

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        if self.class_state is not None:
            checkpoint[CKPT_KEY] = self.class_state.to_dict()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        name = getattr(self._trainer, "ckpt_path", None) or "the checkpoint"
        check_checkpoint_fits(self, checkpoint, name)
        if checkpoint.get(CKPT_KEY):
            saved = ClassState.from_dict(checkpoint[CKPT_KEY])
            if self.class_state is not None and tuple(saved.wnids) != tuple(self.class_state.wnids):
                ours, theirs = self.class_state, saved
                raise UserInputError(
                    f"{name} was trained on other classes ({len(theirs.wnids)}, e.g. {', '.join(theirs.names[:3])}) "
                    f"than this run's data has ({len(ours.wnids)}, e.g. {', '.join(ours.names[:3])}): pass a "
                    "checkpoint trained with this config's data, or use the config it was trained with")
            self.set_classes(saved)

    # ---- model -------------------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features ``(batch, in_features)`` (or images ``(batch, 3, H, W)`` when not precomputed) → vectors
        ``(batch, out_dim)``."""
        if self.backbone is not None:
            x = self.backbone(x)
        return self.head(x)

    def _loss(self, pred: torch.Tensor, target_idx: torch.Tensor) -> torch.Tensor:
        if self.hparams.loss == "cosine":
            return cosine_loss(pred, self.class_vectors[target_idx])
        train = (~self.heldout_mask).nonzero().squeeze(1)  # negatives never include held-out classes
        remap = torch.full((len(self.class_vectors),), -1, dtype=torch.long, device=pred.device)
        remap[train] = torch.arange(len(train), device=pred.device)
        return hinge_rank_loss(pred, remap[target_idx], self.class_vectors[train], self.hparams.margin)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = self._loss(self(x), y)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(y))
        return loss

    # ---- evaluation --------------------------------------------------------------------------------------------
    def ranks(self, pred: torch.Tensor, target_idx: torch.Tensor, among: torch.Tensor | None = None) -> torch.Tensor:
        """1-based rank of each true class by cosine, ``(batch,)``, among all classes or only those where the
        mask ``among`` ``(n_classes,)`` is True; ties count against the true class."""
        return true_class_ranks(F.normalize(pred.float(), dim=-1) @ self.class_vectors.T, target_idx, among)

    def _eval_step(self, batch, stage: str) -> list[EvalRow]:
        """``batch``: features or images, class indices ``(batch,)``, dataset indices ``(batch,)``."""
        x, y, index = batch
        pred = self(x)
        self.log(f"{stage}/loss", cosine_loss(pred, self.class_vectors[y]), batch_size=len(y), sync_dist=True)
        unseen = self.unseen_masks[stage].to(pred.device)
        ranks = {"devise": (self.ranks(pred, y), self.ranks(pred, y, among=unseen))}
        if stage == "test" and self.baselines is not None:
            features = x if self.backbone is None else self._reference_backbone(x)
            probs, conse = self.baselines(features)
            if self.baselines.has_softmax:
                ranks["softmax"] = (true_class_ranks(probs, y), true_class_ranks(probs, y, unseen))
            ranks["conse"] = (self.ranks(conse, y), self.ranks(conse, y, among=unseen))
        held = unseen[y]
        for method, (all_ranks, unseen_ranks) in ranks.items():
            self.hits[f"{stage}_{method}"].update(all_ranks, unseen_ranks, held)
        if stage != "test":
            return []
        vectors = F.normalize(pred.float(), dim=-1).cpu().numpy()
        cols = {m: (a.tolist(), u.tolist()) for m, (a, u) in ranks.items()}
        return [EvalRow(i, h, {m: c[0][j] for m, c in cols.items()}, {m: c[1][j] for m, c in cols.items()},
                        vectors[j]) for j, (i, h) in enumerate(zip(index.tolist(), held.tolist()))]

    def _log_hits(self, stage: str) -> dict[str, dict[str, float]]:
        """Compute (across processes), log and reset the stage's hit@k metrics; ``{method name: {metric: value}}``."""
        table = {}
        for method, name in METHODS.items():
            metric = self.hits[f"{stage}_{method}"] if f"{stage}_{method}" in self.hits else None
            values = metric.compute() if metric is not None and metric.update_called else {}
            if metric is not None:
                metric.reset()
            counts = {k: values.pop(k) for k in ("n_images", "n_heldout_images") if k in values}
            if values:
                prefix = f"{stage}/" if method == "devise" else f"{stage}/{method}_"
                self.log_dict({prefix + k: v for k, v in values.items()})
                table[name] = values
            if method == "devise":
                self.eval_counts = counts
        return table

    def validation_step(self, batch, batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._log_hits("val")

    def on_test_epoch_start(self) -> None:
        self.baselines = self._make_baselines()

    def test_step(self, batch, batch_idx: int) -> list[EvalRow]:
        return self._eval_step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self.test_table = self._log_hits("test")
        self.test_results = {**self.eval_counts, **self.test_table.get(METHODS["devise"], {})}

    def _make_baselines(self) -> ClassifierBaselines | None:
        """The backbone's own ImageNet classifier mapped onto this run's labels, when the weights have one."""
        state, net = self.class_state, self.net_config
        classifier = create_classifier(net.backbone, net.backbone_weights) if state and state.imagenet else None
        if classifier is None:
            return None
        if self.backbone is not None:
            self._reference_backbone = create_backbone(net.backbone, net.backbone_weights).to(self.device).eval()
        label = {w: i for i, w in enumerate(state.wnids)}
        label_of_class = [label.get(state.aliases.get(w, w), -1) for w in state.imagenet["wnids"]]
        held = [label[w] for w in state.holdout if w in label]
        vectors = torch.as_tensor(np.asarray(state.imagenet["vectors"]), dtype=torch.float32)
        return ClassifierBaselines(classifier, label_of_class, vectors, held, len(label)).to(self.device)

    # ---- optimisation ------------------------------------------------------------------------------------------
    def configure_optimizers(self):
        groups = [{"params": self.head.parameters(), "lr": self.hparams.lr}]
        trainable = [p for p in self.backbone.parameters() if p.requires_grad] if self.backbone is not None else []
        if trainable:  # a frozen backbone (BackboneUnfreeze) joins the optimizer when it is unfrozen
            groups.append({"params": trainable, "lr": self.hparams.lr * self.hparams.backbone_lr_factor})
        opt = torch.optim.AdamW(groups, weight_decay=self.hparams.weight_decay)
        return self.one_cycle(opt, self.hparams.pct_start) if self.hparams.one_cycle else opt


def load_head(head: torch.nn.Module, checkpoint: str) -> None:
    """Copy the ``head.*`` weights of a DeViSE checkpoint into ``head`` (shapes must match)."""
    try:
        raw = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as error:
        raise UserInputError(f"init_from checkpoint {checkpoint} could not be read ({error}): pass the .ckpt of a "
                             "DeViSE run (e.g. runs/devise_imagenet/checkpoints/last.ckpt)") from None
    weights = {k[len("head."):]: v for k, v in raw.get("state_dict", {}).items() if k.startswith("head.")}
    if not weights:
        raise UserInputError(f"{checkpoint} holds no DeViSE head: pass the checkpoint of a configs/devise run")
    try:
        head.load_state_dict(weights)
    except RuntimeError:
        raise UserInputError(f"the head in {checkpoint} does not fit this model (other feature or vector size): "
                             "use the same backbone and word vectors as that run") from None
    log.info("head weights loaded from %s", checkpoint)
