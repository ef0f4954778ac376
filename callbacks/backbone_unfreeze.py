"""Fine-tuning stage for DeViSE: keep the CNN backbone frozen for a few epochs, then train it at a lower LR."""
from __future__ import annotations

import logging

import pytorch_lightning as pl
from pytorch_lightning.callbacks import BaseFinetuning
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

log = logging.getLogger(__name__)


class BackboneUnfreeze(BaseFinetuning):
    """Freeze ``pl_module.backbone`` (weights and batch-norm statistics, kept in eval mode) before training and
    unfreeze it at epoch ``unfreeze_at_epoch``, adding it to the optimizer with ``lr_factor`` × the head's current
    learning rate. A step-wise ``LambdaLR`` (the one-cycle schedule) is extended so the backbone follows the same
    curve, scaled. On resume the stage is restored: Lightning's ``BaseFinetuning`` state puts the parameter group
    back, and a run resumed past the unfreezing epoch (at an epoch boundary or mid-epoch) unfreezes before its first
    batch.

    Does nothing (one log line) when the module trains on precomputed features, i.e. has no backbone.
    """

    def __init__(self, unfreeze_at_epoch: int = 1, lr_factor: float = 0.1, train_bn: bool = True) -> None:
        super().__init__()
        self.unfreeze_at_epoch, self.lr_factor, self.train_bn = unfreeze_at_epoch, lr_factor, train_bn

    @staticmethod
    def _backbone(pl_module: pl.LightningModule):
        return getattr(pl_module, "backbone", None)

    def freeze_before_training(self, pl_module: pl.LightningModule) -> None:
        backbone = self._backbone(pl_module)
        if backbone is None:
            log.info("BackboneUnfreeze: the model trains on precomputed features (no backbone); nothing to freeze")
            return
        self.freeze(backbone, train_bn=False)

    def frozen(self, pl_module: pl.LightningModule) -> bool:
        backbone = self._backbone(pl_module)
        return backbone is not None and not any(p.requires_grad for p in backbone.parameters())

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # a run resumed mid-epoch past the unfreezing epoch gets no epoch-start hook before its first batch
        self.finetune_function(pl_module, trainer.current_epoch, trainer.optimizers[0])

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int) -> None:
        if self.frozen(pl_module):  # Lightning puts the whole model back in train mode after each validation
            self._backbone(pl_module).eval()

    def finetune_function(self, pl_module: pl.LightningModule, epoch: int, optimizer: Optimizer) -> None:
        backbone = self._backbone(pl_module)
        if backbone is None or epoch < self.unfreeze_at_epoch or not self.frozen(pl_module):
            return
        in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if any(id(p) in in_optimizer for p in backbone.parameters()):  # resumed: group restored, only unfreeze
            self.make_trainable(backbone)
        else:
            lr = optimizer.param_groups[0]["lr"] * self.lr_factor
            self.unfreeze_and_add_param_group(backbone, optimizer, lr=lr, train_bn=self.train_bn)
            log.info("epoch %d: backbone unfrozen, learning rate %.3g", epoch, lr)
        self._extend_schedulers(pl_module.trainer, optimizer)
        backbone.train()

    def _extend_schedulers(self, trainer: pl.Trainer, optimizer: Optimizer) -> None:
        """Give a new parameter group the schedule of the first one (LambdaLR), scaled to its own base LR."""
        for config in trainer.lr_scheduler_configs:
            sched = config.scheduler
            if isinstance(sched, LambdaLR) and sched.optimizer is optimizer:
                groups = optimizer.param_groups
                while len(sched.base_lrs) < len(groups):  # a resumed scheduler already has the saved base LRs
                    factor = sched.lr_lambdas[0](sched.last_epoch)
                    group = groups[len(sched.base_lrs)]
                    sched.base_lrs.append(group["lr"] / factor if factor > 0 else group["lr"])
                    group.setdefault("initial_lr", sched.base_lrs[-1])
                while len(sched.lr_lambdas) < len(groups):
                    sched.lr_lambdas.append(sched.lr_lambdas[0])
