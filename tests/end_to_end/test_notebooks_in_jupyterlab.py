"""The release notebooks as a student sees them: opened in JupyterLab, in headless Chromium.

A Jupyter server runs on a scratch copy of release/ with its own settings (nbgrader's
instructor extensions off, as in a student's setup), Chromium opens each notebook, and
the test checks in the page that every locked code cell shows the read-only marker in its
first line, that JupyterLab really refuses edits there, and that the written answer is
rendered under its heading. Screenshots are saved for people to look at: in
$NOTEBOOK_SCREENSHOTS if set, otherwise in pytest's temporary directory (printed).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from tests.browser import WebDriver, chromium, free_port, jupyter_server
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = "gradient-descent"
NOTEBOOKS = sorted(p.name for p in (ROOT / "release" / ASSIGNMENT).glob("*.ipynb"))
LOCK_MARKER = "# 🔒 READ-ONLY"
ANSWER_HEADING = "✎ Your answer"

# Settings of a fresh student's JupyterLab, minus what would cover the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}
NBGRADER_SERVER = ["formgrader", "validate_assignment", "assignment_list", "course_list"]

# Every cell of the open notebook: kind, first line, whether it can be edited, where it is.
CELLS = """
return Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(cell => {
  const code = cell.classList.contains('jp-CodeCell');
  const editor = cell.querySelector('.cm-content');
  const rendered = cell.querySelector('.jp-RenderedMarkdown');
  const box = cell.getBoundingClientRect();
  return {
    kind: code ? 'code' : (cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw'),
    first: editor ? (editor.querySelector('.cm-line') || {}).textContent || '' : '',
    readonly: editor ? editor.getAttribute('aria-readonly') === 'true' : null,
    rendered: cell.classList.contains('jp-mod-rendered'),
    text: rendered ? rendered.innerText : '',
    headings: rendered ? Array.from(rendered.querySelectorAll('h1,h2,h3,h4'))
                          .map(h => h.textContent) : [],
    rules: rendered ? rendered.querySelectorAll('hr').length : 0,
    top: box.top, bottom: box.bottom,
  };
});
"""
SCROLL_TO = """
const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[arguments[0]];
cell.scrollIntoView({block: 'center'});
"""
# Is cell N on screen, and is it what a click at its first line would reach?
SHOWN = """
const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[arguments[0]];
const target = cell.querySelector('.jp-RenderedMarkdown h4') || cell.querySelector('.cm-line');
const box = target.getBoundingClientRect();
const onScreen = box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
const hit = document.elementFromPoint(box.left + 5, box.top + box.height / 2);
return onScreen && hit !== null && cell.contains(hit);
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[str]:
    """URL of a JupyterLab serving a scratch copy of release/<assignment>/."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "student"
    shutil.copytree(ROOT / "release" / ASSIGNMENT, root)
    config, settings = tmp / "config", tmp / "lab-settings"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyter/nbgrader": True}}))
    for name, values in LAB_SETTINGS.items():
        (settings / Path(name).parent).mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port = free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(tmp / "rt"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
               "--ip=127.0.0.1", f"--ServerApp.root_dir={root}", "--IdentityProvider.token=",
               "--ServerApp.password=", "--ServerApp.open_browser=False",
               *(f"--ServerApp.jpserver_extensions=nbgrader.server_extensions.{ext}=False"
                 for ext in NBGRADER_SERVER)]
    if os.geteuid() == 0:  # containers and CI runners
        command.append("--allow-root")
    url = f"http://127.0.0.1:{port}"
    with jupyter_server(command, root, env, tmp / "jupyter.log", f"{url}/api/status"):
        yield url


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium-profile"), size=(1280, 1000)) as driver:
        yield driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("NOTEBOOK_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("notebook-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open(web: WebDriver, url: str, notebook: str) -> list[dict]:
    """Open NOTEBOOK in JupyterLab; wait until all its cells are on the page and rendered."""
    expected = nbformat.read(str(ROOT / "release" / ASSIGNMENT / notebook), as_version=4).cells
    web.go(f"{url}/lab/tree/{notebook}?reset")
    deadline = time.time() + 120
    while True:
        cells = web.run(CELLS)
        ready = (len(cells) == len(expected)
                 and all(c["first"] for c in cells if c["kind"] == "code")
                 and all(c["rendered"] for c in cells if c["kind"] == "markdown"))
        if ready:
            time.sleep(1)  # fonts and math typesetting settle
            return web.run(CELLS)
        assert time.time() < deadline, f"{notebook} did not render: {len(cells)} cells"
        time.sleep(0.5)


def _shoot(web: WebDriver, index: int, path: Path) -> bool:
    web.run(SCROLL_TO, index)
    time.sleep(0.5)
    shown = web.run(SHOWN, index)
    web.screenshot(path)
    print(f"screenshot: {path}")
    return shown


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_locked_cells_and_written_answers_are_recognisable(lab, web, shots, notebook):
    source = nbformat.read(str(ROOT / "release" / ASSIGNMENT / notebook), as_version=4).cells
    cells = _open(web, lab, notebook)
    stem = notebook.removesuffix(".ipynb")
    web.screenshot(shots / f"{stem}-top.png")
    assert LOCK_MARKER in cells[0]["text"], "the opening cell explains the marker"

    locked = [n for n, c in enumerate(source)
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("locked")]
    for n, cell in enumerate(cells):
        if cell["kind"] != "code":
            continue
        assert cell["first"].startswith(LOCK_MARKER) == (n in locked), (n, cell["first"])
        # JupyterLab honours nbgrader's editable: false, so the marker tells the truth
        assert cell["readonly"] == (n in locked), (n, cell["first"])
    first_test = next(n for n in locked if source[n].metadata["nbgrader"].get("grade"))
    assert _shoot(web, first_test, shots / f"{stem}-locked-test-cell.png"), \
        "the first locked test cell, with its marker, is visible"

    answers = [n for n, c in enumerate(source) if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("solution")]
    for n in answers:
        cell = cells[n]
        assert any(h.startswith(ANSWER_HEADING) for h in cell["headings"]), cell["headings"]
        assert "YOUR ANSWER HERE" in cell["text"] and cell["rules"] == 1, "answer above the line"
        assert any("Problem 8" in h and "graded by hand" in h
                   for c in cells[:n] for h in c["headings"]), "numbered problem heading"
        assert _shoot(web, n, shots / f"{stem}-written-answer.png"), \
            "the written answer's heading is visible"
