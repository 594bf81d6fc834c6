"""Batch pHash: bit-identical to imagehash.phash, and vectorised Hamming distances."""

import numpy as np
import pytest
from PIL import Image

import imagehash
from gifworthy.phash import decode_gray, hamming, phash_batch
from gifworthy.sample import package_file


def reference(frames):
    return [str(imagehash.phash(Image.fromarray(f))) for f in frames]


def as_hex(hashes):
    return [f"{int(h):016x}" for h in hashes]


def test_bit_identical_on_real_frames():
    frames = decode_gray(package_file("iscc_samples", "files/video/demo.mp4"))
    assert frames.shape[1:] == (32, 32) and len(frames) == 1441  # decoded, not the header
    sample = frames[::7]
    assert as_hex(phash_batch(sample)) == reference(sample)


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
