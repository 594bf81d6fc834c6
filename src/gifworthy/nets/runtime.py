"""Pretrained networks through an inference runtime.

Each network is a :class:`NetSpec`: a torch module whose ``forward`` takes exactly what the
pipeline feeds it (uint8 frames, preprocessing inside) and returns numpy-ready outputs. At
first use it is exported from its packaged weights to ONNX, once per machine, into a cache
outside the repository (``$GIFWORTHY_MODEL_CACHE``, else ``$XDG_CACHE_HOME/gifworthy/models``,
else ``~/.cache/gifworthy/models``), keyed by the weights' content, the torch version and the
wrapper's version, so a new weights file or wrapper never meets a stale export. The export is
written under a temporary name and renamed, so two jobs exporting at once cannot leave a
half-written model.

Runtimes (``inference.runtime`` in params.yaml):

- ``openvino`` (the default): the fastest here, and the quickest to start (a job that uses it
  never imports torch once the export is cached; it compiles from its own blob cache).
- ``onnxruntime``: the same ONNX file through ONNX Runtime's CPU provider.
- ``torch``: the packaged module itself, eager; the reference the tests compare with, and the
  fallback when a runtime's package is missing or an export fails (said once on stderr).

Both runtimes run in float32 (OpenVINO would pick bf16 on CPUs that have it), with as many
threads as the job has cores, so outputs depend on the machine and the job's core count only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
import threading
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np

from gifworthy.core.errors import GifworthyError

__all__ = ["CACHE_ENV", "DEFAULT_RUNTIME", "RUNTIMES", "InferenceError", "NetSpec", "Network",
           "cache_dir", "export_onnx", "job_threads", "load_network", "onnx_path"]

RUNTIMES = ("openvino", "onnxruntime", "torch")
DEFAULT_RUNTIME = "openvino"
CACHE_ENV = "GIFWORTHY_MODEL_CACHE"
_OPSET = 17


class InferenceError(GifworthyError, RuntimeError):
    """A network could not be loaded in any runtime."""


@dataclasses.dataclass(frozen=True)
class NetSpec:
    """One pretrained network as the pipeline calls it.

    ``build`` makes the torch module (weights loaded, eval mode); ``example`` is an input of
    the exported shape; ``weights`` is the packaged weights file whose bytes key the cache;
    ``version`` is bumped whenever the wrapper's inputs or outputs change; ``dynamic_batch``
    exports the first axis as variable.
    """

    name: str
    build: Callable[[], Any]
    example: Callable[[], np.ndarray]
    weights: Callable[[], Path]
    outputs: tuple[str, ...]
    version: int = 1
    dynamic_batch: bool = False


def cache_dir() -> Path:
    """Where exported models live (never inside the repository: they are a machine's cache,
    rebuilt from packaged weights, not data)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gifworthy" / "models"


def job_threads() -> int:
    """The cores this job may use: the CPUs it is pinned to (Slurm pins a job to its
    cpus-per-task), and no more than ``OMP_NUM_THREADS`` (Snakemake sets it to the rule's
    threads), so two jobs side by side never oversubscribe the cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        cores = min(cores, int(os.environ.get("OMP_NUM_THREADS", "") or cores))
    except ValueError:
        pass
    return max(1, cores)


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _export_key(spec: NetSpec) -> str:
    parts = [spec.name, str(spec.version), _file_digest(spec.weights()),
             metadata.version("torch"), str(_OPSET), str(spec.dynamic_batch)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def onnx_path(spec: NetSpec) -> Path:
    return cache_dir() / f"{spec.name}-{_export_key(spec)}.onnx"


def export_onnx(spec: NetSpec) -> Path:
    """The network's ONNX file, exported now if the cache does not hold it yet."""
    path = onnx_path(spec)
    if path.is_file():
        return path
    import warnings

    import torch

    from gifworthy.core.determinism import isolated_rng

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{path.name}")
    example = torch.from_numpy(spec.example())
    axes = None
    if spec.dynamic_batch:
        axes = {"input": {0: "batch"}, **{name: {0: "batch"} for name in spec.outputs}}
    try:
        with isolated_rng(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on Python-side control flow
            module = spec.build()
            torch.onnx.export(module, (example,), str(tmp), input_names=["input"],
                              output_names=list(spec.outputs), dynamic_axes=axes,
                              opset_version=_OPSET, dynamo=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class Network:
    """A loaded network: ``net(x)`` returns its outputs, in ``spec.outputs`` order, as float32
    numpy arrays. ``runtime`` says which runtime actually runs it."""

    def __init__(self, spec: NetSpec, runtime: str, run: Callable[[np.ndarray], list]) -> None:
        self.spec, self.runtime, self._run = spec, runtime, run

    def __call__(self, x: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(o, np.float32) for o in self._run(np.ascontiguousarray(x))]


def _torch_runner(spec: NetSpec) -> Callable[[np.ndarray], list]:
    import torch

    from gifworthy.core.determinism import isolated_rng

    with isolated_rng():
        module = spec.build()

    def run(x: np.ndarray) -> list:
        with torch.inference_mode():  # torch wants writable memory (decoded frames are not)
            out = module(torch.from_numpy(x if x.flags.writeable else x.copy()))
        out = out if isinstance(out, (tuple, list)) else (out,)
        return [o.numpy() for o in out]
    return run


def _openvino_runner(spec: NetSpec) -> Callable[[np.ndarray], list]:
    import openvino as ov

    core = ov.Core()
    core.set_property({"CACHE_DIR": str(cache_dir() / "openvino")})
    compiled = core.compile_model(str(export_onnx(spec)), "CPU", {
        "INFERENCE_NUM_THREADS": job_threads(), "INFERENCE_PRECISION_HINT": "f32",
        "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()
    outputs = [compiled.output(name) for name in spec.outputs]

    def run(x: np.ndarray) -> list:
        result = request.infer({0: x})
        return [result[o].copy() for o in outputs]  # the request reuses its buffers
    return run


def _onnxruntime_runner(spec: NetSpec) -> Callable[[np.ndarray], list]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = job_threads()
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(export_onnx(spec)), options,
                                   providers=["CPUExecutionProvider"])
    names = list(spec.outputs)

    def run(x: np.ndarray) -> list:
        return list(session.run(names, {"input": x}))
    return run


def _load_runner(spec: NetSpec, runtime: str) -> Callable[[np.ndarray], list]:
    """The runtime's runner; a cached export the runtime cannot read (a truncated or
    corrupt file) is exported again, once."""
    try:
        return _RUNNERS[runtime](spec)
    except ImportError:
        raise
    except Exception:
        cached = onnx_path(spec) if runtime != "torch" else None
        if cached is None or not cached.exists():
            raise
        cached.unlink()
        return _RUNNERS[runtime](spec)


_RUNNERS = {"openvino": _openvino_runner, "onnxruntime": _onnxruntime_runner,
            "torch": _torch_runner}
_LOADED: dict[tuple[str, str], Network] = {}
_LOCK = threading.Lock()


def load_network(spec: NetSpec, runtime: str = DEFAULT_RUNTIME) -> Network:
    """The network in ``runtime``, loaded once per process; torch if the runtime cannot
    load it (the reason goes to stderr, once)."""
    if runtime not in RUNTIMES:
        raise InferenceError(f"inference.runtime: {runtime!r} is not one of {', '.join(RUNTIMES)}")
    with _LOCK:
        key = (spec.name, runtime)
        if key not in _LOADED:
            try:
                _LOADED[key] = Network(spec, runtime, _load_runner(spec, runtime))
            except Exception as exc:  # a missing package, a failed export: torch still works
                if runtime == "torch":
                    raise InferenceError(f"{spec.name}: cannot load in torch: {exc}") from exc
                print(f"gifworthy: {spec.name} in {runtime} failed ({type(exc).__name__}: "
                      f"{exc}); running it in torch", file=sys.stderr)
                _LOADED[key] = Network(spec, "torch", _torch_runner(spec))
        return _LOADED[key]
