"""The audit's reports: audit.html (per problem: the table, each survivor's and leak's
diff), the JSON file, and the table printed at the end of `course audit`."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.audit.mutants import FAMILIES
from autograder.audit.results import AuditResult
from autograder.audit.verdicts import Status
from autograder.reports.files import templates, write_atomic


def write_audit_reports(result: AuditResult, out: Path | None,
                        json_path: Path | None) -> list[Path]:
    written = []
    if out is not None:
        path = out / "audit.html"
        write_atomic(path, render_audit(result))
        written.append(path)
    if json_path is not None:
        write_atomic(json_path, json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        written.append(json_path)
    return written


def render_audit(result: AuditResult) -> str:
    order = {Status.SURVIVED: 0, Status.FLAKY: 1, Status.ERROR: 2, Status.KILLED: 3,
             Status.EQUIVALENT: 4}
    problems = []
    for p in result.problems:
        shown = sorted(p.verdicts, key=lambda v: (not v.leak and v.status != Status.SURVIVED,
                                                  order[v.status]))
        problems.append({"p": p, "verdicts": shown,
                         "attention": [v for v in shown if v.leak or v.status in
                                       (Status.SURVIVED, Status.FLAKY, Status.ERROR)]})
    return templates.get_template("audit.html").render(r=result, problems=problems,
                                                       Status=Status,
                                                       families_described=FAMILIES)


def summary_table(result: AuditResult) -> str:
    """Per problem: mutants, killed, survived, equivalent, flaky, leaks, the sweep."""
    head = (f"{'problem':<24}{'mutants':>8}{'killed':>8}{'survived':>9}{'equiv.':>7}"
            f"{'flaky':>6}{'leaks':>6}  reference/blank over {len(result.seeds)} seeds")
    lines = [head, "-" * len(head)]
    for p in result.problems:
        full = sum(s.reference >= p.possible for s in p.seeds)
        zero = sum(s.blank == 0 for s in p.seeds)
        lines.append(f"{p.problem:<24}{len(p.verdicts):>8}{p.count(Status.KILLED):>8}"
                     f"{p.count(Status.SURVIVED):>9}{p.count(Status.EQUIVALENT):>7}"
                     f"{p.count(Status.FLAKY):>6}{p.leaks:>6}  "
                     f"full marks {full}/{len(p.seeds)}, zero {zero}/{len(p.seeds)}")
    lines += ["", family_table(result)]
    return "\n".join(lines)


def family_table(result: AuditResult) -> str:
    """Per operator family (mutants.FAMILIES): mutants, verdicts, the kill rate."""
    head = (f"{'operator family':<34}{'mutants':>8}{'killed':>8}{'survived':>9}{'equiv.':>7}"
            f"{'flaky':>6}{'leaks':>6}{'kill rate':>10}")
    lines = [head, "-" * len(head)]
    for name, t in result.families().items():
        rate = "-" if t.kill_rate is None else f"{100 * t.kill_rate:.0f}%"
        lines.append(f"{name:<34}{len(t.verdicts):>8}{t.count(Status.KILLED):>8}"
                     f"{t.count(Status.SURVIVED):>9}{t.count(Status.EQUIVALENT):>7}"
                     f"{t.count(Status.FLAKY):>6}{t.leaks:>6}{rate:>10}")
    return "\n".join(lines)


def console_report(result: AuditResult, written: list[Path], shown: int = 25) -> str:
    """What `course audit` prints: the table, the failures (the first SHOWN), the verdict."""
    lines = [summary_table(result), ""]
    lines += [f"warning: {w}" for w in result.warnings]
    if result.failures:
        lines.append(f"{len(result.failures)} failure(s):")
        lines += [f"  - {f}" for f in result.failures[:shown]]
        if len(result.failures) > shown:
            lines.append(f"  ... and {len(result.failures) - shown} more")
    lines += [f"wrote {path}" for path in written]
    lines.append(f"course audit: {'OK' if result.ok else 'FAILED'} "
                 f"({result.gradings} notebook executions, {result.seconds:.0f} s, "
                 f"{result.workers} grading process(es))")
    return "\n".join(lines)
