"""Tests of datamodules.images (the data side of DeViSE) on tiny files made here, plus slow real-data checks on
../shared/data (skipped when it is absent)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core.errors import UserInputError
from datamodules.images import (
    ClassVectors,
    ImageDataset,
    build_class_vectors,
    check_images,
    hold_out_classes,
    image_dataset,
    list_flat_folder,
    list_imagenet_folder,
    make_transforms,
    read_classids,
    read_imagenet_index,
    transform_fingerprint,
)
from datamodules.vectors import load_vectors

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

VECTORS = {
    "tench": [3.0, 4.0, 0.0],
    "great": [1.0, 0.0, 0.0],
    "white": [0.0, 2.0, 0.0],
    "shark": [0.0, 0.0, 4.0],
    "german": [1.0, 1.0, 0.0],
    "shepherd": [0.0, 1.0, 1.0],
    "bottle": [1.0, 0.0, 0.0],
    "cap": [0.0, 1.0, 0.0],
    "bottlecap": [0.0, 0.0, 2.0],
    "Goldfish": [9.0, 9.0, 9.0],  # upper case: never reached, names are lower-cased before the lookup
    "goldfish": [0.0, 5.0, 0.0],
}


def unit(vector: list[float] | np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def tiny_vectors(tmp_path: Path):
    lines = [f"{word} {' '.join(map(str, values))}" for word, values in VECTORS.items()]
    path = tmp_path / "tiny.vec"
    path.write_text(f"{len(lines)} 3\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return load_vectors(str(path))


def write_image(path: Path, size: tuple[int, int] = (40, 30), seed: int = 0) -> Path:
    """A small random RGB image; the format follows the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    kind = "PNG" if path.suffix.lower() == ".png" else "JPEG"
    Image.fromarray(pixels).save(path, kind)
    return path


# ---------------------------------------------------------------- class names -> vectors


def test_class_vectors_single_word_mean_lowercase_and_dropped(tiny_vectors, caplog):
    names = {"n01": "tench", "n02": "great_white_shark", "n03": "German shepherd", "n04": "kuvasz",
             "n05": "Goldfish", "n06": "bottle-cap"}
    with caplog.at_level(logging.WARNING, logger="datamodules.images"):
        classes, dropped = build_class_vectors(names, tiny_vectors)
    assert dropped == ["n04"]
    assert classes.wnids == ["n01", "n02", "n03", "n05", "n06"] and len(classes) == 5
    assert classes.names[classes.index_of("n03")] == "German shepherd"
    assert classes.vectors.dtype == np.float32 and classes.vectors.shape == (5, 3)
    np.testing.assert_allclose(np.linalg.norm(classes.vectors, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(classes.vectors[classes.index_of("n01")], [0.6, 0.8, 0.0], rtol=1e-6)
    shark = np.mean([VECTORS["great"], VECTORS["white"], VECTORS["shark"]], axis=0)  # (1/3, 2/3, 4/3)
    np.testing.assert_allclose(classes.vectors[classes.index_of("n02")], unit(shark), rtol=1e-6)
    np.testing.assert_allclose(classes.vectors[classes.index_of("n03")], unit([0.5, 1.0, 0.5]), rtol=1e-6)
    np.testing.assert_allclose(classes.vectors[classes.index_of("n05")], [0.0, 1.0, 0.0])  # "goldfish", not "Goldfish"
    np.testing.assert_allclose(classes.vectors[classes.index_of("n06")], [0.0, 0.0, 1.0])  # whole "bottlecap" wins
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "dropped 1 of 6" in warnings[0] and "kuvasz" in warnings[0]
    with pytest.raises(KeyError, match="n04"):
        classes.index_of("n04")


def test_class_vectors_from_pairs_keep_order_and_reject_repeats(tiny_vectors):
    classes, dropped = build_class_vectors([("n09", "shark"), ("n01", "tench")], tiny_vectors)
    assert classes.wnids == ["n09", "n01"] and dropped == []
    with pytest.raises(UserInputError, match="twice"):
        build_class_vectors([("n01", "tench"), ("n01", "shark")], tiny_vectors)


def test_class_vectors_save_load_round_trip(tiny_vectors, tmp_path):
    classes, _ = build_class_vectors({"n01": "tench", "n02": "great_white_shark"}, tiny_vectors)
    classes.save(tmp_path / "classes.npz")
    again = ClassVectors.load(tmp_path / "classes.npz")
    assert again.wnids == classes.wnids and again.names == classes.names and again.source == classes.source
    np.testing.assert_array_equal(again.vectors, classes.vectors)
    (tmp_path / "junk.npz").write_text("not a zip", encoding="utf-8")
    with pytest.raises(UserInputError, match="junk.npz"):
        ClassVectors.load(tmp_path / "junk.npz")


# ---------------------------------------------------------------- class-name files


def test_read_classids_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "classids.txt"
    path.write_text("n00001740 entity\nn01440764 tench\ntench n01440764\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"classids.txt line 3"):
        read_classids(path)


def test_read_classids_skips_and_counts_unnamed_wnids(tmp_path, caplog):
    path = tmp_path / "classids.txt"
    path.write_text("n00001740 entity\nn00000001\n\nn01440764 tench\nn00000002   \n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="datamodules.images"):
        names = read_classids(path)
    assert names == {"n00001740": "entity", "n01440764": "tench"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "skipped 2 WordNet ids with no name" in warnings[0]


def test_read_imagenet_index_order_and_bad_shapes(tmp_path):
    path = tmp_path / "index.json"
    path.write_text(json.dumps({"1": ["n02", "crane"], "0": ["n01440764", "crane"]}), encoding="utf-8")
    with pytest.raises(UserInputError, match="WordNet id"):  # "n02" is not a wnid
        read_imagenet_index(path)
    path.write_text(json.dumps({"1": ["n01443537", "crane"], "0": ["n01440764", "crane"]}), encoding="utf-8")
    assert read_imagenet_index(path) == [("n01440764", "crane"), ("n01443537", "crane")]
    for bad in ([["n01440764", "tench"]], {"0": ["n01440764"]}, {"1": ["n01440764", "tench"]}):
        path.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(UserInputError, match="index.json"):
            read_imagenet_index(path)


# ---------------------------------------------------------------- image lists


def test_list_imagenet_folder_sorted_and_missing_folder(tmp_path):
    write_image(tmp_path / "train" / "n02" / "b.png")
    write_image(tmp_path / "train" / "n02" / "a.JPEG")
    write_image(tmp_path / "train" / "n01" / "c.jpg")
    (tmp_path / "train" / "n01" / "notes.txt").write_text("x", encoding="utf-8")
    items = list_imagenet_folder(tmp_path, "train")
    assert [(p.relative_to(tmp_path).as_posix(), w) for p, w in items] == [
        ("train/n01/c.jpg", "n01"), ("train/n02/a.JPEG", "n02"), ("train/n02/b.png", "n02")]
    with pytest.raises(UserInputError, match=r"val not found: expected the ImageNet layout"):
        list_imagenet_folder(tmp_path, "val")


def test_list_flat_folder_missing_column_and_missing_files(tmp_path, caplog):
    write_image(tmp_path / "images" / "n01_tench.JPEG")
    csv_path = tmp_path / "labels.csv"
    csv_path.write_text("file,label\nn01_tench.JPEG,tench\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"labels.csv: no column 'wnid'"):
        list_flat_folder(tmp_path / "images", csv_path)
    csv_path.write_text("file,wnid\nn01_tench.JPEG,n01\ngone.JPEG,n02\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="datamodules.images"):
        items = list_flat_folder(tmp_path / "images", csv_path)
    assert items == [(tmp_path / "images" / "n01_tench.JPEG", "n01")]
    assert any("skipped 1 of 2 listed images" in r.getMessage() for r in caplog.records)


def test_hold_out_classes_deterministic_and_disjoint():
    wnids = [f"n{i:08d}" for i in range(20)] * 2
    train, held = hold_out_classes(wnids, 0.25, seed=3)
    assert len(held) == 5 and len(train) == 15 and not train & held and train | held == set(wnids)
    assert hold_out_classes(list(reversed(wnids)), 0.25, seed=3) == (train, held)
    assert hold_out_classes(wnids, ["n00000001"], seed=0) == (set(wnids) - {"n00000001"}, {"n00000001"})
    with pytest.raises(UserInputError, match="not among"):
        hold_out_classes(wnids, ["n99999999"], seed=0)
    with pytest.raises(UserInputError, match=r"outside \[0, 1\)"):
        hold_out_classes(wnids, 1.5, seed=0)


# ---------------------------------------------------------------- image checks and dataset


def test_check_images_skips_truncated_and_non_images_and_caches(tmp_path, caplog, monkeypatch):
    good = [write_image(tmp_path / f"ok{i}.JPEG", seed=i) for i in range(2)] + [write_image(tmp_path / "ok.png")]
    data = write_image(tmp_path / "full.JPEG", size=(64, 64)).read_bytes()
    truncated = tmp_path / "cut.JPEG"
    truncated.write_bytes(data[: len(data) // 2])
    text = tmp_path / "notes.JPEG"
    text.write_text("this is not an image\n", encoding="utf-8")
    items = [(good[0], "a"), (truncated, "a"), (good[1], "b"), (text, "b"), (good[2], "c")]
    cache = tmp_path / "cache" / "checks.json"
    with caplog.at_level(logging.WARNING, logger="datamodules.images"):
        ok, bad = check_images(items, cache_path=cache)
    assert ok == [(good[0], "a"), (good[1], "b"), (good[2], "c")] and bad == [(truncated, "a"), (text, "b")]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "skipped 2 of 5" in warnings[0]
    assert "1 not an image" in warnings[0] and "1 truncated" in warnings[0]

    def never(path):
        raise AssertionError(f"{path} was opened again despite the cache")

    monkeypatch.setattr(image_dataset, "image_problem", never)
    assert check_images(items, cache_path=cache) == (ok, bad)


def test_image_dataset_shapes_and_fallback(tmp_path, caplog):
    a = write_image(tmp_path / "a.JPEG", size=(40, 30))
    b = write_image(tmp_path / "b.png", size=(20, 10))
    broken = tmp_path / "broken.JPEG"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    dataset = ImageDataset([(a, "n01"), (b, "n02"), (broken, "n01")], {"n01": 0, "n02": 1})
    image, target = dataset[0]
    assert image.shape == (3, 30, 40) and image.dtype == torch.float32 and target == 0
    assert 0.0 <= float(image.min()) and float(image.max()) <= 1.0
    assert dataset[1][0].shape == (3, 10, 20) and dataset[1][1] == 1
    with caplog.at_level(logging.WARNING, logger="datamodules.images"):
        image, target = dataset[2]  # falls back to item 0 (wraps around)
    assert image.shape == (3, 30, 40) and target == 0
    assert dataset.load_failures == 1 and dataset.failed_paths == {broken}
    assert any("broken.JPEG" in r.getMessage() for r in caplog.records)
    with pytest.raises(UserInputError, match="n03"):
        ImageDataset([(a, "n03")], {"n01": 0})


def test_make_transforms_efficientnet_lite0_shapes_and_fingerprint(tmp_path):
    overrides = {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5), "interpolation": "bicubic", "crop_pct": 0.875}
    evaluate = make_transforms("tf_efficientnet_lite0", train=False, pretrained_cfg_overrides=overrides)
    train = make_transforms("tf_efficientnet_lite0", train=True, pretrained_cfg_overrides=overrides)
    img = Image.open(write_image(tmp_path / "x.png", size=(300, 260))).convert("RGB")
    assert evaluate(img).shape == (3, 224, 224) and train(img).shape == (3, 224, 224)
    assert "Resize(size=256" in repr(evaluate) and "CenterCrop" in repr(evaluate)
    assert "RandomResizedCrop" in repr(train) and "HorizontalFlip" in repr(train)
    white = evaluate(Image.new("RGB", (256, 256), (255, 255, 255)))
    torch.testing.assert_close(white, torch.ones_like(white))  # (1 - 0.5) / 0.5
    again = make_transforms("tf_efficientnet_lite0", train=False, pretrained_cfg_overrides=overrides)
    assert transform_fingerprint(evaluate) == transform_fingerprint(again) != transform_fingerprint(train)
    with pytest.raises(UserInputError, match="crop_pct"):
        make_transforms("tf_efficientnet_lite0", train=False, pretrained_cfg_overrides={"crop_pct": 2})
    with pytest.raises(UserInputError, match="unknown timm model .no_such_net."):
        make_transforms("no_such_net", train=False)


# ---------------------------------------------------------------- real data (../shared/data)

@pytest.mark.slow
@pytest.mark.shared_data(SHARED)
def test_real_imagenet_classes_get_glove_vectors():
    folder = SHARED / "word_vectors"
    vectors = load_vectors([folder / "glove.6B.50d.top50k.vec", folder / "glove.6B.50d.wordnet_extra.vec"])
    index = read_imagenet_index(SHARED / "imagenet_meta" / "imagenet_class_index.json")
    assert len(index) == 1000 and index[0] == ("n01440764", "tench")
    classes, dropped = build_class_vectors(index, vectors)
    assert len(classes) >= 950 and len(classes) + len(dropped) == 1000
    shark = np.mean([vectors.lookup(w) for w in ("great", "white", "shark")], axis=0)
    np.testing.assert_allclose(classes.vectors[classes.index_of("n01484850")], unit(shark), rtol=1e-5, atol=1e-6)
    items = list_flat_folder(SHARED / "imagenet_sample_images" / "images",
                             SHARED / "imagenet_sample_images" / "labels.csv")
    assert len(items) == 1000 and {wnid for _, wnid in items} == {wnid for wnid, _ in index}


@pytest.mark.slow
@pytest.mark.shared_data(SHARED)
def test_real_classids_has_every_wordnet_noun():
    names = read_classids(SHARED / "wordnet_nouns" / "classids.txt")
    assert len(names) == 82115
    assert names["n01440764"] == "tench" and names["n00001740"] == "entity"
