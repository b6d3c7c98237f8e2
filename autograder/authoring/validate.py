"""`course validate`: everything CI checks, as a list of problems (empty means valid).

1. Source metadata follows nbgrader's rules and course.yml: one solution cell and one
   visible test cell per problem, points as in course.yml, unique grade_ids.
2. release/ is exactly what nbgrader generates now, and leaks no solution text.
3. solutions/ has the source's code, executed, with outputs and a plot per notebook.
4. (unless --quick) The reference solutions earn full marks with the hidden graders,
   and the blank release earns zero, failing only with NotImplementedError.
5. The graders' audit allowlist is valid; unless --quick, `course audit` passes (seed sweep,
   mutants of the reference: no survivor that is not allowlisted, no credit leak, no
   flaky test; see docs/audit.md), on VALIDATE_SEEDS seeds from VALIDATE_FIRST_SEED.
"""

from __future__ import annotations

import filecmp
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from autograder.config import Assignment, Course, Notebook
from autograder.errors import ValidationFailed
from autograder.notebook_cells import grade_id, is_solution, is_test, nbgrader, read
from autograder.pipeline.grade import grader_file
from autograder.results import CellStatus

_SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
VALIDATE_SEEDS = 20  # the seed sweep of `course audit` as run by `course validate`
# ... from this first seed: CI stays deterministic. `course audit` draws its seeds at
# random, to hunt for flaky graders; a flaky verdict it finds is fixed in the graders.
VALIDATE_FIRST_SEED = 0


def validate(course: Course, quick: bool = False) -> list[str]:
    """Run every check; return what was checked, or raise ValidationFailed with all problems."""
    problems: list[str] = []
    done: list[str] = []
    for a in course.assignments:
        for nb in a.notebooks:
            problems += check_source(course, a, nb)
        problems += check_release(course, a)
        problems += check_solutions(course, a)
        problems += check_allowlist(course, a)
        done.append(f"{a.name}: source metadata, release, solutions and audit allowlist checked")
        if not quick and not problems:
            problems += check_reference_grading(course, a)
            done.append(f"{a.name}: reference solutions earn full marks, blank release earns 0")
        if not quick and not problems:
            line, failures = check_audit(course, a)
            problems += failures
            done.append(line)
    if problems:
        raise ValidationFailed(problems)
    return done


def check_source(course: Course, a: Assignment, spec: Notebook) -> list[str]:
    from nbgrader.preprocessors import CheckCellMetadata

    path = course.source_notebook(a.name, spec.file)
    where = f"source/{a.name}/{spec.file}"
    nb = read(path)
    problems = []
    try:
        CheckCellMetadata().preprocess(nb, {})
    except Exception as exc:  # nbgrader raises plain exceptions for bad metadata
        problems.append(f"{where}: nbgrader metadata invalid: {exc}")
    ids = [grade_id(c) for c in nb.cells if grade_id(c)]
    for dup in sorted({g for g in ids if ids.count(g) > 1}):
        problems.append(f"{where}: grade_id {dup!r} is used by more than one cell")
    solutions = [grade_id(c) for c in nb.cells if is_solution(c)]
    tests = {grade_id(c): c for c in nb.cells if is_test(c)}
    for problem, p in spec.problems.items():
        if solutions.count(problem) != 1:
            problems.append(f"{where}: problem {problem!r} needs exactly one solution cell "
                            f"(found {solutions.count(problem)})")
        if p.manual:
            continue
        test = tests.get(f"test_{problem}")
        if test is None:
            problems.append(f"{where}: problem {problem!r} has no visible test cell "
                            f"with grade_id 'test_{problem}'")
        elif float(nbgrader(test).get("points", -1)) != p.points:
            problems.append(f"{where}: test_{problem} has {nbgrader(test).get('points')} points "
                            f"but course.yml says {p.points:g}; course.yml is the authority")
        if not grader_file(course.path("graders"), a.name, spec.stem).is_file():
            problems.append(f"{where}: no hidden graders "
                            f"{grader_file(course.path('graders'), a.name, spec.stem)}")
    return problems


def check_release(course: Course, a: Assignment) -> list[str]:
    from autograder.authoring.generate import CHECK_NAME, build_release

    problems = []
    committed = course.path("release") / a.name
    with tempfile.TemporaryDirectory(prefix="course-kit-validate-") as tmp:
        fresh = Path(tmp)
        build_release(course, a.name, fresh)
        for nb in a.notebooks:
            mine = committed / nb.file
            if not mine.is_file():
                problems.append(f"release/{a.name}/{nb.file} is missing; run `course generate`")
            elif not filecmp.cmp(mine, fresh / nb.file, shallow=False):
                problems.append(f"release/{a.name}/{nb.file} is stale (differs from what "
                                "nbgrader generates from source now); run `course generate`")
            if mine.is_file():
                problems += release_leaks(course.source_notebook(a.name, nb.file), mine)
        check = committed / CHECK_NAME
        if not check.is_file() or not filecmp.cmp(check, fresh / CHECK_NAME, shallow=False):
            problems.append(f"release/{a.name}/{CHECK_NAME} (the students' check) is missing "
                            "or stale; run `course generate`")
        if check.is_file():
            problems += check_py_leaks(course, a, check)
    return problems


def check_py_leaks(course: Course, a: Assignment, check: Path) -> list[str]:
    """Solution text in the students' check.py, which embeds the release notebooks."""
    from autograder.authoring.bundle import embedded_originals

    text = check.read_text(encoding="utf-8")
    embedded = "\n".join(str(c.get("source", "")) for cells in embedded_originals(text).values()
                         for c in cells)
    public = "\n".join(str(c.source) for nb in a.notebooks if (check.parent / nb.file).is_file()
                       for c in read(check.parent / nb.file).cells)
    problems = []
    for nb in a.notebooks:  # a line the release notebooks show (a demo's) is no secret
        for cell in read(course.source_notebook(a.name, nb.file)).cells:
            leaked = [line for line in _solution_lines(cell) if line not in public
                      and (line in embedded or line in text)]
            if is_solution(cell) and leaked:
                problems.append(f"release/{a.name}/{check.name}: carries solution text of "
                                f"{grade_id(cell)!r}: {leaked[0]!r}")
    return problems


def release_leaks(source: Path, release: Path) -> list[str]:
    """Solution text or nbgrader markers that made it into a student notebook."""
    problems = []
    where = f"{release.parent.parent.name}/{release.parent.name}/{release.name}"
    text = release.read_text(encoding="utf-8")
    for marker in _MARKERS:
        if marker in text:
            problems.append(f"release/{where}: contains the marker {marker!r}")
    released = {grade_id(c): str(c.source) for c in read(release).cells if grade_id(c)}
    for cell in read(source).cells:
        if not is_solution(cell):
            continue
        gid = grade_id(cell)
        student_text = released.get(gid)
        if student_text is None:
            problems.append(f"release/{where}: the stub of {gid!r} is missing")
            continue
        secret = _solution_lines(cell)
        leaked = [line for line in secret if line in student_text]
        if leaked:
            problems.append(f"release/{where}: cell {gid!r} leaks solution text: {leaked[0]!r}")
    return problems


def _solution_lines(cell) -> list[str]:
    """Lines only the solution block has: text also shown outside it (a docstring) is no secret."""
    source = str(cell.source)
    if cell.cell_type == "markdown" and not _SOLUTION_BLOCK.search(source):
        blocks, shown = [source], ""  # nbgrader replaces the whole cell
    else:
        blocks, shown = _SOLUTION_BLOCK.findall(source), _SOLUTION_BLOCK.sub("", source)
    lines = {line.strip() for block in blocks for line in block.splitlines()}
    return sorted(line for line in lines if len(line) > 12 and line not in shown)


def check_solutions(course: Course, a: Assignment) -> list[str]:
    problems = []
    for spec in a.notebooks:
        path = course.path("solutions") / a.name / spec.file
        where = f"solutions/{a.name}/{spec.file}"
        if not path.is_file():
            problems.append(f"{where} is missing; run `course generate`")
            continue
        solved = read(path)
        source = read(course.source_notebook(a.name, spec.file))
        if [str(c.source) for c in solved.cells] != [str(c.source) for c in source.cells]:
            problems.append(f"{where} is stale (its cells differ from the source); "
                            "run `course generate`")
            continue
        outputs = [o for c in solved.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        if not outputs:
            problems.append(f"{where} has no outputs; run `course generate`")
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if errors:
            problems.append(f"{where}: a cell failed: {errors[0].get('ename')}")
        if not any("image/png" in o.get("data", {}) for o in outputs):
            problems.append(f"{where} shows no plot")
    return problems


def check_allowlist(course: Course, a: Assignment) -> list[str]:
    from autograder.audit.allowlist import allowlist_path, load_allowlist
    from autograder.errors import ConfigError

    autograded = [p for nb in a.notebooks for p in nb.autograded]
    try:
        load_allowlist(allowlist_path(course.path("graders"), a.name), autograded)
    except ConfigError as exc:
        return [str(exc)]
    return []


def check_audit(course: Course, a: Assignment) -> tuple[str, list[str]]:
    """`course audit` with the same failure rules: what it measured, and its failures."""
    import sys

    from autograder.audit.run import audit
    from autograder.audit.verdicts import Status

    result = audit(course, a.name, seeds=VALIDATE_SEEDS, first_seed=VALIDATE_FIRST_SEED,
                   workers=2,
                   progress=sys.stderr.isatty())
    mutants = sum(len(p.verdicts) for p in result.problems)
    killed = sum(p.count(Status.KILLED) for p in result.problems)
    line = (f"{a.name}: audit of the graders: {killed} of {mutants} mutants killed, seeds "
            f"{result.seeds[0]}..{result.seeds[-1]}, {result.seconds:.0f} s")
    hint = f" (details: course audit {a.name} --seed {result.seeds[0]})"
    return line, [f"audit: {f}{hint if i == 0 else ''}" for i, f in enumerate(result.failures)]


def check_reference_grading(course: Course, a: Assignment) -> list[str]:
    """Grade source notebooks (full marks expected) and the release (zero expected)."""
    from autograder.batch.grade_class import autograde

    problems = []
    with tempfile.TemporaryDirectory(prefix="course-kit-reference-") as tmp:
        submitted = Path(tmp) / "submitted"
        for who, folder in (("reference-solution", course.path("source")),
                            ("blank-release", course.path("release"))):
            shutil.copytree(folder / a.name, submitted / who / a.name)
        batch = autograde(course, submitted, Path(tmp) / "out", workers=2, progress=False)
        problems += [f"the kit failed: {e}" for e in batch.kit_errors]
        for result in batch.results:
            problems += list(_reference_problems(result))
    return problems


def _reference_problems(result: dict) -> Iterable[str]:
    who = result.student
    for nb in result.notebooks:
        for p in nb.problems:
            if p.points is None:
                continue
            if who == "reference-solution" and p.points != p.possible:
                failed = [t.message for t in nb.tests
                          if t.problem == p.problem and not t.passed]
                yield (f"reference solution earns {p.points:g}/{p.possible:g} on "
                       f"{p.problem}: {failed[:1]}")
            if who == "blank-release" and p.points != 0:
                yield f"the blank release earns {p.points:g} points on {p.problem}"
        if who == "blank-release":
            for cell in nb.cells:
                if cell.status not in (CellStatus.OK, CellStatus.SKIPPED) and \
                        "NotImplementedError" not in cell.error:
                    yield (f"blank release {nb.notebook}: cell {cell.label} fails with "
                           f"{cell.error[:200]} (only NotImplementedError is expected)")
        if who == "reference-solution":
            for cell in nb.cells:
                if cell.status not in (CellStatus.OK, CellStatus.SKIPPED):
                    yield (f"reference {nb.notebook}: cell {cell.label} fails when "
                           f"graded: {cell.error[:200]}")
