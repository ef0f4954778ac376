"""A tiny local HTTP server for download tests: Range requests, 404s, 5xx, dropped connections, wrong content.

Only binds 127.0.0.1 on a free port; runs ``http.server`` in a background thread.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What the server does for one path.

    ``status``: answer every request with this error status (e.g. 404) instead of the body.
    ``fail_first``: answer the first N requests with ``fail_status`` (e.g. 503).
    ``drop_first``: on the first N body requests, send the headers (full length) and half the body, then hang up.
    ``ignore_range``: always answer 200 with the whole body, like servers without Range support.
    ``send_length``: send Content-Length (off: the body ends when the connection closes).
    """

    body: bytes
    status: int = 200
    fail_first: int = 0
    fail_status: int = 503
    drop_first: int = 0
    ignore_range: bool = False
    send_length: bool = True
    hits: int = 0


class _Handler(BaseHTTPRequestHandler):
    """Serves the routes of ``self.server.app`` (a ``LocalHTTPServer``)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        app: LocalHTTPServer = self.server.app  # type: ignore[attr-defined]
        range_header = self.headers.get("Range")
        with app.lock:
            app.requests.append((self.path, range_header, self.headers.get("User-Agent")))
            route = app.routes.get(self.path)
            if route is not None:
                route.hits += 1
        if route is None or route.status != 200:
            self.send_error(404 if route is None else route.status)
            return
        if route.hits <= route.fail_first:
            self.send_error(route.fail_status)
            return
        start = self._range_start(route, range_header)
        if start is None:
            return
        payload = route.body[start:]
        if route.send_length:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if route.hits - route.fail_first <= route.drop_first:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)

    def _range_start(self, route: Route, range_header: str | None) -> int | None:
        """Send the status line for a full (200) or partial (206) answer; ``None`` when 416 was sent."""
        size = len(route.body)
        match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
        if route.ignore_range or match is None:
            self.send_response(200)
            return 0
        start = int(match.group(1))
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        return start


class LocalHTTPServer:
    """``with LocalHTTPServer() as server: url = server.add("/f.bin", b"...")``; ``server.requests`` logs requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str | None, str | None]] = []
        self.lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.app = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def add(self, path: str, body: bytes, **options: object) -> str:
        """Serve ``body`` at ``path`` with the ``Route`` options; return its full url."""
        self.routes[path] = Route(body=body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def url(self, path: str) -> str:
        """The full url of ``path`` on this server."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def hits(self, path: str) -> int:
        """How many requests reached ``path``."""
        return sum(1 for logged, _, _ in self.requests if logged == path)

    def start(self) -> "LocalHTTPServer":
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "LocalHTTPServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
