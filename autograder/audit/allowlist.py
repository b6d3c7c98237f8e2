"""The allowlist kept beside the graders: graders/<assignment>/audit-allowlist.yml.

    # Mutants that are correct answers: surviving them is no gap in the graders.
    equivalent:
      train:                              # the problem (grade_id)
        "constant changed: for _ in tqdm(range(steps), leave=False): -> ...": tqdm's
          leave= only decides whether the progress bar stays on screen
    # Problems whose results the contract leaves open (e.g. the order of random draws):
    # their mutants are judged by the graders' core checks, not against the reference.
    outputs_open:
      sgd_linear_regression: the order in which the permutations are drawn is free

Mutant ids are what `course audit` prints and writes (operator: old line -> new line,
on the normalised code), so an entry survives edits elsewhere in the cell. Every entry
needs a one-line reason. Mistakes are refused with the file, the key and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from autograder.errors import ConfigError

FILE_NAME = "audit-allowlist.yml"
SECTIONS = ("equivalent", "outputs_open")


@dataclass(frozen=True)
class Allowlist:
    path: Path
    equivalent: dict[str, dict[str, str]] = field(default_factory=dict)  # problem -> id -> why
    outputs_open: dict[str, str] = field(default_factory=dict)  # problem -> why

    def reason(self, problem: str, mutant_id: str) -> str | None:
        """Why the mutant MUTANT_ID of PROBLEM is equivalent, or None if it is not listed."""
        return self.equivalent.get(problem, {}).get(mutant_id)

    def stale(self, made: dict[str, Collection[str]]) -> list[str]:
        """Entries for the audited problems (MADE: problem -> ids of the mutants made) that
        match no mutant, each with the closest id made, as warnings."""
        warnings = []
        for problem, entries in self.equivalent.items():
            if problem not in made:
                continue
            for mutant_id in entries:
                if mutant_id in made[problem]:
                    continue
                near = difflib.get_close_matches(mutant_id, list(made[problem]), n=1, cutoff=0.6)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                warnings.append(f"{self.path.name}: equivalent.{problem}: no mutant "
                                f"{mutant_id!r} any more (remove the entry){hint}")
        return warnings


def allowlist_path(graders: Path, assignment: str) -> Path:
    return graders / assignment / FILE_NAME


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML with duplicate keys refused: the second entry would silently replace the first."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_allowlist(path: Path, problems: Iterable[str]) -> Allowlist:
    """Read PATH (no file: an empty allowlist); PROBLEMS are the assignment's grade_ids."""
    if not path.is_file():
        return Allowlist(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_allowlist(raw, path, problems)


def parse_allowlist(raw: object, path: Path, problems: Iterable[str]) -> Allowlist:
    known = sorted(problems)
    mistakes: list[str] = []
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with the keys {' and '.join(SECTIONS)}")
    for key in raw:
        if key not in SECTIONS:
            mistakes.append(f"unknown key {key!r}; allowed keys: {', '.join(SECTIONS)}")
    equivalent: dict[str, dict[str, str]] = {}
    for problem, entries in _section(raw, "equivalent", mistakes).items():
        if _known_problem(problem, known, "equivalent", mistakes):
            if not isinstance(entries, dict):
                mistakes.append(f"equivalent.{problem}: expected a mapping of mutant id -> "
                                "reason, one per line")
                continue
            equivalent[problem] = {}
            for mutant_id, reason in entries.items():
                if _has_reason(f"equivalent.{problem}.{mutant_id!r}", reason, mistakes):
                    equivalent[problem][str(mutant_id)] = reason.strip()
    outputs_open: dict[str, str] = {}
    for problem, reason in _section(raw, "outputs_open", mistakes).items():
        if _known_problem(problem, known, "outputs_open", mistakes) and \
                _has_reason(f"outputs_open.{problem}", reason, mistakes):
            outputs_open[problem] = reason.strip()
    if mistakes:
        raise ConfigError(f"{path}: {len(mistakes)} mistake(s):\n"
                          + "\n".join(f"  - {m}" for m in mistakes))
    return Allowlist(path, equivalent, outputs_open)


def _section(raw: dict, name: str, mistakes: list[str]) -> dict:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        mistakes.append(f"{name}: expected a mapping of problem (grade_id) -> entries")
        return {}
    return value


def _known_problem(problem: object, known: list[str], section: str,
                   mistakes: list[str]) -> bool:
    if problem in known:
        return True
    near = difflib.get_close_matches(str(problem), known, n=1)
    fix = f"did you mean {near[0]!r}?" if near else f"known problems: {', '.join(known)}"
    mistakes.append(f"{section}.{problem}: no autograded problem of that name; {fix}")
    return False


def _has_reason(where: str, reason: object, mistakes: list[str]) -> bool:
    if isinstance(reason, str) and reason.strip():
        if "\n" in reason.strip():
            mistakes.append(f"{where}: the reason must be one line")
            return False
        return True
    mistakes.append(f"{where}: give a one-line reason why the mutant is a correct answer "
                    f"(got {reason!r})")
    return False
