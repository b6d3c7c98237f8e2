"""Manual scores and written answers in what the kit writes: grades.csv, feedback, summary."""

from __future__ import annotations

import csv
import io

from autograder.reports.class_reports import grades_csv
from autograder.reports.submission import render_feedback
from autograder.reports.summary import render_summary
from autograder.results import SubmissionResult
from tests.builders import synthetic_result

PROBLEM = "explain_lecture_bug"
HOSTILE = "It scales params.\n<script>alert('x')</script> & *not* the gradient"


def _class(course) -> list[SubmissionResult]:
    """ada graded by hand with a comment, bob's answer pending, cy gave no answer."""
    return [
        SubmissionResult.from_dict({**synthetic_result(
            course, {}, answers={PROBLEM: "It ignores the gradient."},
            graded={PROBLEM: (1.5, "Right, but <why> did the loss move?")}), "student": "ada"}),
        SubmissionResult.from_dict({**synthetic_result(course, {"mse": 0.0},
                                                       answers={PROBLEM: HOSTILE}),
                                    "student": "bob"}),
        SubmissionResult.from_dict({**synthetic_result(course, {}, answers={PROBLEM: ""}),
                                    "student": "cy"}),
    ]


def test_grades_csv_has_manual_points_where_given_and_pending_elsewhere(course):
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(grades_csv(course,
                                                                            _class(course))))}
    assert (rows["ada"][PROBLEM], rows["ada"]["total"], rows["ada"]["possible"]) == \
        ("1.5", "27.5", "28")
    # One denominator: the pending points are in `possible`, and `pending` says how many
    assert (rows["bob"][PROBLEM], rows["bob"]["total"], rows["bob"]["possible"],
            rows["bob"]["pending"]) == ("pending", "25", "28", "2")
    assert rows["ada"]["pending"] == rows["cy"]["pending"] == "0"
    assert (rows["cy"][PROBLEM], rows["cy"]["total"], rows["cy"]["possible"]) == \
        ("0", "26", "28")


def test_feedback_shows_the_manual_score_and_the_graders_comment(course):
    ada, bob, cy = _class(course)
    page = render_feedback(ada)
    assert "Score: 27.5 / 28" in page and "Not included yet" not in page
    assert "1.5 / 2</td>\n <td></td>\n <td>graded by your instructor" in page
    assert 'id="comment-explain_lecture_bug"' in page
    assert "Right, but &lt;why&gt; did the loss move?" in page
    pending = render_feedback(bob)
    assert "Autograded score: 25 / 28" in pending
    assert f"Not included yet: {PROBLEM}, graded by your instructor." in pending
    assert "Comments from your instructor" not in pending
    assert "no answer was given" in render_feedback(cy)


def test_summary_shows_every_written_answer_escaped_with_its_score(course):
    page = render_summary(course, _class(course))
    section = page[page.index(f'id="answers-gradient-descent-{PROBLEM}"'):]
    section = section[:section.index("</table>")]
    assert "(2 points, 1 pending)" in section
    assert section.index(">ada<") < section.index(">bob<") < section.index(">cy<")
    assert "It ignores the gradient." in section and "1.5 / 2" in section
    assert "Right, but &lt;why&gt; did the loss move?" in section
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; *not* the gradient" in section
    assert "<script>" not in page
    assert "no answer" in section and "pending" in section
    text = " ".join(page.split())
    assert ("3 submission(s); mean 26.2, median 26 of 28 points (1 manual score(s) pending, "
            "not included).") in text


def test_one_denominator_and_means_that_say_what_they_cover(course):
    from autograder.reports.class_reports import summary_table

    table = summary_table(course, _class(course))
    lines = {line.split()[0]: line for line in table.splitlines() if line.strip()}
    assert "27.5/28" in lines["ada"] and "25/28" in lines["bob"] and "26/28" in lines["cy"]
    assert f"2 point(s) pending: {PROBLEM}" in lines["bob"]
    assert "pending" not in lines["ada"] + lines["cy"]
    # ada 1.5 of 2 and cy 0: 37.5 %, over the two answers scored; bob's is pending
    assert lines[PROBLEM].split()[1:] == ["38%", "of", "2", "scored,", "1", "pending"]
    assert lines["mse"].split()[1:] == ["67%"]  # every answer scored: nothing to add

    everyone_pending = [r for r in _class(course) if r.student == "bob"]
    table = summary_table(course, everyone_pending)
    row = next(line for line in table.splitlines() if line.startswith(PROBLEM))
    assert row.split()[1:] == ["-", "of", "0", "scored,", "1", "pending"]  # never 0 %
    page = render_summary(course, everyone_pending)
    row = page[page.index(f"<code>{PROBLEM}</code></td>"):]
    row = row[:row.index("</tr>")]
    assert row.count('class="num pending">pending</td>') == 2 and "0%" not in row
