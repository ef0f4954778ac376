"""Real data from ../shared/data (skipped when it is absent): the Tatoeba files parse as documented, and a model
trained a few hundred steps on the Wh-question subset lowers its loss."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cli.lesson_cli import cli_main
from datamodules.text.sources import CsvPairSource, TatoebaSource

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TATOEBA = SHARED / "tatoeba_fra_eng"
ROOT = Path(__file__).resolve().parents[1]
BLEU_GAIN = 8.0  # measured: see the test's docstring and the closing note of issue 10

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not TATOEBA.is_dir(), reason=f"real data not found at {TATOEBA}")]


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
    """2 epochs of the demo model on the 6,823 real Wh-question pairs (seed 0): the loss falls, and held-out
    validation BLEU rises far above the untrained model's."""
    monkeypatch.chdir(tmp_path)
    args = ["-c", str(ROOT / "configs" / "translate" / "demo.yaml"),
            "--data.source", "datamodules.text.sources.CsvPairSource",
            "--data.source.init_args.path", str(TATOEBA / "tatoeba_questions_wh.csv"),
            "--data.cache_dir", str(tmp_path / "cache"), "--data.batch_size", "32",
            "--checkpoint.dirpath", str(tmp_path / "ckpt")]
    untrained = float(cli_main(["validate", *args, "--trainer.logger", "false"]).trainer.callback_metrics["val/bleu"])
    cli = cli_main(["fit", *args, "--trainer.max_epochs", "2", "--trainer.log_every_n_steps", "5"])
    trained = float(cli.trainer.callback_metrics["val/bleu"])
    print(f"real Wh-questions, validation BLEU: untrained {untrained:.2f}, after 2 epochs {trained:.2f}")
    assert untrained < 1.0 and trained >= untrained + BLEU_GAIN, (untrained, trained)
    assert cli.trainer.global_step >= 300
    rows = list(csv.DictReader((Path(cli.trainer.loggers[1].log_dir) / "metrics.csv").open()))
    train = [float(r["train/loss"]) for r in rows if r.get("train/loss")]
    val = [float(r["val/loss"]) for r in rows if r.get("val/loss")]
    assert sum(train[-10:]) / 10 < 0.6 * sum(train[:3]) / 3
    assert val[-1] < val[0]


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
