"""Cross-cutting training behaviour and the reports, as Lightning callbacks."""
from callbacks.attention_plot import AttentionPlotter
from callbacks.backbone_unfreeze import BackboneUnfreeze
from callbacks.bleu_report import BleuReport
from callbacks.devise_report import DeviseReport
from callbacks.last_checkpoint import LastCheckpoint
from callbacks.lr_finder import LrFinder
from callbacks.prediction_writer import PredictionWriter
from callbacks.rng_state import RngState
from callbacks.teacher_forcing import TeacherForcingScheduler
from callbacks.training_budget import TrainingBudget

__all__ = ["AttentionPlotter", "BackboneUnfreeze", "BleuReport", "DeviseReport", "LastCheckpoint", "LrFinder",
           "PredictionWriter",
           "RngState", "TeacherForcingScheduler", "TrainingBudget"]
