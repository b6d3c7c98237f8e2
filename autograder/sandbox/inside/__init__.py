"""Code that runs inside the sandbox. Only this folder is visible to student code.

Keep it free of secrets and of imports from the rest of the package: the worker
runs it as plain scripts from a read-only bind mount.
"""
