"""One submission's notebooks through the steps, one module a step:
load -> restore -> execute -> grade -> score, wired in submission.py (report: reports/)."""
