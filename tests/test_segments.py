"""Segments from shots, labelled against aligned GIFs (Video2GIF's 66% / 0% rule)."""

import numpy as np

from gifworthy.segments import (
    IGNORED,
    NEGATIVE,
    POSITIVE,
    label_segments,
    read_table,
    segment_video,
    split_shots,
    summarize,
)


def test_split_respects_min_and_max_length():
    segs = split_shots([(0, 10), (10, 110), (110, 150)], fps=10.0, min_sec=2.0, max_sec=4.0)
    # shot 0 (1 s) is too short; shot 1 (10 s) -> 3 equal parts; shot 2 (4 s) -> one
    assert [(s["start_frame"], s["end_frame"], s["shot"]) for s in segs] == [
        (10, 43, 1), (43, 77, 1), (77, 110, 1), (110, 150, 2)]
    assert all(2.0 <= (s["end_frame"] - s["start_frame"]) / 10 <= 4.0 for s in segs)
    assert [s["segment"] for s in segs] == [0, 1, 2, 3]
    assert segs[1]["start_sec"] == 4.3


def test_labels_follow_the_overlap_rule():
    segs = [{"start_frame": a, "end_frame": b} for a, b in [(0, 100), (100, 200), (200, 300)]]
    labelled = label_segments(segs, [(20, 90), (150, 400)], positive_overlap=0.66)
    assert [s["label"] for s in labelled] == [POSITIVE, IGNORED, POSITIVE]
    assert labelled[0]["overlap"] == 0.7 and labelled[1]["overlap"] == 0.5
    assert label_segments(segs, [])[0]["label"] == NEGATIVE


def test_segment_table_from_files(tmp_path):
    shots_file = tmp_path / "v.npz"
    np.savez(shots_file, error="", n_frames=240, fps=24.0,
             cuts_transnet=np.array([120]), cuts_scenedetect=np.array([]),
             transnet_probs=np.zeros(240), features_per_second=np.zeros((10, 1024)),
             seconds=np.zeros(3))
    alignments = [{"gif_id": "g1", "aligned": True, "start_frame": 150, "end_frame": 240},
                  {"gif_id": "bad", "aligned": False, "reason": "no consistent match"}]
    text = segment_video(shots_file, alignments, "transnet",
                         {"min_sec": 1.0, "max_sec": 3.0, "positive_overlap": 0.66})
    (tmp_path / "v.csv").write_text(text)
    rows = read_table(tmp_path / "v.csv")
    assert [(r["start_frame"], r["end_frame"], r["label"], r["gif_id"]) for r in rows] == [
        (0, 60, NEGATIVE, ""), (60, 120, NEGATIVE, ""), (120, 180, IGNORED, "g1"),
        (180, 240, POSITIVE, "g1")]
    # The other detector found no cut: one 10 s shot -> 4 segments, all labelled.
    other = segment_video(shots_file, [], "scenedetect",
                          {"min_sec": 1.0, "max_sec": 3.0, "positive_overlap": 0.66})
    (tmp_path / "w.csv").write_text(other)
    summary = summarize([tmp_path / "v.csv", tmp_path / "w.csv"])
    assert summary["videos"] == 2 and summary["positive"] == 1
    assert summary["videos_without_positive"] == 1  # kept for scoring, no training pairs
