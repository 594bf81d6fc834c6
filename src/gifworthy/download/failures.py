"""Failure categories of a download, from yt-dlp's current messages, ``HTTPError.status``
and, for segment downloads (where yt-dlp only says "ffmpeg exited with code 1"), ffmpeg's own
stderr. Order matters: the first matching row wins, so specific YouTube wordings come before
the generic "unavailable". ``retry`` says whether the next run tries again without being
asked (transient) or only when params ``download.retry_failed`` names the category."""

from __future__ import annotations

import dataclasses
import re

__all__ = ["BOT_CHECK", "BOT_CHECK_ADVICE", "CATEGORIES", "CATEGORY_NAMES", "MISC", "THROTTLE",
           "Category", "Failure",
           "classify", "ffmpeg_http_status", "ffmpeg_problems"]


# --------------------------------------------------------------------------------------------
# Failure categories. Order matters: the first matching row wins, so specific YouTube wordings
# come before the generic "unavailable". ``retry`` says whether the next run tries again
# without being asked (transient) or only when params download.retry_failed names it.
# --------------------------------------------------------------------------------------------
THROTTLE_PATTERNS = (
    r"\b429\b", r"too many requests", r"try again later", r"rate[- ]?limit",
)

# A bot check is not throttling: waiting does not lift it, cookies or a PO token do. The
# stage defers the site's remaining items (retried next run) and tells the user what to do.
BOT_CHECK_PATTERNS = (
    r"confirm (that )?you.?re not a (ro)?bot", r"not a (ro)?bot", r"captcha",
    r"unusual traffic",
)


@dataclasses.dataclass(frozen=True)
class Category:
    name: str
    retry: bool
    patterns: tuple[str, ...]
    statuses: tuple[int, ...] = ()


CATEGORIES: tuple[Category, ...] = (
    # Geo before copyright: "blocked it in your country on copyright grounds" plays elsewhere.
    Category("geo-blocked", False, (r"available in your country", r"blocked it in your country",
                                    r"not available (in|from) your (country|location)",
                                    r"geo[- ]?restrict")),
    Category("copyright", False, (r"copyright",)),
    Category("terms violation", False, (r"terms of service", r"violat", r"terminated",
                                        r"community guidelines")),
    Category("removed by user", False, (r"removed by the (uploader|user)",)),
    Category("duplicate", False, (r"duplicate",)),
    Category("private video", False, (r"private video", r"this video is private")),
    Category("members only", False, (r"members[- ]only", r"channel.s members",
                                     r"join this channel", r"premium members")),
    Category("age restricted", False, (r"confirm your age", r"inappropriate",
                                       r"age[- ]restricted", r"content warning")),
    # Premieres and scheduled streams play later: tried again on the next run.
    Category("not live yet", True, (r"premieres? in\b", r"live event will begin",
                                    r"premiere will begin", r"stream (will )?start",
                                    r"scheduled for", r"is upcoming")),
    Category("login required", False, (r"only available for registered users",
                                       r"sign in to", r"login required",
                                       r"account (is )?required")),
    Category("network", True, (r"timed? ?out", r"connection (reset|refused|aborted)",
                               r"bytes read, \d+ more expected", r"incomplete ?read",
                               r"remote end closed", r"name resolution",
                               r"stream ends prematurely", r"end of file", r"broken pipe",
                               r"did not get any data")),
    Category("corrupt", True, (r"invalid data found", r"moov atom not found",
                               r"no video stream", r"corrupt")),
    Category("HTTP 404", False, (r"\b404\b",), (404, 410)),
    Category("HTTP 403", True, (r"\b403\b", r"forbidden"), (401, 403)),
    Category("HTTP 503", True, (r"\b5\d\d\b", r"\b5xx\b", r"service unavailable",
                                r"bad gateway", r"gateway time"), tuple(range(500, 600))),
    # The Kinetics mirror's archives do not hold the clip (set by the mirror, not a message).
    Category("not in mirror", False, (r"not in the mirror",)),
    Category("video unavailable", False, (r"unavailable", r"not available",
                                          r"no video formats", r"unsupported url")),
)


MISC = Category("misc", False, ())


THROTTLE = "throttled"
BOT_CHECK = "bot check"


# Every category a failed record can carry: the single source of the names that params
# ``download.retry_failed`` may list (a test holds the schema's enum to it).
CATEGORY_NAMES = tuple(c.name for c in CATEGORIES) + (MISC.name,)

# What a user can do about a bot check (printed by the stage, kept in its report).
BOT_CHECK_ADVICE = (
    "the site asks to confirm you are not a bot. Waiting does not help; the deferred items "
    "are tried again on the next run. Do one or more of: pass cookies of a throwaway "
    "account (access.cookies_file or access.cookies_from_browser, in params.local.yaml); "
    "install a PO-token provider plugin (pip install bgutil-ytdlp-pot-provider, or "
    "access.plugin_dirs); pace requests (access.sleep_requests 1-2 s, access.sleep_interval "
    "5-10 s: YouTube lets a guest fetch about 300 videos an hour per IP); spread workers over "
    "access.proxies. README, \"Running on real data\".")

_COMPILED = [(c, [re.compile(p, re.I) for p in c.patterns]) for c in CATEGORIES]


_THROTTLE_RE = [re.compile(p, re.I) for p in THROTTLE_PATTERNS]


_BOT_CHECK_RE = [re.compile(p, re.I) for p in BOT_CHECK_PATTERNS]


@dataclasses.dataclass
class Failure:
    """A classified download error."""

    category: str  # a Category name, "throttled" or "bot check"
    retry: bool
    message: str
    retry_after: float | None = None

    @property
    def throttled(self) -> bool:
        return self.category == THROTTLE

    @property
    def bot_check(self) -> bool:
        return self.category == BOT_CHECK


def classify(message: str, *, status: int | None = None,
             retry_after: float | None = None) -> Failure:
    """Map an error message (and HTTP status, when known) to a failure category."""
    message = " ".join(message.split())[:2000]
    if any(r.search(message) for r in _BOT_CHECK_RE):
        return Failure(BOT_CHECK, True, message)
    if status == 429 or any(r.search(message) for r in _THROTTLE_RE):
        return Failure(THROTTLE, True, message, retry_after)
    if status is not None:
        for cat in CATEGORIES:
            if status in cat.statuses:
                return Failure(cat.name, cat.retry, message)
    for cat, regexes in _COMPILED:
        if any(r.search(message) for r in regexes):
            return Failure(cat.name, cat.retry, message)
    return Failure(MISC.name, MISC.retry, message)


_FFMPEG_STATUS_RE = re.compile(r"(?:HTTP error|Server returned) (\d{3})\b")


def ffmpeg_http_status(stderr: str) -> int | None:
    """The HTTP status ffmpeg reported in its stderr ("HTTP error 429 ...", "Server returned
    404 Not Found"), if any. A "Stream ends prematurely" line is a cut-short body, not a status.
    """
    codes = [int(m.group(1)) for m in _FFMPEG_STATUS_RE.finditer(stderr)]
    return codes[-1] if codes else None


_FFMPEG_PROBLEM_RE = re.compile(
    r"error|prematurely|server returned|invalid|failed|timed out|refused|reset|not found", re.I)


def ffmpeg_problems(stderr: str, keep: int = 6) -> str:
    """The lines of ffmpeg's stderr that describe a problem (not its progress lines)."""
    lines = [ln.strip() for ln in stderr.splitlines() if _FFMPEG_PROBLEM_RE.search(ln)]
    return " / ".join(lines[-keep:])
