"""How downloads reach a site: params ``access`` (cookies, pacing, proxies, extractor
arguments, yt-dlp plugins) turned into yt-dlp options, plus the JavaScript runtime current
YouTube needs.

None of this changes what a download is, only how it is fetched, so no job key and no DVC
stage depends on it, and it may live in the git-ignored ``params.local.yaml`` (cookies are
secrets). A cookies file is never written to: yt-dlp saves its cookie jar back into the file
it read, so every try reads a private copy.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import os
import re
import shutil
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

from gifworthy.core.errors import GifworthyError

__all__ = ["SAMPLE_PLUGIN_DIR", "WORKER_BASE_ENV", "AccessError", "access_options",
           "check_access",
           "default_access", "deno_path", "ensure_plugins", "with_defaults", "worker_proxy"]

# The loopback sample site's extractor (a yt-dlp plugin package): always loaded; it claims
# only 127.0.0.1/localhost watch pages, so it changes nothing for real sites.
SAMPLE_PLUGIN_DIR = Path(__file__).resolve().parent.parent / "sample" / "ytdlp_plugins"

# Set by a shard job (shard number x workers) so concurrent shards start their workers at
# different proxies of the round robin.
WORKER_BASE_ENV = "GIFWORTHY_WORKER_BASE"


class AccessError(GifworthyError, ValueError):
    """An ``access`` setting that cannot be used (a missing cookies file, a plugin folder)."""


@functools.lru_cache(maxsize=1)
def default_access() -> dict[str, Any]:
    """The schema's defaults of the ``access`` section (nothing set)."""
    from gifworthy.core.config import _fill_defaults, _schema

    value: dict[str, Any] = {}
    _fill_defaults(_schema()["properties"]["access"], value)
    return value


def with_defaults(access: dict[str, Any] | None) -> dict[str, Any]:
    """``access`` with the defaults of every key it leaves out (callers that pass none)."""
    return {**default_access(), **(access or {})}


def check_access(access: dict[str, Any]) -> None:
    """Raise :class:`AccessError` for a setting that cannot work (checked once a run, before
    any download: a missing cookies file would otherwise fail every item)."""
    if access["cookies_file"]:
        _cookies_source(access)
    if access["cookies_from_browser"] and not _BROWSER_RE.fullmatch(
            str(access["cookies_from_browser"])):
        raise AccessError(f"access.cookies_from_browser: {access['cookies_from_browser']!r}")
    ensure_plugins(list(access["plugin_dirs"]))


_deno_lock = threading.Lock()
_deno: list[str | None] = []


def deno_path() -> str | None:
    """The Deno binary of the ``deno`` package (pinned in the lock): found even when the
    venv's bin folder is not on PATH. None when it is not installed (yt-dlp then looks on
    PATH itself). Looked up once, under a lock: ``find_deno_bin`` reads ``sysconfig``,
    whose first use is not thread-safe (it returned None to concurrent download threads)."""
    with _deno_lock:
        if not _deno:
            try:
                import sysconfig

                from deno import find_deno_bin

                sysconfig.get_config_vars()  # finish sysconfig's lazy set-up first
                _deno.append(str(find_deno_bin()))
            except (ImportError, OSError, RuntimeError, TypeError):
                _deno.append(None)
        return _deno[0]


# --------------------------------------------------------------------------------------------
# Proxies: one per worker, round robin
# --------------------------------------------------------------------------------------------
_worker = threading.local()
_next_worker = itertools.count()
_worker_lock = threading.Lock()


def worker_proxy(proxies: list[str]) -> str | None:
    """The proxy of the calling worker (thread): the first call of each worker takes the
    next one of ``proxies`` in turn; a worker keeps its proxy for all its downloads."""
    if not proxies:
        return None
    index = getattr(_worker, "index", None)
    if index is None:
        with _worker_lock:
            index = int(os.environ.get(WORKER_BASE_ENV, "0") or 0) + next(_next_worker)
        _worker.index = index
    return proxies[index % len(proxies)]


# --------------------------------------------------------------------------------------------
# Cookies
# --------------------------------------------------------------------------------------------
_BROWSER_RE = re.compile(r"(?P<name>[^+:]+)(?:\+(?P<keyring>[^:]+))?(?::(?!:)(?P<profile>.+?))?"
                         r"(?:::(?P<container>.+))?")
_browser_lock = threading.Lock()
_browser_jar: dict[str, Path] = {}


def _private_copy(src: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / "cookies.txt"
    shutil.copyfile(src, dst)
    os.chmod(dst, stat.S_IRUSR | stat.S_IWUSR)
    return str(dst)


def _browser_cookies(spec: str) -> Path:
    """The browser's cookies, read once per process (decrypting a browser's store takes a
    while) into a private Netscape file."""
    with _browser_lock:
        if spec in _browser_jar and _browser_jar[spec].exists():
            return _browser_jar[spec]
        from yt_dlp.cookies import extract_cookies_from_browser

        match = _BROWSER_RE.fullmatch(spec)
        if match is None:
            raise AccessError(f"access.cookies_from_browser: not BROWSER[+KEYRING][:PROFILE]"
                              f"[::CONTAINER]: {spec!r}")
        keyring: Any = match["keyring"].upper() if match["keyring"] else None  # yt-dlp's enum
        try:
            jar = extract_cookies_from_browser(
                match["name"].lower(), match["profile"], keyring=keyring,
                container=match["container"])
        except Exception as exc:  # yt-dlp raises plain errors for a missing profile or keyring
            raise AccessError(f"access.cookies_from_browser: {spec}: {exc}") from None
        folder = Path(tempfile.mkdtemp(prefix="gifworthy-cookies-"))
        path = folder / "browser-cookies.txt"
        jar.save(str(path), ignore_discard=True, ignore_expires=True)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        _browser_jar[spec] = path
        return path


def _cookies_source(access: dict[str, Any]) -> Path | None:
    if access["cookies_file"]:
        path = Path(os.path.expanduser(str(access["cookies_file"])))
        if not path.is_file():
            raise AccessError(f"access.cookies_file: {path}: not found (a Netscape cookies.txt; "
                              "README \"Running on real data\" says how to export one)")
        return path
    if access["cookies_from_browser"]:
        return _browser_cookies(str(access["cookies_from_browser"]))
    return None


# --------------------------------------------------------------------------------------------
# yt-dlp plugins
# --------------------------------------------------------------------------------------------
_plugin_lock = threading.Lock()


def ensure_plugins(extra: list[str]) -> None:
    """Load yt-dlp's plugins from its default places (pip-installed plugins, config folders),
    the sample site's folder and ``extra`` (params ``access.plugin_dirs``); once per process
    and set of folders."""
    from yt_dlp.globals import all_plugins_loaded, plugin_dirs
    from yt_dlp.plugins import load_all_plugins

    folders = []
    for entry in extra:
        path = Path(os.path.expanduser(entry)).resolve()
        if not path.is_dir():
            raise AccessError(f"access.plugin_dirs: {entry}: not a folder (a folder holding "
                              "plugin packages, each with a yt_dlp_plugins/ folder inside)")
        folders.append(str(path))
    wanted = ["default", str(SAMPLE_PLUGIN_DIR), *folders]
    with _plugin_lock:
        if plugin_dirs.value == wanted and all_plugins_loaded.value:
            return
        plugin_dirs.value = wanted
        importlib.invalidate_caches()  # yt-dlp's finders forget the folders they searched
        load_all_plugins()


# --------------------------------------------------------------------------------------------
# yt-dlp options
# --------------------------------------------------------------------------------------------
def _rate(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    from yt_dlp.utils import parse_bytes

    parsed = parse_bytes(str(value))
    if not parsed:
        raise AccessError(f"access.rate_limit: not a rate in bytes a second: {value!r}")
    return int(parsed)


def access_options(access: dict[str, Any], private_dir: Path) -> dict[str, Any]:
    """yt-dlp options for ``access`` (cookies copied into ``private_dir``, which the caller
    removes after the try)."""
    ensure_plugins(list(access["plugin_dirs"]))
    options: dict[str, Any] = {}
    runtime = deno_path()
    if runtime:
        options["js_runtimes"] = {"deno": {"path": runtime}}
    cookies = _cookies_source(access)
    if cookies is not None:
        options["cookiefile"] = _private_copy(cookies, private_dir)
    if access["sleep_requests"]:
        options["sleep_interval_requests"] = float(access["sleep_requests"])
    if access["sleep_interval"]:
        options["sleep_interval"] = float(access["sleep_interval"])
        if access["max_sleep_interval"]:
            options["max_sleep_interval"] = float(access["max_sleep_interval"])
    rate = _rate(access["rate_limit"])
    if rate:
        options["ratelimit"] = rate
    proxy = worker_proxy(list(access["proxies"]))
    if proxy:
        options["proxy"] = proxy
    if access["extractor_args"]:
        options["extractor_args"] = {ie.lower(): {k: list(v) for k, v in args.items()}
                                     for ie, args in access["extractor_args"].items()}
    return options
