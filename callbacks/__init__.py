"""Cross-cutting training behaviour, as Lightning callbacks."""
from callbacks.attention_plot import AttentionPlotter
from callbacks.backbone_unfreeze import BackboneUnfreeze
from callbacks.last_checkpoint import LastCheckpoint
from callbacks.rng_state import RngState
from callbacks.teacher_forcing import TeacherForcingScheduler
from callbacks.training_budget import TrainingBudget

__all__ = ["AttentionPlotter", "BackboneUnfreeze", "LastCheckpoint", "RngState", "TeacherForcingScheduler",
           "TrainingBudget"]
