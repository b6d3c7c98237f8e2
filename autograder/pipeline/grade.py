"""Step 4, grade: run the hidden pytest graders in this (trusted) process.

Student code never runs here: the `student` fixture forwards each call to the
sandboxed worker of an Execution. pytest runs in-process (no new Python process
per test or per notebook); a plugin object supplies the fixtures and collects
one TestResult per test.
"""

from __future__ import annotations

import io
import sys
import zlib
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import torch

from autograder.errors import GraderError
from autograder.grading import Student, collecting_artifacts
from autograder.pipeline.reference import ReferenceHelpers
from autograder.results import TestResult
from autograder.sandbox.channel import CallReply

MESSAGE_LIMIT = 2000


def grader_file(graders_dir: Path, assignment: str, notebook_stem: str) -> Path:
    """graders/<assignment>/test_<stem with - as _>.py holds a notebook's hidden tests."""
    return graders_dir / assignment / f"test_{notebook_stem.replace('-', '_')}.py"


class _Plugin:
    def __init__(self, send: Callable[..., CallReply], seed: int,
                 references: ReferenceHelpers | None, only: Collection[str] | None = None):
        self._forward, self._seed = send, seed  # not `seed`: that name is a fixture
        self._references = references
        self._done: dict[str, frozenset[str]] = {}  # nodeid -> problems whose tests all ran
        self._lendable: frozenset[str] = frozenset()  # for the current test
        self._failed: set[str] = set()  # problems with a failed check: their helpers are lent
        self._helpers: set[str] = set()  # reference helpers the current test's calls used
        self._own: set[str] = set()  # helpers not lent (they take a function) it used
        self._only = only  # grade only these problems' tests (None: all)
        self.results: list[TestResult] = []
        self.problems: dict[str, str] = {}
        self.contracts: dict[str, float] = {}  # nodeid -> weight of a contract check
        self.requires: dict[str, list[str]] = {}  # nodeid -> the problem text it enforces
        self.errors: list[str] = []
        self.interrupted = False

    def _send(self, name: str, args: tuple, kwargs: dict) -> CallReply:
        lend = self._references and self._references.lender(name, self._lendable & self._failed)
        if lend:
            lend.prepare()  # the reference process is up: not charged to the call
        reply = (self._forward(name, args, kwargs, reference=lend) if lend
                 else self._forward(name, args, kwargs))
        self._helpers.update(reply.helpers)
        self._own.update(reply.own)
        return reply

    @pytest.fixture
    def student(self) -> Student:
        return Student(self._send)

    @pytest.fixture
    def seed(self) -> int:
        return self._seed

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> torch.Generator:
        # Fresh inputs per grading seed, stable per test: a grading can be replayed.
        return torch.Generator().manual_seed(zlib.crc32(f"{self._seed}:{request.node.nodeid}"
                                                        .encode()))

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        # pytest swallows Ctrl-C; run_graders raises it again. Session.Interrupted is no
        # Ctrl-C: pytest stops a grader file that failed to collect with it.
        if not isinstance(excinfo.value, pytest.Session.Interrupted):
            self.interrupted = True

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "problem(grade_id): the problem a test grades")
        config.addinivalue_line("markers", "contract(weight): a contract check, not a core one")
        config.addinivalue_line("markers", "requires(*quotes): the problem text a check enforces")

    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        for item in items:
            marks = list(item.iter_markers("problem"))
            if len(marks) != 1 or not marks[0].args:
                self.errors.append(f"{item.nodeid}: needs exactly one @problem(grade_id) marker")
            else:
                self.problems[item.nodeid] = str(marks[0].args[0])
            contract = item.get_closest_marker("contract")
            if contract is not None:
                self.contracts[item.nodeid] = float(contract.args[0])
            stated = item.get_closest_marker("requires")
            self.requires[item.nodeid] = [str(q) for q in stated.args] if stated else []
        if self._only is not None:
            dropped = [i for i in items if self.problems.get(i.nodeid) not in self._only]
            config.hook.pytest_deselected(items=dropped)
            items[:] = [i for i in items if self.problems.get(i.nodeid) in self._only]
        # A problem's reference may be lent once all its tests have run, never before:
        # student code could keep a lent function and pass that problem's checks with it.
        # And only if one of them failed: a helper that passed every check is used as it
        # is (it costs nothing twice), which spares correct notebooks the round trips.
        graded = set(self.problems.values())
        for i, item in enumerate(items):
            later = {self.problems.get(it.nodeid) for it in items[i:]}
            self._done[item.nodeid] = frozenset(graded - later)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._helpers, self._own = set(), set()
        self._lendable = self._done.get(nodeid, frozenset())

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._failed.add(self.problems.get(report.nodeid, "?"))
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.results.append(TestResult(
                problem=self.problems.get(report.nodeid, "?"),
                name=report.nodeid.split("::")[-1],
                passed=report.passed,
                message="" if report.passed else _student_message(report),
                duration=round(report.duration, 4),
                kind="contract" if report.nodeid in self.contracts else "core",
                weight=self.contracts.get(report.nodeid, 0.0),
                helpers=sorted(self._helpers),
                unlent=sorted(self._own),
                requires=self.requires.get(report.nodeid, []),
            ))


def _student_message(report: pytest.TestReport) -> str:
    """The failure in plain words: the exception line(s), not the hidden test's code."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr).splitlines()[-1]
    if getattr(report.longrepr, "errorstring", ""):  # a missing fixture: not the file's path
        text = report.longrepr.errorstring.splitlines()[0]
    # pytest appends the assert expression after the message; keep the human part.
    text = text.split("\nassert ")[0].strip()
    for prefix, plain in _PLAIN_PREFIXES:
        if text.startswith(prefix):
            text = plain + text[len(prefix):]
            break
    return text[:MESSAGE_LIMIT]


_PLAIN_PREFIXES = (
    ("AssertionError: ", ""),
    ("autograder.errors.StudentError: ", "your code raised an error: "),
    ("autograder.errors.CallTimeout: ", "too slow: "),
    ("autograder.errors.WorkerCrashed: ", "your code stopped the grader's worker: "),
)


@contextmanager
def grader_imports(folder: Path) -> Iterator[None]:
    """While the block runs, grader files import the modules beside them (an assignment's
    shared helpers: `from grader_helpers import ...`; pytest's importlib mode alone would not
    find them). Afterwards the modules loaded meanwhile are forgotten, so that the next run,
    perhaps of another assignment with a helper module of the same name, loads its own."""
    entry = str(folder.resolve())
    before = set(sys.modules)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", None) or "").startswith(entry + "/"):
                del sys.modules[name]


_UNUSED_PLUGINS = ("cacheprovider", "unraisableexception", "threadexception", "randomly",
                   "doctest", "junitxml", "pastebin", "logging", "stepwise", "faulthandler",
                   "debugging", "setuponly", "setupplan", "terminalprogress")


def run_graders(test_file: Path, send: Callable[..., CallReply], seed: int,
                artifacts: list[dict[str, Any]] | None = None,
                references: ReferenceHelpers | None = None,
                problems: Collection[str] | None = None) -> list[TestResult]:
    """Run the hidden tests (only PROBLEMS' tests, if given: `course audit` grades one
    problem's mutant); what they `attach` (grading.attach) is added to ARTIFACTS.

    SEND(name, args, kwargs) calls the student's function. With REFERENCES, a call gets
    stubs of the reference versions of the problems whose tests have all run, as
    SEND(..., reference=Lender) (pipeline/reference.py, pipeline/lending.py)."""
    if not test_file.is_file():
        raise GraderError(f"hidden graders not found: {test_file}")
    plugin = _Plugin(send, seed, references, problems)
    args = [str(test_file), "-q", "--rootdir", str(test_file.parent), "-c", "/dev/null",
            "--import-mode=importlib", "-o", "python_files=test_*.py",
            # Fast in-process runs: plain asserts (messages are what students see), native
            # tracebacks (pytest's rich ones cost ~0.2 s per failure), no gc-heavy plugins,
            # no scan of every installed package for plugins, no capture (stdout and stderr
            # are redirected below), none of the plugins a grader has no use for. The
            # fixture plugins (monkeypatch, tmp_path, recwarn, ...) stay for course authors.
            # Together: about 25 ms less per notebook.
            "--assert=plain", "--tb=native", "--disable-plugin-autoload", "--capture=no",
            *(arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")),
            "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    sink = io.StringIO()
    with redirect_stdout(sink), redirect_stderr(sink), collecting_artifacts() as found, \
            grader_imports(test_file.parent):
        code = pytest.main(args, plugins=[plugin])
    if plugin.interrupted:
        raise KeyboardInterrupt
    if artifacts is not None:
        artifacts.extend(found)
    nothing_selected = problems is not None and code == pytest.ExitCode.NO_TESTS_COLLECTED
    if plugin.errors or code not in (0, 1) and not nothing_selected:
        detail = "\n".join(plugin.errors) or sink.getvalue()[-3000:]
        raise GraderError(f"the hidden graders in {test_file} could not run (pytest exit {code}):"
                          f"\n{detail}")
    return plugin.results
