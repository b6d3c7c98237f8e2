"""`course audit`: the hidden graders measured (seed sweep, mutants; docs/audit.md).

Sits between authoring (validate runs it) and batch (whose zygote, fork server and
grading processes it uses): authoring -> audit -> batch -> reports -> pipeline -> ...
"""
