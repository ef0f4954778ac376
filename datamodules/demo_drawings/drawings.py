"""Drawing functions for the demo image classes: each draws one object, centred, onto an RGBA layer.

Every function takes a ``pen.Pen`` (unit coordinates: the object fills roughly the square [-1, 1] x [-1, 1],
with y pointing down) and a ``random.Random`` for small variations of proportion and detail, so the same generator
state always draws the same object. ``DRAWINGS`` maps each class noun to its function.
"""
from __future__ import annotations

import math
import random
from typing import Callable, Sequence

from datamodules.demo_drawings.pen import CLEAR, Colour, Pen, Point

STEM_GREEN: Colour = (46, 139, 56, 255)
FLAME: Colour = (255, 176, 32, 255)
FLAME_CORE: Colour = (255, 236, 140, 255)


def regular_star(points: int, outer: float, inner: float, turn: float = -math.pi / 2) -> list[Point]:
    """Corners of a star with ``points`` tips (``inner`` == ``outer`` gives a regular polygon)."""
    radii = [outer if k % 2 == 0 else inner for k in range(points * 2)]
    angles = [turn + k * math.pi / points for k in range(points * 2)]
    return [(r * math.cos(a), r * math.sin(a)) for r, a in zip(radii, angles)]


def lens(cx: float, cy: float, length: float, width: float, angle: float, steps: int = 16) -> list[Point]:
    """A pointed oval (leaf or petal outline) of the given length and width, turned by ``angle`` radians."""
    half = [(t, width / 2 * math.sin(math.pi * t / length)) for t in (length * i / steps for i in range(steps + 1))]
    outline = half + [(t, -w) for t, w in reversed(half[1:-1])]
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + t * cos - w * sin, cy + t * sin + w * cos) for t, w in outline]


def ellipse_points(cx: float, cy: float, rx: float, ry: float, steps: int = 24) -> list[Point]:
    """Points on an ellipse, for hollow-capable round shapes."""
    return [(cx + rx * math.cos(2 * math.pi * k / steps), cy + ry * math.sin(2 * math.pi * k / steps))
            for k in range(steps)]


# --- shapes ---------------------------------------------------------------------------------------------------

def draw_circle(pen: Pen, rng: random.Random) -> None:
    pen.shape(ellipse_points(0, 0, 0.9, 0.9, steps=48))


def draw_square(pen: Pen, rng: random.Random) -> None:
    pen.shape([(-0.78, -0.78), (0.78, -0.78), (0.78, 0.78), (-0.78, 0.78)])


def draw_triangle(pen: Pen, rng: random.Random) -> None:
    apex = rng.uniform(-0.25, 0.25)
    pen.shape([(apex, -0.9), (0.95, 0.75), (-0.95, 0.75)])


def draw_star(pen: Pen, rng: random.Random) -> None:
    pen.shape(regular_star(5, 0.98, rng.uniform(0.38, 0.48)))


def draw_heart(pen: Pen, rng: random.Random) -> None:
    ts = [2 * math.pi * k / 48 for k in range(48)]
    pen.shape([(16 * math.sin(t) ** 3 / 17,
                -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)) / 17 - 0.1)
               for t in ts])


def draw_cross(pen: Pen, rng: random.Random) -> None:
    t, e = rng.uniform(0.2, 0.3), 0.9
    pen.shape([(-t, -e), (t, -e), (t, -t), (e, -t), (e, t), (t, t), (t, e), (-t, e), (-t, t), (-e, t),
               (-e, -t), (-t, -t)])


def draw_arrow(pen: Pen, rng: random.Random) -> None:
    shaft, head, neck = rng.uniform(0.12, 0.18), rng.uniform(0.45, 0.6), rng.uniform(0.1, 0.3)
    pen.shape([(-0.95, -shaft), (neck, -shaft), (neck, -head), (0.95, 0), (neck, head), (neck, shaft),
               (-0.95, shaft)])


# --- nature ---------------------------------------------------------------------------------------------------

def draw_sun(pen: Pen, rng: random.Random) -> None:
    rays = rng.choice([8, 10, 12])
    for k in range(rays):
        angle = 2 * math.pi * k / rays
        cos, sin = math.cos(angle), math.sin(angle)
        pen.line([(0.66 * cos, 0.66 * sin), (0.97 * cos, 0.97 * sin)], pen.main, width=0.1)
    pen.circle(0, 0, 0.52, fill=pen.main)


def draw_moon(pen: Pen, rng: random.Random) -> None:
    pen.circle(0, 0, 0.9, fill=pen.main)
    pen.circle(rng.uniform(0.4, 0.55), rng.uniform(-0.25, -0.05), 0.78, fill=CLEAR)


def draw_tree(pen: Pen, rng: random.Random) -> None:
    pen.rect(-0.13, 0.1, 0.13, 0.98, fill=pen.dark)
    if rng.random() < 0.3:  # conifer: three stacked triangles
        for top, base, half in ((-0.98, -0.35, 0.45), (-0.65, 0.05, 0.62), (-0.3, 0.45, 0.8)):
            pen.polygon([(0, top), (half, base), (-half, base)], fill=pen.main)
        return
    for x, y, radius in ((0, -0.45, 0.5), (-0.42, -0.1, 0.4), (0.42, -0.1, 0.4), (0, 0.02, 0.4)):
        pen.circle(x, y, radius, fill=pen.main)


def draw_flower(pen: Pen, rng: random.Random) -> None:
    pen.line([(0, -0.3), (0.05, 0.98)], STEM_GREEN, width=0.08)
    pen.polygon(lens(0.03, 0.55, 0.5, 0.22, -0.6), fill=STEM_GREEN)
    petals, turn = rng.randint(5, 8), rng.uniform(0, math.pi)
    for k in range(petals):
        angle = turn + 2 * math.pi * k / petals
        pen.polygon(lens(0.1 * math.cos(angle), -0.42 + 0.1 * math.sin(angle), 0.55, 0.34, angle), fill=pen.main)
    pen.circle(0, -0.42, 0.17, fill=pen.accent)


def draw_leaf(pen: Pen, rng: random.Random) -> None:
    width = rng.uniform(0.55, 0.8)
    pen.line([(0, 1.0), (0, 0.7)], pen.dark, width=0.06)
    pen.polygon(lens(0, 0.75, 1.7, width, -math.pi / 2), fill=pen.main)
    pen.line([(0, 0.75), (0, -0.8)], pen.dark, width=0.04)
    for y in (0.35, -0.05, -0.4):
        for side in (-1, 1):
            pen.line([(0, y), (side * width * 0.3, y - 0.2)], pen.dark, width=0.03)


def draw_cloud(pen: Pen, rng: random.Random) -> None:
    for x, y, radius in ((-0.58, 0.1, 0.33), (-0.18, -0.18, 0.45), (0.3, -0.12, 0.4), (0.66, 0.14, 0.3)):
        pen.circle(x, y + rng.uniform(-0.05, 0.05), radius, fill=pen.main)
    pen.rect(-0.6, 0.05, 0.66, 0.44, fill=pen.main, rounded=0.1)


def draw_fish(pen: Pen, rng: random.Random) -> None:
    pen.polygon([(-0.3, -0.3), (0.0, -0.72), (0.2, -0.3)], fill=pen.accent)
    pen.polygon([(0.3, 0), (1.0, -0.55), (0.82, 0), (1.0, 0.55)], fill=pen.accent)
    pen.ellipse(-0.95, -0.42, 0.5, 0.42, fill=pen.main)
    pen.line([(-0.42, -0.28), (-0.32, 0), (-0.42, 0.28)], pen.dark, width=0.04)
    pen.circle(-0.65, -0.1, 0.09, fill=pen.light)
    pen.circle(-0.65, -0.1, 0.045, fill=pen.dark)


def draw_bird(pen: Pen, rng: random.Random) -> None:
    pen.line([(-0.1, 0.45), (-0.15, 0.92)], pen.dark, width=0.05)
    pen.line([(0.15, 0.45), (0.15, 0.92)], pen.dark, width=0.05)
    pen.polygon([(-0.45, 0.05), (-1.0, -0.2), (-0.9, 0.3)], fill=pen.main)
    pen.ellipse(-0.6, -0.2, 0.45, 0.55, fill=pen.main)
    pen.circle(0.45, -0.38, 0.3, fill=pen.main)
    pen.polygon([(0.68, -0.5), (1.0, -0.36), (0.68, -0.26)], fill=FLAME)
    pen.polygon(lens(0.25, 0.05, 0.85, 0.38, math.pi + 0.15), fill=pen.accent)
    pen.circle(0.52, -0.44, 0.06, fill=pen.dark)


# --- vehicles -------------------------------------------------------------------------------------------------

def wheels(pen: Pen, xs: Sequence[float], y: float, radius: float) -> None:
    """Dark wheels with light hubs."""
    for x in xs:
        pen.circle(x, y, radius, fill=pen.dark)
        pen.circle(x, y, radius * 0.4, fill=pen.light)


def draw_car(pen: Pen, rng: random.Random) -> None:
    roof = rng.uniform(-0.6, -0.48)
    pen.polygon([(-0.6, -0.1), (-0.35, roof), (0.3, roof), (0.6, -0.1)], fill=pen.main)
    pen.rect(-1.0, -0.15, 1.0, 0.4, fill=pen.main, rounded=0.14)
    pen.polygon([(-0.47, -0.12), (-0.3, roof + 0.08), (-0.05, roof + 0.08), (-0.05, -0.12)], fill=pen.light)
    pen.polygon([(0.05, -0.12), (0.05, roof + 0.08), (0.26, roof + 0.08), (0.46, -0.12)], fill=pen.light)
    pen.rect(0.82, 0.0, 0.98, 0.1, fill=FLAME_CORE)
    wheels(pen, (-0.55, 0.55), 0.4, 0.24)


def draw_truck(pen: Pen, rng: random.Random) -> None:
    pen.rect(-1.0, -0.75, 0.3, 0.32, fill=pen.accent, rounded=0.04)
    pen.polygon([(0.36, -0.42), (0.72, -0.42), (1.0, -0.05), (1.0, 0.32), (0.36, 0.32)], fill=pen.main)
    pen.polygon([(0.45, -0.33), (0.68, -0.33), (0.88, -0.08), (0.45, -0.08)], fill=pen.light)
    pen.rect(-1.0, 0.26, 1.0, 0.36, fill=pen.dark)
    wheels(pen, (-0.7, -0.25, 0.66), 0.4, 0.2)


def draw_bus(pen: Pen, rng: random.Random) -> None:
    pen.rect(-1.0, -0.62, 1.0, 0.42, fill=pen.main, rounded=0.12)
    windows = rng.randint(3, 5)
    step = 1.3 / windows
    for k in range(windows):
        x = -0.92 + k * step
        pen.rect(x, -0.48, x + step - 0.08, -0.12, fill=pen.light, rounded=0.03)
    pen.rect(0.5, -0.48, 0.68, 0.3, fill=pen.dark)
    pen.rect(0.76, -0.48, 0.94, -0.05, fill=pen.light, rounded=0.03)
    pen.rect(-1.0, 0.05, 0.5, 0.14, fill=pen.accent)
    wheels(pen, (-0.58, 0.7), 0.42, 0.2)


def draw_boat(pen: Pen, rng: random.Random) -> None:
    pen.line([(0, -0.95), (0, 0.3)], pen.dark, width=0.05)
    pen.polygon([(0.06, -0.92), (0.06, 0.15), (rng.uniform(0.6, 0.8), 0.15)], fill=pen.light)
    pen.polygon([(-0.06, -0.7), (-0.06, 0.15), (-rng.uniform(0.45, 0.6), 0.15)], fill=pen.accent)
    pen.polygon([(-1.0, 0.25), (1.0, 0.25), (0.68, 0.65), (-0.7, 0.65)], fill=pen.main)


def draw_bicycle(pen: Pen, rng: random.Random) -> None:
    rear, front, crank, seat, head = (-0.58, 0.35), (0.58, 0.35), (-0.05, 0.35), (-0.22, -0.25), (0.4, -0.28)
    for hub in (rear, front):
        pen.circle(*hub, 0.4, outline=pen.dark, width=0.07)
    frame = 0.07
    pen.line([rear, crank, seat, rear], pen.main, width=frame)
    pen.line([crank, head, seat], pen.main, width=frame)
    pen.line([front, head, (0.34, -0.5), (0.52, -0.52)], pen.main, width=frame)
    pen.line([seat, (-0.26, -0.38)], pen.main, width=frame)
    pen.rect(-0.42, -0.45, -0.1, -0.35, fill=pen.accent, rounded=0.05)
    pen.circle(*crank, 0.09, fill=pen.dark)


# --- household ------------------------------------------------------------------------------------------------

def draw_cup(pen: Pen, rng: random.Random) -> None:
    pen.ellipse(-0.95, 0.55, 0.75, 0.82, fill=pen.accent)
    pen.ellipse(0.12, -0.35, 0.78, 0.3, outline=pen.main, width=0.13)
    pen.polygon([(-0.62, -0.55), (0.42, -0.55), (0.3, 0.62), (-0.5, 0.62)], fill=pen.main)
    pen.ellipse(-0.62, -0.64, 0.42, -0.46, fill=pen.light)


def draw_bottle(pen: Pen, rng: random.Random) -> None:
    half = rng.uniform(0.32, 0.42)
    pen.rect(-half, -0.25, half, 0.98, fill=pen.main, rounded=0.12)
    pen.polygon([(-half, -0.2), (-0.14, -0.58), (0.14, -0.58), (half, -0.2)], fill=pen.main)
    pen.rect(-0.14, -0.85, 0.14, -0.5, fill=pen.main)
    pen.rect(-0.17, -0.98, 0.17, -0.8, fill=pen.accent, rounded=0.03)
    pen.rect(-half, 0.12, half, 0.55, fill=pen.light)


def draw_chair(pen: Pen, rng: random.Random) -> None:
    width = 0.12
    pen.rect(-0.55, -0.98, -0.55 + width, 0.95, fill=pen.main)
    pen.rect(-0.55, 0.0, 0.55, 0.16, fill=pen.main)
    pen.rect(0.55 - width, 0.1, 0.55, 0.95, fill=pen.main)
    pen.rect(-0.55, -0.98, -0.1, -0.85, fill=pen.main)
    pen.rect(-0.55, -0.55, -0.1, -0.43, fill=pen.accent)


def draw_table(pen: Pen, rng: random.Random) -> None:
    top = rng.uniform(-0.45, -0.25)
    pen.rect(-1.0, top, 1.0, top + 0.16, fill=pen.main, rounded=0.03)
    pen.rect(-0.82, top + 0.16, 0.82, top + 0.3, fill=pen.accent)
    for x in (-0.88, 0.74):
        pen.rect(x, top + 0.1, x + 0.14, 0.85, fill=pen.main)


def draw_lamp(pen: Pen, rng: random.Random) -> None:
    pen.rect(-0.06, -0.3, 0.06, 0.75, fill=pen.dark)
    pen.ellipse(-0.45, 0.68, 0.45, 0.95, fill=pen.dark)
    pen.ellipse(-0.2, -0.4, 0.2, -0.05, fill=FLAME_CORE)
    pen.polygon([(-0.35, -0.95), (0.35, -0.95), (0.68, -0.22), (-0.68, -0.22)], fill=pen.main)


def draw_candle(pen: Pen, rng: random.Random) -> None:
    pen.ellipse(-0.6, 0.8, 0.6, 1.0, fill=pen.accent)
    pen.rect(-0.25, -0.3, 0.25, 0.92, fill=pen.main)
    pen.line([(0, -0.3), (0, -0.48)], pen.dark, width=0.04)
    flame = lens(0, -0.45, 0.52, 0.3, -math.pi / 2)
    pen.polygon(flame, fill=FLAME)
    pen.polygon(lens(0, -0.45, 0.3, 0.14, -math.pi / 2), fill=FLAME_CORE)


def draw_clock(pen: Pen, rng: random.Random) -> None:
    pen.circle(0, 0, 0.92, fill=pen.light, outline=pen.main, width=0.14)
    for k in range(12):
        angle = 2 * math.pi * k / 12
        inner = 0.6 if k % 3 == 0 else 0.68
        pen.line([(inner * math.sin(angle), inner * math.cos(angle)),
                  (0.76 * math.sin(angle), 0.76 * math.cos(angle))], pen.dark, width=0.05)
    hour, minute = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    pen.line([(0, 0), (0.4 * math.sin(hour), -0.4 * math.cos(hour))], pen.dark, width=0.09)
    pen.line([(0, 0), (0.62 * math.sin(minute), -0.62 * math.cos(minute))], pen.dark, width=0.06)
    pen.circle(0, 0, 0.07, fill=pen.dark)


def draw_key(pen: Pen, rng: random.Random) -> None:
    pen.rect(-0.3, -0.09, 1.0, 0.09, fill=pen.main)
    for x0, x1, depth in ((0.5, 0.64, 0.34), (0.72, 0.84, 0.24), (0.88, 1.0, 0.3)):
        pen.rect(x0, 0.05, x1, depth, fill=pen.main)
    pen.circle(-0.6, 0, 0.38, fill=pen.main)
    pen.circle(-0.65, 0, 0.15, fill=CLEAR)


def draw_umbrella(pen: Pen, rng: random.Random) -> None:
    pen.line([(0, -0.95), (0, 0.75)], pen.dark, width=0.06)
    pen.draw.arc(pen.box(-0.3, 0.57, 0.0, 0.93), 0, 180, fill=pen.dark, width=pen.px(0.06))
    pen.draw.pieslice(pen.box(-1.0, -0.85, 1.0, 0.55), 180, 360, fill=pen.main)
    for x in (-0.75, -0.25, 0.25, 0.75):
        pen.circle(x, -0.15, 0.25, fill=CLEAR)
    pen.line([(0, -0.15), (0, 0.1)], pen.dark, width=0.06)


def draw_house(pen: Pen, rng: random.Random) -> None:
    pen.rect(0.38, -0.8, 0.58, -0.3, fill=pen.dark)
    pen.rect(-0.72, -0.12, 0.72, 0.95, fill=pen.main)
    pen.polygon([(-0.95, -0.05), (0, -0.92), (0.95, -0.05)], fill=pen.accent)
    pen.rect(-0.16, 0.4, 0.2, 0.95, fill=pen.dark)
    for x in (-0.56, 0.34):
        pen.rect(x, 0.08, x + 0.24, 0.32, fill=pen.light)


DrawFunction = Callable[["Pen", random.Random], None]

DRAWINGS: dict[str, DrawFunction] = {
    name.removeprefix("draw_"): function
    for name, function in dict(globals()).items()
    if name.startswith("draw_") and callable(function)
}
