"""The allowlist of equivalent mutants: parsing, matching, clear errors."""

from __future__ import annotations

import pytest

from autograder.audit.allowlist import allowlist_path, load_allowlist
from autograder.errors import ConfigError

PROBLEMS = ["mse", "train", "sgd_linear_regression"]
LEAVE = ("constant changed: for _ in tqdm(range(n_steps), leave=False): -> "
         "for _ in tqdm(range(n_steps), leave=True):")
GOOD = f'''\
# comment
equivalent:
  train:
    "{LEAVE}": tqdm's leave= only keeps the bar on screen
outputs_open:
  sgd_linear_regression: the draw order of the permutations is free
'''


def load(tmp_path, text):
    path = tmp_path / "audit-allowlist.yml"
    path.write_text(text)
    return load_allowlist(path, PROBLEMS)


def test_entries_match_by_problem_and_mutant_id(tmp_path):
    allow = load(tmp_path, GOOD)
    assert allow.reason("train", LEAVE) == "tqdm's leave= only keeps the bar on screen"
    assert allow.reason("mse", LEAVE) is None
    assert allow.reason("train", LEAVE + " #2") is None
    assert allow.outputs_open == {"sgd_linear_regression": "the draw order of the permutations "
                                                           "is free"}


def test_no_file_or_an_empty_file_is_an_empty_allowlist(tmp_path):
    assert load_allowlist(tmp_path / "none.yml", PROBLEMS).equivalent == {}
    assert load(tmp_path, "# nothing yet\n").equivalent == {}


def test_the_course_allowlist_is_beside_the_graders_and_valid(course):
    path = allowlist_path(course.path("graders"), "gradient-descent")
    assert path.parent.name == "gradient-descent" and path.is_file()
    problems = course.assignment("gradient-descent").problems
    load_allowlist(path, [p for p, spec in problems.items() if not spec.manual])


@pytest.mark.parametrize("text, message", [
    ("equivalent:\n  tran:\n    x: y\n", "equivalent.tran: no autograded problem of that name; "
                                         "did you mean 'train'?"),
    ("equivalent:\n  train:\n    some id:\n", "equivalent.train.'some id': give a one-line "
                                              "reason"),
    ("equivalent:\n  train:\n    some id: '  '\n", "give a one-line reason"),
    ("equivalent:\n  train:\n    a: x\n    a: y\n", "the key 'a' appears twice"),
    ("equivalents:\n  train: {}\n", "unknown key 'equivalents'; allowed keys: equivalent, "
                                    "outputs_open"),
    ("equivalent:\n  train: [a, b]\n", "equivalent.train: expected a mapping of mutant id"),
    ("equivalent: [train]\n", "equivalent: expected a mapping of problem"),
    ("outputs_open:\n  mse:\n", "outputs_open.mse: give a one-line reason"),
    ("- a\n- b\n", "expected a mapping with the keys equivalent and outputs_open"),
    ("equivalent: {train: [\n", "not valid YAML"),
    ("equivalent:\n  train:\n    a: |\n      two\n      lines\n", "must be one line"),
])
def test_mistakes_are_refused_with_file_key_and_fix(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)
    assert "audit-allowlist.yml" in str(caught.value)


def test_every_mistake_is_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "equivalent:\n  tran: {a: b}\n  mse: {a: ''}\nother: 1\n")
    assert "3 mistake(s)" in str(caught.value)


def test_entries_that_match_no_mutant_are_named_with_the_nearest_id(tmp_path):
    allow = load(tmp_path, GOOD)
    renamed = LEAVE.replace("n_steps", "steps")
    warnings = allow.stale({"train": {renamed, "statement dropped: x -> (deleted)"}})
    assert len(warnings) == 1
    assert f"no mutant {LEAVE!r} any more" in warnings[0]
    assert f"did you mean {renamed!r}" in warnings[0]
    assert allow.stale({"train": {LEAVE}}) == []
    assert allow.stale({"mse": set()}) == []  # train not audited: nothing to say
