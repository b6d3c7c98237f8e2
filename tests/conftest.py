"""Shared fixtures: the repository's course, scratch copies of it, and the `course` CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # committed: broken/, results/
COURSE_BIN = Path(sys.executable).parent / "course"


@pytest.fixture(scope="session")
def course():
    from autograder.config import load_course

    return load_course(ROOT)


@pytest.fixture(scope="session")
def fixture_notebooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notebooks tests/fixtures/build_fixtures.py makes (hostile/, damaged/, crafted/),
    built for this session into a temporary folder: generated, never committed."""
    from tests.fixtures.build_fixtures import build

    root = tmp_path_factory.mktemp("fixture-notebooks")
    build(root)
    return root


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A scratch copy of the course (config, notebooks, graders) that a test may break."""
    return copy_course(tmp_path / "course")


def copy_course(dest: Path) -> Path:
    """Copy the course (course.yml, notebooks, graders) to DEST, a new folder; returns it."""
    dest.mkdir()
    shutil.copy(ROOT / "course.yml", dest)
    for folder in ("source", "release", "solutions"):
        shutil.copytree(ROOT / folder, dest / folder)
    shutil.copytree(ROOT / "autograder" / "graders", dest / "autograder" / "graders",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def run_course(*args: str, cwd: Path = ROOT, timeout: float = 900
               ) -> subprocess.CompletedProcess[str]:
    """Run the `course` console script as a user would."""
    env = {**os.environ, "PATH": f"{COURSE_BIN.parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([str(COURSE_BIN), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def fake_autograde(monkeypatch):
    """`course autograde` run in this process (autograder.cli.main) grades on the scripted
    fake sandbox (sandbox/fake.py) instead of bubblewrap: the command as a user runs it,
    without the seconds of real notebooks."""
    import functools

    import autograder.batch.grade_class as grade_class
    from autograder.sandbox.fake import FakeSandbox

    pool = FakeSandbox().pool()
    monkeypatch.setattr(grade_class, "autograde",
                        functools.partial(grade_class.autograde, pool=pool))
    yield
    pool.close()


def live_processes(marker: str | None = None) -> list[str]:
    """Live processes whose environment holds MARKER, and this checkout's sandboxes (bwrap
    mounts the kit's sandbox/inside/ folder: another checkout's sandboxes, such as a CI
    run beside this one, do not count)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or (proc / "stat").read_text().split()[2] == "Z":
                continue
            args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            sandbox = Path(args.split(" ", 1)[0]).name == "bwrap" and str(ROOT) in args
            if sandbox or (marker and marker.encode() in (proc / "environ").read_bytes()):
                found.append(f"{proc.name}: {args[:120]}")
        except (OSError, IndexError):
            continue  # ended while we looked
    return found
