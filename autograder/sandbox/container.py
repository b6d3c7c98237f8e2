"""The container mode's half on the host: what student code must not read, made root's alone.

Without bubblewrap there is no empty root to start student code in: it sees the
container's filesystem, as an unprivileged uid of its own (sandbox/inside/zygote.py).
Files stay out of its reach by their permissions, so before grading starts the host
(root) takes every permission but its own from what is secret: the graders and the
reference helpers beside them, the course's source and solutions, the gradebook, the
submissions and the results (or the whole course, when the Python environment does not
live inside it). Root still reads and writes all of it; the uid only gets EACCES.
Nothing else changes: the system and the Python environment stay readable, as under
bubblewrap, and so does /tmp, writable by everyone (each worker's files there are its
own: it runs with umask 077).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from autograder.config import Course


def secret_paths(course: Course, *more: Path) -> list[Path]:
    """What student code must not read in COURSE, and MORE (submissions, results)."""
    root = course.root.resolve()
    environment = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    if not any(p.is_relative_to(root) for p in environment):
        return [root, *more]  # e.g. Gradescope: /autograder/source, the venv beside it
    # A virtualenv inside the course (make setup's .venv) must stay readable: only the
    # secret parts of the course then.
    return [course.path("graders"), course.path("source"), course.path("solutions"),
            course.root / "gradebook.db", *more]


def shield(paths: Iterable[Path]) -> list[Path]:
    """Make each existing path of PATHS (a folder: itself; its contents are then out of
    reach) readable and writable by its owner alone; returns those changed. Never
    through a link: a link's target is not ours to change."""
    changed = []
    for path in paths:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & 0o077:
            continue
        os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
        changed.append(Path(path))
    return changed
