"""Headless Chromium for the tests that look at pages as a person would.

Chromium is driven by chromedriver through plain W3C WebDriver HTTP calls (no selenium),
so a test can run JavaScript in the page and take screenshots. Without Chromium the
tests are skipped, except in CI (CI=true), where they fail.
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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def find_tools() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skips the test (fails it in CI) without them."""
    browser = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                    if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if driver is None and os.environ.get("CHROMEWEBDRIVER"):  # GitHub's runner images
        candidate = Path(os.environ["CHROMEWEBDRIVER"]) / "chromedriver"
        driver = str(candidate) if candidate.is_file() else None
    if browser and driver:
        return browser, driver
    reason = ("headless Chromium and chromedriver are needed to look at pages "
              "(Debian: apt-get install -y chromium chromium-driver)")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must have them (.ci/run installs them)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """The few W3C WebDriver commands the tests need, over HTTP with the standard library."""

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

    def go(self, url: str) -> None:
        self.command("POST", "url", {"url": url})  # returns once the page's `load` fired

    def run(self, script: str, *args: Any) -> Any:
        """Run the body of a JavaScript function in the page; returns what it returns."""
        return self.command("POST", "execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.command("GET", "screenshot")))


@contextmanager
def chromium(profile: Path, size: tuple[int, int] = (1200, 1600)) -> Iterator[WebDriver]:
    """A headless Chromium session with a fresh profile in PROFILE."""
    binary, chromedriver = find_tools()
    port = free_port()
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
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": args}}}}
        session = WebDriver.request("POST", f"{url}/session", caps)["sessionId"]
        try:
            yield WebDriver(url, session)
        finally:
            WebDriver.request("DELETE", f"{url}/session/{session}")
    finally:
        driver.terminate()
        driver.wait(timeout=30)


@contextmanager
def jupyter_server(command: list[str], cwd: Path, env: dict[str, str], log_path: Path,
                   status_url: str, timeout: float = 120) -> Iterator[subprocess.Popen]:
    """A Jupyter server started with COMMAND, once STATUS_URL answers; stopped afterwards.
    Its output goes to LOG_PATH, shown when it dies before it is ready."""
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(status_url, timeout=5):
                        break
                except OSError:
                    assert server.poll() is None, log_path.read_text()[-3000:]
                    assert time.monotonic() < deadline, \
                        f"the Jupyter server did not start in {timeout:g} s"
                    time.sleep(0.5)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)
