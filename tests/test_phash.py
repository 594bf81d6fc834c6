"""Batch pHash: bit-identical to imagehash.phash, and vectorised Hamming distances."""

import subprocess

import imagehash
import numpy as np
import pytest
from PIL import Image

from gifworthy.align.phash import _stitch, decode_gray, decode_views, hamming, phash_batch, view
from gifworthy.core.resources import package_file


def reference(frames):
    return [str(imagehash.phash(Image.fromarray(f))) for f in frames]


def as_hex(hashes):
    return [f"{int(h):016x}" for h in hashes]


def test_bit_identical_on_real_frames():
    frames = decode_gray(package_file("iscc_samples", "files/video/demo.mp4"))
    assert frames.shape[1:] == (32, 32) and len(frames) == 1441  # decoded, not the header
    assert as_hex(phash_batch(frames)) == reference(frames)


def test_bit_identical_on_views_and_near_ties():
    views = decode_views(package_file("iscc_samples", "files/video/demo.mp4"),
                         ["whole", "centre", "top"])
    frames = views.reshape(-1, 32, 32)[::3]
    assert as_hex(phash_batch(frames)) == reference(frames)
    # Sparse frames (a few bright pixels) put many coefficients near the median: the
    # float32 products cannot decide those bits, the exact path must.
    rng = np.random.default_rng(3)
    sparse = np.zeros((200, 32, 32), np.uint8)
    for f in sparse:
        f[rng.integers(0, 32, 3), rng.integers(0, 32, 3)] = rng.integers(1, 256, 3)
    assert as_hex(phash_batch(sparse)) == reference(sparse)


@pytest.mark.parametrize("kind", ["blank", "white", "noise", "gradient", "single_pixel"])
def test_bit_identical_on_edge_cases(kind):
    rng = np.random.default_rng(0)
    frames = {
        "blank": np.zeros((4, 32, 32), np.uint8),
        "white": np.full((4, 32, 32), 255, np.uint8),
        "noise": rng.integers(0, 256, (16, 32, 32), dtype=np.uint8),
        "gradient": np.tile(np.arange(32, dtype=np.uint8) * 8, (3, 32, 1)),
        "single_pixel": np.pad(np.full((1, 1, 1), 200, np.uint8), ((0, 0), (5, 26), (9, 22))),
    }[kind]
    assert as_hex(phash_batch(frames)) == reference(frames)


def test_hamming_matrix():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2**63, 5, dtype=np.uint64)
    b = rng.integers(0, 2**63, 7, dtype=np.uint64)
    d = hamming(a, b)
    assert d.shape == (5, 7)
    for i in range(5):
        for j in range(7):
            assert d[i, j] == bin(int(a[i]) ^ int(b[j])).count("1")


def test_rejects_wrong_shape_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="32 x 32"):
        phash_batch(np.zeros((2, 16, 16), np.uint8))
    bad = tmp_path / "bad.gif"
    bad.write_bytes(b"GIF89a nonsense")
    with pytest.raises(ValueError, match="bad.gif"):
        decode_gray(bad)


def test_views_are_area_scaled_crops():
    small = np.zeros((1, 64, 64), np.uint8)
    small[0, :, 32:] = 200  # right half bright
    whole = view(small, "whole")[0]
    assert whole.shape == (32, 32)
    assert (whole[:, :16] == 0).all() and (whole[:, 16:] == 200).all()
    small[0, 50:, :] = 255  # a bottom band: gone from the top view
    assert (view(small, "top")[0] <= 200).all() and (view(small, "whole")[0] == 255).any()


def test_parallel_decode_is_frame_for_frame_the_sequential_one(tmp_path):
    video = tmp_path / "long.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=s=160x90:r=25:d=67,noise=alls=40:allf=t", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "100", "-pix_fmt", "yuv420p", str(video)],
                   check=True)
    sequential = decode_views(video, ["whole", "top"], parts=1)
    parallel = decode_views(video, ["whole", "top"], parts=2)
    assert sequential.shape == (2, 67 * 25, 32, 32)
    assert np.array_equal(parallel, sequential)


def test_stitch_refuses_stretches_that_do_not_overlap():
    rng = np.random.default_rng(4)
    head = rng.integers(0, 256, (1, 100, 32, 32), dtype=np.uint8)
    tail = np.concatenate([head[:, 80:], rng.integers(0, 256, (1, 50, 32, 32), np.uint8)], axis=1)
    joined = _stitch(head, tail, expected=80)
    assert joined is not None and joined.shape[1] == 150 and np.array_equal(joined[:, :100], head)
    assert _stitch(head, rng.integers(0, 256, (1, 60, 32, 32), np.uint8), expected=80) is None
