"""Labelling frames in the browser: ``gifworthy screentime label FRAMES_DIR --classes ...``.

A :class:`LabelBook` holds the labels of one folder of frames (``gifworthy screentime frames``
writes them) and saves ``labels.csv`` atomically after every change, in the format
:func:`gifworthy.screentime.labels.read_labels` reads, so a killed browser or server loses at
most the key being pressed. :func:`serve` puts a small page on 127.0.0.1 in front of it.

With a trained model the book also suggests labels and offers the frames in the order the
model is least sure of (active labelling): the labels that teach the model most come first.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from gifworthy.core.fsutil import csv_text, write_text
from gifworthy.core.resources import package_file
from gifworthy.screentime.labels import _CLASS_NAME, _SEPARATORS, NONE, LabelError, label_rows

__all__ = ["FRAME_SUFFIXES", "LabelBook", "check_classes", "least_sure_order", "list_frames",
           "make_server", "serve", "suggest"]

FRAME_SUFFIXES = {".jpg", ".jpeg", ".png"}
MAX_CLASSES = 9  # one digit key each


def list_frames(frames_dir: str | os.PathLike[str]) -> list[str]:
    """The images under ``frames_dir`` as sorted relative POSIX paths (hidden files and
    folders skipped), in the order ``screentime frames`` wrote them: video, then second."""
    root = Path(frames_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder of frames (write one with "
                                "`gifworthy screentime frames VIDEO --out FOLDER`)")
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in FRAME_SUFFIXES:
                found.append(Path(dirpath, name).relative_to(root).as_posix())
    if not found:
        raise FileNotFoundError(f"{root}: no frames (.jpg, .jpeg, .png) in it")
    return sorted(found)


def check_classes(classes: Sequence[str]) -> list[str]:
    names = [c.strip().lower() for c in classes]
    if not names or any(not n for n in names):
        raise ValueError("--classes: give the characters, comma-separated (tom,jerry,spike)")
    for name in names:
        if name == NONE:
            raise ValueError(f"--classes: {NONE!r} is not a class; every page offers it")
        if not _CLASS_NAME.match(name):
            raise ValueError(f"--classes: malformed class name {name!r} (letters, digits, "
                             "space, '_', '.', '-')")
    if len(set(names)) != len(names):
        raise ValueError(f"--classes: a class is named twice ({', '.join(names)})")
    if len(names) > MAX_CLASSES:
        raise ValueError(f"--classes: at most {MAX_CLASSES} classes (one digit key each)")
    return names


class LabelBook:
    """The labels of a folder of frames, saved to ``labels_csv`` after every change.

    A label is a set of classes; the empty set is ``none`` (a frame without any character).
    An unlabelled frame has no entry. Starting from an existing file keeps its labels; a row
    that cannot be kept (unknown frame or class, malformed) is an error naming the file and
    line, before anything is written, so a typo never costs the labels around it."""

    def __init__(self, frames_dir: str | os.PathLike[str], labels_csv: str | os.PathLike[str],
                 classes: Sequence[str]) -> None:
        self.frames_dir = Path(frames_dir)
        self.labels_csv = Path(labels_csv)
        self.classes = check_classes(classes)
        self.frames = list_frames(self.frames_dir)
        self._index = {f: i for i, f in enumerate(self.frames)}
        self.labels: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        if self.labels_csv.exists():
            self.labels = self._read()

    def _read(self) -> dict[str, frozenset[str]]:
        errors: list[str] = []
        out: dict[str, frozenset[str]] = {}
        for line, frame, cell, _ in label_rows(self.labels_csv):
            where = f"{self.labels_csv}:{line}"
            frame = Path(frame).as_posix()
            if frame not in self._index:
                errors.append(f"{where}: frame {frame!r} is not in {self.frames_dir}")
                continue
            try:
                out[frame] = self._parse(cell)
            except ValueError as exc:
                errors.append(f"{where}: {exc}")
        if errors:
            raise LabelError("\n".join(errors[:20] + ([f"... and {len(errors) - 20} more"]
                                                      if len(errors) > 20 else [])))
        return out

    def _parse(self, cell: str) -> frozenset[str]:
        names = {n.strip().lower() for n in _SEPARATORS.split(cell)} if cell else set()
        if not names or "" in names:
            raise ValueError(f"empty label {cell!r} (write '{NONE}' for no character)")
        if NONE in names:
            if len(names) > 1:
                raise ValueError(f"'{NONE}' cannot be combined with another class ({cell!r})")
            return frozenset()
        unknown = sorted(names - set(self.classes))
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r} (classes: {', '.join(self.classes)})")
        return frozenset(names)

    def set(self, index: Any, labels: Any) -> None:
        """Label frame ``index`` with ``labels`` (an empty list is ``none``; None removes the
        label) and save. Both come from the page as JSON: a bad index or class raises
        ValueError and changes nothing."""
        if isinstance(index, bool) or not isinstance(index, int) \
                or not 0 <= index < len(self.frames):
            raise ValueError(f"no frame number {index!r} (0 ... {len(self.frames) - 1})")
        if labels is not None and (not isinstance(labels, (list, tuple))
                                   or not all(isinstance(c, str) for c in labels)):
            raise ValueError("labels must be a list of class names, or null")
        with self._lock:
            frame = self.frames[index]
            if labels is None:
                self.labels.pop(frame, None)
            else:
                self.labels[frame] = self._parse(";".join(labels) if labels else NONE)
            self.save()

    def save(self) -> None:
        """``labels.csv`` as ``read_labels`` reads it, frames in folder order (written beside
        it and renamed: the file is always a whole one)."""
        rows = [[f, ";".join(sorted(self.labels[f])) or NONE]
                for f in self.frames if f in self.labels]
        write_text(self.labels_csv, csv_text(["frame", "label"], rows))

    def counts(self) -> dict[str, int]:
        out = {c: 0 for c in [*self.classes, NONE]}
        for labels in self.labels.values():
            for c in labels or (NONE,):
                out[c] += 1
        return out

    def state(self) -> dict[str, Any]:
        return {"classes": self.classes, "frames": self.frames,
                "labels": [None if f not in self.labels else sorted(self.labels[f])
                           for f in self.frames],
                "labels_csv": str(self.labels_csv), "counts": self.counts(),
                "labelled": len(self.labels)}


# ---------------------------------------------------------------------------------------------
# Suggestions of the current model, least sure first
# ---------------------------------------------------------------------------------------------
def least_sure_order(probs: np.ndarray, thresholds: Sequence[float] | np.ndarray
                     ) -> list[int]:
    """Frames ordered by the model's certainty, least sure first: a frame's certainty is its
    smallest distance between a class's probability and that class's threshold (the decision
    nearest to flipping). Ties keep folder order."""
    if len(probs) == 0:
        return []
    margin = np.abs(np.asarray(probs, float) - np.asarray(thresholds, float)).min(axis=1)
    return [int(i) for i in np.argsort(margin, kind="stable")]


def suggest(book: LabelBook, model: dict[str, Any],
            log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The model's labels for every frame of ``book`` and the least-sure-first order. The
    model's classes must be the book's (in any order)."""
    from gifworthy.nets.runtime import DEFAULT_RUNTIME
    from gifworthy.screentime.frames import load_frame
    from gifworthy.screentime.model import image_features, predict_probs

    model_classes = [str(c).lower() for c in model["classes"]]
    if sorted(model_classes) != sorted(book.classes):
        raise ValueError(f"the model knows {', '.join(model_classes)}, the labels "
                         f"{', '.join(book.classes)}: train it on these classes first")
    runtime = str(model.get("runtime", DEFAULT_RUNTIME))
    head = str(model.get("head", "pooled"))
    probs = []
    for start in range(0, len(book.frames), 64):
        images = [load_frame(book.frames_dir / f, head) for f in book.frames[start:start + 64]]
        probs.append(predict_probs(model, image_features(images, head, runtime)))
        if log:
            log(f"suggestions: {min(start + 64, len(book.frames))}/{len(book.frames)} frames")
    p = np.concatenate(probs)
    thresholds = np.asarray(model["thresholds"], float)
    column = [model_classes.index(c) for c in book.classes]
    p, thresholds = p[:, column], thresholds[column]
    return {"suggested": [[c for c, on in zip(book.classes, row) if on]
                          for row in (p >= thresholds)],
            "probs": np.round(p, 3).tolist(),
            "least_sure": least_sure_order(p, thresholds)}


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------
_IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
MAX_BODY = 64 * 1024


def make_server(book: LabelBook, suggestions: dict[str, Any] | None = None, port: int = 0
                ) -> http.server.ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 (only): the page, the state, the frames by number (a path
    never comes from the browser), and ``POST /api/label``. Not started."""
    page = package_file("gifworthy", "screentime/web/label.html").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base name
            pass

        def _send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser moved on to another frame before this one arrived

        def _json(self, code: int, obj: Any) -> None:
            self._send(code, json.dumps(obj).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = urllib.parse.urlsplit(self.path).path
            if path in ("/", "/index.html"):
                self._send(200, page, "text/html; charset=utf-8")
            elif path == "/api/state":
                self._json(200, book.state() | {"suggestions": suggestions})
            elif path.startswith("/frame/") and path[7:].isdigit():
                index = int(path[7:])
                if index >= len(book.frames):
                    self._json(404, {"error": f"no frame {index}"})
                    return
                file = book.frames_dir / book.frames[index]
                try:
                    data = file.read_bytes()
                except OSError as exc:
                    self._json(404, {"error": f"{book.frames[index]}: {exc.strerror}"})
                    return
                self._send(200, data, _IMAGE_TYPES[file.suffix.lower()])
            else:
                self._json(404, {"error": f"no page {path}"})

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            if urllib.parse.urlsplit(self.path).path != "/api/label":
                self._json(404, {"error": "no such endpoint"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    raise ValueError(f"request body of {length} bytes")
                body = json.loads(self.rfile.read(length))
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                book.set(body.get("index"), body.get("labels"))
            except (ValueError, LabelError) as exc:
                self._json(400, {"error": str(exc)})
                return
            except OSError as exc:  # the file could not be written: say so, keep serving
                self._json(500, {"error": f"{book.labels_csv}: {exc}"})
                return
            self._json(200, {"labelled": len(book.labels), "counts": book.counts()})

    return http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)


def serve(book: LabelBook, suggestions: dict[str, Any] | None = None, port: int = 0,
          open_browser: bool = True, log: Callable[[str], None] = print) -> None:
    """Serve the page until interrupted (Ctrl-C); open it in the user's browser unless
    ``open_browser`` is false (a machine without one: forward the port, e.g. ``ssh -L``)."""
    server = make_server(book, suggestions, port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    log(f"labelling {len(book.frames)} frames ({len(book.labels)} labelled) into "
        f"{book.labels_csv}: {url}  (Ctrl-C to stop; every change is already saved)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
