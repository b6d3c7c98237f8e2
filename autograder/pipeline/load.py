"""Step 1, load: read a submitted file as a notebook, or say plainly why it is not one.

The file is read with safe_read (no links, regular files only, bounded size), and
what it holds is bounded before anything walks it recursively: JSON nested deeper
than MAX_DEPTH or with more than MAX_CELLS cells is refused here, so that no later
step (restore, similarity, reports) meets a structure that exhausts the stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from autograder.pipeline.safe_read import (
    MAX_NOTEBOOK_BYTES,
    SUBMITTED_PARTS,
    Refused,
    read_student_file,
)

MAX_BYTES = MAX_NOTEBOOK_BYTES
MAX_DEPTH = 64  # real notebooks nest about 8 deep (widget state perhaps 20)
MAX_CELLS = 5000  # the course's notebooks have under 100


@dataclass
class Loaded:
    notebook: nbformat.NotebookNode | None
    reason: str = ""  # why there is no notebook, in words a student understands
    refused: bool = False  # a link, FIFO, device...: listed with the tamper events


def load_submission(path: Path, untrusted: int = SUBMITTED_PARTS) -> Loaded:
    """PATH as a notebook; its last UNTRUSTED components are the student's (safe_read)."""
    try:
        data = read_student_file(path, limit=MAX_BYTES, untrusted=untrusted)
    except Refused as exc:
        return Loaded(None, str(exc), refused=True)
    except OSError as exc:
        return Loaded(None, f"{path.name} could not be read ({exc.strerror or exc})")
    if data is None:
        return Loaded(None, f"{path.name} was not submitted")
    return parse_notebook(path.name, data)


def parse_notebook(name: str, data: bytes) -> Loaded:
    """The notebook in DATA (the bytes of the file NAME), or why it is not one."""
    if not data:
        return Loaded(None, f"{name} is empty (0 bytes); save the notebook and submit again")
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return Loaded(None, f"{name} is not a Jupyter notebook (invalid JSON: "
                            f"{str(exc)[:200]}); was it truncated, or is it a script renamed "
                            "to .ipynb?")
    except RecursionError:
        return Loaded(None, _too_deep(name))
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        return Loaded(None, f"{name} is JSON but not a Jupyter notebook (no cells)")
    _drop_outputs(raw)
    _drop_invalid_kernelspec(raw)
    if _depth(raw) > MAX_DEPTH:
        return Loaded(None, _too_deep(name))
    cells = raw.get("cells")
    if isinstance(cells, list) and len(cells) > MAX_CELLS:
        return Loaded(None, f"{name} has {len(cells)} cells, more than the {MAX_CELLS} a "
                            "notebook may have; submit the assignment's notebook")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        for cell in nb.cells:  # outputs are never graded; drop them early to save memory
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        nbformat.validate(nb, relax_add_props=True)
    except Exception as exc:  # nbformat raises many types for malformed content
        first = (str(exc).splitlines() or [""])[0][:300]
        return Loaded(None, f"{name} is not a valid notebook ({type(exc).__name__}: {first})")
    return Loaded(nb)


def _too_deep(name: str) -> str:
    return (f"{name} is not a usable notebook: its JSON is nested more than {MAX_DEPTH} "
            "levels deep; submit the notebook as Jupyter saved it")


def _drop_outputs(raw: dict[str, Any]) -> None:
    """Outputs are never graded (and may legitimately nest deep): drop them first."""
    cells = raw.get("cells")
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and "outputs" in cell:
            cell["outputs"] = []


def _drop_invalid_kernelspec(raw: dict[str, Any]) -> None:
    """A blanked or broken kernelspec is not a reason to refuse a notebook: restore puts
    the source's back (and records it), as nbgrader does."""
    meta = raw.get("metadata")
    spec = meta.get("kernelspec") if isinstance(meta, dict) else None
    if spec is not None and not (isinstance(spec, dict) and isinstance(spec.get("name"), str)
                                 and isinstance(spec.get("display_name"), str)):
        meta["kernelspec"] = {"name": "", "display_name": ""}  # seen as changed by restore


def _depth(value: Any) -> int:
    """How deep VALUE nests, without recursion (stops counting past MAX_DEPTH)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest
