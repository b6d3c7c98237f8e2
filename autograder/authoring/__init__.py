"""The instructor's and the student's commands on notebooks: generate (release and
solutions), validate (what CI runs) and check (a student's local run of visible tests)."""
