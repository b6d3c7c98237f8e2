"""A class's submissions: jobs (discover, fingerprint, resume), the runners that grade
them (this process, N grading processes, or a Dask cluster) and the batch (grade_class)."""
