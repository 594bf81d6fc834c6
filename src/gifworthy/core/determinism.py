"""Isolated random state: third-party model constructors that reseed the process must not
change what the pipeline's own seeded code draws."""

from __future__ import annotations

import contextlib
import random
from typing import Iterator

import numpy as np

__all__ = ["isolated_rng"]


@contextlib.contextmanager
def isolated_rng() -> Iterator[None]:
    """Run a block without it leaving any trace on global random state or torch's
    determinism settings (constructing TransNetV2 reseeds torch, numpy and random with 42
    and switches on deterministic algorithms for the whole process)."""
    import torch

    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
