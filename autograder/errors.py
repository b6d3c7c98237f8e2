"""The kit's exception tree, every class of it defined here.

    CourseKitError                 anything the kit raises on purpose
    ├── ConfigError                course.yml is missing or wrong
    ├── NotebookError              a source or release notebook is unusable
    ├── GraderError                the hidden graders cannot run (collection error, missing marker)
    ├── SandboxUnavailable         no sandbox can run here, and the weak mode was not accepted
    ├── SandboxFailed              the sandbox (bubblewrap, zygote, worker) could not start
    ├── ValidationFailed           `course validate` found problems
    ├── ResultsUnreadable          a results.json cannot be read back (results.read_results)
    ├── SimilarityTimeout          the similarity pass ran past its time budget
    ├── Refused                    a submitted file the kit will not read (pipeline/safe_read.py)
    └── StudentCodeError           a call into student code did not return a value
        ├── StudentError           the student's code raised, or returned something not plain data
        ├── CallTimeout            the call ran past its time limit
        └── WorkerCrashed          the sandboxed worker died (exit, signal, memory)

Expected while grading, and never a failure of the batch: StudentCodeError and its
children fail a test; Refused makes a notebook count zero with its reason; an unreadable
results.json is graded again; SimilarityTimeout leaves the summary without its
similarity section. Everything else means the kit itself (or its configuration) is
wrong, and the command says so and exits non-zero. SandboxFailed in particular stops the
run (no row, no zero): a student's code cannot cause it, since a worker says it is ready
before any of that code runs.
"""

from __future__ import annotations


class CourseKitError(Exception):
    """Base class of every error the kit raises on purpose."""


class ConfigError(CourseKitError):
    """course.yml cannot be used; the message names the file, the key and the fix."""


class NotebookError(CourseKitError):
    """A notebook of the course (not a submission) is missing or malformed."""


class GraderError(CourseKitError):
    """The hidden graders themselves are broken (collection error, missing marker)."""


class SandboxUnavailable(CourseKitError):
    """No sandbox can run here and the instructor did not accept the weak mode."""


class SandboxFailed(CourseKitError):
    """The sandbox was chosen but could not start (bubblewrap refused, the zygote or a
    worker died before it was ready): the grading system failed, not the student's code.
    The message holds the diagnosis, including what the sandbox printed."""


class ValidationFailed(CourseKitError):
    """`course validate` found problems; `problems` lists them."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) found:\n" + "\n".join(f"  - {p}" for p in problems)
        )


class ResultsUnreadable(CourseKitError):
    """A results.json cannot be read back: missing, damaged, or not this kit's format."""


class SimilarityTimeout(CourseKitError):
    """The similarity pass ran past its time budget; the summary says it was not completed."""


class Refused(CourseKitError):
    """A submitted entry the kit will not read (a link, a FIFO, too big...); str(exc) says
    why, to the student."""


class StudentCodeError(CourseKitError):
    """A call into student code did not produce a value."""


class StudentError(StudentCodeError):
    """The student's code raised an exception or returned something that is not plain data."""


class CallTimeout(StudentCodeError):
    """The student's function ran past its time limit; the worker was restarted."""


class WorkerCrashed(StudentCodeError):
    """The sandboxed worker died (exit, kill, out of memory) during a call."""
