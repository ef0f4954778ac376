"""The progression benchmark's curves: every logged validation gets the training time the budget recorded for it."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import translate_tatoeba  # noqa: E402


def _run_folder(tmp_path: Path, logged_steps: list[int]) -> Path:
    logs = tmp_path / "lightning_logs" / "version_0"
    logs.mkdir(parents=True)
    lines = ["epoch,step,train/loss,val/bleu,val/chrf,val/loss", "0,49,7.5,,,"]
    lines += [f"0,{s},,{s / 100:.1f},{s / 50:.1f},{5 - s / 400:.2f}" for s in logged_steps]
    (logs / "metrics.csv").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_validation_points_get_the_budget_minutes_of_their_validation(tmp_path):
    # Lightning stamps validation metrics with global step − 1; the budget records global step
    out = _run_folder(tmp_path, [399, 799, 1199])
    budget = {"validations": [{"step": 400, "train_seconds": 240.0}, {"step": 800, "train_seconds": 450.0},
                              {"step": 1200, "train_seconds": 660.0}]}
    curve = translate_tatoeba.val_curve(out, budget)
    assert [c["minutes"] for c in curve] == [4.0, 7.5, 11.0]
    assert [c["val_bleu"] for c in curve] == [4.0, 8.0, 12.0]


def test_a_validation_the_budget_did_not_record_gets_no_time(tmp_path):
    out = _run_folder(tmp_path, [399, 799, 1199])
    budget = {"validations": [{"step": 400, "train_seconds": 240.0}, {"step": 1200, "train_seconds": 660.0}]}
    curve = translate_tatoeba.val_curve(out, budget)
    assert curve[0]["minutes"] == 4.0 and math.isnan(curve[1]["minutes"]) and curve[2]["minutes"] == 11.0


def test_a_plot_with_untimed_points_is_refused(tmp_path):
    out = _run_folder(tmp_path, [399])
    curve = translate_tatoeba.val_curve(out, {"validations": []})
    assert math.isnan(curve[0]["minutes"])
    with pytest.raises(RuntimeError, match="without a training time"):
        translate_tatoeba.plot([{"variant": "seq2seq", "curve": curve}], tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()
