"""Build the example class in examples/submitted/ from release/ and source/.

    python examples/build_examples.py

A submission is the release notebook with its solution cells filled in, as a
student would hand it in: by default with the reference solution (markers
removed), or with a mistake from mistakes.py, or left blank.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from mistakes import MISTAKES  # noqa: E402

ASSIGNMENT = "gradient-descent"
NOTEBOOKS = ("01-gradients.ipynb", "02-seven-steps.ipynb", "03-linear-regression.ipynb")
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n", re.M)

# student -> (mistakes, notebooks left blank, notebooks not submitted)
CLASS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "ada": ((), (), ()),
    "bob": ((), NOTEBOOKS, ()),
    "carol": (("mse-sum",), (), ()),
    "dan": (("lecture-step-bug",), (), ()),
    "erin": (("forgot-grad-reset", "closed-form-fit"), (), ()),
    "frank": (("hard-coded",), (), ("03-linear-regression.ipynb",)),
}


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def completed(notebook: str, overrides: dict[str, str] | None = None, blank: bool = False,
              root: Path = ROOT) -> nbformat.NotebookNode:
    """The release notebook filled in with the reference solution, except OVERRIDES."""
    release = nbformat.read(str(root / "release" / ASSIGNMENT / notebook), as_version=4)
    if blank:
        return release
    source = nbformat.read(str(root / "source" / ASSIGNMENT / notebook), as_version=4)
    answers = {_grade_id(c): _MARKER.sub("", c.source) for c in source.cells
               if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    answers.update(overrides or {})
    for cell in release.cells:
        gid = _grade_id(cell)
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = answers[gid]
    return release


def with_mistakes(notebook: str, mistakes: tuple[str, ...], root: Path = ROOT):
    overrides: dict[str, str] = {}
    for name in mistakes:
        overrides.update(MISTAKES[name])
    return completed(notebook, overrides, root=root)


def build(dest: Path = HERE / "submitted") -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for student, (mistakes, blank, missing) in CLASS.items():
        folder = dest / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for notebook in NOTEBOOKS:
            if notebook in missing:
                continue
            nb = completed(notebook, blank=True) if notebook in blank else \
                with_mistakes(notebook, mistakes)
            nbformat.write(nb, str(folder / notebook))


if __name__ == "__main__":
    build()
    print(f"wrote {HERE / 'submitted'}")
