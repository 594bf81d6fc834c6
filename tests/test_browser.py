"""The explorer page in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from gifworthy.explorer.build import write_site
from gifworthy.media.encode import gifify
from support import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = "<img src=x onerror=alert(1)>"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make setup` installs it "
                    "(apt-get install chromium)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory, video_30s):
    """data/ with real GIFs, a Kinetics clip list (one hostile label) and one video page."""
    data = tmp_path_factory.mktemp("data")
    gifs = data / "gifs/v/clips"
    for i in range(3):
        gifify(video_30s, gifs / f"c{i}.gif", start=i * 5, end=i * 5 + 4)
    labels = ["flash", "flash", "fast motion", HOSTILE]
    clips = [{"id": f"clip{i:02d}", "youtube_id": f"{i:011d}", "label": labels[i % 4],
              "split": "train", "start": 0, "end": 10, "src": f"../gifs/v/clips/c{i % 3}.gif",
              "status": "ok", "message": ""} for i in range(12)]
    videos = [{"youtube_id": "vvvvvvvvvvv", "title": HOSTILE, "category": "Music",
               "duration": 60.0, "split": "test",
               "gifs": [{"gif_id": str(k), "title": f"gif {k}", "start": 10.0 * k,
                         "end": 10.0 * k + 4, "views": 100 * k,
                         "src": f"../gifs/v/clips/c{k % 3}.gif", "status": "ok"}
                        for k in range(3)],
               # The trained ranker's best segments (the evaluate stage's ranked.json).
               "ranked": [{"rank": 1, "start": 20.0, "end": 23.0, "score": 1.25, "hit": True,
                           "src": "../gifs/v/clips/c2.gif"},
                          {"rank": 2, "start": 40.0, "end": 42.0, "score": 0.5, "hit": False,
                           "src": "../gifs/v/clips/c0.gif"}]}]
    write_site({"clips": clips, "videos": videos, "page_size": 60}, data / "explorer")
    big = [dict(c, id=f"big{i}", label=f"label {i % 400}") for i, c in
           enumerate(clips * 834)][:10_000]
    write_site({"clips": big, "videos": [], "page_size": 60}, data / "big")
    return data


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(url)
    return page, problems


def first_screen(page, url: str) -> float:
    """Seconds from navigation until the first eight cards' GIFs are decoded."""
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".card img")
    page.wait_for_function(
        "[...document.querySelectorAll('.card img')].slice(0, 8)"
        ".every(i => i.complete && i.naturalWidth > 0)")
    return time.perf_counter() - t0


def test_page_loads_images_and_filters(browser, server):
    page, problems = open_page(browser, server + "/explorer/index.html")
    page.wait_for_selector(".card img")
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator(".card").count() == 12
    assert "12 of 12 clips, 3 labels" in page.locator("#count").inner_text()
    # The hostile label is shown as text, and no element came out of it.
    assert page.locator("aside button", has_text=HOSTILE).count() == 1
    assert page.locator("img[src='x']").count() == 0
    page.fill("#filter", "fast")
    page.wait_for_function("document.querySelectorAll('.card').length === 3")
    assert page.locator("#count").inner_text().startswith("3 of 12 clips")
    page.fill("#filter", "")
    page.locator("aside button", has_text="flash").click()
    assert page.locator(".card").count() == 6
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer-labels.png"), full_page=True)
    assert problems == []
    page.close()


def test_video_page_shows_timeline(browser, server):
    page, problems = open_page(browser, server + "/explorer/index.html#videos")
    page.wait_for_selector(".video-row a")
    assert page.locator(".video-row a").inner_text() == HOSTILE
    page.locator(".video-row a").click()
    page.wait_for_selector(".timeline span")
    spans = page.locator(".timeline span:not(.ranked)")
    assert spans.count() == 3
    left = spans.nth(1).evaluate("e => e.style.left")
    assert left.startswith("16.66")  # 10 s of a 60 s video
    assert page.locator(".timeline span.ranked").count() == 2
    # Ranked segments beside the ground truth: 2 model cards (the first overlaps a GIF).
    assert page.locator(".card.ranked img").count() == 2
    assert page.locator(".card.ranked.hit").count() == 1
    assert "score 1.25" in page.locator(".card.ranked").first.inner_text()
    assert page.locator(".card img").count() == 3 + 2
    page.screenshot(path=str(ARTIFACTS / "explorer-video.png"))
    assert problems == []
    page.close()


def test_ten_thousand_entries_first_screen_under_two_seconds(browser, server):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    elapsed = first_screen(page, server + "/big/index.html")
    assert elapsed < 2.0, f"first screen took {elapsed:.2f} s"
    assert page.locator(".card").count() == 60  # one page rendered, not 10,000
    assert "10000 of 10000 clips, 400 labels" in page.locator("#count").inner_text()
    page.mouse.wheel(0, 40_000)
    page.wait_for_function("document.querySelectorAll('.card').length > 60")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "explorer-10k.json").write_text(json.dumps({"first_screen_s": elapsed}))
    page.close()


@pytest.fixture(scope="module")
def full_site(site):
    """Kinetics-700 size: 650,000 clips in 700 labels, and 76,000 Video2GIF videos."""
    clips = [{"id": f"{i:011d}_000000_000010", "youtube_id": f"{i:011d}",
              "label": f"label {i % 700}", "split": "train", "start": 0, "end": 10,
              "src": f"../gifs/v/clips/c{i % 3}.gif", "status": "ok", "message": ""}
             for i in range(650_000)]
    videos = [{"youtube_id": f"v{i:010d}", "title": f"video {i}", "category": "Music",
               "duration": 60.0, "split": "train",
               "gifs": [{"gif_id": str(i), "title": f"gif {i}", "start": 5.0, "end": 9.0,
                         "views": i, "src": f"../gifs/v/clips/c{i % 3}.gif", "status": "ok"}]}
              for i in range(76_000)]
    index = write_site({"clips": clips, "videos": videos, "page_size": 60}, site / "full")
    return site / "full", index


@pytest.mark.slow  # building the 650,000-clip site takes ~30 s; CI runs it (make test-slow)
def test_full_size_first_screen_and_filters_across_labels(browser, server, full_site):
    folder, index = full_site
    size = (folder / "index.js").stat().st_size
    assert size <= 2_000_000 and len(index["labels"]) == 700
    page, problems = open_page(browser, "about:blank")
    first = first_screen(page, server + "/full/index.html")
    assert page.locator(".card").count() == 60
    assert "650000 of 650000 clips, 700 labels" in page.locator("#count").inner_text()
    # Filter by label name: every matching label, whatever file it is in.
    page.fill("#filter", "label 12")  # label 12 and label 120 ... label 129
    per_label = {n: c for n, c in index["labels"]}
    named = sum(per_label[f"label {i}"] for i in [12, *range(120, 130)])
    page.wait_for_function("document.querySelector('#count').textContent.startsWith('"
                           f"{named} of')")
    assert page.locator("aside button").count() == 1 + 11
    # Filter by id: one clip, found across all labels through the id files.
    wanted = f"{123_457:011d}"
    page.fill("#filter", wanted)
    page.wait_for_function("document.querySelector('#count').textContent"
                           ".startsWith('1 of 650000 clips, 1 labels')")
    page.wait_for_function("document.querySelectorAll('.card').length === 1")
    assert page.locator(".card .label").inner_text() == f"label {123_457 % 700}"
    # A label opens its own file; scrolling the "All labels" view walks into the next ones.
    page.fill("#filter", "")
    page.wait_for_function("document.querySelectorAll('aside button').length === 701")
    page.locator("aside button[data-label='label 5']").click()
    page.wait_for_function("document.querySelector('#count').textContent.startsWith('"
                           f"{per_label['label 5']} of')")
    assert page.locator(".card .label").first.inner_text() == "label 5"
    # Videos: the list, and one video's page from its own file.
    t1 = time.perf_counter()
    page.goto(server + "/full/index.html#video=v0000075123")
    page.wait_for_selector(".timeline span")
    video = time.perf_counter() - t1
    assert page.locator("h2").inner_text() == "video 75123"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "explorer-650k.json").write_text(json.dumps(
        {"first_screen_s": round(first, 3), "video_page_s": round(video, 3),
         "index_bytes": size}))
    print(f"650,000 clips: first screen {first:.2f} s, a video page {video:.2f} s, "
          f"index {size / 1000:.0f} kB")
    assert first <= 1.0, f"first screen took {first:.2f} s"
    assert problems == []
    page.close()
