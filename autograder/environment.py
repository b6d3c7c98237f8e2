"""Temporary changes to this process's environment variables, undone on the way out.

The kit changes os.environ only through `changed_environment`, so that no change
outlives the step that needs it (a PATH for nbgrader's alembic, the fork server's
PYTHONSAFEPATH, the variables a notebook's execution wants).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def changed_environment(**changes: str | None) -> Iterator[None]:
    """Set each NAME=value of CHANGES (None removes NAME) for the `with` block; on the way
    out, every variable it names is as it was before, whatever the block did to it."""
    saved = {name: os.environ.get(name) for name in changes}
    try:
        _put(changes)
        yield
    finally:
        _put(saved)


def _put(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def path_with_python() -> str:
    """PATH with this Python's bin folder first: where `course` installed the commands
    (nbgrader's alembic, jupyter) it runs, which a `.venv/bin/course` call has not on PATH."""
    import sys
    from pathlib import Path

    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
