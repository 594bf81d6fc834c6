"""The shared throttle pause: throttling (HTTP 429, "Too Many Requests", "not a bot") is never
a failure; every concurrent download waits, honouring ``Retry-After``, then tries again."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["ThrottleGate", "parse_retry_after"]


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date
        from email.utils import parsedate_to_datetime
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# The shared throttle pause
# --------------------------------------------------------------------------------------------
class ThrottleGate:
    """A pause shared by every download process through one small file.

    ``pause(s)`` pushes the shared "resume at" time to at least now + s; ``wait()`` sleeps
    until it has passed. Works across processes on one machine and across cluster nodes on a
    shared file system (fcntl locks).
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = Path(path)
        self._sleep = sleep

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield fh
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def resume_at(self) -> float:
        with self._locked() as fh:
            fh.seek(0)
            try:
                return float(json.loads(fh.read() or "{}").get("resume_at", 0.0))
            except ValueError:
                return 0.0

    def pause(self, seconds: float, reason: str = "") -> float:
        with self._locked() as fh:
            fh.seek(0)
            try:
                current = float(json.loads(fh.read() or "{}").get("resume_at", 0.0))
            except ValueError:
                current = 0.0
            resume = max(current, time.time() + seconds)
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps({"resume_at": resume, "reason": reason[:300]}))
            fh.flush()
        return resume

    def wait(self) -> float:
        """Sleep until no pause is in force; return the seconds slept."""
        slept = 0.0
        while True:
            remaining = self.resume_at() - time.time()
            if remaining <= 0:
                return slept
            step = min(remaining, 5.0)
            self._sleep(step)
            slept += step
