"""After grading: final grades (late penalties, manual points), the LMS export, and what a
regrade would change. Reads the results an autograde run wrote; never grades itself.

Imports point one way: cli -> grades -> integrations (manual scores) -> ... -> results.
"""
