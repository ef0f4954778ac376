"""The drawing pen of the demo images: unit coordinates onto an RGBA layer, and the colour and point types."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from PIL import ImageDraw

Colour = tuple[int, int, int, int]
Point = tuple[float, float]

CLEAR: Colour = (0, 0, 0, 0)  # drawing with this erases pixels of the RGBA layer


@dataclass
class Pen:
    """Draws in unit coordinates: (x, y) maps to pixel (cx + x * r, cy + y * r); widths are in units too.

    ``main`` is the object's colour, ``accent`` a second colour for parts, ``dark`` and ``light`` are for details
    (wheels, windows). ``hollow`` asks the plain shapes to be drawn as outlines of width ``stroke``.
    """

    draw: ImageDraw.ImageDraw
    cx: float
    cy: float
    r: float
    main: Colour
    accent: Colour
    dark: Colour
    light: Colour
    stroke: float = 0.1
    hollow: bool = False

    def xy(self, x: float, y: float) -> Point:
        """Pixel position of the unit point (x, y)."""
        return (self.cx + x * self.r, self.cy + y * self.r)

    def px(self, width: float | None = None) -> int:
        """A unit width (``stroke`` by default) in whole pixels, at least 1."""
        return max(1, round((self.stroke if width is None else width) * self.r))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[Point]:
        """The pixel corners of a unit box."""
        return [self.xy(x0, y0), self.xy(x1, y1)]

    def polygon(self, points: Sequence[Point], fill: Colour | None) -> None:
        """A filled polygon."""
        self.draw.polygon([self.xy(x, y) for x, y in points], fill=fill)

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: Colour | None = None,
                outline: Colour | None = None, width: float | None = None) -> None:
        """An ellipse in the unit box, filled and/or outlined."""
        self.draw.ellipse(self.box(x0, y0, x1, y1), fill=fill, outline=outline, width=self.px(width))

    def circle(self, x: float, y: float, radius: float, fill: Colour | None = None,
               outline: Colour | None = None, width: float | None = None) -> None:
        """A circle of unit ``radius`` centred on (x, y)."""
        self.ellipse(x - radius, y - radius, x + radius, y + radius, fill, outline, width)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: Colour, rounded: float = 0.0) -> None:
        """A filled rectangle, with corners rounded by ``rounded`` units."""
        self.draw.rounded_rectangle(self.box(x0, y0, x1, y1), radius=rounded * self.r, fill=fill)

    def line(self, points: Sequence[Point], fill: Colour, width: float | None = None) -> None:
        """A polyline with rounded joints."""
        self.draw.line([self.xy(x, y) for x, y in points], fill=fill, width=self.px(width), joint="curve")

    def shape(self, points: Sequence[Point]) -> None:
        """A plain shape in ``main``: filled, or only outlined when ``hollow``."""
        pixels = [self.xy(x, y) for x, y in points]
        if self.hollow:
            self.draw.polygon(pixels, outline=self.main, width=self.px(max(self.stroke, 0.12)))
        else:
            self.draw.polygon(pixels, fill=self.main)
