"""Gradescope: package one assignment as an autograder.zip, and grade inside Gradescope.

`course export gradescope ASSIGNMENT` writes a zip with, at its root, the two files
Gradescope's autograder specification asks for (setup.sh, run to build the image,
and run_autograder, run for every submission) and the kit itself: course.yml, the
assignment's release/ notebooks, the autograder package with only that assignment's
hidden graders, pyproject.toml and constraints.txt (the pinned versions). No solutions:
the source/
notebooks are left out and the shipped course.yml points `paths.source` at release/,
which holds everything grading needs (locked and test cells, metadata, demos), so
where bubblewrap cannot run (the --unsafe-no-sandbox fallback) there is no answer
for student code to read.

run_autograder (`python -m autograder.integrations.gradescope`) grades the notebooks the student
uploaded to ROOT/submission/ with the same engine as `course autograde` and writes
ROOT/results/results.json in Gradescope's format: one test per problem (the score
and points from course.yml, the failed checks' messages as output). ROOT is
/autograder, or $GRADESCOPE_ROOT (for trying it out locally and for tests).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from autograder.config import Course, load_course
from autograder.pipeline.safe_read import MAX_NOTEBOOK_BYTES, Refused, read_student_file
from autograder.reports.feedback_view import cell_label
from autograder.results import BROKEN_CELL, NotebookStatus, SubmissionResult

ENTRY_TIME = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same course gives the same zip
STUDENT = "submission"  # folder name of the one submission inside the temporary layout

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. It installs
# what grading needs and none of the instructor's tools: bubblewrap, and a virtualenv at
# /autograder/venv (Python >= 3.11) with torch's CPU-only build and the kit's base
# dependencies, at the versions pinned in constraints.txt. A check that fails stops the
# build with a message saying what is wrong. `source setup.sh` only defines the functions.
set -euo pipefail

SOURCE_DIR="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"  # /autograder/source
VENV="${{COURSE_KIT_VENV:-/autograder/venv}}"
TORCH_CPU_INDEX="${{TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}}"
# 1 when the instructor exported with --unsafe-no-sandbox (then bubblewrap may be missing)
UNSAFE_NO_SANDBOX="${{COURSE_KIT_UNSAFE_NO_SANDBOX:-{unsafe}}}"

note() {{ echo "setup.sh: $*"; }}
fail() {{ echo "setup.sh: error: $*" >&2; exit 1; }}

install_system_packages() {{
  if ! command -v apt-get >/dev/null 2>&1; then
    note "no apt-get here: bubblewrap and Python >= 3.11 must already be installed"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq bubblewrap python3-venv >/dev/null
  if ! find_python >/dev/null; then  # e.g. Ubuntu 22.04 ships 3.10; 3.11 is a package
    apt-get install -y -qq python3.11 python3.11-venv >/dev/null ||
      note "could not install python3.11 with apt-get"
  fi
}}

find_python() {{  # the first Python >= 3.11 on PATH
  local candidate
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}}

check_python() {{  # sets PYTHON
  PYTHON="$(find_python)" || fail "the course kit needs Python >= 3.11, and this image has" \\
    "$(python3 --version 2>&1 || echo 'no python3'). Choose a newer base image on" \\
    "Gradescope's Configure Autograder page (Ubuntu 22.04 or later), or install python3.11."
  note "Python: $(command -v "$PYTHON") ($("$PYTHON" --version 2>&1))"
}}

check_bubblewrap() {{  # can bwrap create the namespaces the sandbox uses?
  local why
  if ! command -v bwrap >/dev/null 2>&1; then
    why="bubblewrap (bwrap) is not installed"
  elif ! why="$(bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts \\
      --unshare-cgroup-try --die-with-parent --ro-bind / / --proc /proc --dev /dev \\
      true 2>&1)"; then
    why="bubblewrap cannot create namespaces here (bwrap said: ${{why:-nothing}})"
  else
    note "bubblewrap works: student code will run in its sandbox"
    return 0
  fi
  if [ "$UNSAFE_NO_SANDBOX" = 1 ]; then
    note "WARNING: $why. This autograder was exported with --unsafe-no-sandbox, so it" \\
      "will run student code WITHOUT a sandbox (see SECURITY.md)."
    return 0
  fi
  fail "$why. The autograder runs student code only inside bubblewrap's sandbox." \\
    "Grade with \\`course autograde\\` on a machine where bwrap works, or, accepting the" \\
    "risk, export with \\`course export gradescope ... --unsafe-no-sandbox\\` (SECURITY.md)."
}}

pinned() {{  # the version constraints.txt pins for package $1
  sed -n "s/^$1==//p" "$SOURCE_DIR/constraints.txt"
}}

torch_index_reachable() {{  # prints why not, and fails, when the CPU index cannot be read
  "$PYTHON" - "$TORCH_CPU_INDEX/torch/" <<'EOF'
import sys
import urllib.request

try:
    urllib.request.urlopen(sys.argv[1], timeout=20).close()
except Exception as exc:
    print(f"{{type(exc).__name__}}: {{exc}}")
    sys.exit(1)
EOF
}}

install_torch() {{  # torch's CPU-only build, from PyTorch's CPU index when it is reachable
  local pip="$VENV/bin/pip" why
  local wanted=("torch==$(pinned torch)" "torchvision==$(pinned torchvision)")
  if why="$(torch_index_reachable)"; then
    note "installing ${{wanted[*]}}, CPU-only builds, from $TORCH_CPU_INDEX"
    "$pip" install -q --no-deps --index-url "$TORCH_CPU_INDEX" "${{wanted[@]}}"
  else
    note "WARNING: PyTorch's CPU wheel index $TORCH_CPU_INDEX is not reachable ($why);" \\
      "installing ${{wanted[*]}} from the default index instead (on Linux that may be the" \\
      "CUDA build: several GB, and a slower image build)."
    "$pip" install -q --no-deps "${{wanted[@]}}"
  fi
}}

install_kit() {{  # what grading needs: the kit's base dependencies, no instructor tools
  "$VENV/bin/pip" install -q -c "$SOURCE_DIR/constraints.txt" -e "$SOURCE_DIR"
  "$VENV/bin/python" -c 'import torch, fastai.torch_core, autograder
print("setup.sh: torch", torch.__version__, "CUDA", torch.version.cuda or "none")'
  "$VENV/bin/course" --help >/dev/null
}}

main() {{
  install_system_packages
  check_python
  check_bubblewrap
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  install_torch
  install_kit
  note "done: the kit is installed in $VENV"
}}

if [ "${{BASH_SOURCE[0]}}" = "$0" ]; then
  main "$@"
fi
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes $ROOT/results/results.json.
# ROOT is /autograder unless GRADESCOPE_ROOT says otherwise; COURSE_KIT_PYTHON picks
# the interpreter (default: the venv that setup.sh made).
set -uo pipefail
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
PYTHON="${{COURSE_KIT_PYTHON:-$ROOT/venv/bin/python}}"
export GRADESCOPE_ROOT="$ROOT"
export PYTHONPATH="$ROOT/source${{PYTHONPATH:+:$PYTHONPATH}}"  # the kit shipped in the zip
export COURSE_KIT_UNSAFE_NO_SANDBOX="${{COURSE_KIT_UNSAFE_NO_SANDBOX:-{unsafe}}}"
cd "$ROOT/source"
exec "$PYTHON" -m autograder.integrations.gradescope --assignment {assignment}
"""


# ------------------------------------------------------------------ export
def export_gradescope(course: Course, assignment: str, out: Path,
                      unsafe_no_sandbox: bool = False) -> Path:
    """Write OUT, an autograder.zip for ASSIGNMENT; returns its path."""
    spec = course.assignment(assignment)  # raises ConfigError for an unknown name
    if any(c in spec.name for c in "'\"$`\\ \n"):
        from autograder.errors import ConfigError

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
        from autograder.errors import CourseKitError

        raise CourseKitError(f"cannot export: missing {', '.join(missing)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        setup = SETUP_SH.format(unsafe=int(unsafe_no_sandbox))
        _add(zf, "setup.sh", setup.encode(), 0o755)
        script = RUN_AUTOGRADER.format(assignment=spec.name, unsafe=int(unsafe_no_sandbox))
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
            "# notebooks, so that no solution is on the grading machine.\n"
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


# ------------------------------------------------------------------ results.json
def to_gradescope(course: Course, result: SubmissionResult, seconds: float) -> dict[str, Any]:
    """Our results.json for one submission as Gradescope's results.json."""
    tests = []
    for nb in result.notebooks:
        for p in nb.problems:
            tests.append(_test(nb, p))
    return {
        "score": float(sum(p.points for p in result.problems
                           if not p.manual and p.points is not None)),
        "execution_time": int(round(seconds)),
        "output": _overview(course, result),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"seed": result.seed, "sandbox": result.sandbox},
        "tests": tests,
    }


def _test(nb: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    name = f"{nb.notebook}: {p.problem}"
    if p.manual or p.points is None:  # a Gradescope question graded by hand, not ours
        return {"name": name, "score": 0.0, "max_score": 0.0, "visibility": "visible",
                "output": f"Graded by your instructor ({p.possible:g} points), not by the "
                          "autograder; this score appears once it is graded."}
    failed = [t for t in nb.tests if t.problem == p.problem and not t.passed]
    if nb.status != NotebookStatus.GRADED:
        output = f"Not graded: {nb.reason}"
    elif not p.tests:
        output = "No checks ran for this problem."
    elif failed:
        output = (p.summary or f"{p.passed} of {p.tests} checks passed.") + \
            "\n\nWhat to fix:\n\n" + "\n\n".join(
                f"- {t.label} ({p.cost_of(t)}): {t.message}" for t in failed)
    else:
        output = p.summary or f"All {p.tests} checks passed."
    full = p.points >= p.possible
    return {"name": name, "score": float(p.points), "max_score": float(p.possible),
            "status": "passed" if full else "failed", "visibility": "visible",
            "output": output}


def _overview(course: Course, result: SubmissionResult) -> str:
    auto = [p for p in result.problems if not p.manual and p.points is not None]
    lines = [f"Autograded score: {sum(p.points for p in auto):g} / "
             f"{sum(p.possible for p in auto):g} (problems graded by hand are added later)."]
    for nb in result.notebooks:
        if nb.status != NotebookStatus.GRADED:
            lines.append(f"{nb.notebook}: not graded: {nb.reason.splitlines()[0]}")
        broken = [c for c in nb.cells if c.status in BROKEN_CELL]
        problems = {p.problem for p in nb.problems}
        for c in broken:
            lines.append(f"{nb.notebook}: {cell_label(c.label, problems)} {c.status}: "
                         f"{(c.error.strip().splitlines() or [''])[-1][:300]}")
        for ch in nb.changes:
            lines.append(f"{nb.notebook}: the grader undid a change: "
                         f"{ch.cell or 'notebook'}: {ch.detail}")
    lines.append(f"Grading seed {result.seed} (lets your instructor replay this grading).")
    return "\n".join(lines)


# ------------------------------------------------------------------ run_autograder
MAX_UPLOAD_DEPTH = 8  # folders below ROOT/submission searched for notebooks
MAX_UPLOAD_ENTRIES = 10_000  # entries looked at there (and members of an uploaded zip)
MAX_ZIP_BYTES = 256 * 1024 * 1024
_SKIP = ("__MACOSX", ".ipynb_checkpoints")


def find_notebooks(submission: Path, files: list[str]) -> dict[str, Path]:
    """Where each expected notebook is among the uploaded files (by name, anywhere, the
    shallowest first). Folders are never entered through a link, at most
    MAX_UPLOAD_DEPTH deep; an entry that is not a regular file is found all the same,
    so that reading it refuses it with a reason (safe_read)."""
    uploaded = [p for p in _walk(submission) if p.name.endswith(".ipynb")]
    found = {}
    for name in files:
        matches = [p for p in uploaded if p.name == name]
        if matches:
            found[name] = min(matches, key=lambda p: (len(p.parts), str(p)))
    if len(files) == 1 and not found and len(uploaded) == 1:
        found[files[0]] = uploaded[0]  # one notebook asked for, one uploaded: it is that one
    return found


def _walk(top: Path) -> list[Path]:
    entries: list[Path] = []
    for folder, dirs, names in os.walk(top, followlinks=False):
        depth = len(Path(folder).relative_to(top).parts)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP) if depth < MAX_UPLOAD_DEPTH else []
        # a link to a folder is listed in dirs but not entered: it is an entry too
        entries += [Path(folder) / n for n in sorted(names) + dirs]
        if len(entries) > MAX_UPLOAD_ENTRIES:
            break
    return sorted(entries[:MAX_UPLOAD_ENTRIES])


def collect_uploads(submission: Path, files: list[str]) -> dict[str, bytes | Refused]:
    """The expected notebooks among the uploads, read safely; those not found loose are
    looked for inside an uploaded .zip (never extracted to disk: only members named as
    an expected notebook are read, bounded; a link inside the zip is refused)."""
    got: dict[str, bytes | Refused] = {}
    for name, path in find_notebooks(submission, files).items():
        depth = len(path.relative_to(submission).parts)
        try:
            data = read_student_file(path, untrusted=depth)
        except Refused as exc:
            got[name] = exc
            continue
        if data is not None:
            got[name] = data
    missing = [f for f in files if f not in got]
    for archive in (p for p in _walk(submission) if p.suffix.lower() == ".zip"):
        if not missing:
            break
        for name, item in _from_zip(submission, archive, missing).items():
            got[name] = item
            missing.remove(name)
    return got


def _from_zip(submission: Path, archive: Path, wanted: list[str]) -> dict[str, bytes | Refused]:
    try:
        data = read_student_file(archive, limit=MAX_ZIP_BYTES,
                                 untrusted=len(archive.relative_to(submission).parts))
        zf = zipfile.ZipFile(io.BytesIO(data or b""))
    except (Refused, zipfile.BadZipFile, OSError, ValueError):
        return {}  # not a zip we can read: its notebooks count as not submitted
    found: dict[str, bytes | Refused] = {}
    with zf:
        members = [i for i in zf.infolist()[:MAX_UPLOAD_ENTRIES] if not i.is_dir()
                   and not set(PurePosixPath(i.filename).parts) & set(_SKIP)]
        members.sort(key=lambda i: (len(PurePosixPath(i.filename).parts), i.filename))
        for name in wanted:
            info = next((i for i in members if PurePosixPath(i.filename).name == name), None)
            if info is not None:
                found[name] = _zip_member(zf, info, archive.name)
    return found


def _zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str) -> bytes | Refused:
    kind = (info.external_attr >> 16) & 0o170000
    where = f"{info.filename} in {archive}"
    if kind and kind != 0o100000:  # a link (0o120000) or another special entry
        what = "a symbolic link" if kind == 0o120000 else "not a regular file"
        return Refused(f"{where} is {what}; links are never followed, so it counts zero: "
                       "put the notebook file itself in the zip")
    try:
        with zf.open(info) as member:  # bounded by what is read, not by the header's size
            data = member.read(MAX_NOTEBOOK_BYTES + 1)
    except (RuntimeError, zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return Refused(f"{where} could not be read from the zip ({exc}); upload the notebook")
    if len(data) > MAX_NOTEBOOK_BYTES:
        return Refused(f"{where} is more than {MAX_NOTEBOOK_BYTES / 2**20:.0f} MB; clear the "
                       "outputs and resubmit")
    return data


def run(root: Path, assignment: str, unsafe_no_sandbox: bool = False) -> dict[str, Any]:
    """Grade ROOT/submission and write ROOT/results/results.json; returns what was written."""
    from autograder.batch.grade_class import autograde

    started = time.perf_counter()
    course = load_course(root / "source", check_sources=False)
    spec = course.assignment(assignment)
    with tempfile.TemporaryDirectory(prefix="course-kit-gradescope-") as tmp:
        layout = Path(tmp) / "submitted" / STUDENT / spec.name
        layout.mkdir(parents=True)
        refused: dict[str, str] = {}
        uploads = collect_uploads(root / "submission", [nb.file for nb in spec.notebooks])
        for name, item in uploads.items():
            if isinstance(item, Refused):
                refused[name] = str(item)
            else:
                (layout / name).write_bytes(item)
        batch = autograde(course, layout.parent.parent, Path(tmp) / "out",
                          unsafe_no_sandbox=unsafe_no_sandbox, progress=False,
                          refused={STUDENT: refused})
        result = batch.results[0]
    data = to_gradescope(course, result, time.perf_counter() - started)
    if batch.kit_errors:  # details (tracebacks) go to stdout, which only instructors see
        print("the kit failed on:\n" + "\n".join(batch.kit_errors))
        data["output"] += ("\n\nThe autograder itself failed on part of this submission "
                           "(not your fault); your instructor can see the details.")
    write_results(root, data)
    return data


def write_results(root: Path, data: dict[str, Any]) -> None:
    from autograder.reports.files import write_atomic

    write_atomic(root / "results" / "results.json", json.dumps(data, indent=2, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.integrations.gradescope",
                                     description="grade one Gradescope submission")
    parser.add_argument("--assignment", required=True)
    args = parser.parse_args(argv)
    root = Path(os.environ.get("GRADESCOPE_ROOT", "/autograder"))
    unsafe = os.environ.get("COURSE_KIT_UNSAFE_NO_SANDBOX", "0") == "1"
    print(f"course kit {Path(__file__).resolve().parent}; grading {root / 'submission'}")
    try:
        data = run(root, args.assignment, unsafe)
    except Exception as exc:  # the kit failed: say so in results.json, and exit non-zero
        traceback.print_exc()
        write_results(root, {"score": 0.0, "output": "The autograder failed before it could "
                             f"grade this submission ({type(exc).__name__}: {exc}). Your "
                             "instructor can see the details; please tell them.",
                             "tests": []})
        return 1
    print(f"score {data['score']:g}; results in {root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
