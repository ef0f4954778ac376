"""``DeviseModule``: regress image features onto word vectors of class names (DeViSE, fast.ai lesson 11)."""
from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from datamodules.errors import UserInputError
from lightning_modules.checkpoint_io import check_checkpoint_fits
from lightning_modules.devise_eval import EvalRow, chance_hit_rates, method_hit_rates
from lightning_modules.devise_report import ReportBuilder, ReportHeader, write_devise_report
from lightning_modules.distributed import gather_lists, run_dir
from lightning_modules.lr_schedule import one_cycle_factor
from lightning_modules.nn.backbone import create_backbone, create_classifier
from lightning_modules.nn.conse import ClassifierBaselines
from lightning_modules.nn.devise_head import DeviseHead
from lightning_modules.nn.devise_loss import cosine_loss, hinge_rank_loss
from lightning_modules.nn.ranking import true_class_ranks

log = logging.getLogger(__name__)
CKPT_KEY = "devise_classes"


class DeviseModule(pl.LightningModule):
    """Head (and, when not working on precomputed features, the backbone) trained with ``1 - cosine`` (default)
    or the DeViSE paper's hinge rank loss. Evaluation ranks every class vector by cosine to the prediction:
    flat hit@k for images of training classes and zero-shot hit@k for images of held-out classes.

    Feature/vector sizes and the backbone come from the DataModule through CLI links.
    """

    def __init__(self, in_features: int = 1280, out_dim: int = 50, backbone: str = "tf_efficientnet_lite0",
                 backbone_weights: str | None = None, precomputed: bool = True, hidden: int = 1024,
                 dropout: float = 0.2, loss: Literal["cosine", "hinge"] = "cosine", margin: float = 0.1,
                 lr: float = 1e-2, weight_decay: float = 1e-7, backbone_lr_factor: float = 0.1,
                 one_cycle: bool = True, pct_start: float = 0.25, hit_ks: tuple[int, ...] = (1, 2, 5, 10),
                 init_from: str | None = None) -> None:
        """``init_from``: a checkpoint of an earlier DeViSE run (e.g. the head trained on precomputed features)
        whose head weights start this run, as in the lesson's second stage (``precomputed: false`` + fine-tuning)."""
        super().__init__()
        self.save_hyperparameters()
        self.head = DeviseHead(in_features, out_dim, hidden, dropout)
        self.backbone = None if precomputed else create_backbone(backbone, backbone_weights)
        if init_from:
            load_head(self.head, init_from)
        self.class_state: dict | None = None
        self.register_buffer("class_vectors", torch.zeros(0, out_dim), persistent=False)
        self.register_buffer("heldout_mask", torch.zeros(0, dtype=torch.bool), persistent=False)
        self.unseen_masks: dict[str, torch.Tensor] = {}
        self.baselines: ClassifierBaselines | None = None
        self._outputs: list[EvalRow] = []

    # ---- classes -----------------------------------------------------------------------------------------------
    def set_classes(self, state: dict) -> None:
        """Install class ids, names, vectors ``(n_classes, out_dim)`` and the held-out groups (checkpoints written
        before the validation/test split of held-out classes score every held-out class in both)."""
        self.class_state = state
        vectors = torch.as_tensor(np.asarray(state["vectors"]), dtype=torch.float32)
        self.class_vectors = F.normalize(vectors, dim=-1).to(self.device)

        def mask(ids) -> torch.Tensor:
            ids = set(ids)
            return torch.tensor([w in ids for w in state["wnids"]], dtype=torch.bool, device=self.device)

        self.heldout_mask = mask(state["holdout"])
        self.unseen_masks = {"val": mask(state.get("holdout_val", state["holdout"])),
                             "test": mask(state.get("holdout_test", state["holdout"]))}

    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if dm is not None and hasattr(dm, "class_state"):
            self.set_classes(dm.class_state())

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # plain lists and tensors only, so the checkpoint loads with torch.load(weights_only=True)
        if self.class_state is not None:
            state = dict(self.class_state)
            state["vectors"] = torch.as_tensor(np.asarray(state["vectors"]), dtype=torch.float32)
            if state.get("imagenet"):
                state["imagenet"] = {"wnids": list(state["imagenet"]["wnids"]), "vectors": torch.as_tensor(
                    np.asarray(state["imagenet"]["vectors"]), dtype=torch.float32)}
            checkpoint[CKPT_KEY] = state

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        check_checkpoint_fits(self, checkpoint, getattr(self._trainer, "ckpt_path", None))
        if checkpoint.get(CKPT_KEY):
            self.set_classes(checkpoint[CKPT_KEY])

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

    def _eval_step(self, batch, stage: str) -> None:
        """``batch``: features or images, class indices ``(batch,)``, dataset indices ``(batch,)``."""
        x, y, index = batch
        pred = self(x)
        self.log(f"{stage}/loss", cosine_loss(pred, self.class_vectors[y]), batch_size=len(y), sync_dist=True)
        unseen = self.unseen_masks[stage].to(pred.device)
        ranks = {"devise": self.ranks(pred, y)}
        unseen_ranks = {"devise": self.ranks(pred, y, among=unseen)}
        if stage == "test" and self.baselines is not None:
            features = x if self.backbone is None else self._reference_backbone(x)
            probs, conse = self.baselines(features)
            if self.baselines.has_softmax:
                ranks["softmax"] = true_class_ranks(probs, y)
            ranks["conse"], unseen_ranks["conse"] = self.ranks(conse, y), self.ranks(conse, y, among=unseen)
        vectors = F.normalize(pred.float(), dim=-1).cpu().numpy() if stage == "test" else [None] * len(y)
        cols = {m: r.tolist() for m, r in ranks.items()}
        ucols = {m: r.tolist() for m, r in unseen_ranks.items()}
        for j, (i, held) in enumerate(zip(index.tolist(), unseen[y].tolist())):
            self._outputs.append(EvalRow(i, held, {m: c[j] for m, c in cols.items()},
                                         {m: c[j] for m, c in ucols.items()}, vectors[j]))

    @staticmethod
    def _unique(rows: list[EvalRow]) -> list[EvalRow]:
        """Rows from all processes, one per dataset index (a distributed sampler pads with repeats), in order."""
        return sorted(dict((r.index, r) for r in gather_lists(rows)).values(), key=lambda r: r.index)

    def hit_rates(self, rows: list[EvalRow], stage: str, method: str = "devise") -> dict[str, float]:
        """Flat hit@k over seen-class images; for held-out-class images, zero-shot hit@k among all classes
        (``zeroshot_hit``, the DeViSE paper's harder "generalised" setting) and among the stage's held-out classes
        only (``zeroshot_unseen_hit``, the conventional zero-shot protocol)."""
        return method_hit_rates(rows, method, self.hparams.hit_ks, len(self.class_vectors),
                                int(self.unseen_masks[stage].sum()))

    def on_validation_epoch_start(self) -> None:
        self._outputs = []

    def validation_step(self, batch, batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        for key, value in self.hit_rates(self._unique(self._outputs), "val").items():
            self.log(f"val/{key}", value, prog_bar=key in ("hit@1", "zeroshot_unseen_hit@1"))
        self._outputs = []

    def on_test_epoch_start(self) -> None:
        self._outputs = []
        self.baselines = self._make_baselines()

    def test_step(self, batch, batch_idx: int) -> None:
        self._eval_step(batch, "test")

    def on_test_epoch_end(self) -> None:
        rows = self._unique(self._outputs)
        self._outputs = []
        methods = {"DeViSE": "devise", "softmax (backbone's classifier)": "softmax", "ConSE (top 10)": "conse"}
        table = {name: self.hit_rates(rows, "test", m) for name, m in methods.items()}
        table = {name: values for name, values in table.items() if values}
        table["chance"] = chance_hit_rates(rows, self.hparams.hit_ks, len(self.class_vectors),
                                           int(self.unseen_masks["test"].sum()))
        for key, value in table["DeViSE"].items():
            self.log(f"test/{key}", value)
        for name, prefix in (("softmax (backbone's classifier)", "softmax"), ("ConSE (top 10)", "conse")):
            for key, value in table.get(name, {}).items():
                self.log(f"test/{prefix}_{key}", value)
        self.test_results = {"n_images": len(rows), "n_heldout_images": sum(r.held_out for r in rows),
                             **table["DeViSE"]}
        self.test_table = table
        dm = self.trainer.datamodule
        if self.trainer.is_global_zero and rows and dm is not None and hasattr(dm, "items"):
            items = [dm.items("test")[r.index] for r in rows]
            builder = ReportBuilder(self.class_state, [str(p) for p, _ in items], [c for _, c in items],
                                    np.stack([r.vector for r in rows]))
            monitor = getattr(self.trainer.checkpoint_callback, "monitor", None)
            header = ReportHeader(dm.describe("test"), dm.describe("val"), monitor,
                                  bool(self.class_state.get("seen_eval_is_fit")))
            paths = write_devise_report(run_dir(self.trainer), self.test_results, builder, table, header)
            log.info("DeViSE report: %s", ", ".join(map(str, paths)))

    def _make_baselines(self) -> ClassifierBaselines | None:
        """The backbone's own ImageNet classifier mapped onto this run's labels, when the weights have one."""
        state, hp = self.class_state or {}, self.hparams
        imagenet = state.get("imagenet")
        classifier = create_classifier(hp.backbone, hp.backbone_weights) if imagenet else None
        if classifier is None:
            return None
        if self.backbone is not None:
            self._reference_backbone = create_backbone(hp.backbone, hp.backbone_weights).to(self.device).eval()
        label = {w: i for i, w in enumerate(state["wnids"])}
        aliases = state.get("aliases", {})
        label_of_class = [label.get(aliases.get(w, w), -1) for w in imagenet["wnids"]]
        held = [label[w] for w in state["holdout"] if w in label]
        vectors = torch.as_tensor(np.asarray(imagenet["vectors"]), dtype=torch.float32)
        return ClassifierBaselines(classifier, label_of_class, vectors, held, len(label)).to(self.device)

    # ---- optimisation ------------------------------------------------------------------------------------------
    def configure_optimizers(self):
        groups = [{"params": self.head.parameters(), "lr": self.hparams.lr}]
        trainable = [p for p in self.backbone.parameters() if p.requires_grad] if self.backbone is not None else []
        if trainable:  # a frozen backbone (BackboneUnfreeze) joins the optimizer when it is unfrozen
            groups.append({"params": trainable, "lr": self.hparams.lr * self.hparams.backbone_lr_factor})
        opt = torch.optim.AdamW(groups, weight_decay=self.hparams.weight_decay)
        self._total_steps = self.trainer.estimated_stepping_batches
        if not self.hparams.one_cycle or not np.isfinite(self._total_steps):
            return opt
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda step: one_cycle_factor(step, int(self._total_steps), self.hparams.pct_start))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_train_start(self) -> None:
        self._total_steps = self.trainer.estimated_stepping_batches


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
