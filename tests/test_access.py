"""How downloads reach a site (params ``access``), bot checks, and the metadata a download
keeps: real yt-dlp (and ffmpeg for segments) against the loopback sample site, with its
yt-dlp extractor plugin, a loopback forward proxy and the site's own request log."""

from __future__ import annotations

import http.client
import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

from gifworthy.core.config import ParamsError, load_params
from gifworthy.corpus.base import DownloadItem
from gifworthy.download.access import AccessError, default_access, worker_proxy
from gifworthy.download.stage import DownloadStage, download_item, status_path, summarize
from gifworthy.download.throttle import BotCheckFlag, ThrottleGate, site_of
from gifworthy.download.ytdlp import compact_heatmap
from gifworthy.pipeline.records import record_version
from gifworthy.pipeline.stage import prepare
from gifworthy.sample.server import Fault, MediaServer
from gifworthy.sample.site import HEATMAP_POINTS, site_info

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
DL = dict(PARAMS["download"], backoff_seconds=0.05, throttle_cooldown_seconds=1.0,
          socket_timeout=3, attempts=2)
IDS = ("aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc")
BOT = ("Sign in to confirm you\u2019re not a bot. This helps protect our community. "
       "Learn more")


def access(**values: object) -> dict:
    return {**default_access(), **values}


def info_of(video_id: str) -> dict:
    """A sample-site entry with planted events, as sources.json has them."""
    shots = [{"start": 0.0, "end": 10.0, "event": None},
             {"start": 10.0, "end": 20.0, "event": {"kind": "flash", "start": 12.0,
                                                     "end": 14.0}},
             {"start": 20.0, "end": 30.0, "event": None}]
    return site_info({"youtube_id": video_id, "title": f"Video {video_id}",
                      "category": "Sports", "duration": 30.0, "width": 320, "height": 240,
                      "fps": 24, "kind": "synthetic", "shots": shots}, views=1234)


@pytest.fixture
def site(video_30s):
    servers: list[MediaServer] = []

    def start(faults: dict[str, Fault] | None = None) -> MediaServer:
        srv = MediaServer({f"/videos/{i}.mp4": video_30s for i in IDS},
                          heights={i: 240 for i in IDS}, infos={i: info_of(i) for i in IDS},
                          faults=faults)
        servers.append(srv.start())
        return srv

    yield start
    for srv in servers:
        srv.stop()


def item(srv: MediaServer, vid: str, segment: tuple[float, float] | None = None
         ) -> DownloadItem:
    url = srv.url(f"/watch?v={vid}")
    if segment:
        return DownloadItem(f"{vid}_{int(segment[0]):06d}_{int(segment[1]):06d}", vid, url,
                            *segment, "train", "", "t:1")
    return DownloadItem(vid, vid, url, None, None, "train", "", "t:1")


def fetch(it: DownloadItem, out: Path, **acc: object) -> dict:
    return dict(download_item(it, out, DL, gate=ThrottleGate(out / "gate.json"),
                              access=access(**acc), log=lambda m: None))


# ------------------------------------------------------------------------------------------
# The JavaScript runtime YouTube needs
# ------------------------------------------------------------------------------------------
def test_ytdlp_lists_its_javascript_runtime_and_ejs_scripts():
    """`yt-dlp -v` in this environment names Deno and yt-dlp-ejs (without them current
    YouTube hides most formats)."""
    out = subprocess.run([sys.executable, "-m", "yt_dlp", "-v"], capture_output=True,
                         text=True, timeout=60)
    text = out.stdout + out.stderr
    runtimes = next(ln for ln in text.splitlines() if "JS runtimes:" in ln)
    libraries = next(ln for ln in text.splitlines() if "Optional libraries:" in ln)
    assert "deno-" in runtimes, runtimes
    assert "yt_dlp_ejs-" in libraries, libraries


def test_the_deno_path_is_found_by_concurrent_downloads(monkeypatch):
    """Four download threads asking at once all get Deno (sysconfig's first use is not
    thread-safe: it once gave None, and a TypeError, to some of them)."""
    import gifworthy.download.access as access_module

    monkeypatch.setattr(access_module, "_deno", [])
    found: list[str | None] = []
    threads = [threading.Thread(target=lambda: found.append(access_module.deno_path()))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1 and found[0] and Path(found[0]).name == "deno"


# ------------------------------------------------------------------------------------------
# Metadata kept, heatmap included, through the sample site's extractor plugin
# ------------------------------------------------------------------------------------------
def test_record_keeps_the_sites_metadata_and_heatmap(site, tmp_path):
    srv = site()
    rec = fetch(item(srv, "aaaaaaaaaaa"), tmp_path)
    assert rec["status"] == "ok"
    info = rec["info"]
    assert info["extractor_key"] == "GifworthySample"  # the plugin, not the generic page
    assert info["title"] == "Video aaaaaaaaaaa" and info["categories"] == ["Sports"]
    assert info["view_count"] == 1234 and info["like_count"] >= 1
    assert info["duration"] == 30.0 and info["upload_date"].startswith("2015")
    heat = info["heatmap"]  # YouTube's equal steps, kept compact
    assert heat["step"] == pytest.approx(30.0 / HEATMAP_POINTS)
    assert len(heat["values"]) == HEATMAP_POINTS and max(heat["values"]) == 1.0
    # The synthetic curve peaks over the planted event (12-14 s).
    peak = heat["values"].index(1.0) * heat["step"]
    assert 11.0 <= peak <= 14.0
    assert json.loads(status_path(tmp_path, "aaaaaaaaaaa").read_text())["info"] == info
    assert summarize([rec])["with_heatmap"] == 1


def test_old_downloads_get_their_metadata_without_refetching(site, tmp_path, monkeypatch):
    """A record from before records kept metadata: prepare leaves its video in place, the
    job fetches only the page, and what was made from the download stays valid."""
    srv = site()
    monkeypatch.chdir(tmp_path)
    it = item(srv, "aaaaaaaaaaa", (5.0, 9.0))
    params = {**PARAMS, "download": DL}
    Path("params.yaml").write_text(yaml.safe_dump(params))
    from gifworthy.corpus.manifest import Manifest, write_manifest

    write_manifest(Manifest([it], [], []), Path("data/manifest"))
    stage = DownloadStage()
    prepare(stage, params)
    assert stage.run_one(params, it.item_id).startswith(f"{it.item_id}: ok")
    stage.finish(stage.job(params, it.item_id))
    record_file = stage.job(params, it.item_id).output
    old = json.loads(record_file.read_text())
    del old["info"]
    record_file.write_text(json.dumps(old))
    version = record_version(record_file)
    media = srv.bytes_sent[f"/videos/{it.youtube_id}.mp4"]
    counts = prepare(stage, params)
    assert counts["refresh"] == 1 and counts["kept"] == 0
    video = Path(stage.folder(params)) / old["file"]
    assert video.is_file()
    stage.run_one(params, it.item_id)
    new = json.loads(record_file.read_text())
    assert new["info"]["heatmap"] and new["status"] == "ok" and "reused" in new
    assert srv.bytes_sent[f"/videos/{it.youtube_id}.mp4"] == media  # no video bytes again
    assert record_version(record_file) == version  # the trims made from it stay valid
    assert prepare(stage, params)["kept"] == 1


def test_heatmaps_are_kept_compact_and_whole():
    even = [{"start_time": i * 2.5, "end_time": (i + 1) * 2.5, "value": i / 9} for i in range(10)]
    assert compact_heatmap(even) == {"step": 2.5, "values": [round(i / 9, 4) for i in range(10)]}
    uneven = [{"start_time": 0, "end_time": 1, "value": 0.5},
              {"start_time": 3, "end_time": 7, "value": 1.0}]
    assert compact_heatmap(uneven) == {"points": [[0, 1, 0.5], [3, 7, 1.0]]}
    assert compact_heatmap([{"value": 1}]) is None and compact_heatmap(None) is None
    # Times rounded to the millisecond (as the sample site and YouTube's players write them).
    rounded = [{"start_time": round(i * 0.19837, 3), "end_time": round((i + 1) * 0.19837, 3),
                "value": 0.5} for i in range(100)]
    assert compact_heatmap(rounded)["step"] == pytest.approx(0.19837, abs=1e-4)


# ------------------------------------------------------------------------------------------
# Bot checks
# ------------------------------------------------------------------------------------------
def test_bot_check_defers_the_sites_items_and_says_what_to_do(site, tmp_path):
    bot = Fault(status=200, body=json.dumps({"error": BOT}).encode())
    srv = site({"/api/videos/bbbbbbbbbbb.json": bot})
    flag = BotCheckFlag(tmp_path / "bot.json")
    logs: list[str] = []

    def run(vid: str) -> dict:
        return dict(download_item(item(srv, vid), tmp_path, DL, access=access(),
                                  gate=ThrottleGate(tmp_path / "gate.json"), bot_check=flag,
                                  log=logs.append))

    assert run("aaaaaaaaaaa")["status"] == "ok"
    hit = run("bbbbbbbbbbb")
    assert (hit["status"], hit["category"], hit["retry"]) == ("deferred", "bot check", True)
    assert "cookies" in hit["message"] and "PO-token" in hit["message"]
    assert any("bot check" in m and "cookies" in m for m in logs)
    before = sum(srv.requests.values())
    waiting = run("ccccccccccc")
    assert waiting["status"] == "deferred" and waiting["attempts"] == 0
    assert sum(srv.requests.values()) == before  # no new download of the site started
    summary = summarize([hit, waiting])
    assert summary["deferred"] == 2 and "cookies" in summary["advice"]
    assert flag.blocked(site_of(srv.base_url)) is not None
    # The next run clears the flag and tries them again.
    flag.clear()
    srv.faults.clear()
    assert run("bbbbbbbbbbb")["status"] == "ok" and run("ccccccccccc")["status"] == "ok"


def test_deferred_items_are_tried_again_next_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stage = DownloadStage()
    it = DownloadItem("aaaaaaaaaaa", "aaaaaaaaaaa", "https://www.youtube.com/watch?v=a",
                      None, None, "train", "", "t:1")
    job = stage._job({**PARAMS, "download": DL}, it)
    job.output.parent.mkdir(parents=True)
    job.output.write_text(json.dumps({"status": "deferred", "category": "bot check",
                                      "retry": True}))
    assert not stage.keep({**PARAMS, "download": DL}, job)
    assert site_of("https://m.youtube.com/watch?v=x") == site_of("https://youtu.be/x") \
        == "youtube"


# ------------------------------------------------------------------------------------------
# Cookies, proxies, sleeps, rate, extractor arguments, plugins
# ------------------------------------------------------------------------------------------
def _cookies(path: Path) -> Path:
    path.write_text("# Netscape HTTP Cookie File\n"
                    "127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\tsecret-session-42\n")
    return path


@pytest.mark.parametrize("segment", [None, (5.0, 9.0)], ids=["full", "segment"])
def test_the_site_sees_the_cookie_and_the_file_stays_as_it_was(site, tmp_path, segment):
    srv = site()
    jar = _cookies(tmp_path / "cookies.txt")
    before = jar.read_bytes()
    rec = fetch(item(srv, "aaaaaaaaaaa", segment), tmp_path / "out", cookies_file=str(jar))
    assert rec["status"] == "ok"
    sent = {path.split("?")[0]: h.get("Cookie", "") for path, h in srv.headers}
    # A segment's media is read by ffmpeg, which yt-dlp hands the cookie (-cookies); ffmpeg
    # 5.1 matches a cookie's domain against "host:port", so it sends none to a server on a
    # non-default port like this one (media hosts such as googlevideo.com have no port).
    wanted = ["/watch", "/api/videos/aaaaaaaaaaa.json"] + (
        ["/videos/aaaaaaaaaaa.mp4"] if segment is None else [])
    for path in wanted:
        assert "SID=secret-session-42" in sent[path], (path, sent)
    assert jar.read_bytes() == before  # yt-dlp saved into a private copy, not the user's file
    assert not list((tmp_path / "out").rglob("cookies*"))  # no secret in the data folder


def test_cookies_from_a_browser_profile_reach_the_site(site, tmp_path):
    """``cookies_from_browser: firefox:<profile>`` through yt-dlp's own reader of Firefox's
    cookie store (a real cookies.sqlite, as Firefox writes it)."""
    import sqlite3

    profile = tmp_path / "firefox-profile"
    profile.mkdir()
    db = sqlite3.connect(profile / "cookies.sqlite")
    db.execute("CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, originAttributes TEXT "
               "NOT NULL DEFAULT '', name TEXT, value TEXT, host TEXT, path TEXT, expiry "
               "INTEGER, lastAccessed INTEGER, creationTime INTEGER, isSecure INTEGER, "
               "isHttpOnly INTEGER)")
    db.execute("INSERT INTO moz_cookies (name, value, host, path, expiry, isSecure, "
               "isHttpOnly) VALUES ('PREF', 'from-firefox-7', '127.0.0.1', '/', 4102444800, "
               "0, 0)")
    db.execute("PRAGMA user_version = 15")
    db.commit()
    db.close()
    srv = site()
    rec = fetch(item(srv, "aaaaaaaaaaa"), tmp_path / "out",
                cookies_from_browser=f"firefox:{profile}")
    assert rec["status"] == "ok", rec["message"]
    assert all("PREF=from-firefox-7" in h.get("Cookie", "") for _, h in srv.headers)


def test_a_missing_cookies_file_fails_the_run_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AccessError, match="access.cookies_file"):
        DownloadStage().begin({**PARAMS, "access": access(cookies_file="gone.txt")})
    with pytest.raises(AccessError, match="access.plugin_dirs"):
        DownloadStage().begin({**PARAMS, "access": access(plugin_dirs=["no/such/dir"])})


class _Proxy:
    """A loopback HTTP forward proxy that logs what passes through it."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy.seen.append(self.path)
                url = urllib.parse.urlsplit(self.path)
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
                headers = {k: v for k, v in self.headers.items()
                           if not k.lower().startswith("proxy-")}
                conn.request("GET", url.path + (f"?{url.query}" if url.query else ""),
                             headers=headers)
                answer = conn.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection",
                                           "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                conn.close()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("segment", [None, (5.0, 9.0)], ids=["full", "segment"])
def test_the_proxy_sees_the_requests(site, tmp_path, segment):
    srv = site()
    proxy = _Proxy()
    try:
        rec = fetch(item(srv, "aaaaaaaaaaa", segment), tmp_path, proxies=[proxy.url])
    finally:
        proxy.stop()
    assert rec["status"] == "ok", rec["message"]
    paths = {urllib.parse.urlsplit(p).path for p in proxy.seen}
    assert {"/watch", "/api/videos/aaaaaaaaaaa.json", "/videos/aaaaaaaaaaa.mp4"} <= paths


def test_each_worker_keeps_one_proxy_round_robin():
    proxies = ["http://p0:1", "http://p1:1", "http://p2:1"]
    got: dict[int, list[str]] = {}

    def work(k: int) -> None:
        got[k] = [worker_proxy(proxies) for _ in range(3)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
        t.join()
    assert all(len(set(v)) == 1 for v in got.values())  # a worker keeps its proxy
    firsts = [v[0] for _, v in sorted(got.items())]
    start = proxies.index(firsts[0])
    assert firsts == [proxies[(start + k) % 3] for k in range(4)]


@pytest.mark.slow  # 3 s of sleeping; CI runs it (make test-slow)
def test_sleeps_are_honoured(site, tmp_path):
    srv = site()
    t0 = time.monotonic()
    rec = fetch(item(srv, "aaaaaaaaaaa"), tmp_path, sleep_interval=1.5, sleep_requests=1.0)
    assert rec["status"] == "ok"
    assert time.monotonic() - t0 >= 1.5 + 1.0
    when = {path.split("?")[0]: t for _, path, _, t in srv.log}
    # --sleep-requests: the metadata request came at least 1 s after the page.
    assert when["/api/videos/aaaaaaaaaaa.json"] - when["/watch"] >= 0.95


@pytest.mark.slow  # 2 s at half the file a second
def test_rate_limit_is_honoured(site, tmp_path, video_30s):
    srv = site()
    size = video_30s.stat().st_size
    t0 = time.monotonic()
    rec = fetch(item(srv, "aaaaaaaaaaa"), tmp_path, rate_limit=str(size // 2))
    assert rec["status"] == "ok"
    assert time.monotonic() - t0 >= 1.5  # about 2 s at half the file a second


def test_extractor_arguments_reach_the_extractor(site, tmp_path):
    srv = site()
    rec = fetch(item(srv, "aaaaaaaaaaa"), tmp_path,
                extractor_args={"gifworthysample": {"client": ["probe-42"]}})
    assert rec["status"] == "ok"
    assert any("client=probe-42" in path for path, _ in srv.headers if "/api/" in path)


PLUGIN = '''
from yt_dlp.extractor.common import InfoExtractor


class LoopbackMirrorIE(InfoExtractor):
    _VALID_URL = r"http://127\\.0\\.0\\.1:\\d+/mirror/(?P<id>[a-z]+)"

    def _real_extract(self, url):
        vid = self._match_id(url)
        base = url.split("/mirror/")[0]
        return {"id": vid, "title": "from the test's plugin",
                "formats": [{"url": f"{base}/videos/{vid}.mp4", "ext": "mp4",
                             "format_id": "240p", "height": 240}]}
'''


def test_plugin_dirs_load_the_users_extractor(site, tmp_path):
    srv = site()
    package = tmp_path / "plugins" / "loopback-mirror" / "yt_dlp_plugins" / "extractor"
    package.mkdir(parents=True)
    (package / "loopback_mirror.py").write_text(PLUGIN)
    it = DownloadItem("aaaaaaaaaaa", "aaaaaaaaaaa", srv.url("/mirror/aaaaaaaaaaa"), None,
                      None, "train", "", "t:1")
    rec = fetch(it, tmp_path / "out", plugin_dirs=[str(tmp_path / "plugins")])
    assert rec["status"] == "ok", rec["message"]
    assert rec["info"]["extractor_key"] == "LoopbackMirror"
    assert rec["info"]["title"] == "from the test's plugin"


# ------------------------------------------------------------------------------------------
# params.local.yaml: secrets and machine settings outside git and DVC
# ------------------------------------------------------------------------------------------
def test_local_params_set_access_and_nothing_else(tmp_path):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    local = tmp_path / "params.local.yaml"
    local.write_text("access:\n  cookies_file: ~/cookies.txt\n  sleep_interval: 7\n"
                     "execution:\n  download_workers: 2\n")
    params = load_params(tmp_path / "params.yaml")
    assert params["access"]["cookies_file"] == "~/cookies.txt"
    assert params["access"]["sleep_interval"] == 7 and params["access"]["proxies"] == []
    assert params["execution"]["download_workers"] == 2
    assert load_params(tmp_path / "params.yaml", local=False)["access"]["cookies_file"] is None
    local.write_text("download:\n  max_height: 720\n")
    with pytest.raises(ParamsError, match=r"params.local.yaml: download: only access"):
        load_params(tmp_path / "params.yaml")
    local.write_text("access:\n  sleep_interval: -1\n")
    with pytest.raises(ParamsError, match=r"access.sleep_interval"):
        load_params(tmp_path / "params.yaml")
    local.write_text("access:\n  cookies_file: a.txt\n  cookies_from_browser: firefox\n")
    with pytest.raises(ParamsError, match=r"access.cookies_file: set either"):
        load_params(tmp_path / "params.yaml")


def test_local_params_never_enter_git_or_dvc():
    assert "/params.local.yaml" in (ROOT / ".gitignore").read_text().splitlines()
    assert "params.local.yaml" in (ROOT / ".dvcignore").read_text().splitlines()
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    for name, stage in dvc["stages"].items():
        assert "access" not in (stage.get("params") or []), name
