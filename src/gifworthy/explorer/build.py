"""Explorer stage: a static web page of the GIFs, by label (Kinetics) and by video (Video2GIF).

The page is plain files (``index.html``, ``explorer.js``, ``explorer.css``, ``data.js``) that
open from disk or from ``gifworthy explore --serve``. Data goes in ``data.js`` as JSON
assigned to ``window.GIFWORTHY_DATA`` (a ``<script>``, not ``fetch``, so ``file://`` works);
``<``, ``>`` and ``&`` are escaped as ``\\u003c``... so no annotation text can close a tag.
The page renders every text with ``textContent``.
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


def write_site(data: dict[str, Any], site_dir: str | os.PathLike[str]) -> None:
    """Write the static site (assets + data.js) into ``site_dir``."""
    site = Path(site_dir)
    site.mkdir(parents=True, exist_ok=True)
    for asset in ("index.html", "explorer.js", "explorer.css"):
        shutil.copyfile(WEB / asset, site / asset)
    write_text(site / "data.js", f"window.GIFWORTHY_DATA = {_js_json(data)};\n")


def build_explorer(manifest_dir: str | os.PathLike[str], gifs_dir: str | os.PathLike[str],
                   site_dir: str | os.PathLike[str], formats: list[str],
                   page_size: int = 60, ranked: str | os.PathLike[str] | None = None
                   ) -> dict[str, int]:
    data = explorer_data(Path(manifest_dir), Path(gifs_dir), Path(site_dir), formats, page_size,
                         Path(ranked) if ranked else None)
    write_site(data, site_dir)
    return {"clips": len(data["clips"]), "videos": len(data["videos"]),
            "gifs": sum(len(v["gifs"]) for v in data["videos"]),
            "clips_with_gif": sum(c["src"] is not None for c in data["clips"])}


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
