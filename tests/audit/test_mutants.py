"""Mutant generation: each operator on a small function, valid code, stable ids."""

from __future__ import annotations

import ast

import pytest
from mistakes import MISTAKES

from autograder.audit.mutants import FAMILIES, catalogued_mistakes, mutants_of, reference_code

SMALL = '''def f(x, y, n=3):
    """Docstring: never mutated."""
    z = x + y * 2
    if z < 3 and x:
        z = -z
    for i in range(n):
        z = z[1:n]
    with torch.no_grad():
        x.grad = None
    return z.mean().detach()
'''


def ids(source: str, problem: str = "f") -> list[str]:
    return [m.id for m in mutants_of(problem, source)]


@pytest.mark.parametrize("expected", [
    "+ for -: z = x + y * 2 -> z = x - y * 2",
    "* for /: z = x + y * 2 -> z = x + y / 2",
    "constant changed: z = x + y * 2 -> z = x + y * 3",
    "constant changed: def f(x, y, n=3): -> def f(x, y, n=4):",
    "< for <=: if z < 3 and x: -> if z <= 3 and x:",
    "< for >: if z < 3 and x: -> if z > 3 and x:",
    "and/or swapped: if z < 3 and x: -> if z < 3 or x:",
    "sign removed: z = -z -> z = z",
    "range off by one: for i in range(n): -> for i in range(n - 1):",
    "range off by one: for i in range(n): -> for i in range(n + 1):",
    "range off by one: for i in range(n): -> for i in range(1, n):",
    "slice off by one: z = z[1:n] -> z = z[1:n + 1]",
    "statement dropped: z = x + y * 2 -> (deleted)",
    "torch.no_grad() removed: with torch.no_grad(): / x.grad = None -> x.grad = None",
    "gradient reset dropped: x.grad = None -> pass",
    "mean for sum: return z.mean().detach() -> return z.sum().detach()",
    ".detach() removed: return z.mean().detach() -> return z.mean()",
    "the input returned: return z.mean().detach() -> return x",
    "a constant returned: return z.mean().detach() -> return torch.zeros_like(z.mean().detach())",
])
def test_each_operator_makes_its_mutant(expected):
    assert expected in ids(SMALL)


LOOPS = '''def g(xs, tol):
    total = 0.0
    for x in xs:
        if x > tol:
            break
        total += x
    mode = "fast"
    while total > 10:
        continue
    return float(total)
'''


@pytest.mark.parametrize("expected, family", [
    ("+ for -: z = x + y * 2 -> z = x - y * 2", "arithmetic operator replacement"),
    ("< for >: if z < 3 and x: -> if z > 3 and x:", "comparison operator replacement"),
    ("and/or swapped: if z < 3 and x: -> if z < 3 or x:", "logical connector replacement"),
    ("sign removed: z = -z -> z = z", "unary operator deletion"),
    ("condition negated: if z < 3 and x: -> if not (z < 3 and x):", "condition negation"),
    ("constant changed: z = x + y * 2 -> z = x + y * 3", "number replacement"),
    ("wrapped in abs: z = -z -> z = abs(-z)", "expression wrapping"),
    ("wrapped in abs: return z.mean().detach() -> return abs(z.mean().detach())",
     "expression wrapping"),
    ("slice bound removed: z = z[1:n] -> z = z[:n]", "boundary (off by one)"),
    ("range off by one: for i in range(n): -> for i in range(1, n):", "boundary (off by one)"),
    ("loop run zero times: for i in range(n): -> for i in []:", "loop iterations"),
    ("loop run once: (nothing) -> break", "loop iterations"),
    ("statement dropped: z = x + y * 2 -> (deleted)", "statement deletion"),
    ("gradient reset dropped: x.grad = None -> pass", "statement deletion"),
    ("torch.no_grad() removed: with torch.no_grad(): / x.grad = None -> x.grad = None",
     "gradient context removal"),
    (".detach() removed: return z.mean().detach() -> return z.mean()", "call changes"),
    ("mean for sum: return z.mean().detach() -> return z.sum().detach()", "call changes"),
    ("the input returned: return z.mean().detach() -> return x", "return value replacement"),
    ("add_ in place: z = x + y * 2 -> z = x.add_(y * 2)", "in-place operation"),
])
def test_each_mutant_carries_its_operator_family(expected, family):
    made = {m.id: m.family for m in mutants_of("f", SMALL)}
    assert made[expected] == family and family in FAMILIES


@pytest.mark.parametrize("expected, family", [
    ("break for continue: break -> continue", "break/continue replacement"),
    ("continue for break: continue -> break", "break/continue replacement"),
    ("+= for =: total += x -> total = x", "assignment operator replacement"),
    ("constant changed: total = 0.0 -> total = 1.0", "number replacement"),
    ("string changed: mode = 'fast' -> mode = 'XXfastXX'", "string replacement"),
    ("condition negated: while total > 10: -> while not total > 10:", "condition negation"),
    ("wrapped in max: return float(total) -> return max(float(total), 0)",
     "expression wrapping"),
    ("wrapped in min: return float(total) -> return min(float(total), 0)",
     "expression wrapping"),
    ("loop run zero times: for x in xs: -> for x in []:", "loop iterations"),
])
def test_the_operators_of_mutmut_and_cosmic_ray_on_loops_strings_and_numbers(expected, family):
    made = {m.id: m.family for m in mutants_of("g", LOOPS)}
    assert made[expected] == family
    # a loop that breaks already is not given a second break; abs() of a literal is no mutant
    assert not any(i.startswith("loop run once") for i in made)
    assert not any("abs(0.0)" in i or "abs('fast')" in i for i in made)


def test_every_mutant_of_the_course_has_a_family(course):
    from autograder.notebook_cells import grade_id, read

    seen = set()
    for nb in course.assignment("gradient-descent").notebooks:
        for cell in read(course.source_notebook("gradient-descent", nb.file)).cells:
            if grade_id(cell) in nb.autograded:
                seen.update(m.family for m in mutants_of(grade_id(cell), cell.source))
    assert seen <= set(FAMILIES) and len(seen) >= 12


def test_mutants_compile_differ_from_the_reference_and_keep_the_docstring():
    reference = ast.unparse(ast.parse(SMALL))
    made = mutants_of("f", SMALL)
    assert len(made) > 30
    for m in made:
        compile(m.source, m.id, "exec")
        assert ast.unparse(ast.parse(m.source)) != reference, m.id
        assert '"""Docstring: never mutated."""' in m.source, m.id
        assert m.problem == "f" and m.origin == "ast"
        assert m.diff.startswith("--- f (reference)") and "+++ f (mutant)" in m.diff
    assert len({m.id for m in made}) == len(made)
    assert len({m.source for m in made}) == len(made)


def test_ids_survive_comments_formatting_and_edits_elsewhere_in_the_cell():
    commented = SMALL.replace("    z = x + y * 2\n",
                              "    # a comment\n    z = x + (y * 2)  # why\n")
    edited = ('import torch\n\n\ndef helper():\n    return 1\n\n\n'
              + commented.replace("def f(x, y, n=3):", "def f(x, y,\n      n=3):"))
    mine = [i for i in ids(edited) if "helper" not in i and "return 1" not in i]
    assert mine == ids(SMALL)


def test_same_cell_same_mutants_in_the_same_order():
    assert ids(SMALL) == ids(SMALL)


def test_identical_changes_on_repeated_lines_get_distinct_ids():
    made = ids("def f(x):\n    x = x + 1\n    x = x + 1\n    return x\n")
    assert "+ for -: x = x + 1 -> x = x - 1" in made
    assert "+ for -: x = x + 1 -> x = x - 1 #2" in made


def test_reference_code_removes_the_markers_and_keeps_the_indentation():
    cell = "def f(x):\n    ### BEGIN SOLUTION\n    y = x\n    return y\n    ### END SOLUTION\n"
    assert reference_code(cell) == "def f(x):\n    y = x\n    return y\n"


def test_every_reference_solution_of_the_course_has_compiling_mutants(course):
    from autograder.audit.run import make_mutants

    spec = course.assignment("gradient-descent")
    chosen = {p: nb.file for nb in spec.notebooks for p in nb.autograded}
    made = make_mutants(course, spec, chosen)
    assert set(made) == set(chosen)
    for problem, mutants in made.items():
        assert len([m for m in mutants if m.origin == "ast"]) >= 4, problem
        for m in mutants:
            compile(m.source, m.id, "exec")
    # every catalogued mistake that replaces mse, and no other
    assert {m.id for m in made["mse"] if m.origin == "mistake"} == {
        f"mistake: {name}" for name, cells in MISTAKES.items() if "mse" in cells}
    assert "mistake: mse-sum" in {m.id for m in made["mse"]}
    assert "mean for sum: return ((preds - targets) ** 2).mean() -> " \
        "return ((preds - targets) ** 2).sum()" in {m.id for m in made["mse"]}
    assert made == make_mutants(course, spec, chosen)  # deterministic


def test_catalogued_mistakes_one_mutant_per_replaced_cell(tmp_path):
    path = tmp_path / "mistakes.py"
    path.write_text("MISTAKES = {'both': {'f': 'def f(x):\\n    return 0\\n', "
                    "'g': 'def g(x):\\n    return 1\\n'}, 'other': {'h': 'def h(): pass'}}\n")
    found = catalogued_mistakes(path, {"f": "def f(x):\n    return x\n",
                                       "g": "def g(x):\n    return x\n"})
    assert [(m.problem, m.id, m.origin) for m in found] == [
        ("f", "mistake: both", "mistake"), ("g", "mistake: both", "mistake")]
    assert "-    return x" in found[0].diff and "+    return 0" in found[0].diff
    assert catalogued_mistakes(tmp_path / "missing.py", {"f": ""}) == []
