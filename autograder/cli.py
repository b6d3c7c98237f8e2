"""The `course` command: a thin layer over the library (see autograder/__init__.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.errors import CourseKitError, ValidationFailed


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
                                       "(sqlite:///path/gradebook.db or a file path)")

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
    except KeyboardInterrupt:
        again = " (run the same command again to resume)" if args.command == "autograde" else ""
        print(f"\ncourse {args.command}: interrupted{again}", file=sys.stderr)
        return 130


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
        from autograder.batch.grade_class import autograde
        from autograder.reports.class_reports import summary_table

        batch = autograde(course, args.submitted, args.out, workers=args.workers, seed=args.seed,
                          unsafe_no_sandbox=args.unsafe_no_sandbox,
                          dask_scheduler=args.dask_scheduler)
        if args.gradebook:
            from autograder.integrations.gradebook import write_gradebook

            write_gradebook(course, batch.results, args.gradebook)
        print(summary_table(course, batch.results))
        print(f"\ngraded {batch.graded} submission(s), reused {batch.reused} finished earlier; "
              f"grades in {args.out / 'grades.csv'}")
        if batch.kit_errors:
            print("the kit failed on:\n" + "\n".join(batch.kit_errors), file=sys.stderr)
            return 2
        return 0
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


if __name__ == "__main__":
    sys.exit(main())
