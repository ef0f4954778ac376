"""The page's DeViSE requests (image → labels, words → images, image → images), as plain functions of the loaded
searchers (tested without a server). Uploads are checked before any model sees them."""
from __future__ import annotations

import io
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.errors import UserInputError
from datamodules.images.loading import ImageLoader
from retrieval.searcher import DeviseSearcher
from retrieval.types import Hit

MAX_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 80_000_000
WORK_SIDE = 1024  # uploads are shrunk to this before embedding: the backbone sees 224 pixels anyway


def prepared_upload(data: bytes, folder: Path, loader: ImageLoader) -> Path:
    """Check an uploaded file and write it, upright, transparency composited, at most ``WORK_SIDE`` on a side, as
    a PNG in ``folder``; a ``UserInputError`` with the message for the page otherwise."""
    if not data:
        raise UserInputError("The upload is empty: choose an image file (JPEG or PNG).")
    if len(data) > MAX_BYTES:
        raise UserInputError(f"The file is {len(data) / 2**20:.0f} MB; the page takes images up to "
                             f"{MAX_BYTES // 2**20} MB.")
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise UserInputError(f"The image is {width}×{height} pixels ({width * height / 1e6:.0f} MP); the page "
                                     f"takes up to {MAX_PIXELS / 1e6:.0f} MP: shrink it first.")
            img.draft("RGB", (WORK_SIDE, WORK_SIDE))  # JPEG: decode at a reduced scale
            img.load()
            rgb = loader.to_rgb(img)
    except UserInputError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UserInputError(f"That file is not an image this page can read ({type(error).__name__}): upload a JPEG "
                             "or PNG photo.") from None
    rgb.thumbnail((WORK_SIDE, WORK_SIDE))
    path = folder / "query.png"
    rgb.save(path)
    return path


class SearchHandler:
    """The page's searches over a run's DeViSE searcher and, when available, a ConSE one."""

    def __init__(self, searchers: dict[str, DeviseSearcher], loader: ImageLoader | None = None) -> None:
        self.searchers, self.loader = searchers, loader or ImageLoader()
        self._locks = {name: threading.Lock() for name in searchers}
        self._paths: dict[str, int] = {}
        self._by_id: list[str] = []

    def warm_up(self) -> None:
        """Build (or load) every index now, so that no request waits for one."""
        for searcher in self.searchers.values():
            searcher.warm_up()

    def _searcher(self, method: str) -> tuple[DeviseSearcher, threading.Lock]:
        if method not in self.searchers:
            raise UserInputError(f"Unknown method {method!r}: choose one of {', '.join(self.searchers)}.")
        return self.searchers[method], self._locks[method]

    def _image_hits(self, hits: list[Hit]) -> list[dict]:
        out = []
        for h in hits:
            key = str(h.image)
            if key not in self._paths:
                self._paths[key] = len(self._by_id)
                self._by_id.append(key)
            out.append({"id": self._paths[key], "label": h.label, "score": round(h.score, 4),
                        "held_out": h.held_out})
        return out

    def image_path(self, image_id: int) -> Path | None:
        """The collection image a result named (only those are served)."""
        return Path(self._by_id[image_id]) if 0 <= image_id < len(self._by_id) else None

    @staticmethod
    def _hits(hits: list[Hit]) -> list[dict]:
        return [{"label": h.label, "score": round(h.score, 4), "held_out": h.held_out} for h in hits]

    def _run(self, action) -> dict:
        t0 = time.perf_counter()
        try:
            result = action()
        except UserInputError as error:
            return {"error": str(error)}
        return {**result, "seconds": round(time.perf_counter() - t0, 4)}

    def label(self, data: bytes, method: str = "devise", k: int = 5) -> dict:
        """An uploaded image → its top classes (held-out ones marked) and top nouns."""
        def act() -> dict:
            searcher, lock = self._searcher(method)
            with tempfile.TemporaryDirectory() as tmp, lock:
                result = searcher.label([prepared_upload(data, Path(tmp), self.loader)], max(1, min(k, 20)))[0]
            return {"classes": self._hits(result.classes), "nouns": self._hits(result.nouns)}
        return self._run(act)

    def text(self, query: str, method: str = "devise", k: int = 12) -> dict:
        """Words (``engine boat`` averages the two) → the nearest images of the run's collection."""
        words = [w for w in (query or "").replace("+", " ").split() if w]
        if not words:
            return {"error": "Type one or more words, e.g. 'boat' or 'engine boat'."}

        def act() -> dict:
            searcher, lock = self._searcher(method)
            with lock:
                hits, unknown = searcher.text(words, max(1, min(k, 48)))
            return {"query": " + ".join(words), "images": self._image_hits(hits), "unknown_words": unknown}
        return self._run(act)

    def similar(self, data: bytes, method: str = "devise", k: int = 12) -> dict:
        """An uploaded image → the nearest images of the run's collection."""
        def act() -> dict:
            searcher, lock = self._searcher(method)
            with tempfile.TemporaryDirectory() as tmp, lock:
                hits = searcher.image(prepared_upload(data, Path(tmp), self.loader), max(1, min(k, 48)))
            return {"images": self._image_hits(hits)}
        return self._run(act)
