"""What the kit writes: per submission (results.json, feedback.html) and for the class
(grades.csv, summary.html with its figures and similar pairs), each file atomically."""
