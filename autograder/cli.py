"""The `course` command: a thin layer over the library (see autograder/__init__.py)."""

from __future__ import annotations

import argparse
import sys
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
    p.add_argument("--seed", type=int, help="replay a grading with this seed")
    p.add_argument("--dask-scheduler", help="tcp://HOST:PORT of a Dask cluster to grade on")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade without bubblewrap (student code can reach your files and "
                        "network; see SECURITY.md)")
    p.add_argument("--gradebook", help="also write scores into this nbgrader gradebook "
                                       "(sqlite:///path/gradebook.db or a file path), and "
                                       "nbgrader's autograded/ notebooks for its formgrader; "
                                       "scores entered there come back on the next run")
    p.add_argument("--nbgrader-dir", type=Path,
                   help="nbgrader course directory (with source/<assignment>/) that gets "
                        "autograded/<student>/<assignment>/ and that the formgrader serves "
                        "(default: the course directory, wherever the gradebook is)")
    p.add_argument("--manual-scores",
                   help="the scores people gave the manually graded problems: a CSV "
                        "(student,assignment,problem,points,comment) or an nbgrader "
                        "gradebook (default: the --gradebook)")
    p.add_argument("--student", action="append", default=[], metavar="ID",
                   help="grade only this student (repeatable); the others' results stay")
    p.add_argument("--force", action="store_true",
                   help="grade again what a rerun would reuse (the --student ones, or all)")
    p.add_argument("--compare", type=Path, metavar="PREVIOUS_OUT",
                   help="list every score that differs from this earlier --out folder "
                        "(terminal and OUT/changes.csv); grade into a new --out to preview")

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
                   help="Canvas's gradebook export, as Canvas writes it, with the kit's "
                        "student ids in a column `student` (or the one --roster-id names)")
    p.add_argument("--roster-id", default="student", metavar="COLUMN",
                   help="the roster's column that holds the kit's student ids (default "
                        "`student`; 'SIS Login ID' when Canvas's logins are those ids)")
    p.add_argument("--canvas", action="store_true",
                   help="also write OUT/canvas.csv in Canvas's gradebook import format")

    p = sub.add_parser("feedback", help="each student's feedback laid out as nbgrader's "
                                        "feedback/<student>/<assignment>/<notebook>.html")
    p.add_argument("out", type=Path, help="the --out folder of course autograde")
    p.add_argument("--to", type=Path, required=True, metavar="DIR",
                   help="where the pages go: the feedback/ folder of the nbgrader course "
                        "directory, for `nbgrader release_feedback`")
    p.add_argument("--student", action="append", default=[], metavar="ID",
                   help="only this student's feedback (repeatable)")

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
        return _autograde(course, args)
    if args.command == "grades":
        return _grades(course, args)
    if args.command == "feedback":
        return _feedback(course, args)
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
        from autograder.integrations.gradescope_export import export_gradescope

        path = export_gradescope(course, args.assignment, args.out, args.unsafe_no_sandbox)
        print(f"wrote {path}: upload it as the autograder of {args.assignment!r} on Gradescope")
        return 0
    raise AssertionError(args.command)


def _autograde(course: Course, args: argparse.Namespace) -> int:
    from autograder.grades.autograde_run import run_autograde
    from autograder.grades.compare import changes_table
    from autograder.reports.class_reports import summary_table

    run = run_autograde(course, args.submitted, args.out, seed=args.seed, compare=args.compare,
                        gradebook=args.gradebook, nbgrader_dir=args.nbgrader_dir,
                        manual_scores=args.manual_scores, students=args.student,
                        workers=args.workers, unsafe_no_sandbox=args.unsafe_no_sandbox,
                        dask_scheduler=args.dask_scheduler, force=args.force)
    batch = run.batch
    print(summary_table(course, batch.results))
    print(f"\ngraded {batch.graded} submission(s), reused {batch.reused} finished earlier; "
          f"grades in {args.out / 'grades.csv'}")
    if batch.stale:
        print(f"kept the earlier results of {len(batch.stale)} submission(s) not chosen with "
              "--student, graded with another course.yml, graders or submission: "
              f"{', '.join(batch.stale)}; run without --student to regrade them",
              file=sys.stderr)
    if run.changes is not None:
        print("\n" + changes_table(run.changes, str(args.compare)))
        print(f"changes in {run.changes_file}")
    if run.formgrader:
        print(f"\nwritten answers: grade them in nbgrader's formgrader, then run this "
              f"command again to bring the scores into the reports:\n{run.formgrader}")
    if run.failed:
        print("the kit failed on:\n" + "\n".join(run.failed), file=sys.stderr)
        return 2
    return 0


def _grades(course: Course, args: argparse.Namespace) -> int:
    from autograder.grades.write import write_grades

    written = write_grades(course, args.out, manual_scores=args.gradebook or args.manual_scores,
                           submitted=args.submitted, roster=args.roster, canvas=args.canvas,
                           roster_id=args.roster_id)
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


def _feedback(course: Course, args: argparse.Namespace) -> int:
    from autograder.grades.feedback import write_feedback

    written = write_feedback(course, args.out, args.to, args.student)
    print(f"wrote {len(written.pages)} page(s) of {written.submissions} submission(s) into "
          f"{args.to}/<student>/<assignment>/; release them from the nbgrader course "
          "directory whose feedback/ that is:")
    for assignment in written.assignments:
        left = written.not_releasable.get(assignment, [])
        exclude = f" --CourseDirectory.student_id_exclude={','.join(left)}" if left else ""
        print(f"  nbgrader release_feedback {assignment}{exclude}")
        if left:
            print(f"{assignment}: {', '.join(left)} did not submit through `nbgrader submit` "
                  "(no timestamp.txt and submission_secret.txt), so nbgrader cannot release "
                  "their pages: hand those out otherwise", file=sys.stderr)
    if written.failed:
        print("not written, their results cannot be read:\n" + "\n".join(written.failed),
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
