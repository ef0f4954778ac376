"""translate.py on real lines: several sentences on a line come back whole, bytes that are not UTF-8 are named (or
skipped and counted), and the JoeyNMT-style options (n-best, scores, maximum length) do what they say."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_bad_inputs import _fit_gigafren, _one_error_line
from tiny_data import write_gigafren

import translate
from cli.lesson_cli import cli_main
from datamodules.text.sentences import split_sentences


@pytest.mark.parametrize("text,expected", [
    ("Je suis fatigué. Où est ma chambre ? Merci beaucoup.", ["Je suis fatigué.", "Où est ma chambre ?",
                                                              "Merci beaucoup."]),
    ("Où est ma chambre\u202f? Merci.", ["Où est ma chambre\u202f?", "Merci."]),  # narrow no-break space
    ("M. Dupont est là. Il attend.", ["M. Dupont est là.", "Il attend."]),
    ("J. K. Rowling écrit. « Bonjour ! » dit-il.", ["J. K. Rowling écrit.", "« Bonjour ! » dit-il."]),
    ("Il a 3.5 ans. Oui.", ["Il a 3.5 ans.", "Oui."]),
    ("Quoi ?! Non... Peut-être.", ["Quoi ?!", "Non...", "Peut-être."]),
    ("Tom a acheté une voiture à Montréal hier.", ["Tom a acheté une voiture à Montréal hier."]),
    ("pas de majuscule. ni de point", ["pas de majuscule. ni de point"]),
    ("   ", []),
])
def test_sentences_are_split_where_a_sentence_ends(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("tr")
    write_gigafren(tmp / "giga")
    cli_main(_fit_gigafren(tmp, "--trainer.fast_dev_run", "false", "--trainer.max_steps", "2",
                           "--trainer.limit_val_batches", "1"))
    return tmp / "ckpt" / "last.ckpt"


def _translate(ckpt: Path, tmp: Path, data: bytes, *extra: str) -> list[str]:
    src, out = tmp / "in.fr", tmp / "out.en"
    src.write_bytes(data)
    assert translate.main(["--ckpt", str(ckpt), "--input", str(src), "--output", str(out), *extra]) == 0
    return out.read_text(encoding="utf-8").split("\n")[:-1]


def test_a_line_of_several_sentences_comes_back_whole(ckpt: Path, tmp_path: Path) -> None:
    sentences = ["Où est la gare ?", "Pourquoi il est à la plage ?", "Quand vous êtes au musée ?"]
    alone = _translate(ckpt, tmp_path, "\n".join(sentences).encode() + b"\n")
    together = _translate(ckpt, tmp_path, " ".join(sentences).encode() + b"\n")
    assert len(alone) == 3 and all(alone)
    assert together == [" ".join(alone)]
    unsplit = _translate(ckpt, tmp_path, " ".join(sentences).encode() + b"\n", "--no-split")
    assert len(unsplit) == 1 and unsplit != together


def test_a_line_that_is_not_utf8_is_named(ckpt: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "latin1.fr"
    src.write_bytes("Où est la gare ?\n".encode() + "Où est la plage ?\n".encode("latin-1") + b"Merci.\n")
    line = _one_error_line(capsys, lambda: translate.main(["--ckpt", str(ckpt), "--input", str(src)]))
    assert f"{src} line 2 is not valid UTF-8" in line and "--skip-bad-lines" in line


def test_binary_lines_are_refused_or_skipped_and_counted(ckpt: Path, tmp_path: Path, capsys, caplog) -> None:
    data = b"O\xc3\xb9 est la gare ?\n\x00\x01\x02PNG\x1a\n\xff\xfe\xfa\nQui est l\xc3\xa0 ?\n"
    src = tmp_path / "binary.fr"
    src.write_bytes(data)
    line = _one_error_line(capsys, lambda: translate.main(["--ckpt", str(ckpt), "--input", str(src)]))
    assert "line 2" in line and "control character" in line
    with caplog.at_level("WARNING"):
        out = _translate(ckpt, tmp_path, data, "--skip-bad-lines")
    assert len(out) == 4 and out[0] and out[1] == "" and out[2] == "" and out[3]
    assert "skipped 2 line(s) that are not UTF-8 text" in caplog.text and "2, 3" in caplog.text


def test_n_best_scores_and_max_len(ckpt: Path, tmp_path: Path) -> None:
    data = "Où est la gare ?\n\nPourquoi il est à la plage ?\n".encode()
    out = _translate(ckpt, tmp_path, data, "--beam", "4", "--n-best", "3", "--scores")
    assert len(out) == 9 and out[3:6] == ["", "", ""]
    for block in (out[0:3], out[6:9]):
        scores = [float(line.split("\t")[0]) for line in block]
        assert scores == sorted(scores, reverse=True) and all(s <= 0 for s in scores)
    short = _translate(ckpt, tmp_path, data, "--max-len", "2", "--beam", "1")
    assert all(len(line.split()) <= 2 for line in short)


def test_device_that_is_not_there_is_one_line(ckpt: Path, capsys) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    line = _one_error_line(capsys, lambda: translate.main(["--ckpt", str(ckpt), "--device", "cuda"]))
    assert "--device cuda" in line and "no CUDA GPU" in line


def test_checkpoint_folder_and_missing_checkpoint(ckpt: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    line = _one_error_line(capsys, lambda: translate.main(["--ckpt", str(ckpt.parent)]))
    assert "is a folder" in line and str(ckpt.parent) in line and ".ckpt" in line
    monkeypatch.chdir(tmp_path)
    line = _one_error_line(capsys, lambda: translate.main(["--ckpt", "runs/nothing/last.ckpt"]))
    assert "not found" in line and "make demo-translate" in line


def test_int8_and_fp32_both_translate(ckpt: Path, tmp_path: Path) -> None:
    data = "Où est la gare ?\nPourquoi il est à la plage ?\n".encode()
    fast = _translate(ckpt, tmp_path, data, "--precision", "int8")
    exact = _translate(ckpt, tmp_path, data, "--precision", "fp32")
    assert len(fast) == len(exact) == 2 and all(fast) and all(exact)
