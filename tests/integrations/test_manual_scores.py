"""Manual scores read back from a CSV or from nbgrader's gradebook."""

from __future__ import annotations

import pytest

from autograder.errors import ConfigError
from autograder.integrations.gradebook import write_gradebook
from autograder.integrations.manual_scores import ManualScore, read_manual_scores
from autograder.results import SubmissionResult
from tests.builders import ASSIGNMENT, synthetic_result


def test_a_csv_gives_points_and_comments_and_skips_blank_rows(course, tmp_path):
    path = tmp_path / "manual.csv"
    path.write_text("student,assignment,problem,points,comment\n"
                    f"ada,{ASSIGNMENT},explain_lecture_bug,1.5,clear\n"
                    f"bob,{ASSIGNMENT},explain_lecture_bug,,\n")
    assert read_manual_scores(course, path) == {
        ("ada", ASSIGNMENT, "explain_lecture_bug"): ManualScore(1.5, "clear")}


def test_a_comment_may_span_lines_and_line_numbers_stay_right(course, tmp_path):
    path = tmp_path / "manual.csv"
    path.write_text("student,assignment,problem,points,comment\n"
                    f'ada,{ASSIGNMENT},explain_lecture_bug,2,"first line\nsecond, line"\n'
                    f"bob,{ASSIGNMENT},explain_lecture_bug,3,\n")
    with pytest.raises(ConfigError, match="line 4: 3 points is outside"):
        read_manual_scores(course, path)
    path.write_text(path.read_text().replace(",3,", ",1,"))
    assert read_manual_scores(course, path)[("ada", ASSIGNMENT, "explain_lecture_bug")] == \
        ManualScore(2, "first line\nsecond, line")


@pytest.mark.parametrize("rows, words", [
    (f"ada,{ASSIGNMENT}\n", "line 2: student, assignment and problem are required"),
    (f"ada,{ASSIGNMENT},explain_lecture_bug,1,\nada,{ASSIGNMENT},explain_lecture_bug,2,\n",
     "line 3: ada/gradient-descent/explain_lecture_bug is already on line 2"),
])
def test_a_short_or_repeated_row_is_refused(course, tmp_path, rows, words):
    path = tmp_path / "manual.csv"
    path.write_text("student,assignment,problem,points,comment\n" + rows)
    with pytest.raises(ConfigError, match=words):
        read_manual_scores(course, path)


def test_a_csv_that_is_not_utf8_is_refused_plainly(course, tmp_path):
    path = tmp_path / "manual.csv"
    path.write_bytes(b"student,assignment,problem,points\n\xff\xfe,,,\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_manual_scores(course, path)


@pytest.mark.parametrize("row, words", [
    (f"ada,{ASSIGNMENT},mse,1,", "not a manually graded problem"),
    (f"ada,{ASSIGNMENT},explain_lecture_bug,lots,", "not a number"),
    (f"ada,{ASSIGNMENT},explain_lecture_bug,99,", "outside 0..2"),
])
def test_a_bad_csv_row_is_named(course, tmp_path, row, words):
    path = tmp_path / "manual.csv"
    path.write_text("student,assignment,problem,points,comment\n" + row + "\n")
    with pytest.raises(ConfigError, match=words) as err:
        read_manual_scores(course, path)
    assert "line 2" in str(err.value)


@pytest.mark.slow
def test_a_score_entered_in_the_gradebook_is_read_back(course, tmp_path):
    from nbgrader.api import Gradebook

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    write_gradebook(course, [SubmissionResult.from_dict({**synthetic_result(course, {}),
                                                         "student": "ada"})], url)
    assert read_manual_scores(course, url) == {}  # nothing entered yet
    with Gradebook(url) as gb:
        gb.find_grade("explain_lecture_bug", "02-seven-steps", ASSIGNMENT, "ada"
                      ).manual_score = 1.0
        gb.find_comment("explain_lecture_bug", "02-seven-steps", ASSIGNMENT, "ada"
                        ).manual_comment = "the update scales params, not the gradient"
        gb.db.commit()
    assert read_manual_scores(course, url) == {
        ("ada", ASSIGNMENT, "explain_lecture_bug"):
            ManualScore(1.0, "the update scales params, not the gradient")}
