"""The one way images are read: upright, 8-bit RGB, transparency composited onto a background colour.

``Image.convert("RGB")`` alone drops an alpha channel, so the transparent pixels of an icon show whatever colour is
stored under them (often black, sometimes noise); it also clips 16-bit greyscale to white and ignores the EXIF
orientation of phone photos. ``ImageLoader`` fixes all three, and training, feature caches, evaluation, search
queries and collections all read images through it, so a query is seen exactly as the training images were.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageColor, ImageOps

from core.errors import UserInputError

_WITH_ALPHA = ("RGBA", "LA", "PA", "RGBa", "La")
_WIDE_GREY = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def parse_colour(colour: str | tuple[int, int, int]) -> tuple[int, int, int]:
    """``"white"``, ``"#808080"`` or ``(r, g, b)`` → an RGB tuple; UserInputError for anything else."""
    if isinstance(colour, (tuple, list)):
        if len(colour) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in colour):
            return tuple(colour)  # type: ignore[return-value]
    elif isinstance(colour, str):
        try:
            return ImageColor.getrgb(colour)[:3]
        except ValueError:
            pass
    raise UserInputError(f"image background {colour!r} is not a colour: use a name (white), #rrggbb or [r, g, b]")


def _wide_grey_to_l(img: Image.Image) -> Image.Image:
    """16-bit (or 32-bit integer) greyscale → 8-bit by scaling the 16-bit range, instead of clipping at 255; float
    greyscale is taken as 0–1 when it stays within that range, else as 0–255."""
    values = np.asarray(img, dtype=np.float64)
    if img.mode != "F":
        values = values / 257.0
    elif values.max(initial=0.0) <= 1.0:
        values = values * 255.0
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")


@dataclass(frozen=True)
class ImageLoader:
    """Read an image file as an upright 8-bit RGB ``PIL.Image``.

    - the EXIF orientation tag is applied (``ImageOps.exif_transpose``);
    - RGBA, LA and palette images with a transparent colour are alpha-composited onto ``background``;
    - greyscale (8/16/32-bit, float), CMYK, YCbCr, bilevel and palette images become 8-bit RGB.
    """

    background: tuple[int, int, int] = (255, 255, 255)

    @classmethod
    def with_background(cls, colour: str | tuple[int, int, int] = "white") -> "ImageLoader":
        return cls(parse_colour(colour))

    def fingerprint(self) -> str:
        """What decides the pixels, for cache keys."""
        return f"ImageLoader|exif|alpha-on-{self.background}"

    def to_rgb(self, img: Image.Image) -> Image.Image:
        """An opened image → upright 8-bit RGB (a new image; ``img`` is left as it was)."""
        img = ImageOps.exif_transpose(img)
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode in _WIDE_GREY:
            img = _wide_grey_to_l(img)
        elif img.mode in ("L", "RGB") and "transparency" in img.info:  # a colour key marks transparent pixels
            img = img.convert("RGBA")
        if img.mode in _WITH_ALPHA:
            rgba = img.convert("RGBA")
            canvas = Image.new("RGBA", rgba.size, (*self.background, 255))
            canvas.alpha_composite(rgba)
            return canvas.convert("RGB")
        return img.convert("RGB") if img.mode != "RGB" else img.copy()

    def open(self, path: str | os.PathLike) -> Image.Image:
        """Read ``path`` fully (the file is closed on return) as upright 8-bit RGB."""
        with Image.open(path) as img:
            img.load()
            return self.to_rgb(img)
