"""The audit's plan: variants named by a typed label, and what is graded again, fresh."""

from __future__ import annotations

from autograder.audit.grading import Grading, Kind, Label, Variant, VariantResult
from autograder.audit.run import _by_seed, _replace_grading, _to_grade_again

NB = "02-seven-steps.ipynb"
CHOSEN = {"mse": NB}


def _graded(variant: Variant, scores: dict[int, float]) -> VariantResult:
    return VariantResult(variant.label, [Grading(seed, {"mse": points}, [])
                                         for seed, points in scores.items()])


def test_a_mutant_whose_score_depends_on_the_seed_is_graded_again_one_seed_at_a_time():
    steady = Variant(Label(Kind.MUTANT, NB, 0), "a", (1, 2, 3), (("mse", "..."),), ("mse",))
    shaky = Variant(Label(Kind.MUTANT, NB, 1), "a", (1, 2, 3), (("mse", "..."),), ("mse",))
    blank = Variant(Label(Kind.BLANK, NB, 0), "a", (1, 2, 3))
    control = Variant(Label(Kind.CONTROL, NB), "a", (1, 2, 3), record=True)
    results = {steady.label: _graded(steady, {1: 0.0, 2: 0.0, 3: 0.0}),
               shaky.label: _graded(shaky, {1: 0.0, 2: 1.0, 3: 0.0}),
               blank.label: _graded(blank, {1: 0.0, 2: 0.5, 3: 0.0}),
               control.label: _graded(control, {1: 0.0, 2: 1.0, 3: 0.0})}
    again = _to_grade_again([steady, shaky, blank, control], results, CHOSEN)
    assert [(str(v.label), v.seeds) for v in again] == [
        ("mutant:02-seven-steps.ipynb:1@1", (1,)), ("mutant:02-seven-steps.ipynb:1@2", (2,)),
        ("mutant:02-seven-steps.ipynb:1@3", (3,)), ("blank:02-seven-steps.ipynb:0@2", (2,))]
    # A fresh grading replaces its seed's in the variant it came from.
    fresh = _graded(again[-1], {2: 0.0})
    _replace_grading(results[blank.label], fresh, 2)
    assert {seed: g.scores["mse"] for seed, g in _by_seed(results, Kind.BLANK, NB).items()} \
        == {1: 0.0, 2: 0.0, 3: 0.0}
    assert results[blank.label].fresh_seeds == [2]
