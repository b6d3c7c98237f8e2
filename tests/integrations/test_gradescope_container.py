"""Gradescope's contract end to end, in a simulated container.

The zip is unpacked into a fresh root folder (our /autograder), setup.sh is run there
with the distribution's /usr/bin/python3.11 (apt-get skipped: bubblewrap is installed
here; torch's CPU build from a local copy of PyTorch's CPU index), then run_autograder
grades submissions as Gradescope would: with bubblewrap working, with a bubblewrap that
cannot create namespaces (the container mode: student code as an unprivileged uid), and
with one that passes the trial but cannot start the sandbox (the run fails loudly).
The tests run as root, so the container mode's uids are real.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.builders import ASSIGNMENT
from tests.conftest import FIXTURES, ROOT, run_course
from tests.integrations.test_gradescope import check_results_json

pytestmark = pytest.mark.slow

PYTHON311 = Path("/usr/bin/python3.11")
TORCH_WHEELS = {"torch": Path("/opt/wheels"), "torchvision": Path("/opt/pypi-more/files")}
CORRECT = ROOT / "examples" / "submitted" / "ada" / ASSIGNMENT
BLANK = ROOT / "release" / ASSIGNMENT
GRADIENTS = "01-gradients.ipynb"
FAILING_BWRAP = 'echo "bwrap: No permissions to create new namespace" >&2; exit 1'
# passes choose_sandbox's trial (its last argument is `true`), fails the real start
TRIAL_ONLY_BWRAP = ('for last; do :; done\n[ "$last" = true ] && exec /usr/bin/bwrap "$@"\n'
                    'echo "bwrap: setting up uid map: Permission denied" >&2; exit 1')


def _pins() -> dict[str, str]:
    return dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if line.startswith(("torch==", "torchvision==")))


def _torch_index(folder: Path) -> None:
    """A simple-index copy of PyTorch's CPU index, with the pinned wheels only."""
    for project, version in _pins().items():
        wheels = sorted(TORCH_WHEELS[project].glob(f"{project}-{version}[+-]*cp311*.whl"))
        if not wheels:
            pytest.skip(f"no local {project} {version} wheel to serve as the CPU index")
        (folder / project).mkdir(parents=True)
        os.symlink(wheels[0], folder / project / wheels[0].name)
        (folder / project / "index.html").write_text(
            f'<a href="{wheels[0].name.replace("+", "%2B")}">{wheels[0].name}</a>')


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Iterator[Path]:
    """/autograder once setup.sh has built the image."""
    if not PYTHON311.exists() or os.geteuid() != 0:
        pytest.skip("needs /usr/bin/python3.11 and root")
    tmp = tmp_path_factory.mktemp("gradescope-image")
    archive = tmp / "autograder.zip"
    assert run_course("export", "gradescope", ASSIGNMENT, "--out", str(archive)).returncode == 0
    # Like /autograder: a folder everyone may enter (pytest's own tmp is root's alone).
    root = Path(tempfile.mkdtemp(prefix="autograder-"))
    root.chmod(0o755)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    _torch_index(tmp / "index")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp / "index"))  # noqa
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**{k: v for k, v in os.environ.items() if k.startswith("PIP_")},
           "PATH": "/usr/bin:/bin", "HOME": str(tmp), "COURSE_KIT_VENV": str(root / "venv"),
           "TORCH_CPU_INDEX": f"http://127.0.0.1:{server.server_address[1]}"}
    try:
        built = subprocess.run(
            ["bash", "-c", 'source "$1"\ninstall_system_packages() { :; }\nmain',
             "bash", str(root / "source" / "setup.sh")],
            env=env, capture_output=True, text=True, timeout=2400)
    finally:
        server.shutdown()
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert f"Python: {PYTHON311}" in built.stdout and "CUDA none" in built.stdout
    assert "bubblewrap works" in built.stdout
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _grade(root: Path, files: dict[str, Path], bwrap: str | None = None,
           python: Path | None = None) -> tuple[subprocess.CompletedProcess[str], dict]:
    """One submission, as Gradescope runs it: a fresh submission/ and results/."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, source in files.items():
        shutil.copy(source, root / "submission" / name)
    path = "/usr/bin:/bin"
    if bwrap is not None:
        fakes = root / "fake-bin"
        fakes.mkdir(exist_ok=True)
        (fakes / "bwrap").write_text(f"#!/bin/sh\n{bwrap}\n")
        (fakes / "bwrap").chmod(0o755)
        path = f"{fakes}:{path}"
    env = {"PATH": path, "HOME": "/root", "GRADESCOPE_ROOT": str(root), "LANG": "C.UTF-8"}
    if python:
        env["COURSE_KIT_PYTHON"] = str(python)
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=1200)
    results = root / "results" / "results.json"
    return done, json.loads(results.read_text()) if results.exists() else {}


def _scores(data: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in data["tests"] if t["max_score"]}


@pytest.mark.parametrize("mode", ["bubblewrap", "container"])
def test_correct_blank_and_broken_submissions(image, mode):
    bwrap = FAILING_BWRAP if mode == "container" else None
    renamed = {f"{p.stem.upper()} (1).ipynb" if p.name == GRADIENTS else p.name: p
               for p in sorted(CORRECT.glob("*.ipynb"))}  # as a browser saves a re-download
    done, correct = _grade(image, renamed, bwrap)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    check_results_json(json.dumps(correct))
    assert correct["score"] == 26 and correct["extra_data"]["sandbox"] == mode
    if mode == "container":  # said once, to the instructor
        assert (done.stdout + done.stderr).count("Container mode") == 1
        assert "No permissions to create new namespace" in done.stdout + done.stderr
    done, blank = _grade(image, {p.name: p for p in BLANK.glob("*.ipynb")}, bwrap)
    assert done.returncode == 0, done.stdout[-3000:]
    check_results_json(json.dumps(blank))
    assert blank["score"] == 0 and blank["extra_data"]["sandbox"] == mode
    broken = {p.name: p for p in CORRECT.glob("*.ipynb") if p.name != GRADIENTS}
    broken[GRADIENTS] = FIXTURES / "broken" / "truncated-json.ipynb"
    done, data = _grade(image, broken, bwrap)
    assert done.returncode == 0, done.stdout[-3000:]
    check_results_json(json.dumps(data))
    scores = _scores(data)
    assert all(v == 0 for k, v in scores.items() if k.startswith(GRADIENTS))
    assert sum(scores.values()) == 26 - sum(t["max_score"] for t in data["tests"]
                                            if t["name"].startswith(GRADIENTS))
    assert f"{GRADIENTS}: not graded" in data["output"]


def test_a_sandbox_that_cannot_start_fails_the_run_not_the_student(image):
    done, data = _grade(image, {p.name: p for p in CORRECT.glob("*.ipynb")}, TRIAL_ONLY_BWRAP)
    assert done.returncode != 0  # Gradescope shows an autograder failure; no zeros
    assert not data.get("tests") and "grading system failed" in data["output"]
    assert "not your code" in data["output"] and "Traceback" not in json.dumps(data)
    assert data.get("stdout_visibility", "hidden") == "hidden"
    # the instructor's output (stdout) has the diagnosis: what bubblewrap said
    assert "GRADING FAILED: SandboxFailed" in done.stdout
    assert "setting up uid map: Permission denied" in done.stdout


def test_secrets_are_out_of_reach_in_container_mode(image):
    """Student code in the container mode reads no grader, reference helper, submission or
    metadata, writes no result, and what it echoes carries none of them."""
    secrets = [image / "source" / "autograder" / "graders" / ASSIGNMENT / "test_01_gradients.py",
               image / "source" / "autograder" / "graders" / ASSIGNMENT / "reference"
               / "01-gradients.json", image / "source" / "course.yml",
               image / "submission" / "02-seven-steps.ipynb", image / "submission_metadata.json"]
    (image / "submission_metadata.json").write_text('{"users": [{"email": "ada@example.edu"}]}')
    forged = image / "results" / "results.json"
    probe = (f"import os\nfor path in {[str(p) for p in secrets] + [str(image / 'source')]!r}:\n"
             "    try:\n"
             "        print('FOUND', path, open(path).read()[:300] if os.path.isfile(path) "
             "else os.listdir(path))\n"
             "    except Exception as exc:\n"
             "        print('denied', path, type(exc).__name__)\n"
             "try:\n"
             f"    open({str(forged)!r}, 'w').write('{{\"score\": 999}}')\n"
             "    print('FORGED')\n"
             "except Exception as exc:\n"
             "    print('denied results', type(exc).__name__)\n"
             "raise RuntimeError(open(" + repr(str(secrets[1])) + ").read())\n")
    nb = json.loads((CORRECT / GRADIENTS).read_text())
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "execution_count": None,
                           "outputs": [], "source": probe})
    attacker = image.parent / f"{image.name}-attacker.ipynb"
    attacker.write_text(json.dumps(nb))
    files = {p.name: p for p in CORRECT.glob("*.ipynb")}
    files[GRADIENTS] = attacker
    try:
        done, data = _grade(image, files, FAILING_BWRAP)
    finally:
        attacker.unlink()
    assert done.returncode == 0, done.stdout[-3000:]
    assert data["score"] == 26 and data["extra_data"]["sandbox"] == "container"
    shown = json.dumps(data)
    assert "999" not in shown and "FORGED" not in shown
    reference = secrets[1].read_text()
    for line in (line.strip() for line in reference.split("\\n")):
        if len(line) > 20:
            assert line not in shown
    for path in (image / "source", image / "submission", image / "results"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


# ------------------------------------------------------------------ the hostile class
@pytest.fixture(scope="module")
def hostile_root(image) -> Iterator[Path]:
    """The image with the hostile test's short limits in its course.yml (a copy)."""
    root = Path(tempfile.mkdtemp(prefix="autograder-hostile-"))
    root.chmod(0o755)
    shutil.copytree(image / "source", root / "source", symlinks=True)
    (root / "source").chmod(0o755)  # a fresh container: nothing is shielded yet
    shutil.copy(image / "run_autograder", root / "run_autograder")
    config = yaml.safe_load((root / "source" / "course.yml").read_text())
    config["limits"].update(call_seconds=5, cell_seconds=10, notebook_seconds=60)
    (root / "source" / "course.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_the_hostile_class_is_contained_in_container_mode(hostile_root, image,
                                                        fixture_notebooks):
    from tests.end_to_end.test_hostile import LOSES, _notebook_of

    hostile = fixture_notebooks / "hostile"

    litter = [Path(p) / "pwned-by-student.txt" for p in ("/tmp", "/", "/etc", "/root")]
    lost: dict[str, set[str]] = {}
    try:
        for scenario in sorted(LOSES):
            name = _notebook_of(scenario)
            files = {p.name: p for p in CORRECT.glob("*.ipynb")}
            files[name] = hostile / f"{scenario}.ipynb"
            done, data = _grade(hostile_root, files, FAILING_BWRAP,
                                python=image / "venv" / "bin" / "python")
            assert done.returncode == 0, (scenario, done.stdout[-2000:])
            check_results_json(json.dumps(data))
            assert data["extra_data"]["sandbox"] == "container"
            lost[scenario] = {t["name"].split(": ", 1)[1] for t in data["tests"]
                              if t["name"].startswith(name) and t["score"] < t["max_score"]}
            assert "mallory" not in json.dumps(data) and "Traceback" not in data["output"]
    finally:
        # /tmp is writable to everyone in a container (Gradescope discards it with the
        # container): what the attackers left there goes, but nowhere else was writable
        written = [p for p in litter if p.exists()]
        Path("/tmp/pwned-by-student.txt").unlink(missing_ok=True)
        Path("/tmp/results.json").unlink(missing_ok=True)
    assert lost == LOSES
    assert written in ([], [Path("/tmp/pwned-by-student.txt")])
    # no worker of ours is left (other sandboxes on the machine may be running: only the
    # processes started from this root count; a forked worker keeps its zygote's command)
    rows = subprocess.run(["ps", "-eo", "uid=,stat=,args="], capture_output=True,
                          text=True).stdout.splitlines()
    left = [r for r in rows if str(hostile_root) in r and not r.split()[1].startswith("Z")
            and 61000 <= int(r.split()[0]) < 65000]
    assert left == []
