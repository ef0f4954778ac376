"""giga-fren extraction and the pair sources (giga-fren, CSV, Tatoeba, embedded), served from a local HTTP server."""
from __future__ import annotations

import gzip
import io
import logging
import sys
import tarfile
import types
import zipfile
from pathlib import Path

import pytest

from core.errors import UserInputError
from datamodules.text.gigafren import extract_question_pairs, read_tsv_pairs
from datamodules.text.sources import CsvPairSource, EmbeddedQuestionsSource, GigaFrenSource, TatoebaSource

FR_LINES = ["Qu'est-ce que la lumière ?", "Il pleut.", "Où est la gare\u202f? Et puis", "Comment allez-vous ?",
            "Qui\tsuis-je ?", "Pourquoi pas ?"]
EN_LINES = ["What is light?", "It rains.", "Where's the station? And then", "How are you?",
            "Who am I?", "Why not? Because."]
WH_PAIRS = [("Qu'est-ce que la lumière ?", "What is light?"), ("Où est la gare\u202f?", "Where's the station?"),
            ("Qui suis-je ?", "Who am I?"), ("Pourquoi pas ?", "Why not?")]


def write_corpus(folder: Path, fr: list[str], en: list[str], gz: bool = False,
                 raw_en: bytes = b"") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix, lines, extra in (("fr", fr, b""), ("en", en, raw_en)):
        data = ("\n".join(lines) + "\n").encode("utf-8") + extra
        path = folder / f"giga-fren.release2.fixed.{suffix}{'.gz' if gz else ''}"
        path.write_bytes(gzip.compress(data) if gz else data)
        paths.append(path)
    return paths[0], paths[1]


@pytest.mark.parametrize("gz", [False, True])
def test_extract_question_pairs_plain_and_gz(tmp_path, gz):
    fr, en = write_corpus(tmp_path, FR_LINES, EN_LINES, gz=gz)
    out = tmp_path / "out.tsv"
    assert extract_question_pairs(fr, en, out, progress=False) == 4
    assert read_tsv_pairs(out) == WH_PAIRS
    assert out.read_text(encoding="utf-8").count("\t") == 4
    assert extract_question_pairs(fr, en, tmp_path / "q.tsv", mode="questions", progress=False) == 5
    assert extract_question_pairs(fr, en, tmp_path / "all.tsv", mode="none", progress=False) == 6
    assert ("Il pleut.", "It rains.") in read_tsv_pairs(tmp_path / "all.tsv")


def test_extract_question_pairs_skips_and_counts_bad_utf8(tmp_path, caplog):
    fr, en = write_corpus(tmp_path, FR_LINES + ["Quoi ?"], EN_LINES, raw_en=b"What \xff\xfe is this?\n")
    with caplog.at_level(logging.WARNING, logger="datamodules.text.gigafren"):
        assert extract_question_pairs(fr, en, tmp_path / "out.tsv", progress=False) == 4
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "skipped 1 line pairs that are not valid UTF-8" in warnings[0]


@pytest.mark.parametrize("longer", ["en", "fr"])
def test_mismatched_line_counts(tmp_path, longer):
    fr_lines = FR_LINES + (["Encore ?"] if longer == "fr" else [])
    en_lines = EN_LINES + (["What else?"] if longer == "en" else [])
    fr, en = write_corpus(tmp_path, fr_lines, en_lines)
    out = tmp_path / "out.tsv"
    with pytest.raises(UserInputError) as info:
        extract_question_pairs(fr, en, out, progress=False)
    ended, continues = (fr, en) if longer == "en" else (en, fr)
    assert str(info.value) == (f"giga-fren files have different line counts: {ended} ended at line 6 while "
                               f"{continues} continues; use the matching .fr/.en pair")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fr.name, en.name])  # no output, no temp file


def _tgz(entries: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _corpus_bytes(gz: bool) -> dict[str, bytes]:
    entries = {}
    for suffix, lines in (("fr", FR_LINES), ("en", EN_LINES)):
        data = ("\n".join(lines) + "\n").encode("utf-8")
        entries[f"giga-fren.release2.fixed.{suffix}" + (".gz" if gz else "")] = gzip.compress(data) if gz else data
    return entries


def test_gigafren_source_from_fastai_style_tgz(http_server, tmp_path):
    entries = {f"giga-fren/{name}": data for name, data in _corpus_bytes(gz=False).items()}
    url = http_server.add("/giga-fren.tgz", _tgz(entries))
    source = GigaFrenSource(root=str(tmp_path / "giga"), url=url)
    source.prepare(tmp_path / "cache")
    tsvs = list((tmp_path / "cache").glob("gigafren-*.tsv"))
    assert len(tsvs) == 1 and tsvs[0].name == f"gigafren-{source.cache_key()}.tsv"
    assert source.pairs(tmp_path / "cache") == WH_PAIRS
    source.prepare(tmp_path / "cache")  # everything cached: no new request
    assert http_server.hits("/giga-fren.tgz") == 1
    other = GigaFrenSource(root=str(tmp_path / "giga"), filter="questions")
    assert other.fingerprint() != source.fingerprint()
    other.prepare(tmp_path / "cache")
    assert len(other.pairs(tmp_path / "cache")) == 5


def test_gigafren_source_from_wmt_style_tar_of_gz(http_server, tmp_path):
    entries = {f"training/{name}": data for name, data in _corpus_bytes(gz=True).items()}
    url = http_server.add("/training-giga-fren.tar", _tgz(entries, mode="w"))
    source = GigaFrenSource(root=str(tmp_path / "giga"), url=url)
    source.prepare(tmp_path / "cache")
    assert source.pairs(tmp_path / "cache") == WH_PAIRS


def test_gigafren_source_reads_gz_files_in_root(tmp_path):
    write_corpus(tmp_path / "giga", FR_LINES, EN_LINES, gz=True)
    source = GigaFrenSource(root=str(tmp_path / "giga"))
    source.prepare(tmp_path / "cache")
    assert source.pairs(tmp_path / "cache") == WH_PAIRS


def test_gigafren_source_not_found(tmp_path):
    root = tmp_path / "nothing"
    with pytest.raises(UserInputError) as info:
        GigaFrenSource(root=str(root)).prepare(tmp_path / "cache")
    assert str(info.value) == (f"giga-fren corpus not found: put giga-fren.release2.fixed.fr and "
                               f"giga-fren.release2.fixed.en in {root} (or set --data.source.init_args.url)")
    with pytest.raises(UserInputError, match="unknown filter"):
        GigaFrenSource(filter="wh")  # type: ignore[arg-type]


def test_csv_source_reads_quoted_fields_and_skips_empty_rows(tmp_path):
    path = tmp_path / "questions_easy.csv"
    path.write_text('\ufeffid,en,fr,notes\n1,"What, then?","Quoi, alors ?",x\n2,Who?,,y\n3,How?,Comment ?,\n'
                    '4,"Why ""not""?","Pourquoi ""pas"" ?",z\n', encoding="utf-8")
    source = CsvPairSource(path=str(path))
    source.prepare(tmp_path)
    assert source.pairs(tmp_path) == [("Quoi, alors ?", "What, then?"), ("Comment ?", "How?"),
                                      ('Pourquoi "pas" ?', 'Why "not"?')]
    assert source.stats == {"read": 4, "kept": 3, "skipped_empty": 1, "filtered_out": 0}
    assert CsvPairSource(path=str(path), filter="wh_questions").pairs(tmp_path) == [
        ("Quoi, alors ?", "What, then?"), ('Pourquoi "pas" ?', 'Why "not"?')]


def test_csv_source_missing_columns(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("english,french\nWhat?,Quoi ?\n", encoding="utf-8")
    with pytest.raises(UserInputError) as info:
        CsvPairSource(path=str(path)).pairs(tmp_path)
    assert str(path) in str(info.value) and "['english', 'french']" in str(info.value)


def test_csv_source_missing_file(tmp_path):
    with pytest.raises(UserInputError, match="CSV pair file .* not found"):
        CsvPairSource(path=str(tmp_path / "none.csv")).prepare(tmp_path)


def _anki_zip(lines: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("_about.txt", "about")
        zf.writestr("fra.txt", lines)
    return buffer.getvalue()


def test_tatoeba_source_from_local_zip(http_server, tmp_path, caplog):
    lines = ("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org\n"
             "What is it?\tQu'est-ce que c'est ?\tCC-BY\n"
             "this line has no tab\n"
             "\n"
             "Who?\tQui ?\n").encode("utf-8") + b"Bad \xff?\tMal ?\n"
    url = http_server.add("/anki/fra-eng.zip", _anki_zip(lines))
    path = tmp_path / "tatoeba" / "fra.txt"
    source = TatoebaSource(path=str(path), url=url)
    source.prepare(tmp_path / "cache")
    assert (tmp_path / "tatoeba" / "fra-eng.zip").is_file() and path.is_file()
    with caplog.at_level(logging.INFO, logger="datamodules.text.sources"):
        pairs = source.pairs(tmp_path / "cache")
    assert pairs == [("Va !", "Go."), ("Qu'est-ce que c'est ?", "What is it?"), ("Qui ?", "Who?")]
    assert source.stats == {"read": 5, "kept": 3, "malformed": 1, "undecodable": 1, "filtered_out": 0}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "1 malformed lines" in warnings[0] and "1 non-UTF-8" in warnings[0]
    assert TatoebaSource(path=str(path), filter="wh_questions").pairs(tmp_path) == [
        ("Qu'est-ce que c'est ?", "What is it?"), ("Qui ?", "Who?")]


def test_tatoeba_source_with_nothing_usable(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_bytes(b"no tabs here\nnor here\n")
    with pytest.raises(UserInputError, match="no usable pairs .*2 without a tab"):
        TatoebaSource(path=str(path), url=None).pairs(tmp_path)


def test_tatoeba_source_download_404(http_server, tmp_path):
    url = http_server.add("/anki/fra-eng.zip", b"", status=403)
    with pytest.raises(UserInputError, match=r"HTTP 403"):
        TatoebaSource(path=str(tmp_path / "fra.txt"), url=url).prepare(tmp_path)


def test_embedded_source_with_patched_generator(monkeypatch):
    fake = types.ModuleType("datamodules.demo_questions.embedded_questions")
    fake.CORPUS_VERSION = 1
    fake.generate_question_pairs = lambda n_pairs=6000, seed=0: [(f"Quoi {seed} {i} ?", f"What {i}?")
                                                                 for i in range(n_pairs)] + [(" ", "Empty?")]
    monkeypatch.setitem(sys.modules, "datamodules.demo_questions.embedded_questions", fake)
    source = EmbeddedQuestionsSource(n_pairs=3, seed=7)
    source.prepare(Path("unused"))
    assert source.pairs(Path("unused")) == [("Quoi 7 0 ?", "What 0?"), ("Quoi 7 1 ?", "What 1?"),
                                            ("Quoi 7 2 ?", "What 2?")]
    assert source.stats["skipped_empty"] == 1
    assert source.fingerprint() != EmbeddedQuestionsSource(n_pairs=3, seed=8).fingerprint()


def test_embedded_source_with_real_generator():
    pytest.importorskip("datamodules.demo_questions.embedded_questions")
    pairs = EmbeddedQuestionsSource(n_pairs=50, seed=0).pairs(Path("unused"))
    assert 0 < len(pairs) <= 50 and all(fr and en for fr, en in pairs)
    assert pairs == EmbeddedQuestionsSource(n_pairs=50, seed=0).pairs(Path("unused"))


@pytest.mark.parametrize("gz", [False, True])
def test_parallel_files_source_reads_aligned_lines(tmp_path, gz):
    from datamodules.text.sources import ParallelFilesSource

    def write(name: str, lines: list[str]) -> Path:
        data = ("\n".join(lines) + "\n").encode("utf-8")
        path = tmp_path / (name + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    src = write("test.fr", ["Où est la gare ?", "", "Qui es-tu ?"])
    tgt = write("test.en", ["Where is the station?", "Who?", "Who are you?"])
    source = ParallelFilesSource(str(src), str(tgt))
    source.prepare(tmp_path)
    assert source.pairs(tmp_path) == [("Où est la gare ?", "Where is the station?"), ("Qui es-tu ?", "Who are you?")]
    assert source.stats["skipped_empty"] == 1


def test_parallel_files_of_unequal_length_are_one_error(tmp_path):
    from datamodules.text.sources import ParallelFilesSource

    (tmp_path / "a.fr").write_text("Un\nDeux\nTrois\n", encoding="utf-8")
    (tmp_path / "a.en").write_text("One\nTwo\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"a\.fr has 3 lines but .*a\.en has 2"):
        ParallelFilesSource(str(tmp_path / "a.fr"), str(tmp_path / "a.en")).pairs(tmp_path)
    with pytest.raises(UserInputError, match="not found"):
        ParallelFilesSource(str(tmp_path / "missing.fr"), str(tmp_path / "a.en")).prepare(tmp_path)
