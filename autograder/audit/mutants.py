"""Mutants of a reference solution, made from its syntax tree, and the catalogue of mistakes.

A mutant is the reference solution cell with one small change: an operator swapped, a
constant changed, a statement dropped, `mean` for `sum`, a `detach()` removed, a range
off by one, the input returned, ... A grader that is worth its points gives a mutant less
than full marks; the ones it does not are the graders' gaps (or equivalent mutants).

Every mutant has an id that says what changed in words and code, built from the changed
lines of the normalised function (`ast.unparse`): it stays the same when comments,
formatting or other lines of the cell change, so the allowlist can key on it.

The operators are those of the established mutation tools (mutmut, cosmic-ray, MutPy),
grouped in their families (FAMILIES); each mutant carries its family, and the audit's
report gives a kill rate per family.
"""

from __future__ import annotations

import ast
import copy
import difflib
import re
import runpy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


@dataclass(frozen=True)
class Mutant:
    problem: str  # grade_id of the solution cell it replaces
    id: str  # "operator: old line -> new line", stable across unrelated edits
    source: str  # the whole replacement cell
    diff: str  # unified diff against the reference, for the report
    origin: str = "ast"  # "ast": made from the syntax tree | "mistake": examples/mistakes.py
    family: str = ""  # the operator family (FAMILIES) | "typical mistake"


def reference_code(cell_source: str) -> str:
    """A solution cell's code as a student would hand it in (nbgrader markers removed)."""
    return _MARKER.sub("", cell_source)


# ------------------------------------------------------------------ the operators
# Each operator looks at one node and proposes (description, replacement) pairs; a
# replacement of None deletes the node (a statement) from its list. The description's
# words before the first ":" or the whole of it name the change; FAMILY_OF maps it to
# its family.
Proposal = tuple[str, ast.AST | None]

# The families, with the tools that have them (mutmut 2/3, cosmic-ray 8, MutPy):
FAMILIES = {
    "arithmetic operator replacement": "+ - * / // ** @ % swapped (AOR; all three)",
    "assignment operator replacement": "x += y to x = y (ASR; mutmut)",
    "comparison operator replacement": "< <= > >= == != is in swapped (ROR; all three)",
    "logical connector replacement": "and/or swapped (LCR; all three)",
    "unary operator deletion": "a sign or `not` removed (AOD/LOD; cosmic-ray, mutmut)",
    "condition negation": "`not` put before a condition of if/while/x if c else y "
                          "(COI; cosmic-ray AddNot)",
    "number replacement": "a number changed by one, a float to 0 (CRP; cosmic-ray, mutmut)",
    "boolean replacement": "True for False and back (cosmic-ray, mutmut)",
    "string replacement": "a string changed to 'XX...XX' (CRP; mutmut)",
    "break/continue replacement": "break for continue and back (BCR; all three)",
    "loop iterations": "a for loop run zero times or once (cosmic-ray ZeroIterationForLoop, "
                       "MutPy OneIterationLoop)",
    "expression wrapping": "an expression wrapped in abs(), or a number in min(., 0) / "
                           "max(., 0) (PIT's ABS, universalmutator)",
    "return value replacement": "the input or a constant returned (mutmut's return None "
                                "made useful: a crash teaches nothing)",
    "statement deletion": "a statement dropped (SDL; mutmut, MutPy)",
    "call changes": "mean for sum, .detach()/.clone()/.item() ... removed, an argument "
                    "dropped (mutmut's argument removal)",
    "boundary (off by one)": "range and slice bounds off by one, a slice bound removed (SIR; "
                             "MutPy)",
    "gradient context removal": "with torch.no_grad(): removed (autograd-specific)",
    "in-place operation": "an argument changed in place: x ** 2 to x.pow_(2), a - b to "
                          "a.sub_(b) (PyTorch-specific; tests that inputs are not mutated)",
}

_ARITH = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div, ast.Add],
          ast.Div: [ast.Mult, ast.FloorDiv], ast.FloorDiv: [ast.Div], ast.Pow: [ast.Mult],
          ast.MatMult: [ast.Mult], ast.Mod: [ast.FloorDiv]}
_COMPARE = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.Gt], ast.Gt: [ast.GtE, ast.Lt],
            ast.GtE: [ast.Gt, ast.Lt], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
            ast.Is: [ast.IsNot], ast.IsNot: [ast.Is], ast.In: [ast.NotIn],
            ast.NotIn: [ast.In]}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
           ast.Pow: "**", ast.MatMult: "@", ast.Mod: "%", ast.Lt: "<", ast.LtE: "<=",
           ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
           ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
_SWAPPED_METHODS = {"mean": "sum", "sum": "mean"}
# Calls that return a changed copy or a number; removing one keeps the code running.
_REMOVABLE_METHODS = ("detach", "clone", "item", "requires_grad_", "float", "double",
                      "zero_", "squeeze", "unsqueeze")
_GRAD_FREE_CONTEXTS = ("no_grad", "enable_grad", "inference_mode")


def _arith(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.BinOp | ast.AugAssign):
        for new in _ARITH.get(type(node.op), []):
            changed = copy.copy(node)
            changed.op = new()
            yield f"{_SYMBOL[type(node.op)]} for {_SYMBOL[new]}", changed


def _compare(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for new in _COMPARE.get(type(op), []):
                changed = copy.copy(node)
                changed.ops = [*node.ops[:i], new(), *node.ops[i + 1:]]
                yield f"{_SYMBOL[type(op)]} for {_SYMBOL[new]}", changed


def _logic(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.BoolOp):
        changed = copy.copy(node)
        changed.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "and/or swapped", changed
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.Not):
        yield "sign removed" if isinstance(node.op, ast.USub) else "not removed", node.operand


def _constant(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if not isinstance(node, ast.Constant):
        return
    value = node.value
    if isinstance(value, bool):
        yield "constant changed", ast.Constant(not value)
    elif isinstance(value, int):
        yield "constant changed", ast.Constant(value + 1)
        yield "constant changed", ast.Constant(value - 1)
    elif isinstance(value, float):
        yield "constant changed", ast.Constant(value + 1.0)
        yield "constant changed", ast.Constant(0.0 if value else 1.0)


def _methods(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return
    name = node.func.attr
    if name in _SWAPPED_METHODS:
        changed = copy.copy(node)
        changed.func = copy.copy(node.func)
        changed.func.attr = _SWAPPED_METHODS[name]
        yield f"{name} for {_SWAPPED_METHODS[name]}", changed
    if name in _REMOVABLE_METHODS and not node.args and not node.keywords:
        yield f".{name}() removed", node.func.value
    for i, keyword in enumerate(node.keywords):
        if keyword.arg is not None:
            changed = copy.copy(node)
            changed.keywords = [*node.keywords[:i], *node.keywords[i + 1:]]
            yield f"argument {keyword.arg}= dropped", changed


def _ranges(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "range" and 1 <= len(node.args) <= 3 and not node.keywords:
        args = node.args
        stop = 0 if len(args) == 1 else 1
        for delta in (-1, 1):
            changed = copy.copy(node)
            changed.args = [*args[:stop], _plus(args[stop], delta), *args[stop + 1:]]
            yield "range off by one", changed
        start = args[0] if len(args) > 1 else ast.Constant(0)
        changed = copy.copy(node)
        changed.args = [_plus(start, 1), *args[stop:]]
        yield "range off by one", changed
    if isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            value = getattr(node, bound)
            if value is not None:
                for delta in (-1, 1):
                    changed = copy.copy(node)
                    setattr(changed, bound, _plus(value, delta))
                    yield "slice off by one", changed


def _plus(expr: ast.expr, delta: int) -> ast.expr:
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        return ast.Constant(expr.value + delta)
    return ast.BinOp(copy.deepcopy(expr), ast.Add() if delta > 0 else ast.Sub(),
                     ast.Constant(abs(delta)))


def _statements(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if not isinstance(node, ast.stmt) or node is fn or _is_docstring(node, fn):
        return
    if isinstance(node, ast.Return):
        if node.value is not None and fn.args.args:
            yield "the input returned", ast.Return(ast.Name(fn.args.args[0].arg, ast.Load()))
            yield "a constant returned", ast.Return(_constant_like(node.value, _lists_in(fn)))
        return  # dropping a return is "None returned": a crash, not a subtle mistake
    if isinstance(node, ast.With) and all(_is_grad_context(item.context_expr)
                                          for item in node.items):
        yield f"{ast.unparse(node.items[0].context_expr)} removed", node.body  # type: ignore
    yield ("gradient reset dropped" if _is_grad_reset(node) else "statement dropped"), None


def _constant_like(value: ast.expr, lists: set[str]) -> ast.expr:
    """A constant of the returned value's kind: 0.0 for a number (`.item()`), zeros for a
    list the function built (LISTS: names assigned a list display), zeros_like otherwise."""
    if isinstance(value, ast.Tuple):
        return ast.Tuple([_constant_like(v, lists) for v in value.elts], ast.Load())
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
            and value.func.attr == "item":
        return ast.Constant(0.0)
    if isinstance(value, ast.Name) and value.id in lists:
        return ast.BinOp(ast.List([ast.Constant(0.0)], ast.Load()), ast.Mult(),
                         ast.Call(ast.Name("len", ast.Load()), [value], []))
    return ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "zeros_like", ast.Load()),
                    [copy.deepcopy(value)], [])


def _lists_in(fn: ast.FunctionDef) -> set[str]:
    return {target.id for node in ast.walk(fn) if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.List) for target in node.targets
            if isinstance(target, ast.Name)}


def _is_docstring(node: ast.stmt, fn: ast.FunctionDef) -> bool:
    return node is fn.body[0] and isinstance(node, ast.Expr) \
        and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _is_grad_context(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and (
        (isinstance(expr.func, ast.Attribute) and expr.func.attr in _GRAD_FREE_CONTEXTS)
        or (isinstance(expr.func, ast.Name) and expr.func.id in _GRAD_FREE_CONTEXTS))


def _is_grad_reset(node: ast.stmt) -> bool:
    text = ast.unparse(node)
    return bool(re.fullmatch(r"[\w.]+\.grad = None|[\w.]+\.grad(\.data)?\.zero_\(\)"
                             r"|[\w.]+\.zero_grad\(\)", text))


def _augmented(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.AugAssign):
        yield f"{_SYMBOL.get(type(node.op), '?')}= for =", \
            ast.Assign([copy.deepcopy(node.target)], node.value, lineno=0)


def _negate(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.If | ast.While | ast.IfExp):
        changed = copy.copy(node)
        changed.test = ast.UnaryOp(ast.Not(), node.test)
        yield "condition negated", changed


def _strings(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    # Docstrings are not mutated (mutmut neither): they change nothing a grader can see.
    if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            and not _is_docstring_value(node, fn):
        yield "string changed", ast.Constant(f"XX{node.value}XX")


def _is_docstring_value(node: ast.Constant, fn: ast.FunctionDef) -> bool:
    first = fn.body[0]
    return isinstance(first, ast.Expr) and first.value is node


def _break_continue(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.Break):
        yield "break for continue", ast.Continue()
    elif isinstance(node, ast.Continue):
        yield "continue for break", ast.Break()


def _loops(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.For):
        changed = copy.copy(node)
        changed.iter = ast.List([], ast.Load())
        yield "loop run zero times", changed
        if not any(isinstance(n, ast.Break) for n in ast.walk(node)):
            changed = copy.copy(node)
            changed.body = [*node.body, ast.Break()]
            yield "loop run once", changed


_NUMBER_CALLS = ("item", "float", "int", "len")


def _wrap(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    """abs() around a value that is returned or assigned to one name; min/max with 0 around
    a number. Not around what cannot be a number or a tensor (a literal, a list the function
    builds, a generator, a shape unpacked): abs() of those is a crash, not a subtle mistake."""
    unpacks = isinstance(node, ast.Assign) and not (
        len(node.targets) == 1 and isinstance(node.targets[0], ast.Name))
    if isinstance(node, ast.Return | ast.Assign) and node.value is not None and not unpacks:
        values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
        lists = _lists_in(fn)
        for i, value in enumerate(values):
            if isinstance(value, ast.Constant | ast.List | ast.ListComp | ast.Tuple) \
                    or isinstance(value, ast.Name) and value.id in lists \
                    or "Generator" in ast.unparse(value):
                continue
            for how, wrapped in _wrappings(value):
                changed = copy.deepcopy(node)
                if isinstance(node.value, ast.Tuple):
                    changed.value.elts[i] = wrapped  # type: ignore[union-attr]
                else:
                    changed.value = wrapped
                yield f"wrapped in {how}", changed


def _wrappings(value: ast.expr) -> Iterator[tuple[str, ast.expr]]:
    yield "abs", ast.Call(ast.Name("abs", ast.Load()), [copy.deepcopy(value)], [])
    if _is_number(value):
        for name in ("min", "max"):
            yield name, ast.Call(ast.Name(name, ast.Load()),
                                 [copy.deepcopy(value), ast.Constant(0)], [])


def _is_number(value: ast.expr) -> bool:
    """A Python number for sure: x.item(), float(x), int(x), len(x)."""
    return isinstance(value, ast.Call) and (
        isinstance(value.func, ast.Attribute) and value.func.attr == "item"
        or isinstance(value.func, ast.Name) and value.func.id in _NUMBER_CALLS)


_IN_PLACE = {ast.Add: "add_", ast.Sub: "sub_", ast.Mult: "mul_", ast.Div: "div_",
             ast.Pow: "pow_"}


def _in_place(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    """`x ** 2` to `x.pow_(2)` where x is an argument of the function: the caller's tensor
    is changed (the mistake the contracts' "inputs are not mutated" checks are for)."""
    # Not the arguments that are numbers: one with a number as its default (noise=0.1), or
    # a factor of a gradient (lr * params.grad): x.mul_ of a float is a crash, not a slip.
    args = fn.args.args
    defaults = dict(zip([a.arg for a in args][len(args) - len(fn.args.defaults):],
                        fn.args.defaults))
    tensors = {a.arg for a in args if not isinstance(defaults.get(a.arg), ast.Constant)}
    if isinstance(node, ast.BinOp) and type(node.op) in _IN_PLACE \
            and isinstance(node.left, ast.Name) and node.left.id in tensors \
            and not (isinstance(node.right, ast.Attribute) and node.right.attr == "grad"):
        method = _IN_PLACE[type(node.op)]
        yield f"{method} in place", ast.Call(
            ast.Attribute(ast.Name(node.left.id, ast.Load()), method, ast.Load()),
            [copy.deepcopy(node.right)], [])


def _slice_bounds(node: ast.AST, fn: ast.FunctionDef) -> Iterator[Proposal]:
    if isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            if getattr(node, bound) is not None:
                changed = copy.copy(node)
                setattr(changed, bound, None)
                yield "slice bound removed", changed


OPERATORS: tuple[Callable[[ast.AST, ast.FunctionDef], Iterator[Proposal]], ...] = (
    _arith, _augmented, _compare, _logic, _negate, _constant, _strings, _methods, _ranges,
    _slice_bounds, _break_continue, _loops, _wrap, _in_place, _statements)

# The family of a mutant, from the words of its description (before the change itself).
_FAMILY_OF = {
    "sign removed": "unary operator deletion", "not removed": "unary operator deletion",
    "and/or swapped": "logical connector replacement",
    "condition negated": "condition negation",
    "string changed": "string replacement",
    "break for continue": "break/continue replacement",
    "continue for break": "break/continue replacement",
    "loop run zero times": "loop iterations", "loop run once": "loop iterations",
    "the input returned": "return value replacement",
    "a constant returned": "return value replacement",
    "statement dropped": "statement deletion", "gradient reset dropped": "statement deletion",
    "range off by one": "boundary (off by one)", "slice off by one": "boundary (off by one)",
    "slice bound removed": "boundary (off by one)",
}


def family(description: str, replacement: ast.AST | None = None) -> str:
    """The operator family (a key of FAMILIES) of a change described as DESCRIPTION."""
    if description in _FAMILY_OF:
        return _FAMILY_OF[description]
    if description.startswith("wrapped in "):
        return "expression wrapping"
    if description.endswith("_ in place"):
        return "in-place operation"
    if description == "constant changed":
        return "boolean replacement" if isinstance(replacement, ast.Constant) \
            and isinstance(replacement.value, bool) else "number replacement"
    if description.endswith("= for ="):
        return "assignment operator replacement"
    if description.endswith(" removed") and description.startswith(
            tuple(f"{c}" for c in ("torch.", *_GRAD_FREE_CONTEXTS))):
        return "gradient context removal"
    if description.startswith((".", "argument ")) or description in (
            f"{a} for {b}" for a, b in _SWAPPED_METHODS.items()):
        return "call changes"
    op = description.split(" for ")[0]
    compare = {_SYMBOL[k] for k in _COMPARE}
    return "comparison operator replacement" if op in compare \
        else "arithmetic operator replacement"


# ------------------------------------------------------------------ making mutants
def _slots(tree: ast.AST) -> list[tuple[ast.AST, str, int | None, ast.AST]]:
    """Every node with where it hangs: (parent, field, index in a list or None, node), in a
    fixed order, so that a deep copy of the tree has the same node at the same position."""
    found = []

    def visit(parent: ast.AST) -> None:
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        found.append((parent, name, i, item))
                        visit(item)
            elif isinstance(value, ast.AST):
                found.append((parent, name, None, value))
                visit(value)

    visit(tree)
    return found


def _swap(parent: ast.AST, name: str, index: int | None, new: ast.AST | list | None
          ) -> Callable[[], None]:
    """Put NEW where the node at (PARENT, NAME, INDEX) is, in place; returns the undo."""
    if index is None:
        old = getattr(parent, name)
        setattr(parent, name, new)
        return lambda: setattr(parent, name, old)
    items = getattr(parent, name)
    saved = list(items)
    items[index:index + 1] = [] if new is None else new if isinstance(new, list) else [new]
    if not items and name == "body":
        items.append(ast.Pass())  # a block cannot be empty

    def undo() -> None:
        items[:] = saved

    return undo


def _inside(fn: ast.FunctionDef) -> set[int]:
    """ids of the nodes of FN's defaults and body (not its name, decorators or annotations)."""
    roots: list[ast.AST] = [*fn.args.defaults, *fn.args.kw_defaults, *fn.body]
    return {id(n) for root in roots if root is not None for n in ast.walk(root)}


def mutants_of(problem: str, cell_source: str) -> list[Mutant]:
    """Every mutant of the functions defined in a reference solution cell."""
    code = reference_code(cell_source)
    tree = ast.parse(code)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    found: dict[str, Mutant] = {}
    seen_sources = {ast.unparse(tree)}
    for fn in functions:
        inside = _inside(fn)
        original = ast.unparse(fn)
        for parent, name, index, node in _slots(fn):
            if id(node) not in inside:
                continue
            for operator in OPERATORS:
                for description, replacement in operator(node, fn):
                    # Mutate the tree in place, write it out, undo: no copy per mutant.
                    undo = _swap(parent, name, index, replacement)
                    try:
                        source, changed = ast.unparse(tree), ast.unparse(fn)
                    finally:
                        undo()
                    if source in seen_sources or not _compiles(source):
                        continue  # made already by another operator, or not valid Python
                    seen_sources.add(source)
                    mutant_id = _unique(f"{description}: {_change(original, changed)}", found)
                    found[mutant_id] = Mutant(problem, mutant_id, source + "\n",
                                              _diff(original, changed, problem),
                                              family=family(description, replacement))
    return list(found.values())


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _change(before: str, after: str) -> str:
    """The changed lines, 'old -> new', each side joined with ' / '."""
    a, b = before.splitlines(), after.splitlines()
    old: list[str] = []
    new: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            old += [line.strip() for line in a[i1:i2]]
            new += [line.strip() for line in b[j1:j2]]
    return f"{' / '.join(old) or '(nothing)'} -> {' / '.join(new) or '(deleted)'}"


def _unique(mutant_id: str, found: dict[str, Mutant]) -> str:
    if mutant_id not in found:
        return mutant_id
    n = 2
    while f"{mutant_id} #{n}" in found:
        n += 1
    return f"{mutant_id} #{n}"


def _diff(before: str, after: str, problem: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(),
                                 f"{problem} (reference)", f"{problem} (mutant)", lineterm="",
                                 n=2)
    return "\n".join(lines)


# ------------------------------------------------------------------ the catalogue of mistakes
def catalogued_mistakes(path: Path, references: dict[str, str]) -> list[Mutant]:
    """The typical mistakes of PATH (examples/mistakes.py: MISTAKES = {name: {grade_id:
    cell source}}), one mutant per replaced cell, for the problems in REFERENCES
    (grade_id -> reference cell source). No file, no mistakes."""
    if not path.is_file():
        return []
    mistakes = runpy.run_path(str(path)).get("MISTAKES", {})
    found = []
    for name, cells in sorted(mistakes.items()):
        for problem, source in sorted(cells.items()):
            if problem not in references:
                continue
            reference = reference_code(references[problem])
            diff = "\n".join(difflib.unified_diff(
                reference.splitlines(), source.splitlines(), f"{problem} (reference)",
                f"{problem} (mistake {name})", lineterm="", n=2))
            found.append(Mutant(problem, f"mistake: {name}", source, diff, origin="mistake",
                                family="typical mistake"))
    return found
