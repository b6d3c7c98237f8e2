"""summary.html and feedback.html as a person sees them: rendered by headless Chromium.

Chromium is driven by chromedriver through plain WebDriver HTTP calls (no selenium),
so the test can run JavaScript in the page to ask whether every image decoded.
Without Chromium the test is skipped, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_course

pytestmark = pytest.mark.slow

ASSIGNMENT = "gradient-descent"
PAGE_FACTS = """
return {
  text: document.body.innerText,
  images: Array.from(document.images).map(img => {
    const box = img.getBoundingClientRect();
    return {id: img.id, cls: img.className, alt: img.alt, complete: img.complete,
            width: img.naturalWidth, height: img.naturalHeight,
            shown: box.width > 50 && box.height > 50 &&
                   getComputedStyle(img).visibility !== "hidden"};
  }),
};
"""


def _tools() -> tuple[str, str]:
    browser = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                    if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if driver is None and os.environ.get("CHROMEWEBDRIVER"):  # GitHub's runner images
        candidate = Path(os.environ["CHROMEWEBDRIVER"]) / "chromedriver"
        driver = str(candidate) if candidate.is_file() else None
    if browser and driver:
        return browser, driver
    reason = ("headless Chromium and chromedriver are needed to check the report pages "
              "(Debian: apt-get install -y chromium chromium-driver)")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must have them (.ci/run installs them)")
    pytest.skip(reason)


class WebDriver:
    """The few W3C WebDriver commands the test needs, over HTTP with the standard library."""

    def __init__(self, url: str, session: str):
        self.url, self.session = url, session

    @staticmethod
    def request(method: str, url: str, body: dict | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as reply:
            return json.loads(reply.read())["value"]

    def command(self, method: str, path: str, body: dict | None = None) -> Any:
        return self.request(method, f"{self.url}/session/{self.session}/{path}", body)

    def open(self, page: Path) -> dict[str, Any]:
        self.command("POST", "url", {"url": page.resolve().as_uri()})  # waits for `load`
        return self.command("POST", "execute/sync", {"script": PAGE_FACTS, "args": []})

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.command("GET", "screenshot")))


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[WebDriver]:
    chromium, chromedriver = _tools()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    driver = subprocess.Popen([chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if WebDriver.request("GET", f"{url}/status")["ready"]:
                    break
            except OSError:
                time.sleep(0.1)
        profile = tmp_path_factory.mktemp("chromium-profile")
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                "--window-size=1200,1600"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args}}}}
        session = WebDriver.request("POST", f"{url}/session", caps)["sessionId"]
        web = WebDriver(url, session)
        yield web
        web.request("DELETE", f"{url}/session/{session}")
    finally:
        driver.terminate()
        driver.wait(timeout=30)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("graded-for-browser")
    for student in ("ada", "bob"):
        shutil.copytree(ROOT / "examples" / "submitted" / student, tmp / "submitted" / student)
    done = run_course("autograde", str(tmp / "submitted"), "--out", str(tmp / "out"),
                      "--workers", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp / "out"


def _assert_images_loaded(facts: dict[str, Any]) -> None:
    assert facts["images"], "the page shows no image"
    for img in facts["images"]:
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
        assert img["shown"], f"image {img['alt']!r} is not visible"


def test_summary_page_shows_scores_and_histogram(browser, graded):
    facts = browser.open(graded / "summary.html")
    browser.screenshot(graded / "summary.png")
    _assert_images_loaded(facts)
    ids = {img["id"] for img in facts["images"]}
    assert {f"histogram-{ASSIGNMENT}", f"pass-rates-{ASSIGNMENT}"} <= ids
    text = facts["text"]
    assert "grading summary" in text
    assert ("2 submission(s); mean 13.0, median 13 of 28 points (1 manual score(s) pending, "
            "not included).") in text
    assert "NotImplementedError" in text  # bob's failing cells are listed with his name
    assert "bob" in text and "Slowest notebooks" in text


def test_feedback_page_shows_total_and_fit_plots(browser, graded):
    facts = browser.open(graded / "ada" / ASSIGNMENT / "feedback.html")
    browser.screenshot(graded / "ada-feedback.png")
    _assert_images_loaded(facts)
    assert "Autograded score: 26 / 26" in facts["text"]
    plots = [img["alt"] for img in facts["images"]]
    assert any(alt.startswith("train:") for alt in plots), plots
    assert any(alt.startswith("fit_linear_regression:") for alt in plots), plots
