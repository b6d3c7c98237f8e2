"""Step 6, report: results.json and feedback.html per submission, grades.csv for the class.

Every file is written atomically (temporary file + rename), so an interrupted run
never leaves a half-written grades.csv or results.json behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .config import Course

_templates = Environment(loader=PackageLoader("autograder", "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True,
                         lstrip_blocks=True)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_submission_reports(out: Path, result: Any, data: dict[str, Any]) -> None:
    folder = out / result.student / result.assignment
    write_atomic(folder / "feedback.html", render_feedback(data))
    # results.json last: its presence marks the submission as done for a resumed run.
    write_atomic(folder / "results.json", json.dumps(data, indent=2, ensure_ascii=False))


def render_feedback(data: dict[str, Any]) -> str:
    return _templates.get_template("feedback.html").render(r=data, figures=feedback_figures(data))


def feedback_figures(data: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """notebook -> plots drawn from what the graders attached (grading.attach)."""
    found: dict[str, list[dict[str, str]]] = {}
    for nb in data["notebooks"]:
        for art in nb.get("artifacts", []):
            if art.get("kind") != "fit":
                continue
            from .figures import fit_figure  # matplotlib only when there is something to draw

            passed = {t["name"]: t["passed"] for t in nb["tests"]}.get(art.get("test"))
            caption = (f"{art['problem']}: your fit (blue) against the data and the "
                       "least-squares fit (green, dashed), on the grader's data"
                       + ("" if passed is None else " (this check passed)" if passed
                          else " (this check failed)"))
            found.setdefault(nb["notebook"], []).append(
                {"src": fit_figure(art["data"], art["problem"], art.get("labels")),
                 "caption": caption})
    return found


def grades_csv(course: Course, results: list[dict[str, Any]]) -> str:
    """One row per (student, assignment); manual problems say 'pending', not 0."""
    columns = [g for a in course.assignments for g in a.problems]
    columns = list(dict.fromkeys(columns))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "assignment", *columns, "total", "possible"])
    for r in results:
        earned = {p["problem"]: p["points"] for nb in r["notebooks"] for p in nb["problems"]}
        row = [r["student"], r["assignment"]]
        for g in columns:
            value = earned.get(g, "")
            row.append("pending" if value is None else _number(value) if value != "" else "")
        writer.writerow([*row, _number(r["total"]), _number(r["possible"])])
    return buffer.getvalue()


def _number(x: float) -> str:
    return f"{x:g}"


def write_class_reports(course: Course, out: Path, results: list[dict[str, Any]],
                        pairs: dict[str, list[Any]] | None = None) -> None:
    """grades.csv and summary.html; PAIRS from similarity.class_pairs (None: not checked)."""
    from .summary import write_summary

    write_atomic(out / "grades.csv", grades_csv(course, results))
    write_summary(course, out, results, pairs)


def summary_table(course: Course, results: list[dict[str, Any]]) -> str:
    """A plain-text table for the terminal: one line per submission, then pass rates."""
    lines = []
    width = max([len(r["student"]) for r in results] + [7])
    lines.append(f"{'student':<{width}}  {'assignment':<18} {'score':>11}  notes")
    for r in results:
        notes = []
        for nb in r["notebooks"]:
            if nb["status"] != "graded":
                notes.append(f"{nb['notebook']}: {nb['reason'].splitlines()[0][:60]}")
            elif nb["changes"]:
                notes.append(f"{nb['notebook']}: {len(nb['changes'])} cell change(s) restored")
        score = f"{r['total']:g}/{r['possible']:g}"
        lines.append(f"{r['student']:<{width}}  {r['assignment']:<18} {score:>11}  "
                     + "; ".join(notes))
    rates: dict[str, list[float]] = {}
    for r in results:
        for nb in r["notebooks"]:
            for p in nb["problems"]:
                if p["points"] is not None and p["possible"]:
                    rates.setdefault(p["problem"], []).append(p["points"] / p["possible"])
    if rates:
        lines.append("")
        lines.append("problem                   mean score")
        for problem, values in rates.items():
            lines.append(f"{problem:<25} {100 * sum(values) / len(values):9.0f}%")
    return "\n".join(lines)
