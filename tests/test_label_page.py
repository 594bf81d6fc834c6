"""The screen-time labelling page (``gifworthy screentime label``): the book that saves
``labels.csv``, its server, and the page in a real browser (Debian's Chromium, headless)."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from gifworthy.screentime.labelling import LabelBook, least_sure_order, make_server, suggest
from gifworthy.screentime.labels import LabelError, read_labels
from support import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
CLASSES = ["tom", "jerry", "spike"]


def make_frames(folder: Path, videos: int = 2, seconds: int = 4) -> list[str]:
    """JPEG frames as `screentime frames` writes them (<video>/000000.jpg ...), showing the
    sample's characters: tom in the first video, jerry in the second, spike in the last frame."""
    import cv2

    from gifworthy.screentime.sample import _sprite

    rng = np.random.default_rng(0)
    names = []
    for v in range(videos):
        (folder / f"ep{v + 1}").mkdir(parents=True)
        for s in range(seconds):
            top, bottom = rng.integers(60, 230, 3), rng.integers(20, 160, 3)
            ramp = np.linspace(0, 1, 180)[:, None, None]
            image = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (180, 320, 3)).copy()
            last = v == videos - 1 and s == seconds - 1
            who = "spike" if last else "tom" if v == 0 else "jerry"
            rgb, alpha = _sprite(who, 1.0)
            h, w = alpha.shape
            y, x = 100 - h // 2, 40 + 55 * s
            a = alpha[..., None]
            image[y:y + h, x:x + w] = image[y:y + h, x:x + w] * (1 - a) + rgb * a
            cv2.imwrite(str(folder / f"ep{v + 1}/{s:06d}.jpg"),
                        cv2.cvtColor(image.astype(np.uint8), cv2.COLOR_RGB2BGR))
            names.append(f"ep{v + 1}/{s:06d}.jpg")
    (folder / ".hidden.jpg").write_bytes(b"not a frame")
    (folder / "notes.txt").write_text("not a frame")
    return names


def rows(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_book_saves_every_change_and_continues_a_partial_file(tmp_path):
    names = make_frames(tmp_path / "frames")
    labels = tmp_path / "frames/labels.csv"
    labels.write_text("frame,label\nep1/000001.jpg,Tom\n")
    book = LabelBook(tmp_path / "frames", labels, CLASSES)
    assert book.frames == names  # hidden files and other suffixes are not frames
    assert book.labels == {"ep1/000001.jpg": frozenset({"tom"})}
    book.set(0, [])
    book.set(2, ["jerry", "tom"])
    assert rows(labels) == ["frame,label", "ep1/000000.jpg,none", "ep1/000001.jpg,tom",
                            "ep1/000002.jpg,jerry;tom"]
    book.set(1, None)
    assert "ep1/000001.jpg,tom" not in rows(labels)
    # Bad changes raise and change nothing.
    before = labels.read_bytes()
    for index, value in ((99, ["tom"]), (-1, ["tom"]), ("0", ["tom"]), (True, ["tom"]),
                         (0, ["tom", "none"]), (0, ["garfield"]), (0, "tom"), (0, [3])):
        with pytest.raises(ValueError):
            book.set(index, value)
    assert labels.read_bytes() == before
    assert not list(labels.parent.glob(".tmp-*"))
    # What the page writes is what training reads (once every class has a frame).
    book.set(3, ["spike"])
    frames, classes = read_labels(labels, tmp_path / "frames", CLASSES)
    assert classes == sorted(CLASSES) and len(frames) == 3


def test_book_refuses_a_file_it_would_lose_rows_of(tmp_path):
    make_frames(tmp_path / "frames")
    labels = tmp_path / "labels.csv"
    labels.write_text("frame,label\nep1/000000.jpg,tom\n../x.jpg,tom\n"
                      "ep1/000001.jpg,garfield\nep1/000002.jpg,none;tom\n")
    with pytest.raises(LabelError) as err:
        LabelBook(tmp_path / "frames", labels, CLASSES)
    message = str(err.value)
    for line in (3, 4, 5):
        assert f"{labels}:{line}:" in message
    assert "labels.csv:2" not in message
    for bad in (["tom", "tom"], ["none"], ["a/b"], [""], []):
        with pytest.raises(ValueError, match="--classes"):
            LabelBook(tmp_path / "frames", tmp_path / "new.csv", bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no frames"):
        LabelBook(tmp_path / "empty", tmp_path / "x.csv", CLASSES)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        LabelBook(tmp_path / "missing", tmp_path / "x.csv", CLASSES)


def test_least_sure_first():
    probs = np.array([[0.9, 0.1], [0.55, 0.1], [0.2, 0.35], [0.5, 0.5]])
    # Distance of the closest decision to its threshold: 0.3, 0.05, 0.05, 0.0.
    assert least_sure_order(probs, [0.5, 0.4]) == [3, 1, 2, 0]
    assert least_sure_order(np.zeros((0, 2)), [0.5, 0.5]) == []


@pytest.fixture
def served(tmp_path):
    make_frames(tmp_path / "frames")
    labels = tmp_path / "frames/labels.csv"
    labels.write_text("frame,label\nep1/000001.jpg,tom\n")  # a partly labelled file
    book = LabelBook(tmp_path / "frames", labels, CLASSES)
    server = make_server(book)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield book, f"http://127.0.0.1:{server.server_address[1]}", labels
    server.shutdown()
    server.server_close()


def post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/api/label", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_server_listens_on_loopback_and_refuses_bad_requests(served):
    book, url, labels = served
    assert url.startswith("http://127.0.0.1:")
    before = labels.read_bytes()
    for body in (b"{", b"[]", b'{"index": 99, "labels": []}', b'{"index": "../x"}',
                 b'{"index": 0, "labels": ["<script>"]}'):
        code, answer = post(url, body)
        assert code == 400 and answer["error"]
    assert labels.read_bytes() == before
    for path in ("/frame/99", "/frame/..%2f..%2fetc%2fpasswd", "/../labels.csv"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + path)
        assert err.value.code == 404
    with urllib.request.urlopen(url + "/frame/0") as r:
        assert r.headers["Content-Type"] == "image/jpeg"
        assert r.read() == (book.frames_dir / book.frames[0]).read_bytes()
    assert post(url, b'{"index": 0, "labels": ["spike"]}')[0] == 200
    assert rows(labels)[1] == "ep1/000000.jpg,spike"


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: `make setup` installs it")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_label_with_the_keyboard_reload_and_fix(browser, served):
    book, url, labels = served
    page = browser.new_page(viewport={"width": 1280, "height": 760})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(url)
    # It starts at the first unlabelled frame and counts the one already labelled.
    page.wait_for_function("document.querySelector('#done').textContent === '1 / 8 labelled'")
    assert page.locator("#path").inner_text() == "ep1/000000.jpg"
    page.wait_for_function("document.querySelector('#frame').naturalWidth === 320")

    def saved(expected_rows: int) -> None:
        page.wait_for_function(f"document.querySelector('#done').textContent === "
                               f"'{expected_rows} / 8 labelled'")
        page.wait_for_function("document.querySelector('#saved').textContent === 'saved'")

    page.keyboard.press("1")          # tom on ep1/000000
    page.keyboard.press("2")          # and jerry (a slip, fixed below)
    saved(2)
    assert rows(labels)[1] == "ep1/000000.jpg,jerry;tom"  # on disk before moving on
    page.keyboard.press("Enter")      # ep1/000001 (labelled tom already)
    page.keyboard.press("Enter")      # ep1/000002
    page.keyboard.press("0")          # none (another slip)
    saved(3)
    page.keyboard.press("Enter")      # ep1/000003
    page.keyboard.press("1")          # tom
    saved(4)
    # Back and fix: ep1/000002 shows tom.
    page.keyboard.press("ArrowLeft")
    assert page.locator("#path").inner_text() == "ep1/000002.jpg"
    assert page.locator("#status").inner_text() == "labelled: none"
    page.keyboard.press("1")
    saved(4)
    assert page.locator("#status").inner_text() == "labelled: tom"
    # Unlabel one, then reload: the page shows what the file holds.
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("u")
    saved(3)
    page.reload()
    page.wait_for_function("document.querySelector('#done').textContent === '3 / 8 labelled'")
    assert page.locator("#path").inner_text() == "ep1/000001.jpg"  # first unlabelled
    assert rows(labels) == ["frame,label", "ep1/000000.jpg,jerry;tom", "ep1/000002.jpg,tom",
                            "ep1/000003.jpg,tom"]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("2")          # no jerry on ep1/000000 after all
    page.wait_for_function("document.querySelector('#saved').textContent === 'saved'")
    assert rows(labels)[1] == "ep1/000000.jpg,tom"
    # The grid: click a frame of the second video and label it there.
    page.keyboard.press("g")
    page.wait_for_selector(".tile img")
    assert page.locator(".tile").count() == 8
    page.locator(".tile").nth(5).click()
    page.locator("#classes button", has_text="jerry").click()
    saved(4)
    assert "ep2/000001.jpg,jerry" in rows(labels)
    assert page.locator(".tile").nth(5).locator(".lab").inner_text() == "jerry"
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screentime-label-grid.png"))
    page.keyboard.press("g")
    page.screenshot(path=str(ARTIFACTS / "screentime-label.png"))
    assert book.labels["ep2/000001.jpg"] == frozenset({"jerry"})
    assert problems == []
    page.close()


def test_suggestions_of_a_trained_model_least_sure_first(tmp_path, browser):
    """A real model (the head over real EfficientNet-Lite0 embeddings) suggests labels; the
    page offers the frames it is least sure of first and Enter accepts a suggestion."""
    from gifworthy.features.backbones import embed_images
    from gifworthy.screentime.frames import load_frame
    from gifworthy.screentime.model import train_model

    make_frames(tmp_path / "frames")
    book = LabelBook(tmp_path / "frames", tmp_path / "labels.csv", CLASSES)
    x = embed_images(np.stack([load_frame(book.frames_dir / f) for f in book.frames]))
    # ep1 frames are tom, ep2 frames jerry, the last one spike.
    y = np.array([[i < 4, 4 <= i < 7, i == 7] for i in range(8)], np.float32)
    model = train_model(x, y, {"hidden": 0, "dropout": 0.0, "lr": 0.01, "weight_decay": 0.0,
                               "epochs": 200, "batch": 8, "smooth_seconds": 1, "fps": 1.0},
                        seed=0)
    model["classes"] = CLASSES
    suggestions = suggest(book, model)
    assert suggestions["suggested"][0] == ["tom"] and suggestions["suggested"][5] == ["jerry"]
    assert sorted(suggestions["least_sure"]) == list(range(8))
    margins = [min(abs(p - 0.5) for p in suggestions["probs"][i])
               for i in suggestions["least_sure"]]
    assert margins == sorted(margins)
    with pytest.raises(ValueError, match="knows"):
        suggest(book, dict(model, classes=["a", "b", "c"]))
    server = make_server(book, suggestions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
    page.wait_for_function("document.querySelector('#done').textContent === '0 / 8 labelled'")
    first = suggestions["least_sure"][0]
    assert page.locator("#order").input_value() == "least_sure"
    assert page.locator("#path").inner_text() == book.frames[first]
    assert page.locator("#suggestion").inner_text().startswith("model suggests: ")
    page.keyboard.press("Enter")  # accept the suggestion
    page.wait_for_function("document.querySelector('#saved').textContent === 'saved'")
    expected = ";".join(sorted(suggestions["suggested"][first])) or "none"
    assert rows(tmp_path / "labels.csv")[1] == f"{book.frames[first]},{expected}"
    assert page.locator("#path").inner_text() == book.frames[suggestions["least_sure"][1]]
    page.close()
    server.shutdown()
    server.server_close()


def test_label_command_errors_are_one_clear_line(tmp_path, capsys):
    from gifworthy.cli import main

    make_frames(tmp_path / "frames")
    (tmp_path / "bad.csv").write_text("frame,label\nep1/000000.jpg,garfield\n")
    for args, message in (
            (["--classes", "tom,tom"], "--classes: a class is named twice"),
            (["--classes", "tom", "--labels", str(tmp_path / "bad.csv")],
             "bad.csv:2: unknown class 'garfield'"),
            (["--classes", "tom", "--model", str(tmp_path / "nomodel")],
             "no screen-time model")):
        assert main(["screentime", "label", str(tmp_path / "frames"), "--serve", *args]) == 2
        assert message in capsys.readouterr().err
    assert main(["screentime", "label", str(tmp_path / "none"), "--classes", "tom"]) == 2
    assert "no such folder of frames" in capsys.readouterr().err
    assert (tmp_path / "bad.csv").read_text().endswith("garfield\n")  # left as it was
