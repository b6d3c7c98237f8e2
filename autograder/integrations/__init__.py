"""Other tools' formats: nbgrader's gradebook and Gradescope's autograder."""
