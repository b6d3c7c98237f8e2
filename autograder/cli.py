"""The `course` command: a thin layer over the library (see autograder/__init__.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.errors import CourseKitError, ValidationFailed

if TYPE_CHECKING:
    from autograder.config import Course


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__)
    parser.add_argument("--course", default=".", help="course directory (holds course.yml)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="source -> release (nbgrader) and executed solutions")
    p.add_argument("assignment", nargs="*", help="assignments (default: all)")

    p = sub.add_parser("validate", help="what CI runs: metadata, sync, reference grading")
    p.add_argument("--quick", action="store_true",
                   help="skip executing and grading notebooks (metadata and sync only)")

    p = sub.add_parser("autograde", help="grade SUBMITTED/<student>/<assignment>/*.ipynb")
    p.add_argument("submitted", type=Path,
                   help="nbgrader's submitted/ layout: <student>/<assignment>/<notebook>.ipynb")
    p.add_argument("--out", type=Path, required=True,
                   help="where grades.csv, summary.html and each student's results.json and "
                        "feedback.html go; a rerun reuses the submissions already graded")
    p.add_argument("--workers", type=_positive, default=1,
                   help="grading processes side by side, about one core each (default 1)")
    p.add_argument("--seed", type=int,
                   help="replay a grading with this seed (default: a regrade in place replays "
                        "the seed of the results in --out; a new --out draws one)")
    p.add_argument("--dask-scheduler", help="tcp://HOST:PORT of a Dask cluster to grade on")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade without bubblewrap (student code can reach your files and "
                        "network; see SECURITY.md)")
    p.add_argument("--gradebook", help="also write scores into this nbgrader gradebook "
                                       "(sqlite:///path/gradebook.db or a file path), and "
                                       "nbgrader's autograded/ notebooks for its formgrader; "
                                       "scores entered there come back on the next run")
    p.add_argument("--nbgrader-dir", type=Path,
                   help="nbgrader course directory that gets autograded/<student>/"
                        "<assignment>/ for the formgrader (default: the --gradebook file's "
                        "folder)")
    p.add_argument("--manual-scores",
                   help="the scores people gave the manually graded problems: a CSV "
                        "(student,assignment,problem,points,comment) or an nbgrader "
                        "gradebook (default: the --gradebook)")
    p.add_argument("--student", action="append", default=[], metavar="ID",
                   help="grade only this student (repeatable); the others' results stay")
    p.add_argument("--force", action="store_true",
                   help="grade again what a rerun would reuse (the --student ones, or all)")
    p.add_argument("--allow-fewer-students", action="store_true",
                   help="let this run's grades.csv lack submissions the one in --out has "
                        "(they were taken out of SUBMITTED on purpose)")
    p.add_argument("--compare", type=Path, metavar="PREVIOUS_OUT",
                   help="list every score that differs from this earlier --out folder "
                        "(terminal and OUT/changes.csv); grade into a new --out to preview. "
                        "Its manual scores carry over, and it grades with its seed, as a "
                        "regrade in place does")

    p = sub.add_parser("grades", help="final grades: autograded + manual points - late "
                                      "penalty (OUT/final.csv), and the LMS export")
    p.add_argument("out", type=Path, help="the --out folder of course autograde")
    manual = p.add_mutually_exclusive_group()
    manual.add_argument("--gradebook", help="manual scores from this nbgrader gradebook "
                                            "(sqlite:///path/gradebook.db or a file path)")
    manual.add_argument("--manual-scores", type=Path, metavar="FILE.csv",
                        help="manual scores from a CSV: student,assignment,problem,points,"
                             "comment")
    p.add_argument("--submitted", type=Path,
                   help="nbgrader's submitted/ folder, for each timestamp.txt (default: the "
                        "folder each results.json was graded from)")
    p.add_argument("--roster", type=Path, metavar="ROSTER.csv",
                   help="maps student ids to the LMS's: a `student` column and Canvas's "
                        "Student, ID, SIS User ID, SIS Login ID, Section")
    p.add_argument("--canvas", action="store_true",
                   help="also write OUT/canvas.csv in Canvas's gradebook import format")

    p = sub.add_parser("export", help="package an assignment for another platform")
    p.add_argument("platform", choices=["gradescope"])
    p.add_argument("assignment")
    p.add_argument("--out", type=Path, default=Path("autograder.zip"))
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="let the autograder grade without bubblewrap where it cannot run "
                        "(see SECURITY.md)")

    p = sub.add_parser("audit", help="measure the hidden graders: seed sweep of the reference "
                                     "and the blank notebook, mutants of the reference")
    p.add_argument("assignment")
    p.add_argument("--seeds", type=_positive, default=20,
                   help="seeds of the sweep (default 20); mutants use the first 3")
    p.add_argument("--seed", type=int, help="first seed of the sweep (default: random)")
    p.add_argument("--problems", type=lambda text: [p for p in text.split(",") if p],
                   help="audit only these problems (comma-separated grade_ids)")
    p.add_argument("--out", type=Path, default=Path("out/audit"),
                   help="where audit.html goes (default out/audit)")
    p.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    p.add_argument("--workers", type=_positive, default=2,
                   help="grading processes side by side, about one core each (default 2)")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade without bubblewrap (see SECURITY.md)")

    p = sub.add_parser("check", help="run a notebook's visible tests locally")
    p.add_argument("notebook", type=Path)

    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except ValidationFailed as exc:
        print(f"course validate: FAILED\n{exc}", file=sys.stderr)
        return 1
    except CourseKitError as exc:
        print(f"course {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        extra = _EXTRAS.get((exc.name or "").partition(".")[0])
        if extra is None:
            raise
        print(f"course {args.command}: error: {exc.name} is not installed; this command needs "
              f"the kit's {extra!r} extra: pip install -c constraints.txt -e \".[{extra}]\"",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        again = " (run the same command again to resume)" if args.command == "autograde" else ""
        print(f"\ncourse {args.command}: interrupted{again}", file=sys.stderr)
        return 130


def _manual_scores_reader(course: Course, args: argparse.Namespace) -> Callable[[], dict] | None:
    """What reads the people's scores of manual problems from --manual-scores or
    --gradebook (None without either: the scores recorded by earlier runs stay)."""
    source = args.manual_scores or args.gradebook
    if not source:
        return None

    def read() -> dict:
        from autograder.integrations.gradebook import gradebook_file
        from autograder.integrations.manual_scores import read_manual_scores

        file = gradebook_file(source) if source == args.gradebook else None
        if file is not None and not file.exists():
            return {}  # a gradebook this run creates holds no scores yet
        return read_manual_scores(course, source)

    return read


# Packages of the optional extras (pyproject.toml), by the extra that installs them.
_EXTRAS = {"nbgrader": "instructor", "nbclient": "instructor", "nbconvert": "instructor",
           "jupyter_client": "instructor", "dask": "cluster", "distributed": "cluster"}


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _dispatch(args: argparse.Namespace) -> int:
    from autograder.config import load_course

    if args.command == "check":
        from autograder.authoring.check import check_notebook

        return check_notebook(args.notebook, Path(args.course))
    course = load_course(args.course)
    if args.command in ("autograde", "grades"):  # a grade out of points nobody stated
        from autograder.authoring.points import require_agreement

        require_agreement(course, args.command)
    if args.command == "generate":
        from autograder.authoring.generate import generate

        timings = generate(course, args.assignment or None)
        print(f"solutions executed in {sum(timings.values()):.1f} s in total")
        return 0
    if args.command == "validate":
        from autograder.authoring.validate import validate

        for line in validate(course, quick=args.quick):
            print(line)
        print("course validate: OK")
        return 0
    if args.command == "autograde":
        from autograder.batch.grade_class import autograde
        from autograder.reports.class_reports import summary_table

        if args.nbgrader_dir and not args.gradebook:
            raise CourseKitError("--nbgrader-dir says where nbgrader's autograded/ notebooks go "
                                 "for the formgrader; it needs --gradebook")
        previous, seed = None, args.seed
        if args.compare:
            from autograder.grades.compare import previous_seed
            from autograder.grades.graded import read_graded

            if args.gradebook:
                raise CourseKitError("--compare previews a regrade: review the changes, then "
                                     "run again with --gradebook and without --compare (it "
                                     "reuses what was graded) to publish")
            if args.compare.resolve() == args.out.resolve():
                raise CourseKitError("--compare needs another folder than --out: grade into "
                                     "a new one, compare, then publish it")
            previous = read_graded(course, args.compare).results
            if seed is None and (seed := previous_seed(previous)) is not None:
                print(f"grading with the seed of {args.compare} ({seed}), so that only "
                      "changes to the graders, course.yml or submissions show")
        elif seed is None:
            from autograder.grades.compare import seed_in_place

            if (seed := seed_in_place(course, args.out)) is not None:
                print(f"regrading with the seed of the results in {args.out} ({seed}), as a "
                      "preview of this regrade did (--seed N draws other inputs)")
        batch = autograde(course, args.submitted, args.out, workers=args.workers, seed=seed,
                          unsafe_no_sandbox=args.unsafe_no_sandbox,
                          dask_scheduler=args.dask_scheduler, students=args.student,
                          force=args.force,
                          manual_scores=_manual_scores_reader(course, args),
                          allow_fewer_students=args.allow_fewer_students,
                          scores_from=args.compare)
        failed = list(batch.kit_errors)
        formgrader = None
        if args.gradebook:
            from autograder.integrations.gradebook import formgrader_command, write_gradebook

            try:  # a secondary pass: grades.csv is written already, whatever happens here
                root, not_written = write_gradebook(course, batch.results, args.gradebook,
                                                    args.submitted, args.nbgrader_dir)
                failed += not_written
                formgrader = formgrader_command(args.gradebook, root) if root else None
            except Exception as exc:
                failed.append(f"gradebook {args.gradebook} not written: "
                              f"{type(exc).__name__}: {exc}")
        print(summary_table(course, batch.results))
        print(f"\ngraded {batch.graded} submission(s), reused {batch.reused} finished earlier; "
              f"grades in {args.out / 'grades.csv'}")
        if batch.stale:
            print(f"kept the earlier results of {len(batch.stale)} submission(s) not chosen with "
                  "--student, graded with another course.yml, graders or submission: "
                  f"{', '.join(batch.stale)}; run without --student to regrade them",
                  file=sys.stderr)
        _print_rescore(batch.results)
        if previous is not None:
            from autograder.grades.compare import changes_table, score_changes, write_changes

            changes = score_changes(course, previous, batch.results, args.student)
            print("\n" + changes_table(changes, str(args.compare)))
            print(f"changes in {write_changes(args.out, changes)}")
        if formgrader:
            print(f"\nwritten answers: grade them in nbgrader's formgrader, then run this "
                  f"command again to bring the scores into the reports:\n{formgrader}")
        if failed:
            print("the kit failed on:\n" + "\n".join(failed), file=sys.stderr)
            return 2
        return 0
    if args.command == "grades":
        return _grades(course, args)
    if args.command == "audit":
        from autograder.audit.report import console_report, write_audit_reports
        from autograder.audit.run import audit

        result = audit(course, args.assignment, seeds=args.seeds, first_seed=args.seed,
                       problems=args.problems, workers=args.workers,
                       unsafe_no_sandbox=args.unsafe_no_sandbox)
        written = write_audit_reports(result, args.out, args.json)
        print(console_report(result, written))
        return 0 if result.ok else 1
    if args.command == "export":
        from autograder.integrations.gradescope import export_gradescope

        path = export_gradescope(course, args.assignment, args.out, args.unsafe_no_sandbox)
        print(f"wrote {path}: upload it as the autograder of {args.assignment!r} on Gradescope")
        return 0
    raise AssertionError(args.command)


def _print_rescore(results: list) -> None:
    from autograder.pipeline.answer_changes import awaiting_rescore

    lines = awaiting_rescore(results)
    if lines:
        print(f"\n{len(lines)} written answer(s) changed since they were scored; their old "
              "scores are kept as history, not as grades: score them again\n"
              + "\n".join(lines))


def _grades(course: Course, args: argparse.Namespace) -> int:
    from autograder.grades.write import write_grades

    written = write_grades(course, args.out, manual_scores=args.gradebook or args.manual_scores,
                           submitted=args.submitted, roster=args.roster, canvas=args.canvas)
    for warning in written.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if written.roster_report:
        print(f"roster ({args.roster}):", file=sys.stderr)
        for line in written.roster_report:
            print(f"  {line}", file=sys.stderr)
    counts = ", ".join(f"{n} {status}" for status, n in written.counts().items() if n)
    print(f"{len(written.grades)} row(s) in final.csv: {counts}")
    print("wrote " + ", ".join(str(f) for f in written.files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
