"""The shared throttle pause: throttling (HTTP 429, "Too Many Requests") is never a failure;
every concurrent download waits, honouring ``Retry-After``, then tries again. And the shared
bot-check flag: a site that asks "confirm you're not a bot" gets no new downloads this run."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Iterator

__all__ = ["BotCheckFlag", "ThrottleGate", "parse_retry_after", "site_of"]


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


# --------------------------------------------------------------------------------------------
# Bot checks: the sites that asked during this run
# --------------------------------------------------------------------------------------------
_YOUTUBE_HOSTS = re.compile(r"(^|\.)(youtube\.com|youtu\.be|youtube-nocookie\.com)$")


def site_of(url: str) -> str:
    """The site a bot check applies to: ``youtube`` for all of YouTube's hosts, else the
    host name."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return "youtube" if _YOUTUBE_HOSTS.search(host) else host


class BotCheckFlag:
    """The sites that asked "confirm you're not a bot" during this run, shared by every
    download process through one small file (like :class:`ThrottleGate`). Once a site is
    flagged, no new download of it starts: its items are deferred to the next run, which
    clears the flag when it is prepared."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._gate = ThrottleGate(path)

    def _read(self, fh: Any) -> dict[str, str]:
        fh.seek(0)
        try:
            sites = json.loads(fh.read() or "{}").get("sites", {})
        except ValueError:
            return {}
        return sites if isinstance(sites, dict) else {}

    def blocked(self, site: str) -> str | None:
        """The message of the bot check that stopped ``site``, or None."""
        with self._gate._locked() as fh:
            return self._read(fh).get(site)

    def flag(self, site: str, message: str) -> bool:
        """Record a bot check of ``site``; True when it is the first of this run."""
        with self._gate._locked() as fh:
            sites = self._read(fh)
            first = site not in sites
            sites.setdefault(site, message[:500])
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps({"sites": sites}))
            fh.flush()
        return first

    def clear(self) -> None:
        self._gate.path.unlink(missing_ok=True)
