"""`course export gradescope ASSIGNMENT`: one assignment as Gradescope's autograder.zip.

At the zip's root are the two files Gradescope's autograder specification asks for,
rendered from templates/gradescope/ (setup.sh, run once as root to build the image;
run_autograder, run for every submission; the run side is integrations/gradescope.py),
and the kit itself. What ships, and who can read it (docs/ecosystem.md, SECURITY.md):

- course.yml, with `paths.source` pointing at release/: the student notebooks hold
  everything grading needs (locked and test cells, metadata, demos); source/ and
  solutions/ stay home;
- release/ASSIGNMENT/: the student notebooks, as students get them;
- autograder/: the package, with only this assignment's hidden graders (the audit and
  the other assignments' graders stay home), pyproject.toml and constraints.txt;
- autograder/graders/ASSIGNMENT/reference/*.json: the reference helpers, i.e. the
  source's solution cells of every autograded problem. Grading lends them to a
  student's function that calls another problem's function, so one bug is charged once
  (pipeline/reference.py). They ARE solutions, like the graders' own reference code.

None of it is within reach of student code: under bubblewrap the sandbox mounts none of
/autograder; in the container mode (Gradescope's usual case, sandbox/container.py)
student code runs as an unprivileged uid and the graders, the reference helpers, the
submission and the results are readable by root alone. Only an export with
--unsafe-no-sandbox, graded where neither works, leaves them readable.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from autograder.config import Course
from autograder.errors import ConfigError, CourseKitError

ENTRY_TIME = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same course gives the same zip


def gradescope_script(name: str, **values: object) -> str:
    """setup.sh or run_autograder, rendered from templates/gradescope/."""
    from autograder.reports.files import templates

    return templates.get_template(f"gradescope/{name}").render(**values) + "\n"


def export_gradescope(course: Course, assignment: str, out: Path,
                      unsafe_no_sandbox: bool = False) -> Path:
    """Write OUT, an autograder.zip for ASSIGNMENT; returns its path."""
    spec = course.assignment(assignment)  # raises ConfigError for an unknown name
    if any(c in spec.name for c in "'\"$`\\ \n{}"):
        raise ConfigError(f"assignment name {spec.name!r} cannot be used in a shell script")
    package = Path(__file__).resolve().parents[1]  # the autograder package
    kit = package.parent
    graders = course.path("graders").resolve()
    files: dict[str, Path] = {}
    for name in ("constraints.txt", "pyproject.toml"):
        found = kit / name if (kit / name).is_file() else course.root / name
        files[name] = found
    for path in _tree(package):
        # The graders of other assignments stay home, and so does the audit (it mutates
        # reference solutions: instructors' tooling, not grading).
        if not path.resolve().is_relative_to(graders) and \
                not path.is_relative_to(package / "audit"):
            files[f"autograder/{path.relative_to(package).as_posix()}"] = path
    for folder in (course.path("release") / spec.name, graders / spec.name):
        for path in _tree(folder):
            files[path.resolve().relative_to(course.root).as_posix()] = path
    missing = [name for name, path in files.items() if not path.is_file()]
    if missing:
        raise CourseKitError(f"cannot export: missing {', '.join(missing)}")
    unsafe = int(unsafe_no_sandbox)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        _add(zf, "setup.sh", gradescope_script("setup.sh", unsafe=unsafe).encode(), 0o755)
        script = gradescope_script("run_autograder", assignment=spec.name, unsafe=unsafe)
        _add(zf, "run_autograder", script.encode(), 0o755)
        _add(zf, "course.yml", _graded_from_release(course).encode(), 0o644)
        for name, text in _reference_helpers(course, spec.name).items():
            _add(zf, name, text.encode(), 0o644)
        for name in sorted(files):
            _add(zf, name, files[name].read_bytes(), 0o644)
    os.replace(tmp, out)
    return out


def _reference_helpers(course: Course, assignment: str) -> dict[str, str]:
    """Zip entry -> the reference helpers of each notebook (pipeline/reference.py), which
    grading lends to students' functions: beside the graders, since source/ stays home."""
    from autograder.notebook_cells import read
    from autograder.pipeline.reference import reference_helpers
    from autograder.pipeline.submission import shipped_references

    entries = {}
    for nb in course.assignment(assignment).notebooks:
        helpers = reference_helpers(read(course.source_notebook(assignment, nb.file)),
                                    tuple(nb.autograded))
        where = shipped_references(course.path("graders"), assignment, nb)
        entries[where.resolve().relative_to(course.root.resolve()).as_posix()] = \
            helpers.to_json()
    return entries


def _graded_from_release(course: Course) -> str:
    """course.yml with `paths.source` pointing at the release notebooks."""
    import yaml

    raw = yaml.safe_load((course.root / "course.yml").read_text(encoding="utf-8"))
    raw.setdefault("paths", {})["source"] = course.paths.release
    return ("# Shipped to Gradescope by `course export gradescope`: graded from the release\n"
            "# notebooks; the solutions grading needs are the reference helpers beside the\n"
            "# graders (autograder/graders/<assignment>/reference/), readable by root alone.\n"
            + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))


def _tree(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and \
                ".ipynb_checkpoints" not in path.parts and path.suffix != ".pyc":
            yield path


def _add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, ENTRY_TIME)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)
