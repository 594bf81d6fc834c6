"""A loopback HTTP media server with Range support and injectable faults.

The sample corpus is "published" through this server so that the download stage runs the very
same yt-dlp code path a YouTube corpus uses (HTTP, Range requests for segment downloads,
HTTP errors). Tests use the fault table to reproduce what real hosts do: 404, 403, 429 with
Retry-After, 503 that recovers, bodies cut short, slow responses.

The server only ever binds to 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import html
import http.server
import json
import mimetypes
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Mapping

__all__ = ["Fault", "MediaServer"]

_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclasses.dataclass
class Fault:
    """What the server does instead of (or before) serving a path.

    Attributes:
        status: HTTP status to answer with (e.g. 404, 403, 429, 503); 0 serves the file.
        times: answer with ``status`` this many times, then serve normally; -1 means always.
        retry_after: value of the ``Retry-After`` header (seconds), if any.
        body: response body for error answers (yt-dlp reads some messages from it).
        truncate_at: serve only this many bytes of the body, then close the connection,
            while announcing the full Content-Length (a body cut short).
        delay: seconds to wait before answering (a slow server).
        chunk_delay: seconds to sleep between 64 KiB chunks (a slow transfer).
        after: serve this many requests normally before the fault starts (e.g. to let
            yt-dlp's extractor through and fail ffmpeg's segment requests).
        for_seconds: once the fault first fires, keep answering with it for this long and
            then serve normally (a rate limiter's window; ``times`` is then ignored).
        stall_after: send this many bytes of the body, then hold the connection open
            without sending more for ``stall_seconds`` (a stalled host).
    """

    status: int = 0
    times: int = -1
    retry_after: float | None = None
    body: bytes = b""
    truncate_at: int | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    after: int = 0
    for_seconds: float = 0.0
    stall_after: int | None = None
    stall_seconds: float = 60.0
    first_at: float | None = None


class MediaServer:
    """Serve files from a route table on 127.0.0.1 in a background thread.

    Args:
        routes: URL path (e.g. ``/videos/abc.mp4``) -> file on disk, or a callable returning
            the mapping so routes can be added after start.
        faults: URL path -> :class:`Fault`.
        port: 0 picks a free port.
        pages: ``/videos/<id>.mp4`` routes also get a YouTube-like watch page,
            ``/watch?v=<id>``, an HTML5 ``<video>`` page with the rendition's height, so
            yt-dlp extracts the page first and then fetches the media, as on YouTube.
        heights: video id -> frame height announced on its watch page.
        infos: video id -> the site's metadata of the video (title, duration, view_count,
            like_count, categories, tags, upload_date, heatmap, width, height, fps), served
            as JSON at ``/api/videos/<id>.json`` with its format list, for the sample site's
            yt-dlp extractor (``gifworthy.sample.ytdlp_plugins``). A video with infos but no
            media route answers as removed.
        rate: cap on each connection's body rate in bytes/s (0: unlimited), to model a real
            link in benchmarks; loopback itself moves gigabytes a second.

    Use as a context manager; ``base_url`` is valid once started. ``requests`` counts
    requests per path and ``bytes_sent`` the body bytes per path (for benchmarks and tests);
    ``headers`` keeps each request's path (with its query) and headers (cookies, ranges).
    """

    def __init__(
        self,
        routes: Mapping[str, Path] | None = None,
        *,
        faults: Mapping[str, Fault] | None = None,
        port: int = 0,
        pages: bool = True,
        heights: Mapping[str, int] | None = None,
        infos: Mapping[str, Mapping[str, object]] | None = None,
        rate: float = 0.0,
    ) -> None:
        self.rate = rate
        self.infos = {k: dict(v) for k, v in (infos or {}).items()}
        self.headers: list[tuple[str, dict[str, str]]] = []
        self.pages = pages
        self.heights = dict(heights or {})
        self.routes: dict[str, Path] = {k: Path(v) for k, v in (routes or {}).items()}
        self.faults: dict[str, Fault] = dict(faults or {})
        self.requests: Counter[str] = Counter()
        self.bytes_sent: Counter[str] = Counter()
        self.log: list[tuple[str, str, int, float]] = []  # method, path, status, time
        self._lock = threading.Lock()
        # Set by stop(): stalled answers wake and end, so no handler outlives its server.
        self._stopping = threading.Event()
        self._port = port
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> "MediaServer":
        handler = _make_handler(self)
        self._stopping.clear()
        self._httpd = _QuietServer(("127.0.0.1", self._port), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "MediaServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def total_bytes(self) -> int:
        with self._lock:
            return sum(self.bytes_sent.values())

    # -- internals used by the handler -------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(path)
            if fault is None:
                return None
            if fault.after > 0:
                fault.after -= 1
                return None
            if fault.for_seconds:
                now = time.monotonic()
                if fault.first_at is None:
                    fault.first_at = now
                return fault if now - fault.first_at < fault.for_seconds else None
            if fault.times == 0:
                return None
            if fault.times > 0:
                fault.times -= 1
            return fault

    def _add_bytes(self, path: str, nbytes: int) -> None:
        with self._lock:
            self.bytes_sent[path] += nbytes

    def _count(self, method: str, path: str, status: int, nbytes: int) -> None:
        with self._lock:
            self.requests[path] += 1
            self.bytes_sent[path] += nbytes
            self.log.append((method, path, status, time.time()))


class _QuietServer(http.server.ThreadingHTTPServer):
    """A client hanging up (ffmpeg seeking, a timeout, a killed download) is normal here,
    not an error to print from a handler thread."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _make_handler(server: MediaServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # A small send buffer keeps "bytes sent" close to bytes the client really took:
            # loopback buffers are megabytes, and a client that reads 3 s of a video and
            # hangs up would otherwise be billed for everything the kernel had buffered.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep test and stage output clean; requests are counted instead

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, *, head: bool) -> None:
            path = self.path.split("?", 1)[0]
            with server._lock:
                server.headers.append((self.path, dict(self.headers.items())))
            fault = server._take_fault(self.path) or server._take_fault(path)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and fault.status:
                self.send_response(fault.status)
                if fault.retry_after is not None:
                    self.send_header("Retry-After", f"{fault.retry_after:g}")
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(fault.body)))
                self.end_headers()
                if not head:
                    self.wfile.write(fault.body)
                server._count(self.command, path, fault.status, len(fault.body))
                return
            if path == "/watch" and server.pages:
                self._watch_page(head=head)
                return
            if path.startswith("/api/videos/") and path.endswith(".json"):
                self._api(path[len("/api/videos/"):-len(".json")], head=head)
                return
            file = server.routes.get(path)
            if file is None or not file.is_file():
                body = b"not found"
                self.send_response(404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)
                server._count(self.command, path, 404, len(body))
                return
            size = file.stat().st_size
            start, end = 0, size - 1
            status = 200
            header = self.headers.get("Range")
            if header:
                match = _RANGE_RE.match(header.strip())
                if match and (match.group(1) or match.group(2)):
                    if match.group(1):
                        start = int(match.group(1))
                        end = int(match.group(2)) if match.group(2) else size - 1
                    else:  # suffix range: the last N bytes
                        start = max(0, size - int(match.group(2)))
                    end = min(end, size - 1)
                    if start >= size or start > end:
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{size}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        server._count(self.command, path, 416, 0)
                        return
                    status = 206
            length = end - start + 1
            self.send_response(status)
            ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self.send_header("Content-Type", ctype)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(length))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if head:
                server._count(self.command, path, status, 0)
                return
            limit = length
            if fault is not None and fault.truncate_at is not None:
                limit = min(length, max(0, fault.truncate_at - start))
            stall_at = None
            if fault is not None and fault.stall_after is not None:
                stall_at = max(0, fault.stall_after - start)
            sent = 0
            try:
                with open(file, "rb") as fh:
                    fh.seek(start)
                    while sent < limit:
                        if stall_at is not None and sent >= stall_at:
                            self.wfile.flush()
                            server._stopping.wait(fault.stall_seconds if fault else 0)
                            break
                        step = 65536 if stall_at is None else max(1, min(65536, stall_at - sent))
                        chunk = fh.read(min(step, limit - sent))
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        server._add_bytes(path, len(chunk))
                        if fault is not None and fault.chunk_delay:
                            time.sleep(fault.chunk_delay)
                        if server.rate:
                            time.sleep(len(chunk) / server.rate)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client seeked elsewhere or gave up; normal for ffmpeg
            finally:
                server._count(self.command, path, status, 0)
            if sent < length:
                self.close_connection = True

        def _api(self, vid: str, *, head: bool) -> None:
            media = f"/videos/{vid}.mp4"
            info = server.infos.get(vid)
            if info is None and media in server.routes:
                info = {"title": vid, "height": server.heights.get(vid)}
            if info is None or media not in server.routes:
                status, data = 404, {"error": "Video unavailable. This video has been removed "
                                              "by the uploader"}
            else:
                status = 200
                fmt = {"url": media, "height": info.get("height"),
                       "width": info.get("width"), "fps": info.get("fps")}
                data = {**info, "formats": [fmt]}
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            server._count(self.command, self.path, status, len(body))

        def _watch_page(self, *, head: bool) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            vid = (query.get("v") or [""])[0]
            media = f"/videos/{vid}.mp4"
            if media not in server.routes:
                body = b"<html><body>Video unavailable</body></html>"
                status = 404
            else:
                height = server.heights.get(vid)
                res = f' res="{height}" label="{height}p"' if height else ""
                body = (f"<!DOCTYPE html><html><head><title>{html.escape(vid)}</title></head>"
                        f'<body><video controls><source src="{media}" type="video/mp4"{res}>'
                        "</video></body></html>").encode()
                status = 200
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            server._count(self.command, self.path, status, len(body))

    return Handler
