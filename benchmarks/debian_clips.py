"""Real footage from Debian packages, for benchmarks (GUIDE 5): fetched with
``apt-get download`` and ``dpkg-deb`` into ``benchmarks/.cache`` (not in git, never in a DVC
remote), looked up by package and member path."""

from __future__ import annotations

import gzip
import subprocess
import tempfile
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
OPENCV_DOC = "./usr/share/doc/opencv-doc/"
CLIPS = {  # file name -> (Debian package, member inside it)
    "cityCC0.mpg": ("python-kivy-examples", "./usr/share/kivy-examples/widgets/cityCC0.mpg"),
    "oa4_launch.webm": ("renpy-demo", "./usr/share/games/renpy/demo/game/oa4_launch.webm"),
    "Megamind.avi": ("opencv-doc", OPENCV_DOC + "examples/data/Megamind.avi"),
    "vtest.avi": ("opencv-doc", OPENCV_DOC + "examples/data/vtest.avi"),
    "tree.avi": ("opencv-doc", OPENCV_DOC + "examples/data/tree.avi"),
    "box.mp4": ("opencv-doc", OPENCV_DOC + "opencv4/html/box.mp4.gz"),
    "cup.mp4": ("opencv-doc", OPENCV_DOC + "opencv4/html/cup.mp4.gz"),
}


def debian_clip(name: str) -> Path | None:
    """The clip's path in the cache, fetched once; None (and a note) when apt cannot get
    its package."""
    package, member = CLIPS[name]
    out = CACHE / name
    if out.exists():
        return out
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(["apt-get", "download", "-q", package], cwd=tmp,
                             capture_output=True, text=True)
        debs = list(Path(tmp).glob("*.deb"))
        if got.returncode != 0 or not debs:
            print(f"  (skipping {name}: apt-get download {package} failed)")
            return None
        tar = subprocess.run(f"dpkg-deb --fsys-tarfile {debs[0]} | tar -x -O {member}",
                             shell=True, capture_output=True)
        if tar.returncode != 0 or not tar.stdout:
            print(f"  (skipping {name}: {member} is not in {package})")
            return None
        data = gzip.decompress(tar.stdout) if member.endswith(".gz") else tar.stdout
        tmp_out = out.with_name(f".tmp-{name}")
        tmp_out.write_bytes(data)
        tmp_out.replace(out)
    return out
