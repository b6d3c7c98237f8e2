"""`course audit ASSIGNMENT`: the graders, measured with the real engine.

1. Seed sweep: the reference solutions (source notebooks) on K seeds earn full marks
   every time, the blank release zero every time (sweep.py).
2. Mutants of every reference solution function (mutants.py) and the catalogue of
   typical mistakes (examples/mistakes.py), each replacing one solution cell of the
   reference notebook, graded on the sweep's first MUTANT_SEEDS seeds with only its
   problem's hidden tests; judged against the reference (verdicts.py).
3. A control per notebook: the reference's normalised code graded the way mutants are;
   it must be indistinguishable from the reference.

Failures: a survivor not in the allowlist, a credit leak, a flaky test, the reference
below full marks or the blank above zero on a seed, an allowlisted mutant that loses
points, a failed control, the kit failing on a notebook.
"""

from __future__ import annotations

import ast
import random
import time
from collections.abc import Sequence
from dataclasses import replace

from autograder.audit.allowlist import Allowlist, allowlist_path, load_allowlist
from autograder.audit.grading import (
    Grading,
    Kind,
    Label,
    Variant,
    VariantResult,
    grade_variants,
)
from autograder.audit.mutants import Mutant, catalogued_mistakes, mutants_of, reference_code
from autograder.audit.results import AuditResult, ProblemAudit
from autograder.audit.sweep import check_control, record_sweep
from autograder.audit.verdicts import Status, judge
from autograder.config import Assignment, Course
from autograder.errors import ConfigError
from autograder.notebook_cells import solution_cells

MUTANT_SEEDS = 3  # every mutant is graded on this many seeds: the sweep's first ones
MISTAKES_FILE = "examples/mistakes.py"


def audit(course: Course, assignment: str, *, seeds: int = 20, first_seed: int | None = None,
          problems: Sequence[str] | None = None, workers: int = 2,
          unsafe_no_sandbox: bool = False, progress: bool = True) -> AuditResult:
    started = time.perf_counter()
    spec = course.assignment(assignment)
    if seeds < MUTANT_SEEDS:
        raise ConfigError(f"--seeds must be at least {MUTANT_SEEDS} (mutants are graded on "
                          f"the sweep's first {MUTANT_SEEDS} seeds), not {seeds}")
    chosen = _chosen(spec, problems)
    autograded = [p for nb in spec.notebooks for p in nb.autograded]
    allowlist = load_allowlist(allowlist_path(course.path("graders"), assignment), autograded)
    base = first_seed if first_seed is not None else random.SystemRandom().randrange(2**30)
    seed_list = list(range(base, base + seeds))
    mutant_seeds = tuple(seed_list[:MUTANT_SEEDS])
    mutants = make_mutants(course, spec, chosen)
    notebooks = sorted(set(chosen.values()), key=[nb.file for nb in spec.notebooks].index)

    variants = _plan(course, spec, chosen, mutants, seed_list, workers, allowlist)
    grade = {"workers": workers, "unsafe_no_sandbox": unsafe_no_sandbox, "progress": progress}
    results = {r.label: r for r in grade_variants(course, variants, **grade)}
    again = _to_grade_again(variants, results, chosen)
    regraded = list(grade_variants(course, again, **grade, desc="grading again, fresh"))
    for fresh in regraded:
        assert fresh.label.again is not None
        _replace_grading(results[replace(fresh.label, again=None)], fresh, fresh.label.again)
    result = AuditResult(assignment, seed_list, list(mutant_seeds), workers,
                         gradings=len(variants) + len(again))
    result.failures += [f"the kit failed on {r.label}: {r.error}" for r in results.values()
                        if r.error]
    result.executing = sum(r.executing for r in [*results.values(), *regraded])
    result.grading = sum(r.seconds - r.executing for r in [*results.values(), *regraded])
    for nb in notebooks:
        reference = _by_seed(results, Kind.REFERENCE, nb)
        blank = _by_seed(results, Kind.BLANK, nb)
        control = results[Label(Kind.CONTROL, nb)].gradings
        for problem in (p for p, file in chosen.items() if file == nb):
            possible = spec.notebook(nb).problems[problem].points
            audited = ProblemAudit(problem, nb, possible,
                                   allowlist.outputs_open.get(problem, ""))
            result.failures += record_sweep(audited, reference, blank)
            result.failures += check_control(problem, control, reference, possible)
            for index, (owner, mutant) in enumerate(_flat(mutants)):
                if owner != problem:
                    continue
                graded = results[Label(Kind.MUTANT, nb, index)]
                audited.verdicts.append(_verdict(mutant, graded, reference, possible,
                                                 allowlist))
            result.failures += _mutant_failures(audited)
            result.problems.append(audited)
    result.warnings += allowlist.stale({p: {m.id for m in ms} for p, ms in mutants.items()})
    result.seconds = time.perf_counter() - started
    return result


def _plan(course: Course, spec: Assignment, chosen: dict[str, str],
          mutants: dict[str, list[Mutant]], seeds: list[int], workers: int,
          allowlist: Allowlist) -> list[Variant]:
    """The notebooks to grade: per notebook the reference, the blank release and the
    control, then every mutant."""
    variants: list[Variant] = []
    mutant_seeds = tuple(seeds[:MUTANT_SEEDS])
    notebooks = sorted(set(chosen.values()), key=[nb.file for nb in spec.notebooks].index)
    for nb in notebooks:
        mine = tuple(p for p, file in chosen.items() if file == nb)
        # The reference on the mutants' seeds, each a fresh grading, recorded: what every
        # mutant is compared with. The other seeds, and the blank notebook, share an
        # execution per chunk (a seed changes only the graders' inputs); the control
        # checks that grading several seeds on one execution changes nothing, and a seed
        # that fails is graded again on a fresh notebook (_to_grade_again).
        recorded = [(seed,) for seed in mutant_seeds]
        more = _chunks(seeds[MUTANT_SEEDS:], workers)
        for part, chunk in enumerate([*recorded, *more]):
            variants.append(Variant(Label(Kind.REFERENCE, nb, part), spec.name, chunk,
                                    record=part < len(recorded)))
        for part, chunk in enumerate(_chunks(seeds, workers)):
            variants.append(Variant(Label(Kind.BLANK, nb, part), spec.name, chunk))
        control = tuple((p, _normalised(course, spec.name, nb, p)) for p in mine)
        variants.append(Variant(Label(Kind.CONTROL, nb), spec.name, mutant_seeds, control,
                                problems=mine, record=True))
    for index, (problem, mutant) in enumerate(_flat(mutants)):
        variants.append(Variant(Label(Kind.MUTANT, chosen[problem], index), spec.name,
                                mutant_seeds, ((problem, mutant.source),),
                                problems=(problem,),
                                record=problem not in allowlist.outputs_open))
    return variants


def _to_grade_again(variants: list[Variant], results: dict[Label, VariantResult],
                    chosen: dict[str, str]) -> list[Variant]:
    """Gradings to repeat, one seed per fresh notebook, as the batch grades a submission:
    a mutant whose score differs between its seeds, and the seeds on which the reference
    lost points or the blank earned some, when they shared an execution. So a verdict that
    changed because an earlier seed's grading left state behind in the notebook (a mutant
    that appends to a global list, say) is not mistaken for a flaky test."""
    again = []
    for v in variants:
        kind = v.label.kind
        if len(v.seeds) < 2 or kind == Kind.CONTROL or results[v.label].error:
            continue
        gradings = results[v.label].gradings
        problems = [p for p, file in chosen.items() if file == v.notebook]
        if kind == Kind.MUTANT:
            scores = {g.scores.get(v.cells[0][0]) for g in gradings}
            redo = [g.seed for g in gradings] if len(scores) > 1 else []
        elif kind == Kind.BLANK:
            redo = [g.seed for g in gradings if any(g.scores.get(p, 0) > 0 for p in problems)]
        else:
            redo = [g.seed for g in gradings if any(t.problem in problems and not t.passed
                                                    for t in g.tests)]
        again += [replace(v, label=replace(v.label, again=seed), seeds=(seed,))
                  for seed in redo]
    return again


def _replace_grading(result: VariantResult, fresh: VariantResult, seed: int) -> None:
    if fresh.error:
        result.error = fresh.error
    result.gradings = [fresh.gradings[0] if g.seed == seed and fresh.gradings else g
                       for g in result.gradings]
    result.fresh_seeds.append(seed)


def _chosen(spec: Assignment, problems: Sequence[str] | None) -> dict[str, str]:
    """problem -> notebook file, for the autograded problems asked for (default: all)."""
    every = {p: nb.file for nb in spec.notebooks for p in nb.autograded}
    if not problems:
        return every
    unknown = [p for p in problems if p not in every]
    if unknown:
        raise ConfigError(f"--problems: {', '.join(unknown)} is not an autograded problem of "
                          f"{spec.name} (known: {', '.join(every)})")
    return {p: file for p, file in every.items() if p in problems}


def _references(course: Course, assignment: str, notebook: str) -> dict[str, str]:
    cells = solution_cells(course.source_notebook(assignment, notebook))
    return {gid: "".join(c.get("source", "")) for gid, c in cells.items()}


def _normalised(course: Course, assignment: str, notebook: str, problem: str) -> str:
    code = reference_code(_references(course, assignment, notebook)[problem])
    return ast.unparse(ast.parse(code)) + "\n"


def make_mutants(course: Course, spec: Assignment, chosen: dict[str, str]
                 ) -> dict[str, list[Mutant]]:
    """problem -> its mutants: from the syntax tree, then the catalogued mistakes."""
    found: dict[str, list[Mutant]] = {p: [] for p in chosen}
    references: dict[str, str] = {}
    for nb in dict.fromkeys(chosen.values()):
        references.update(_references(course, spec.name, nb))
    for problem in chosen:
        found[problem] += mutants_of(problem, references[problem])
    chosen_references = {p: references[p] for p in chosen}
    for mistake in catalogued_mistakes(course.root / MISTAKES_FILE, chosen_references):
        found[mistake.problem].append(mistake)
    return found


def _flat(mutants: dict[str, list[Mutant]]) -> list[tuple[str, Mutant]]:
    return [(p, m) for p, ms in mutants.items() for m in ms]


def _chunks(seeds: list[int], parts: int) -> list[tuple[int, ...]]:
    """SEEDS in at most PARTS runs of consecutive seeds, one per grading process."""
    size = max(1, -(-len(seeds) // max(parts, 1)))
    return [tuple(seeds[i:i + size]) for i in range(0, len(seeds), size)]


def _by_seed(results: dict[Label, VariantResult], kind: Kind, notebook: str
             ) -> dict[int, Grading]:
    return {g.seed: g for label, r in results.items()
            if (label.kind, label.notebook) == (kind, notebook) for g in r.gradings}


def _verdict(mutant: Mutant, graded: VariantResult, reference: dict[int, Grading],
             possible: float, allowlist: Allowlist):
    from autograder.audit.verdicts import MutantVerdict

    cell_errors = [f"{c.label}: {c.error.strip().splitlines()[-1] if c.error.strip() else ''}"
                   for c in graded.cells if c.label == mutant.problem and c.error]
    if graded.error:
        return MutantVerdict(mutant, Status.ERROR, [], possible, error=graded.error,
                             cell_errors=cell_errors)
    verdict = judge(mutant, graded.gradings, reference, possible,
                    compare_outputs=mutant.problem not in allowlist.outputs_open,
                    allowlisted=allowlist.reason(mutant.problem, mutant.id))
    verdict.cell_errors = cell_errors
    verdict.fresh_seeds = sorted(graded.fresh_seeds)
    return verdict


def _mutant_failures(problem: ProblemAudit) -> list[str]:
    failures = []
    name, possible = problem.problem, problem.possible
    for v in problem.verdicts:
        scores = "/".join(f"{s:g}" for s in v.scores)
        if v.status == Status.SURVIVED:
            failures.append(f"{name}: mutant survives with full marks (a gap in the graders, "
                            f"or allowlist it as equivalent): {v.mutant.id}")
        if v.status == Status.FLAKY:
            failures.append(f"{name}: flaky test(s) {', '.join(v.flaky_tests) or '?'}: their "
                            f"verdict on mutant {v.mutant.id!r} depends on the seed "
                            f"(scores {scores})")
        if v.status == Status.KILLED and v.reason:
            failures.append(f"{name}: {v.mutant.id!r} is allowlisted as equivalent "
                            f"({v.reason}) but earns {scores} of {possible:g}: a correct "
                            "answer loses points, or the entry is wrong")
        if v.leak:
            failures.append(f"{name}: credit leak: {v.mutant.id} earns {scores} of "
                            f"{possible:g} although it is wrong at its core ({v.core_wrong})")
    return failures
