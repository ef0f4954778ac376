"""The image item type shared by the image modules."""
from __future__ import annotations

from pathlib import Path

Item = tuple[Path, str]
"""An image file and its class id."""
