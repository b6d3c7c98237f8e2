"""`course autograde` as one library call: the batch with the rules around it.

The batch (batch/grade_class.py) grades and writes OUT. Around it: --compare previews a
regrade (it grades into a new folder with the earlier run's seed and lists every score
that changes, grades/compare.py), and --gradebook publishes (the results into nbgrader's
gradebook and autograded/ notebooks, a secondary pass: grades.csv is written already,
whatever happens there). The CLI only parses arguments and prints `AutogradeRun`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.grade_class import BatchResult, ManualScores, autograde
from autograder.config import Course
from autograder.errors import CourseKitError
from autograder.grades.compare import ScoreChange, previous_seed, score_changes, write_changes
from autograder.grades.graded import read_graded


@dataclass
class AutogradeRun:
    batch: BatchResult
    changes: list[ScoreChange] | None = None  # with --compare
    changes_file: Path | None = None
    formgrader: str | None = None  # the command that opens nbgrader's formgrader
    failed: list[str] = field(default_factory=list)  # what the kit failed on, batch included


def run_autograde(course: Course, submitted: Path, out: Path, *, seed: int | None = None,
                  compare: Path | None = None, gradebook: str | None = None,
                  nbgrader_dir: Path | None = None, manual_scores: str | None = None,
                  students: Collection[str] = (), force: bool = False, workers: int = 1,
                  unsafe_no_sandbox: bool = False, dask_scheduler: str | None = None,
                  say: Callable[[str], None] = print) -> AutogradeRun:
    """Grade SUBMITTED into OUT (the options of grade_class.autograde, and these).
    COMPARE: an earlier OUT to list the score changes against; GRADEBOOK: nbgrader's, to
    publish into; MANUAL_SCORES: where people's scores of the manual problems come from
    (default: the GRADEBOOK). SAY tells what is decided before the grading starts."""
    if nbgrader_dir and not gradebook:
        raise CourseKitError("--nbgrader-dir says where nbgrader's autograded/ notebooks go "
                             "for the formgrader; it needs --gradebook")
    if gradebook:  # a location the formgrader cannot serve is refused before grading
        nbgrader_dir = formgrader_layout(course, submitted, nbgrader_dir)
    previous = None
    if compare is not None:
        if gradebook:
            raise CourseKitError("--compare previews a regrade: review the changes, then "
                                 "run again with --gradebook and without --compare (it "
                                 "reuses what was graded) to publish")
        if compare.resolve() == out.resolve():
            raise CourseKitError("--compare needs another folder than --out: grade into "
                                 "a new one, compare, then publish it")
        previous = read_graded(course, compare).results
        if seed is None and (seed := previous_seed(previous)) is not None:
            say(f"grading with the seed of {compare} ({seed}), so that only "
                "changes to the graders, course.yml or submissions show")
    result = autograde(course, submitted, out, seed=seed, students=students, force=force,
                       workers=workers, unsafe_no_sandbox=unsafe_no_sandbox,
                       dask_scheduler=dask_scheduler,
                       manual_scores=manual_scores_reader(course, manual_scores, gradebook))
    run = AutogradeRun(result, failed=list(result.kit_errors))
    if gradebook:
        run.formgrader = _publish(course, run, gradebook, submitted, nbgrader_dir)
    if previous is not None:
        run.changes = score_changes(course, previous, result.results, students)
        run.changes_file = write_changes(out, run.changes)
    return run


def _publish(course: Course, run: AutogradeRun, gradebook: str, submitted: Path,
             nbgrader_dir: Path | None) -> str | None:
    from autograder.integrations.gradebook import formgrader_command, write_gradebook

    try:  # a secondary pass: grades.csv is written already, whatever happens here
        root, not_written = write_gradebook(course, run.batch.results, gradebook, submitted,
                                            nbgrader_dir)
    except Exception as exc:
        run.failed.append(f"gradebook {gradebook} not written: {type(exc).__name__}: {exc}")
        return None
    run.failed += not_written
    return formgrader_command(gradebook, root, submitted) if root else None


def manual_scores_reader(course: Course, manual_scores: str | None, gradebook: str | None
                         ) -> Callable[[], ManualScores] | None:
    """What reads the people's scores of manual problems from MANUAL_SCORES (a CSV or a
    gradebook) or else GRADEBOOK; None without either: the scores recorded by earlier
    runs stay."""
    source = manual_scores or gradebook
    if not source:
        return None

    def read() -> ManualScores:
        from autograder.integrations.gradebook import gradebook_file
        from autograder.integrations.manual_scores import read_manual_scores

        file = gradebook_file(source) if source == gradebook else None
        if file is not None and not file.exists():
            return {}  # a gradebook this run creates holds no scores yet
        return read_manual_scores(course, source)

    return read


def formgrader_layout(course: Course, submitted: Path, nbgrader_dir: Path | None
                      ) -> Path | None:
    """The nbgrader course directory for --gradebook's autograded/ and formgrader, checked
    before grading: a location the formgrader cannot serve is refused, not discovered
    after the class is graded."""
    from autograder.integrations.gradebook import nbgrader_root, submitted_directory

    if not submitted.is_dir():
        return None  # autograde says what is wrong with it
    names = {a.name for a in course.assignments}
    found = {p.name for p in submitted.glob("*/*") if p.name in names and p.is_dir()}
    root = nbgrader_root(course, nbgrader_dir, sorted(found))
    submitted_directory(root, submitted)
    return root
