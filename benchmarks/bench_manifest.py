"""Parse a Kinetics-700-size CSV (650,000 rows) into the manifest.

Reference in the same run: Python's csv module reading the same file with no validation
(the floor for any pure-Python reader). Prints seconds and the ratio to that floor.
``--damaged 0.01`` writes the list with that share of rows damaged in every way of
gifworthy.sample.damaged (a byte-order mark, stray quotes, an endless field, rows cut
short, hostile ids, NUL and invalid UTF-8 bytes...) and checks that exactly the damaged
rows are rejected, each with its own file:line.
Usage: python benchmarks/bench_manifest.py [--rows 650000] [--damaged 0.01]
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
from gifworthy.sample.damaged import write_damaged_kinetics_csv

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
    ap.add_argument("--damaged", type=float, default=0.0,
                    help="share of rows damaged in every known way (e.g. 0.01)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "kinetics700.csv"
        damaged: list[int] = []
        if args.damaged:
            damaged = write_damaged_kinetics_csv(corpus, args.rows, args.damaged)
        else:
            make_csv(corpus, args.rows)
        t0 = time.perf_counter()
        with open(corpus, newline="", errors="replace") as fh:
            floor_rows = sum(1 for _ in csv.reader(fh)) if not args.damaged else sum(1 for _ in fh)
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        manifest = build_manifest({"format": "kinetics_csv", "source": corpus.name}, root=tmp)
        parse = time.perf_counter() - t0
        t0 = time.perf_counter()
        counts = write_manifest(manifest, tmp / "manifest")
        write = time.perf_counter() - t0
        if args.damaged:
            wanted = [f"{corpus.name}:{line}" for line in damaged]
            got = [r.origin for r in manifest.rejections]
            assert got == wanted, "rejections are not exactly the damaged lines"
            assert counts["downloads"] == args.rows - len(damaged)
    floor_what = "lines counted" if args.damaged else "rows read by csv alone"
    print(f"{args.rows} rows ({floor_rows - 1} {floor_what} in {floor:.2f} s)")
    print(f"parse+validate: {parse:.2f} s ({parse / floor:.1f}x csv alone); "
          f"write manifest: {write:.2f} s; total {parse + write:.2f} s")
    print(f"accepted {counts['downloads']}, rejected {counts['rejected']}")


if __name__ == "__main__":
    main()
