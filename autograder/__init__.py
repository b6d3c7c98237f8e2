"""Course kit: nbgrader notebooks graded by hidden pytest graders in a bubblewrap sandbox.

The public API (the `course` CLI is a thin layer over it):

    load_course(root)                       -> Course          (course.yml, validated)
    generate(course)                        -> timings          (release/ and solutions/)
    validate(course)                        -> report lines     (raises ValidationFailed)
    autograde(course, submitted, out, ...)  -> BatchResult      (grades.csv, results, feedback)
    audit(course, assignment, ...)          -> AuditResult      (the graders measured)

Errors form one tree rooted at CourseKitError (see autograder.errors).
"""

import sys

# nbformat imports jsonschema, whose optional IRI format check compiles a grammar from
# rfc3987_syntax at import: 1.2 s in every grading process, for a format notebooks never
# use. Without that module jsonschema simply skips the check.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from autograder.errors import (  # noqa: E402
    CallTimeout,
    ConfigError,
    CourseKitError,
    NotebookError,
    SandboxFailed,
    SandboxUnavailable,
    StudentCodeError,
    StudentError,
    ValidationFailed,
    WorkerCrashed,
)


def __getattr__(name: str):
    # Lazy: `import autograder.grading` in graders must not pay for nbgrader/nbclient.
    if name == "load_course":
        from autograder.config import load_course

        return load_course
    if name == "generate":
        from autograder.authoring.generate import generate

        return generate
    if name == "validate":
        from autograder.authoring.validate import validate

        return validate
    if name == "autograde":
        from autograder.batch.grade_class import autograde

        return autograde
    if name == "audit":
        from autograder.audit.run import audit

        return audit
    raise AttributeError(name)


__all__ = [
    "load_course", "generate", "validate", "autograde", "audit",
    "CourseKitError", "ConfigError", "NotebookError", "SandboxFailed", "SandboxUnavailable",
    "ValidationFailed",
    "StudentCodeError", "StudentError", "CallTimeout", "WorkerCrashed",
]
