"""Step 1, load: read a submitted file as a notebook, or say plainly why it is not one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_BYTES = 200 * 1024 * 1024


@dataclass
class Loaded:
    notebook: nbformat.NotebookNode | None
    reason: str = ""  # why there is no notebook, in words a student understands


def load_submission(path: Path) -> Loaded:
    if not path.exists():
        return Loaded(None, f"{path.name} was not submitted")
    if not path.is_file():
        return Loaded(None, f"{path.name} is not a file")
    size = path.stat().st_size
    if size == 0:
        return Loaded(None, f"{path.name} is empty (0 bytes); save the notebook and submit again")
    if size > MAX_BYTES:
        return Loaded(None, f"{path.name} is {size / 2**20:.0f} MB, more than the "
                            f"{MAX_BYTES / 2**20:.0f} MB allowed; clear the outputs and resubmit")
    try:
        raw = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        return Loaded(None, f"{path.name} is not a Jupyter notebook (invalid JSON: {exc}); "
                            "was it truncated, or is it a script renamed to .ipynb?")
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        return Loaded(None, f"{path.name} is JSON but not a Jupyter notebook (no cells)")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        for cell in nb.cells:  # outputs are never graded; drop them early to save memory
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        nbformat.validate(nb, relax_add_props=True)
    except Exception as exc:  # nbformat raises many types for malformed content
        return Loaded(None, f"{path.name} is not a valid notebook ({type(exc).__name__}: "
                            f"{str(exc).splitlines()[0][:300]})")
    return Loaded(nb)
