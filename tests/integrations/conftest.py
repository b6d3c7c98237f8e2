"""A blank nbgrader gradebook, made once: nbgrader creates each new one by running the
`alembic` command in a subprocess, seconds that every test would otherwise pay."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def blank_gradebook(tmp_path_factory) -> Path:
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("blank-gradebook") / "gradebook.db"
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old])
    try:
        with Gradebook(f"sqlite:///{path}"):
            pass
    finally:
        os.environ["PATH"] = old
    return path


@pytest.fixture
def gradebook(blank_gradebook, tmp_path) -> Path:
    """A fresh copy of the blank gradebook, in this test's folder."""
    path = tmp_path / "gradebook.db"
    shutil.copyfile(blank_gradebook, path)
    return path
