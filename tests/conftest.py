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
