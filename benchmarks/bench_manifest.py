"""Parse a Kinetics-700-size CSV (650,000 rows) into the manifest.

Reference in the same run: Python's csv module reading the same file with no validation
(the floor for any pure-Python reader). Prints seconds and the ratio to that floor.
Usage: python benchmarks/bench_manifest.py [--rows 650000]
"""

from __future__ import annotations

import argparse
import csv
import random
import string
import tempfile
import time
from pathlib import Path

from gifworthy.corpus.build import build_manifest
from gifworthy.corpus.manifest import write_manifest

ALPHABET = string.ascii_letters + string.digits + "_-"


def make_csv(path: Path, rows: int, bad_share: float = 0.001) -> None:
    rng = random.Random(0)
    labels = [f"label {i}" for i in range(700)]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "youtube_id", "time_start", "time_end", "split"])
        for i in range(rows):
            yid = "".join(rng.choice(ALPHABET) for _ in range(11))
            start = rng.randrange(0, 600)
            row = [rng.choice(labels), yid, start, start + 10,
                   rng.choice(["train", "train", "train", "validate", "test"])]
            if rng.random() < bad_share:
                row[1] = "../" + yid[:6]
            w.writerow(row)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=650_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "kinetics700.csv"
        make_csv(corpus, args.rows)
        t0 = time.perf_counter()
        with open(corpus, newline="") as fh:
            floor_rows = sum(1 for _ in csv.reader(fh))
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        manifest = build_manifest({"format": "kinetics_csv", "source": corpus.name}, root=tmp)
        parse = time.perf_counter() - t0
        t0 = time.perf_counter()
        counts = write_manifest(manifest, tmp / "manifest")
        write = time.perf_counter() - t0
    print(f"{args.rows} rows ({floor_rows - 1} read by csv alone in {floor:.2f} s)")
    print(f"parse+validate: {parse:.2f} s ({parse / floor:.1f}x csv alone); "
          f"write manifest: {write:.2f} s; total {parse + write:.2f} s")
    print(f"accepted {counts['downloads']}, rejected {counts['rejected']}")


if __name__ == "__main__":
    main()
