"""Files the reports write: atomically (temporary file, fsync, rename), from templates.

An interrupted run never leaves a half-written grades.csv or results.json behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

templates = Environment(loader=PackageLoader("autograder", "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True,
                         lstrip_blocks=True)


def markdown_code(text: str) -> Markup:
    """Escaped TEXT with its `names` as <code>names</code> (the score step's verdicts)."""
    return Markup(re.sub(r"`([^`<>]+)`", r"<code>\1</code>", str(escape(text))))


templates.filters["markdown_code"] = markdown_code


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
