"""Near-identical solution code between submissions, for the instructor's summary.

Each solution cell's code (as restored, so as it was graded) is tokenized with
Python's `tokenize`; identifiers become ID, strings STR and numbers NUM, comments
and blank lines are dropped. Two submissions of an assignment are compared
problem by problem with difflib's SequenceMatcher, leaving out the problems that
both left as the blank release stub; their similarity is 2 * matched tokens /
all tokens over the problems compared. A pair at or above the course's
`similarity_threshold` is reported, with a note when a student's code is the
reference solution's, token for token. A flag is a reason to look, not proof.

Student files are read with the same bounds as grading (load.py); a notebook that
cannot be read or restored is left out (its grading already gave the reason), each
problem's code counts at most MAX_TOKENS tokens, and the pass stops with
SimilarityTimeout after `budget` seconds, so no file can make it run without end.
"""

from __future__ import annotations

import difflib
import io
import itertools
import keyword
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path

from autograder.config import Assignment, Course
from autograder.errors import SimilarityTimeout
from autograder.notebook_cells import grade_id, is_solution, read
from autograder.pipeline.load import load_submission
from autograder.pipeline.restore import restore

Tokens = tuple[str, ...]
_DROP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_STRINGS = {tokenize.STRING} | {getattr(tokenize, n) for n in (
    "FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}
_LAYOUT = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
MAX_TOKENS = 2000  # per problem; the reference solutions have under 300
BUDGET_SECONDS = 600.0  # for a whole class


def normalized_tokens(code: str) -> Tokens:
    """The code's tokens with names, strings and numbers replaced by placeholders."""
    lines = [line for line in code.splitlines(keepends=True)
             if not line.lstrip().startswith(("%", "!"))]  # IPython magics are not Python
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if tok.type in _DROP:
                continue
            if tok.type == tokenize.NAME:
                out.append(tok.string if keyword.iskeyword(tok.string) else "ID")
            elif tok.type == tokenize.NUMBER:
                out.append("NUM")
            elif tok.type in _STRINGS:
                out.append("STR")
            elif tok.type in _LAYOUT:
                out.append(tokenize.tok_name[tok.type])
            else:
                out.append(tok.string)
            if len(out) >= MAX_TOKENS:
                break
    except (tokenize.TokenError, SyntaxError, RecursionError):
        pass  # code that does not tokenize to the end is compared as far as it goes
    return tuple(out)


def solution_tokens(notebook: object) -> dict[str, Tokens]:
    """grade_id -> normalized tokens of every code solution cell of a notebook."""
    return {grade_id(c): normalized_tokens(str(c.source)) for c in notebook.cells
            if is_solution(c) and c.cell_type == "code" and grade_id(c)}


@dataclass(frozen=True)
class Pair:
    assignment: str
    a: str
    b: str
    similarity: float
    problems: list[str]  # compared: not blank in both
    identical: list[str]  # of those, token for token the same
    a_reference: str  # "" or a note that a's code is the reference solution's
    b_reference: str


def _reference_note(mine: dict[str, Tokens], blank: set[str], reference: dict[str, Tokens]
                    ) -> str:
    answered = [p for p in mine if p not in blank]
    same = [p for p in answered if mine[p] == reference.get(p)]
    if not answered or not same:
        return ""
    if len(same) == len(answered):
        return "identical to the reference solution"
    return f"{len(same)} of {len(answered)} answered problems identical to the reference"


def class_pairs(course: Course, folders: dict[str, dict[str, Path]],
                budget: float = BUDGET_SECONDS) -> dict[str, list[Pair]]:
    """similar_pairs for each assignment; FOLDERS: assignment -> student -> its folder."""
    deadline = time.monotonic() + budget
    return {a.name: similar_pairs(course, a, folders[a.name], deadline)
            for a in course.assignments if a.name in folders}


def _student_code(notebook_path: Path, source: object, wanted: list[str]
                  ) -> dict[str, Tokens]:
    try:
        loaded = load_submission(notebook_path)
        if loaded.notebook is None:
            return {}
        restored, _ = restore(loaded.notebook, source)
        found = solution_tokens(restored)
    except Exception:  # the grading run reported this notebook already
        return {}
    return {p: found[p] for p in wanted if p in found}


def similar_pairs(course: Course, assignment: Assignment, folders: dict[str, Path],
                  deadline: float | None = None) -> list[Pair]:
    """Pairs of students (folders: student -> submitted assignment folder) at or above
    the course's similarity threshold, most similar first."""
    deadline = deadline if deadline is not None else time.monotonic() + BUDGET_SECONDS
    stub: dict[str, Tokens] = {}
    reference: dict[str, Tokens] = {}
    code: dict[str, dict[str, Tokens]] = {s: {} for s in folders}
    for spec in assignment.notebooks:
        wanted = [p for p, prob in spec.problems.items() if not prob.manual]
        source = read(course.source_notebook(assignment.name, spec.file))
        release = course.path("release") / assignment.name / spec.file
        stub.update(solution_tokens(read(release)) if release.is_file() else {})
        reference.update(solution_tokens(source))
        for student, folder in folders.items():
            _check_time(deadline)
            code[student].update(_student_code(folder / spec.file, source, wanted))
    blank = {s: {p for p, t in mine.items() if not t or t == stub.get(p)}
             for s, mine in code.items()}
    for s, mine in code.items():  # problems without a cell count as blank too
        blank[s] |= {p for p in reference if p not in mine}
    cache: dict[tuple[Tokens, Tokens], int] = {}
    pairs = []
    for a, b in itertools.combinations(sorted(code), 2):
        _check_time(deadline)
        problems = [p for p in reference if not (p in blank[a] and p in blank[b])]
        if not problems:
            continue
        seqs = [(code[a].get(p, ()), code[b].get(p, ())) for p in problems]
        total = sum(len(x) + len(y) for x, y in seqs)
        if not total or 2 * sum(min(len(x), len(y)) for x, y in seqs) / total < \
                course.similarity_threshold:
            continue  # even a perfect match of the shorter one could not reach it
        matched = sum(_matched(x, y, cache) for x, y in seqs)
        ratio = 2 * matched / total
        if ratio >= course.similarity_threshold:
            pairs.append(Pair(
                assignment.name, a, b, round(ratio, 4), problems,
                [p for p, (x, y) in zip(problems, seqs) if x == y and x],
                _reference_note(code[a], blank[a], reference),
                _reference_note(code[b], blank[b], reference)))
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))


def _check_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise SimilarityTimeout("the comparison ran out of its time budget; not completed")


def _matched(x: Tokens, y: Tokens, cache: dict[tuple[Tokens, Tokens], int]) -> int:
    if x == y:
        return len(x)
    key = (x, y) if x <= y else (y, x)  # SequenceMatcher is not symmetric; be stable
    if key not in cache:
        matcher = difflib.SequenceMatcher(None, key[0], key[1], autojunk=False)
        cache[key] = sum(block.size for block in matcher.get_matching_blocks())
    return cache[key]
