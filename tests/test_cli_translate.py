"""The translation configs through the real LightningCLI: every YAML under fast_dev_run, a short end-to-end run
(checkpoints, attention PNGs, BLEU report, translate.py round trip) and teacher forcing across a resume."""
from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml
from tiny_data import vocab_words, write_gigafren, write_tatoeba, write_vec

from cli.lesson_cli import cli_main

ROOT = Path(__file__).resolve().parents[1]
TRANSLATE = ROOT / "configs" / "translate"
# every shipped combination: each stand-alone config, the giga-fren base alone and with each lesson overlay
CONFIGS = [[c] for c in sorted(TRANSLATE.glob("*.yaml"))] + \
    [[TRANSLATE / "gigafren.yaml", o] for o in sorted((TRANSLATE / "gigafren").glob("*.yaml"))]


def _data_overrides(cfg: Path, tmp: Path) -> list[str]:
    """Point a config's data at small local files so it runs offline in seconds."""
    data = yaml.safe_load(cfg.read_text())["data"]["init_args"]
    source = data["source"]["class_path"].rsplit(".", 1)[-1]
    args = ["--data.cache_dir", str(tmp / "cache")]
    if source == "GigaFrenSource":
        args += ["--data.source.init_args.root", str(write_gigafren(tmp / "giga")), "--data.source.init_args.url", "null"]
    elif source == "TatoebaSource":
        args += ["--data.source.init_args.path", str(write_tatoeba(tmp / "tatoeba" / "fra.txt")),
                 "--data.source.init_args.url", "null"]
    elif source == "EmbeddedQuestionsSource":
        args += ["--data.source.init_args.n_pairs", "300"]
    for side, lang, dim in (("src", 0, 12), ("tgt", 1, 10)):
        spec = str(data.get(f"{side}_vectors"))
        if spec.endswith((".bin", ".vec")):
            vec = write_vec(tmp / f"{side}.vec", vocab_words(lang), dim, seed=lang)
            args += [f"--data.{side}_vectors", str(vec), f"--data.{side}_vectors_url", "null"]
        elif spec.startswith("train") or spec.startswith("spacy:"):
            # fastText training on a 300-pair corpus diverges now and then (the backend is unit-tested on its own)
            vec = write_vec(tmp / f"{side}.vec", vocab_words(lang), dim, seed=lang)
            args += [f"--data.{side}_vectors", str(vec)]
    return args


def _run(args: list[str]):
    return cli_main(args)


@pytest.mark.parametrize("cfgs", CONFIGS, ids=["+".join(c.stem for c in cfgs) for cfgs in CONFIGS])
def test_every_translate_config_runs_fast_dev_run(cfgs: list[Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    files = [arg for cfg in cfgs for arg in ("-c", str(cfg))]
    cli = _run(["fit", *files, "--trainer.fast_dev_run", "1", "--trainer.default_root_dir", str(tmp_path),
                "--checkpoint.dirpath", str(tmp_path / "ckpt"), *_data_overrides(cfgs[0], tmp_path)])
    hp = SimpleNamespace(**asdict(cli.model.net_config), max_decode_len=cli.model.hparams.max_decode_len)
    dm = cli.datamodule
    assert (hp.src_vocab_size, hp.tgt_vocab_size) == (dm.src_vocab_size, dm.tgt_vocab_size)
    assert (hp.src_emb_dim, hp.tgt_emb_dim) == (dm.src_emb_dim, dm.tgt_emb_dim)
    assert hp.max_decode_len == dm.max_tgt_len
    assert torch.isfinite(torch.stack([p.sum() for p in cli.model.parameters()])).all()


def _demo_args(tmp: Path, *extra: str) -> list[str]:
    cfg = ROOT / "configs" / "translate" / "demo.yaml"
    return ["-c", str(cfg), "--data.source.init_args.n_pairs", "400", "--data.cache_dir", str(tmp / "cache"),
            "--data.src_vectors", "null", "--data.tgt_vectors", "null", "--data.emb_dim", "16", "--data.batch_size", "32",
            "--model.net.hidden_size", "24", "--checkpoint.dirpath", str(tmp / "ckpt"), *extra]


def test_demo_end_to_end_reports_plots_and_translate_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    fit = _run(["fit", *_demo_args(tmp_path, "--trainer.max_epochs", "2")])
    log_dir = Path(fit.trainer.log_dir)
    assert (tmp_path / "ckpt" / "last.ckpt").is_file()
    assert any(p.name.startswith("epoch") for p in (tmp_path / "ckpt").glob("*.ckpt"))
    assert sorted((log_dir / "attention").glob("epoch001_*.png"))
    assert list(log_dir.glob("events.out.tfevents.*"))
    test = _run(["test", *_demo_args(tmp_path), "--ckpt_path", str(tmp_path / "ckpt" / "last.ckpt")])
    report = json.loads((Path(test.trainer.log_dir) / "bleu_report.json").read_text())
    assert set(report["results"]) == {"greedy", "beam5"}
    n_test = len(test.datamodule.split("test"))
    assert report["scored"]["name"] == "test" and report["scored"]["n_sentences"] == n_test > 0
    assert all(r["n_sentences"] == n_test for r in report["results"].values())
    assert all("nrefs:1" in r["bleu_signature"] for r in report["results"].values())
    assert len(report["samples"]) == min(20, n_test)
    md = (Path(test.trainer.log_dir) / "bleu_report.md").read_text()
    assert md.startswith("# Translation report") and f"Scored: **test**, {n_test} sentences" in md

    pred = _run(["predict", *_demo_args(tmp_path), "--ckpt_path", str(tmp_path / "ckpt" / "last.ckpt")])
    lines = (Path(pred.trainer.log_dir) / "predictions.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "source\ttranslation" and len(lines) == n_test + 1

    import translate
    sources = [s["source"] for s in report["samples"]]
    (tmp_path / "in.txt").write_text("\n".join([sources[0], "", "   "] + sources[1:]) + "\n", encoding="utf-8")
    assert translate.main(["--ckpt", str(tmp_path / "ckpt" / "last.ckpt"), "--beam", "1", "--precision", "fp32",
                           "--input", str(tmp_path / "in.txt"), "--output", str(tmp_path / "out.txt")]) == 0
    out = (tmp_path / "out.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert out[1:3] == ["", ""] and len(out) == len(sources) + 2
    assert [out[0]] + out[3:] == [s["greedy"] for s in report["samples"]]


def _teacher_forcing_by_epoch(metrics_csv: Path) -> dict[int, float]:
    rows = list(csv.DictReader(metrics_csv.open()))
    return {int(r["epoch"]): round(float(r["train/teacher_forcing"]), 4) for r in rows if r.get("train/teacher_forcing")}


def test_teacher_forcing_schedule_survives_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    schedule = tmp_path / "tf.yaml"
    schedule.write_text("trainer:\n  callbacks:\n    - class_path: callbacks.TeacherForcingScheduler\n"
                        "      init_args: {decay_epochs: 4}\n")
    tf = ["-c", str(schedule), "--trainer.log_every_n_steps", "1"]
    first = _run(["fit", *_demo_args(tmp_path, "--trainer.max_epochs", "2", *tf)])
    assert _teacher_forcing_by_epoch(Path(first.trainer.loggers[1].log_dir) / "metrics.csv") == {0: 1.0, 1: 0.75}
    resumed = _run(["fit", *_demo_args(tmp_path, "--trainer.max_epochs", "4", *tf), "--ckpt_path", "last"])
    assert resumed.trainer.current_epoch == 4
    assert _teacher_forcing_by_epoch(Path(resumed.trainer.loggers[1].log_dir) / "metrics.csv") == {2: 0.5, 3: 0.25}


def test_tuned_network_works_with_the_forcing_schedule_and_attention_plots(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """The tuned recipe's decoder (attention on its output, its own width, from tatoeba.yaml) under the demo's
    teacher-forcing ramp and attention plotter: the ramp drives it and the heatmaps are drawn."""
    monkeypatch.chdir(tmp_path)
    tuned = yaml.safe_load((ROOT / "configs" / "translate" / "tatoeba.yaml").read_text())["model"]["init_args"]
    assert tuned["net"]["attention_mode"] == "output"
    net = [f"--model.net.{k}={tuned['net'][k]}" for k in ("attention_mode", "dec_hidden_size", "out_dropout")]
    fit = _run(["fit", *_demo_args(tmp_path, "--trainer.max_epochs", "2", "--trainer.log_every_n_steps", "1",
                                   "--model.label_smoothing", str(tuned["label_smoothing"]), *net)])
    assert fit.model.net_config.attention_mode == "output" and fit.model.net_config.dec_hidden_size == 256
    forcing = _teacher_forcing_by_epoch(Path(fit.trainer.loggers[1].log_dir) / "metrics.csv")
    assert forcing == {0: 1.0, 1: round(1 - 1 / 6, 4)}  # demo.yaml: 1 → 0 over 6 epochs
    assert len(sorted((Path(fit.trainer.log_dir) / "attention").glob("epoch001_*.png"))) == 4


def test_bf16_mixed_on_cpu_trains_with_finite_loss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    cfg = ROOT / "configs" / "translate" / "demo.yaml"
    cli = _run(["fit", "-c", str(cfg), "--trainer.precision", "bf16-mixed", "--trainer.max_epochs", "1",
                "--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "1", "--trainer.logger", "false",
                "--trainer.default_root_dir", str(tmp_path), "--checkpoint.dirpath", str(tmp_path / "ckpt"),
                *_data_overrides(cfg, tmp_path)])
    loss = cli.trainer.callback_metrics["train/loss"]
    assert cli.trainer.precision == "bf16-mixed" and torch.isfinite(loss)


def test_test_scores_only_sentences_never_seen_in_training_or_validation(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    cli = _run(["fit", *_demo_args(tmp_path, "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2",
                                   "--trainer.logger", "false")])
    dm = cli.datamodule
    seen = {" ".join(t.lower().split()) for name in ("train", "valid") for t in dm.split(name).tgt_text}
    scored = [t for batch in dm.test_dataloader() for t in batch["tgt_text"]]
    assert len(scored) == len(dm.split("test")) > 0
    assert not seen & {" ".join(t.lower().split()) for t in scored}


def test_external_test_source_gets_a_full_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    _run(["fit", *_demo_args(tmp_path, "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2",
                             "--trainer.logger", "false")])
    fr = ["Où est la gare ?", "Pourquoi es-tu à la plage ?", "Qui est à la maison ?"]
    en = ["Where is the station?", "Why are you at the beach?", "Who is at the house?"]
    (tmp_path / "ext.fr").write_text("\n".join(fr) + "\n", encoding="utf-8")
    (tmp_path / "ext.en").write_text("\n".join(en) + "\n", encoding="utf-8")
    test = _run(["test", *_demo_args(tmp_path), "--ckpt_path", str(tmp_path / "ckpt" / "last.ckpt"),
                 "--data.test_source", "datamodules.text.sources.ParallelFilesSource",
                 "--data.test_source.init_args.src", str(tmp_path / "ext.fr"),
                 "--data.test_source.init_args.tgt", str(tmp_path / "ext.en")])
    report = json.loads((Path(test.trainer.log_dir) / "bleu_report.json").read_text())
    assert report["scored"]["n_sentences"] == 3 and "ext.fr" in report["scored"]["description"]
    assert set(report["results"]) == {"greedy", "beam5"}
    assert all(r["n_sentences"] == 3 for r in report["results"].values())
    assert sorted(s["reference"] for s in report["samples"]) == sorted(en)
