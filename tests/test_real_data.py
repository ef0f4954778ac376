"""Real data from ../shared/data (skipped when it is absent): the Tatoeba files parse as documented, and a model
trained a few hundred steps on the Wh-question subset lowers its loss."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cli.lesson_cli import cli_main
from datamodules.text.sources import CsvPairSource, TatoebaSource

from shared_data import SHARED  # noqa: E402  (tests/ is on sys.path through conftest)

TATOEBA = SHARED / "tatoeba_fra_eng"
ROOT = Path(__file__).resolve().parents[1]
BLEU_FLOOR = 6.4  # ~85 % of the measured 7.57 (untrained 0.01; see the test's docstring)

pytestmark = [pytest.mark.slow, pytest.mark.shared_data(TATOEBA)]


def test_shared_tatoeba_files_parse(tmp_path: Path):
    src = TatoebaSource(path=str(TATOEBA / "fra.txt"), url=None)
    src.prepare(tmp_path)
    pairs = src.pairs(tmp_path)
    assert len(pairs) == 137008 and pairs[0] == ("Va !", "Go.")
    wh = TatoebaSource(path=str(TATOEBA / "fra.txt"), url=None, filter="wh_questions").pairs(tmp_path)
    csv_pairs = CsvPairSource(path=str(TATOEBA / "tatoeba_questions_wh.csv")).pairs(tmp_path)
    assert len(wh) == len(csv_pairs) == 6823  # the lesson's regexes, applied by us and by the data's curator
    assert set(wh) == set(csv_pairs)


def test_training_on_real_wh_questions_lowers_the_loss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """6 epochs of the demo model, teacher forcing held at 1 as in the tuned recipe, on the 6,823 real Wh-question
    pairs (seed 0): the loss falls, and validation BLEU on English sentences never trained on (grouped split) rises
    far above the untrained model's. Measured 7.57 against 0.01 (cased sacreBLEU on the true-cased
    output the demo config writes); with the lesson's teacher-forcing ramp, 2 epochs gave 1.7."""
    monkeypatch.chdir(tmp_path)
    overlay = tmp_path / "forcing.yaml"
    overlay.write_text("trainer: {callbacks: []}\nmodel: {init_args: {teacher_forcing: 1.0}}\n")
    args = ["-c", str(ROOT / "configs" / "translate" / "demo.yaml"), "-c", str(overlay),
            "--data.source", "datamodules.text.sources.CsvPairSource",
            "--data.source.init_args.path", str(TATOEBA / "tatoeba_questions_wh.csv"),
            "--data.cache_dir", str(tmp_path / "cache"), "--data.batch_size", "32",
            "--checkpoint.dirpath", str(tmp_path / "ckpt")]
    before = cli_main(["validate", *args, "--trainer.logger", "false", "--untrained", "true"]).trainer.callback_metrics
    untrained, untrained_loss = float(before["val/bleu"]), float(before["val/loss"])
    cli = cli_main(["fit", *args, "--trainer.max_epochs", "6", "--trainer.log_every_n_steps", "5"])
    trained = float(cli.trainer.callback_metrics["val/bleu"])
    print(f"real Wh-questions, validation BLEU: untrained {untrained:.2f}, after 6 epochs {trained:.2f}")
    assert untrained < 1.0 and trained >= BLEU_FLOOR, (untrained, trained)
    assert cli.trainer.global_step >= 300
    rows = list(csv.DictReader((Path(cli.trainer.loggers[1].log_dir) / "metrics.csv").open()))
    train = [float(r["train/loss"]) for r in rows if r.get("train/loss")]
    val = [float(r["val/loss"]) for r in rows if r.get("val/loss")]
    assert sum(train[-10:]) / 10 < 0.6 * sum(train[:3]) / 3
    # teacher-forced validation loss: far below the untrained model's after an epoch; later it rises again as the
    # model grows over-confident on 6k pairs while BLEU still climbs, so only its minimum is checked
    assert min(val) < 0.7 * untrained_loss, (val, untrained_loss)


def test_english_references_survive_tokenise_detokenise(tmp_path: Path):
    """Every distinct English sentence of the shared Tatoeba file, tokenised as the targets are (lower-cased, with
    joiners) and detokenised as hypotheses are, scores ≥ 99.9 BLEU against the original."""
    from callbacks.bleu_report import corpus_scores
    from datamodules.text.joiners import detokenize_joined
    from datamodules.text.prepare import TextSettings

    refs = sorted({en for _, en in TatoebaSource(path=str(TATOEBA / "fra.txt"), url=None).pairs(tmp_path)})
    _, tokenizer = TextSettings().tokenizers()
    hyps = [detokenize_joined(tokens) for tokens in tokenizer.pipe(refs)]
    scores = corpus_scores(hyps, refs, lowercase=True)
    assert len(refs) > 90000 and scores["bleu"] >= 99.9, scores["bleu_detail"]
    assert sum(h == r.lower() for h, r in zip(hyps, refs)) >= 0.999 * len(refs)
