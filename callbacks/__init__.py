"""Cross-cutting training behaviour, as Lightning callbacks."""
from callbacks.attention_plot import AttentionPlotter
from callbacks.teacher_forcing import TeacherForcingScheduler

__all__ = ["AttentionPlotter", "TeacherForcingScheduler"]
