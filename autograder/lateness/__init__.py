"""Late work: when a submission came in (`submission_time`, nbgrader's timestamp.txt),
the due time and what lateness costs (`rules`), and a submission's late work as every
report shows it (`late_work`). Below the reports and the final grades, which all read it.
"""
