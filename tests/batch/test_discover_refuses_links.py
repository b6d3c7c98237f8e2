"""Jobs and the Dask client read submissions safely: links make rows, never reads."""

from __future__ import annotations

import shutil

from autograder.batch.dask_runner import _notebook_bytes
from autograder.batch.jobs import discover, fingerprint, read_submitted, with_refusals
from autograder.pipeline.safe_read import Refused
from tests.conftest import ROOT

ADA = ROOT / "examples" / "submitted" / "ada" / "gradient-descent"
NB = "01-gradients.ipynb"


def _class(tmp_path):
    submitted = tmp_path / "submitted"
    shutil.copytree(ADA, submitted / "ada" / "gradient-descent")
    (submitted / "copycat").symlink_to(submitted / "ada")  # a linked student folder
    mallory = submitted / "mallory" / "gradient-descent"
    mallory.mkdir(parents=True)
    (mallory / NB).symlink_to(ROOT / "source" / "gradient-descent" / NB)
    return submitted


def test_linked_submissions_get_a_job_and_are_never_read(course, tmp_path):
    jobs = {j.student: j for j in discover(course, _class(tmp_path))}
    assert set(jobs) == {"ada", "copycat", "mallory"}
    copycat = read_submitted(course, "gradient-descent", jobs["copycat"].directory)
    assert all(isinstance(v, Refused) and "your folder copycat" in str(v)
               for v in copycat.values())
    mallory = read_submitted(course, "gradient-descent", jobs["mallory"].directory)
    assert isinstance(mallory[NB], Refused) and mallory["02-seven-steps.ipynb"] is None
    # a link's fingerprint is not its target's: a linked copy of ada is not ada
    assert jobs["copycat"].fingerprint != jobs["ada"].fingerprint


def test_the_dask_client_sends_refusals_not_bytes(course, tmp_path):
    jobs = {j.student: j for j in discover(course, _class(tmp_path))}
    files, refused = _notebook_bytes(course, jobs["mallory"])
    assert files == {} and "symbolic link" in refused[NB]
    files, refused = _notebook_bytes(course, jobs["ada"])
    assert refused == {} and files[NB] == (ADA / NB).read_bytes()


def test_refusals_made_upstream_change_the_fingerprint(course, tmp_path):
    job = next(j for j in discover(course, _class(tmp_path)) if j.student == "ada")
    refused = with_refusals(course, job, {NB: "01-gradients.ipynb is a symbolic link"})
    assert refused.refused == ((NB, "01-gradients.ipynb is a symbolic link"),)
    assert refused.fingerprint != job.fingerprint
    assert job.fingerprint == fingerprint(course, "gradient-descent", job.directory)
