"""The pretrained networks in each inference runtime, side by side in one run.

For TransNetV2 (one 100-frame 48x27 window per call, the shots stage's windowing) and
EfficientNet-Lite0 (batches of 32 frames at 224x224, the image extractor's), in torch
(eager, the reference), ONNX Runtime and OpenVINO: frames per second after a warm-up,
the largest output difference from torch, the time to load a network in a fresh process
(import + build or compile, with the export already cached: what every job pays), and the
ratio of each runtime's speed to torch's. TransNetV2 also runs dynamically quantised to int8
(ONNX Runtime), with its cuts on the known-cut real footage compared with float32's.

Usage: python benchmarks/bench_networks.py [--seconds 6]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from gifworthy.features.backbones import EFFICIENTNET_SPEC, IMAGE_SIZE
from gifworthy.nets import runtime as inference
from gifworthy.nets.runtime import RUNTIMES, export_onnx, load_network
from gifworthy.shots.transnet import TRANSNET_SIZE, TRANSNET_SPEC

NETWORKS = {
    "transnetv2": (TRANSNET_SPEC, (1, 100, TRANSNET_SIZE[1], TRANSNET_SIZE[0], 3), 100),
    "efficientnet-lite0": (EFFICIENTNET_SPEC, (32, IMAGE_SIZE, IMAGE_SIZE, 3), 32),
}


def frames_per_second(net: inference.Network, x: np.ndarray, frames: int,
                      budget: float) -> float:
    net(x)  # warm-up
    calls, t0 = 0, time.perf_counter()
    while calls < 2 or time.perf_counter() - t0 < budget:
        net(x)
        calls += 1
    return calls * frames / (time.perf_counter() - t0)


def load_seconds(name: str, runtime: str) -> float:
    """A fresh process loading the network (the cost every Snakemake job pays once)."""
    spec = ("gifworthy.shots.transnet import TRANSNET_SPEC as S" if name == "transnetv2"
            else "gifworthy.features.backbones import EFFICIENTNET_SPEC as S")
    code = ("import time; t = time.perf_counter(); "
            "from gifworthy.nets.runtime import load_network; "
            f"from {spec}; load_network(S, {runtime!r}); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return float(out.strip().splitlines()[-1])


def int8_transnet(budget: float) -> dict[str, object]:
    """TransNetV2 dynamically quantised to int8 by ONNX Runtime: speed, and its cuts on the
    concatenated real clips (known cuts) against float32's."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from gifworthy.core.resources import package_file
    from gifworthy.media.decode import Stream, decode_streams
    from gifworthy.shots import transnet
    from gifworthy.shots.evaluate import REAL_EVAL_PARTS, concatenated_eval_video, evaluate_cuts

    fp32 = export_onnx(TRANSNET_SPEC)
    q = fp32.with_name(fp32.stem + "-int8.onnx")
    if not q.exists():
        quantize_dynamic(str(fp32), str(q), weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = inference.job_threads()
    session = ort.InferenceSession(str(q), options, providers=["CPUExecutionProvider"])
    net = inference.Network(TRANSNET_SPEC, "onnxruntime-int8",
                            lambda x: session.run(list(TRANSNET_SPEC.outputs), {"input": x}))
    x = np.random.default_rng(0).integers(0, 256, NETWORKS["transnetv2"][1], dtype=np.uint8)
    fps = frames_per_second(net, x, 100, budget)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "real.mp4"
        truth = concatenated_eval_video(
            [(package_file(*rel), a, b) for rel, a, b in REAL_EVAL_PARTS], video)
        with decode_streams(video, {"t": Stream(*TRANSNET_SIZE, "rgb24")}) as (streams, _):
            frames = np.asarray(streams["t"])
    probs32, _ = transnet.run_transnet(frames, runtime="onnxruntime")
    inference._LOADED[(TRANSNET_SPEC.name, "onnxruntime")] = net  # run the int8 model
    try:
        probs8, _ = transnet.run_transnet(frames, runtime="onnxruntime")
    finally:
        del inference._LOADED[(TRANSNET_SPEC.name, "onnxruntime")]
    cuts32, cuts8 = transnet.transnet_cuts(probs32, 0.5), transnet.transnet_cuts(probs8, 0.5)
    shifts = [min(abs(c - d) for d in cuts32) for c in cuts8] if cuts32 else []
    return {"frames_per_second": round(fps, 1), "cuts_fp32": cuts32, "cuts_int8": cuts8,
            "true_cuts": truth, "max_cut_shift_frames": max(shifts, default=None),
            "f1_int8": evaluate_cuts(cuts8, truth, 1)["f1"],
            "f1_fp32": evaluate_cuts(cuts32, truth, 1)["f1"],
            "max_prob_diff": round(float(np.abs(probs8 - probs32).max()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="timing budget per case")
    args = parser.parse_args()
    report: dict[str, dict[str, object]] = {}
    for name, (spec, shape, frames) in NETWORKS.items():
        x = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
        export_onnx(spec)
        reference = None
        rows: dict[str, object] = {}
        for runtime in ("torch", *[r for r in RUNTIMES if r != "torch"]):
            net = load_network(spec, runtime)
            out = net(x)
            if reference is None:
                reference = out
            rows[runtime] = {
                "frames_per_second": round(frames_per_second(net, x, frames, args.seconds), 1),
                "max_abs_diff_vs_torch": float(max(np.abs(a - b).max()
                                                   for a, b in zip(out, reference))),
                "load_seconds_fresh_process": round(load_seconds(name, runtime), 2)}
        torch_fps = rows["torch"]["frames_per_second"]  # type: ignore[index]
        for runtime, row in rows.items():
            row["speed_vs_torch"] = round(row["frames_per_second"] / torch_fps, 2)  # type: ignore
        report[name] = rows
    report["transnetv2"]["onnxruntime_int8"] = int8_transnet(args.seconds)
    report["threads"] = {"count": inference.job_threads()}  # type: ignore[assignment]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
