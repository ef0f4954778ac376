"""An offline demo image set for DeViSE: simple drawn objects named by English nouns, generated in seconds.

``generate_demo_images(root)`` writes the ImageNet folder layout ``<root>/{train,valid}/<noun>/<i>.png`` plus
``classes.txt`` and ``manifest.json``. Each image is drawn from its own seeded ``random.Random`` (seed, split, class,
index), so the same arguments give byte-identical PNGs. The folder is built beside ``root`` and renamed into place,
so it appears complete or not at all; a second call with the same options returns at once.
"""
from __future__ import annotations

import colorsys
import json
import logging
import os
import random
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from core.atomic import atomic_path, atomic_write_json, atomic_write_text
from core.errors import UserInputError
from datamodules.demo_drawings.drawings import DRAWINGS
from datamodules.demo_drawings.pen import CLEAR, Colour, Pen

log = logging.getLogger("datamodules.demo_drawings.demo_images")

# Related nouns sit together so that zero-shot search has near neighbours; every noun is a GloVe 6B word.
DEMO_GROUPS: dict[str, list[str]] = {
    "shapes": ["circle", "square", "triangle", "star", "heart", "cross", "arrow"],
    "nature": ["sun", "moon", "tree", "flower", "leaf", "cloud", "fish", "bird"],
    "vehicles": ["car", "truck", "bus", "boat", "bicycle"],
    "household": ["cup", "bottle", "chair", "table", "lamp", "candle", "clock", "key", "umbrella", "house"],
}
DEMO_CLASSES: list[str] = [noun for nouns in DEMO_GROUPS.values() for noun in nouns]

# Held out of training for the zero-shot demo. GloVe 6B 50-d cosine to the nearest training nouns (measured):
#   truck  -> car 0.921, bus 0.823, bicycle 0.731
#   moon   -> sun 0.654, tree 0.527, cloud 0.513
#   bird   -> fish 0.764, tree 0.575, flower 0.558
#   candle -> lamp 0.750, bottle 0.603, flower 0.509
_HOLDOUT = ["truck", "moon", "bird", "candle"]

FORMAT = "demo-images"
VERSION = 2  # bump when the drawings change, so existing folders are regenerated
MANIFEST = "manifest.json"
SUPERSAMPLE = 2  # draw at twice the size, then halve: cheap anti-aliasing

_PLAIN_SHAPES = set(DEMO_GROUPS["shapes"])
_FREE_ROTATION = _PLAIN_SHAPES - {"heart"} | {"sun", "moon", "leaf", "key"}
_MIRRORED = {"arrow", "moon", "fish", "bird", "car", "truck", "bus", "boat", "bicycle", "cup", "chair", "key"}
# (hue, saturation, value) ranges of natural colours, used for 60% of the images of these classes
_NATURAL: dict[str, tuple[tuple[float, float], ...]] = {
    "sun": ((0.07, 0.16), (0.7, 1.0), (0.85, 1.0)),
    "moon": ((0.1, 0.17), (0.05, 0.4), (0.8, 1.0)),
    "tree": ((0.22, 0.4), (0.5, 0.9), (0.35, 0.8)),
    "leaf": ((0.05, 0.38), (0.6, 1.0), (0.45, 0.9)),
    "cloud": ((0.55, 0.65), (0.0, 0.15), (0.75, 1.0)),
}


def demo_holdout() -> list[str]:
    """Classes to hold out of training for the zero-shot demo; each has a close GloVe neighbour kept in training."""
    return list(_HOLDOUT)


def _hsv(h: float, s: float, v: float) -> Colour:
    """An opaque RGBA colour from hue, saturation and value in [0, 1]."""
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return (round(r * 255), round(g * 255), round(b * 255), 255)


def _luminance(colour: Colour) -> float:
    """Perceived brightness in [0, 1]."""
    return (0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]) / 255


def _object_colours(name: str, rng: random.Random) -> tuple[Colour, Colour, Colour, Colour]:
    """(main, accent, dark, light): a natural main colour for some classes some of the time, else a random one."""
    natural = _NATURAL.get(name)
    if natural is not None and rng.random() < 0.6:
        hue = rng.uniform(*natural[0])
        main = _hsv(hue, rng.uniform(*natural[1]), rng.uniform(*natural[2]))
    else:
        hue = rng.random()
        main = _hsv(hue, rng.uniform(0.45, 1.0), rng.uniform(0.45, 1.0))
    accent = _hsv(hue + rng.uniform(0.25, 0.75), rng.uniform(0.4, 1.0), rng.uniform(0.5, 1.0))
    dark = _hsv(rng.random(), rng.uniform(0.0, 0.4), rng.uniform(0.08, 0.28))
    blend = rng.uniform(0.65, 0.85)
    light = tuple(round(c + (255 - c) * blend) for c in main[:3]) + (255,)
    return main, accent, dark, light  # type: ignore[return-value]


def _background(rng: random.Random, side: int, main: Colour) -> tuple[Image.Image, Colour]:
    """A plain or gently graded background whose brightness differs clearly from the object's ``main`` colour,
    and its base colour."""
    for _ in range(50):
        hue, saturation, value = rng.random(), rng.uniform(0.0, 0.5), rng.uniform(0.1, 1.0)
        if abs(_luminance(_hsv(hue, saturation, value)) - _luminance(main)) >= 0.3:
            break
    else:
        hue, saturation, value = 0.0, 0.0, (0.0 if _luminance(main) > 0.5 else 1.0)
    base = _hsv(hue, saturation, value)
    first = Image.new("RGBA", (side, side), base)
    if rng.random() < 0.5:
        return first, base
    shifted = min(1.0, max(0.0, value + rng.uniform(-0.12, 0.12)))
    second = Image.new("RGBA", (side, side), _hsv(hue + rng.uniform(-0.05, 0.05), saturation, shifted))
    mask = Image.linear_gradient("L").resize((side, side))
    if rng.random() < 0.5:
        mask = mask.transpose(Image.Transpose.ROTATE_90)
    return Image.composite(first, second, mask), base


def _clutter(draw: ImageDraw.ImageDraw, rng: random.Random, side: int, count: int, scale: float) -> None:
    """``count`` small distractors (short lines, dots, irregular blobs) that look like none of the classes."""
    for _ in range(count):
        colour = _hsv(rng.random(), rng.uniform(0.0, 0.8), rng.uniform(0.2, 1.0))
        x, y = rng.uniform(0, side), rng.uniform(0, side)
        kind = rng.choice(("line", "dot", "blob"))
        if kind == "line":
            length, angle = rng.uniform(0.05, 0.2) * side * scale, rng.uniform(0, 2 * np.pi)
            end = (x + length * np.cos(angle), y + length * np.sin(angle))
            draw.line([(x, y), end], fill=colour, width=max(1, round(rng.uniform(0.005, 0.02) * side)))
        elif kind == "dot":
            radius = rng.uniform(0.008, 0.025) * side * scale
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
        else:
            corners = rng.randint(5, 8)
            angles = sorted(rng.uniform(0, 2 * np.pi) for _ in range(corners))
            radii = [rng.uniform(0.015, 0.06) * side * scale for _ in range(corners)]
            draw.polygon([(x + r * np.cos(a), y + r * np.sin(a)) for a, r in zip(angles, radii)], fill=colour)


def _draw_object(name: str, rng: random.Random, side: int, colours: tuple[Colour, ...]) -> Image.Image:
    """The object alone on a transparent layer: drawn centred, then mirrored, rotated and moved at random."""
    layer = Image.new("RGBA", (side, side), CLEAR)
    radius = rng.uniform(0.26, 0.36) * side
    pen = Pen(ImageDraw.Draw(layer), side / 2, side / 2, radius, *colours,
              stroke=rng.uniform(0.08, 0.14), hollow=name in _PLAIN_SHAPES and rng.random() < 0.25)
    DRAWINGS[name](pen, rng)
    if name in _MIRRORED and rng.random() < 0.5:
        layer = layer.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    limit = 180.0 if name in _FREE_ROTATION else 15.0
    slack = max(0.0, side / 2 - 1.1 * radius)
    shift = (round(rng.uniform(-slack, slack)), round(rng.uniform(-slack, slack)))
    # premultiplied alpha, so that rotation does not bleed the transparent black into the edges
    rotated = layer.convert("RGBa").rotate(rng.uniform(-limit, limit), Image.Resampling.BICUBIC, translate=shift)
    return rotated.convert("RGBA")


def render_image(name: str, rng: random.Random, size: int) -> Image.Image:
    """One ``size`` x ``size`` RGB image of class ``name``, entirely determined by the state of ``rng``."""
    side = size * SUPERSAMPLE
    main, accent, dark, light = _object_colours(name, rng)
    canvas, base = _background(rng, side, main)
    if _luminance(base) < 0.35:  # details drawn in "dark" (wheels, poles, trunks) would vanish: use a mid grey
        dark = _hsv(rng.random(), rng.uniform(0.0, 0.3), rng.uniform(0.6, 0.8))
    _clutter(ImageDraw.Draw(canvas), rng, side, rng.randint(2, 6), scale=1.0)
    canvas.alpha_composite(_draw_object(name, rng, side, (main, accent, dark, light)))
    _clutter(ImageDraw.Draw(canvas), rng, side, rng.randint(0, 2), scale=0.5)
    small = np.asarray(canvas.convert("RGB").reduce(SUPERSAMPLE), dtype=np.float32)
    noise = np.random.default_rng(rng.getrandbits(64)).normal(0.0, rng.uniform(2.0, 7.0), small.shape)
    return Image.fromarray(np.clip(np.rint(small + noise), 0, 255).astype(np.uint8), "RGB")


def _require_int(name: str, value: Any, low: int, high: int) -> int:
    """``value`` if it is an int in [low, high], else UserInputError."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserInputError(f"demo images: {name} must be an integer from {low} to {high}, got {value!r}")
    return value


def demo_options(images_per_class: int, valid_per_class: int, size: int, seed: int) -> dict[str, Any]:
    """The checked options as stored in ``manifest.json``; equal options mean an identical folder."""
    return {
        "format_version": VERSION,
        "classes": list(DEMO_CLASSES),
        "images_per_class": _require_int("images_per_class", images_per_class, 1, 100_000),
        "valid_per_class": _require_int("valid_per_class", valid_per_class, 1, 100_000),
        "size": _require_int("size", size, 32, 1024),
        "seed": _require_int("seed", seed, 0, 2**63 - 1),
    }


def _read_manifest(root: Path) -> dict[str, Any] | None:
    """The manifest of a demo folder at ``root``, or None when there is none (or it is not ours)."""
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def _write_images(folder: Path, options: dict[str, Any]) -> dict[str, int]:
    """Draw and save every image under ``folder``; returns the number of images per split."""
    counts = {}
    for split, per_class in (("train", options["images_per_class"]), ("valid", options["valid_per_class"])):
        for name in options["classes"]:
            class_folder = folder / split / name
            class_folder.mkdir(parents=True)
            for index in range(per_class):
                rng = random.Random(f"{FORMAT}:{options['seed']}:{split}:{name}:{index}")
                image = render_image(name, rng, options["size"])
                with atomic_path(class_folder / f"{index:04d}.png") as temporary:
                    image.save(temporary, format="PNG")
        counts[split] = per_class * len(options["classes"])
    return counts


def _move_into_place(staging: Path, root: Path) -> None:
    """Rename the finished ``staging`` folder to ``root``, replacing an older demo folder there."""
    if not root.exists():
        os.rename(staging, root)
        return
    retired = root.with_name(f".{root.name}.{uuid.uuid4().hex[:8]}.old")
    os.rename(root, retired)
    try:
        os.rename(staging, root)
    except BaseException:
        os.rename(retired, root)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def generate_demo_images(root: str | os.PathLike, images_per_class: int = 40, valid_per_class: int = 10,
                         size: int = 96, seed: int = 0) -> Path:
    """Write the demo image set to ``root`` (ImageNet layout) unless it is already there with the same options.

    A folder from other options is replaced as a whole; a non-empty ``root`` that is not a demo folder is refused.
    """
    root = Path(root)
    options = demo_options(images_per_class, valid_per_class, size, seed)
    existing = _read_manifest(root)
    if existing is not None and existing.get("options") == options:
        return root
    if existing is None and root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise UserInputError(f"{root} exists and is not a demo image folder (no {MANIFEST}): "
                             "pick another folder or delete it")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        staging.chmod(0o755)
        counts = _write_images(staging, options)
        atomic_write_text(staging / "classes.txt", "".join(f"{name}\n" for name in options["classes"]))
        atomic_write_json(staging / MANIFEST, {"format": FORMAT, "options": options, "counts": counts})
        _move_into_place(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("wrote %d train and %d valid demo images to %s", counts["train"], counts["valid"], root)
    return root
