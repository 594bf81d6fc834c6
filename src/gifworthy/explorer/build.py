"""Explorer stage: a static web page of the GIFs, by label (Kinetics) and by video (Video2GIF).

The page is plain files that open from disk or from ``gifworthy explore --serve``: the assets
(``index.html``, ``explorer.js``, ``explorer.css``), a small ``index.js`` and data files the
page loads when it needs them (:func:`write_site`), so its first screen costs the same for
650,000 clips as for 60. Data files are ``<script>``s calling ``window.GIFWORTHY_CHUNK``
(not ``fetch``, so ``file://`` works), with ``<``, ``>`` and ``&`` escaped as ``\\u003c``...
so no annotation text can close a tag. The page renders every text with ``textContent``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path
from typing import Any

from gifworthy.core.fsutil import read_json, write_text
from gifworthy.corpus.manifest import read_gif_rows
from gifworthy.pipeline import paths

__all__ = ["build_explorer", "explorer_data", "serve", "write_site"]

WEB = Path(__file__).with_name("web")


def _gif_records(gifs_dir: Path, kind: str) -> dict[str, dict[str, Any]]:
    folder = gifs_dir / paths.STATUS / kind
    out = {}
    if folder.exists():
        for path in paths.item_files(folder, "*.json"):
            try:
                out[path.stem] = read_json(path)
            except (OSError, ValueError):
                continue
    return out


def _src(rec: dict[str, Any] | None, rel_gifs: str, formats: list[str]) -> str | None:
    if not rec or rec.get("status") != "ok":
        return None
    for fmt in formats:
        if fmt in rec.get("outputs", {}):
            return f"{rel_gifs}/{rec['outputs'][fmt]['file']}"
    return None


def explorer_data(manifest_dir: Path, gifs_dir: Path, site_dir: Path, formats: list[str],
                  page_size: int = 60, ranked: Path | None = None) -> dict[str, Any]:
    """The explorer's data: clips (Kinetics) and videos with their GIFs (Video2GIF), and,
    when ``ranked`` (the evaluate stage's ranked.json) exists, each test video's best
    segments by the trained model, as GIFs."""
    rel = os.path.relpath(gifs_dir, site_dir).replace(os.sep, "/")
    clip_recs = _gif_records(gifs_dir, "clips")
    v2g_recs = _gif_records(gifs_dir, "v2g")
    clips = []
    downloads = manifest_dir / "downloads.csv"
    if downloads.exists():
        with open(downloads, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if not row["start"]:
                    continue
                rec = clip_recs.get(row["item_id"])
                clips.append({
                    "id": row["item_id"], "youtube_id": row["youtube_id"], "label": row["label"],
                    "split": row["split"], "start": float(row["start"]),
                    "end": float(row["end"]), "src": _src(rec, rel, formats),
                    "status": (rec or {}).get("status", "missing"),
                    "message": (rec or {}).get("message", "")})
    videos: dict[str, dict[str, Any]] = {}
    for row in read_gif_rows(manifest_dir / "gifs.csv"):
        video = videos.setdefault(row["youtube_id"], {
            "youtube_id": row["youtube_id"], "title": row["video_title"],
            "category": row["video_category"],
            "duration": float(row["video_duration"]) if row["video_duration"] else None,
            "split": row["split"], "gifs": []})
        rec = v2g_recs.get(row["gif_id"])
        video["gifs"].append({
            "gif_id": row["gif_id"], "title": row["title"],
            "start": float(row["start_sec"]), "end": float(row["end_sec"]),
            "views": int(row["views"] or 0), "src": _src(rec, rel, formats),
            "status": (rec or {}).get("status", "missing")})
    for video in videos.values():
        video["gifs"].sort(key=lambda g: g["start"])
    if ranked is not None and ranked.exists():
        rel_ranked = os.path.relpath(ranked.parent, site_dir).replace(os.sep, "/")
        for youtube_id, segments in json.loads(ranked.read_text(encoding="utf-8")).items():
            if youtube_id in videos:
                videos[youtube_id]["ranked"] = [
                    {**seg, "src": f"{rel_ranked}/{seg['file']}" if seg.get("file") else None}
                    for seg in segments]
    return {"clips": clips, "videos": list(videos.values()), "page_size": page_size}


def _js_json(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    # Safe inside any HTML/JS context: nothing can form "</script>" or an entity.
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# Videos per data file of the "By video" tab (Video2GIF: 76,000 videos, 101,000 GIFs).
VIDEOS_PER_CHUNK = 1000
CHUNK_FOLDERS = ("labels", "ids", "videos")


def _chunk(site: Path, name: str, payload: Any) -> None:
    # A script, not JSON for fetch(): the page works from file:// too.
    write_text(site / f"{name}.js",
               f"window.GIFWORTHY_CHUNK({_js_json(name)}, {_js_json(payload)});\n")


def write_site(data: dict[str, Any], site_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the static site into ``site_dir``: the assets, a small ``index.js`` (the labels
    with their counts, the video chunks, totals) and data files the page loads on demand:
    ``labels/<n>.js`` (one label's clips), ``ids/<c>.js`` (every clip id starting with the
    character of code ``c``, with its label: the filter's id search across labels) and
    ``videos/<n>.js`` (videos with their GIFs, by id). The first screen reads the index and
    one label's file, whatever the corpus size: 650,000 clips in 700 labels make an index of
    a few tens of kB. Returns the index."""
    site = Path(site_dir)
    site.mkdir(parents=True, exist_ok=True)
    for folder in CHUNK_FOLDERS:  # a previous build's files must not linger
        shutil.rmtree(site / folder, ignore_errors=True)
    (site / "data.js").unlink(missing_ok=True)  # the single-file layout of older builds
    for asset in ("index.html", "explorer.js", "explorer.css"):
        shutil.copyfile(WEB / asset, site / asset)
    by_label: dict[str, list[dict[str, Any]]] = {}
    for clip in data["clips"]:
        by_label.setdefault(str(clip.get("label") or ""), []).append(clip)
    labels = sorted(by_label.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ids: dict[int, list[list[Any]]] = {}
    for n, (_, clips) in enumerate(labels):
        _chunk(site, f"labels/{n}", clips)
        for clip in clips:
            ids.setdefault(ord(str(clip["id"])[:1] or " "), []).append([clip["id"], n])
    for code, entries in sorted(ids.items()):
        _chunk(site, f"ids/{code}", sorted(entries))
    videos = sorted(data["videos"], key=lambda v: v["youtube_id"])
    chunks = []
    for start in range(0, len(videos), VIDEOS_PER_CHUNK):
        part = videos[start:start + VIDEOS_PER_CHUNK]
        _chunk(site, f"videos/{len(chunks)}", part)
        chunks.append([part[0]["youtube_id"], len(part)])
    index = {"page_size": data.get("page_size", 60), "clips": len(data["clips"]),
             "labels": [[name, len(clips)] for name, clips in labels],
             "id_shards": sorted(ids), "videos": len(videos), "video_chunks": chunks,
             "gifs": sum(len(v.get("gifs", [])) for v in videos)}
    write_text(site / "index.js", f"window.GIFWORTHY_INDEX = {_js_json(index)};\n")
    return index


def build_explorer(manifest_dir: str | os.PathLike[str], gifs_dir: str | os.PathLike[str],
                   site_dir: str | os.PathLike[str], formats: list[str],
                   page_size: int = 60, ranked: str | os.PathLike[str] | None = None
                   ) -> dict[str, int]:
    data = explorer_data(Path(manifest_dir), Path(gifs_dir), Path(site_dir), formats, page_size,
                         Path(ranked) if ranked else None)
    index = write_site(data, site_dir)
    return {"clips": len(data["clips"]), "videos": len(data["videos"]),
            "gifs": sum(len(v["gifs"]) for v in data["videos"]),
            "clips_with_gif": sum(c["src"] is not None for c in data["clips"]),
            "labels": len(index["labels"]),
            "index_bytes": (Path(site_dir) / "index.js").stat().st_size}


def serve(site: str | os.PathLike[str], port: int = 8000) -> None:
    """Serve the site's parent folder on 127.0.0.1 until Ctrl-C (prints the page's URL)."""
    import functools
    import http.server

    site = Path(site)
    root = site.parent.resolve()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/{site.name}/index.html"
        print(f"explorer at {url} (Ctrl-C stops)", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
