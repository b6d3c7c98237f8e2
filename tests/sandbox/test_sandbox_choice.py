"""Which sandbox runs is decided by trying it, and one that cannot start fails the run.

bubblewrap is chosen when it can create its namespaces, not because a `bwrap` binary
exists; where it cannot, root gets the container mode; the weak mode only when accepted.
A sandbox that cannot start a worker stops `autograde` with SandboxFailed: no zero for
anyone, no grades.csv."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from autograder.batch.grade_class import autograde
from autograder.errors import SandboxFailed, SandboxUnavailable
from autograder.sandbox import backends
from autograder.sandbox.backends import Bubblewrap, Container, Unsandboxed, choose_sandbox
from autograder.sandbox.container import shield
from autograder.sandbox.pool import WorkerPool
from tests.tiny_course import write_course, write_submission

BUBBLEWRAP_TRIAL = backends.bubblewrap_problem


@pytest.fixture
def fake_bwrap(tmp_path, monkeypatch):
    """A `bwrap` first on PATH that fails as Docker's does; the trials are not cached."""
    def install(body: str) -> None:
        (tmp_path / "bin").mkdir(exist_ok=True)
        (tmp_path / "bin" / "bwrap").write_text(f"#!/bin/sh\n{body}\n")
        (tmp_path / "bin" / "bwrap").chmod(0o755)
        backends.bubblewrap_problem.cache_clear()
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    monkeypatch.delenv("COURSE_KIT_SANDBOX", raising=False)
    yield install
    BUBBLEWRAP_TRIAL.cache_clear()


def test_bubblewrap_is_chosen_by_trying_it_not_by_finding_it(fake_bwrap, monkeypatch, capsys):
    fake_bwrap('echo "bwrap: No permissions to create new namespace" >&2; exit 1')
    why = backends.bubblewrap_problem()
    assert "cannot create the namespaces" in why and "No permissions" in why
    monkeypatch.setattr(backends, "container_problem", lambda: None)  # root, as in Docker
    assert isinstance(choose_sandbox(), Container)
    assert "Container mode" in capsys.readouterr().err
    # not root: refused with both reasons, unless the weak mode is accepted
    monkeypatch.setattr(backends, "container_problem", lambda: "this is not root")
    with pytest.raises(SandboxUnavailable, match="(?s)No permissions.*not root.*--unsafe-no"):
        choose_sandbox()
    assert isinstance(choose_sandbox(allow_unsandboxed=True), Unsandboxed)
    assert "WITHOUT a sandbox" in capsys.readouterr().err
    fake_bwrap("exit 0")  # a bwrap that works
    assert isinstance(choose_sandbox(allow_unsandboxed=True), Bubblewrap)
    monkeypatch.setenv("COURSE_KIT_SANDBOX", "container")  # insisting on one mode
    monkeypatch.setattr(backends, "container_problem", lambda: None)
    assert isinstance(choose_sandbox(), Container)
    monkeypatch.setenv("COURSE_KIT_SANDBOX", "bubbles")
    with pytest.raises(SandboxUnavailable, match="auto, bubblewrap or container"):
        choose_sandbox()


@pytest.mark.skipif(os.geteuid() != 0, reason="the container mode needs root")
def test_the_container_mode_trial_switches_uid():
    backends.container_problem.cache_clear()
    problem = backends.container_problem()
    assert problem is None or "not readable by other users" in problem


def test_shield_makes_secrets_the_owners_alone_never_through_a_link(tmp_path):
    secret = tmp_path / "graders"
    secret.mkdir(mode=0o755)
    (tmp_path / "elsewhere").mkdir(mode=0o755)
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    changed = shield([secret, tmp_path / "link", tmp_path / "missing"])
    assert changed == [secret] and stat.S_IMODE(secret.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "elsewhere").stat().st_mode) == 0o755
    assert shield([secret]) == []  # already private


class _CannotStart(WorkerPool):
    def __init__(self) -> None:
        super().__init__(self._start, keep_spare=False)

    def _start(self):
        raise SandboxFailed("the sandboxed worker failed to start: bwrap: uid map denied")


def test_a_sandbox_that_cannot_start_stops_the_batch_and_writes_no_grade(tmp_path):
    course = write_course(tmp_path / "course")
    write_submission(tmp_path / "submitted", "ada")
    pool = _CannotStart()
    with pytest.raises(SandboxFailed, match="uid map denied"):
        autograde(course, tmp_path / "submitted", tmp_path / "out", seed=1, progress=False,
                  pool=pool)
    assert not (tmp_path / "out" / "grades.csv").exists()
    assert not list(Path(tmp_path / "out").rglob("results.json"))
