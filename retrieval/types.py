"""The result types of searches (plain data, no plotting or faiss)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Hit:
    """One search result: a label (word or class name) or an image, with its cosine score."""

    label: str
    score: float
    image: Path | None = None
    held_out: bool = False
    """A class held out of training (zero-shot), or an image of one."""


@dataclass
class LabelResult:
    """Top classes and top nouns for one query image."""

    image: Path
    classes: list[Hit]
    nouns: list[Hit]
