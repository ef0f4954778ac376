"""The teacher-forcing schedule is a function of the epoch (or step) only."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from callbacks.teacher_forcing import TeacherForcingScheduler


def test_lesson_schedule():
    sched = TeacherForcingScheduler(start=1.0, end=0.0, decay_epochs=10)
    assert [round(sched.probability(e), 6) for e in range(12)] == [round((10 - e) * 0.1, 6) for e in range(11)] + [0.0]


def test_sets_module_attribute_from_epoch_before_every_batch():
    """Before every batch, not at epoch start: a run resumed mid-epoch gets no epoch-start hook."""
    sched = TeacherForcingScheduler(decay_epochs=4)
    module = SimpleNamespace(teacher_forcing=0.123)
    sched.on_train_batch_start(SimpleNamespace(current_epoch=3, global_step=999), module, None, 17)
    assert module.teacher_forcing == pytest.approx(0.25)


def test_rejects_bad_decay():
    with pytest.raises(ValueError):
        TeacherForcingScheduler(decay_epochs=0)


def test_step_unit_follows_global_step():
    sched = TeacherForcingScheduler(start=1.0, end=0.0, unit="step", decay_steps=100)
    module = SimpleNamespace(teacher_forcing=1.0)
    sched.on_train_batch_start(SimpleNamespace(current_epoch=5, global_step=25), module, None, 0)
    assert module.teacher_forcing == pytest.approx(0.75)  # the epoch does not matter in step mode
    sched.on_train_batch_start(SimpleNamespace(current_epoch=5, global_step=500), module, None, 0)
    assert module.teacher_forcing == 0.0
