"""A submission that inspects everything it can reach while graded finds no reference or
grader code: not in results.json, feedback.html, nor the Gradescope results.

Its graded functions of 02-seven-steps (those that are lent the reference versions of
the notebook's other functions) walk the stubs' closures and globals, the frames, the
garbage collector, `dis`, sys.modules, /proc and the files they can open, and then
(1) search all that for needles: distinctive lines of the reference solution cells and
of the graders, which the test hands them base64-encoded, and raise with what they
found; (2) print and return the most code-like text they found. The test then looks for
those lines in every file a student sees.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, copy_course, run_course

pytestmark = pytest.mark.slow

ASSIGNMENT = "gradient-descent"
STEPS = "02-seven-steps.ipynb"
GRADERS = ROOT / "autograder" / "graders" / ASSIGNMENT

SNOOP = r'''
import base64 as _b64, dis as _dis, gc as _gc, io as _io, os as _os, sys as _sys, types as _types

def _reachable():
    """Every text the call can reach, most suspicious first (within a time budget)."""
    import time
    found, end = [], time.monotonic() + 30
    def add(x):
        if time.monotonic() > end:
            raise TimeoutError
        if isinstance(x, str) and x:
            found.append(x)
    try:
        _collect(add)
    except TimeoutError:
        found.append("(out of time)")
    return found

def _collect(add):
    for name, value in list(globals().items()):
        if callable(value) and not name.startswith("_"):
            add(repr(value)); add(getattr(value, "__doc__", None))
            for cell in getattr(value, "__closure__", None) or ():
                try:
                    add(repr(cell.cell_contents)); add(repr(vars(cell.cell_contents)))
                except (ValueError, TypeError):
                    pass
            code = getattr(value, "__code__", None)
            if code is not None:
                add(code.co_filename); add(" ".join(map(str, code.co_consts)))
                out = _io.StringIO()
                try:
                    _dis.dis(value, file=out)
                except TypeError:
                    pass
                add(out.getvalue())
            try:
                import inspect
                add(inspect.getsource(value))
            except (OSError, TypeError):
                pass
    frame = _sys._getframe(1)
    while frame is not None:
        add(frame.f_code.co_filename)
        for v in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            if isinstance(v, str):
                add(v)
        frame = frame.f_back
    for obj in _gc.get_objects():
        if isinstance(obj, _types.FunctionType):
            add(obj.__code__.co_filename)
            add(" ".join(c for c in obj.__code__.co_consts if isinstance(c, str)))
        elif isinstance(obj, dict) and obj is not globals():
            add(" ".join(v for v in list(obj.values())[:50] if isinstance(v, str)))
    for name, module in list(_sys.modules.items()):
        add(str(getattr(module, "__file__", "")))
    for pid in _os.listdir("/proc"):
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as f:
                    add(f.read(65536).decode("utf-8", "replace"))
            except OSError:
                pass
    for top in ("/opt", "/home", "/tmp", _os.getcwd()):
        for folder, _, files in _os.walk(top):
            for name in files[:200]:
                path = _os.path.join(folder, name)
                if not _os.path.isfile(path):
                    continue  # a FIFO would block
                try:
                    with open(path, "rb") as f:
                        add(f.read(200_000).decode("utf-8", "replace"))
                except OSError:
                    pass

def _snoop(who):
    needles = [_b64.b64decode(n).decode() for n in NEEDLES]
    texts = _reachable()
    blob = "\n".join(texts)
    hits = [i for i, n in enumerate(needles) if n in blob]
    codey = [t for t in texts if "def " in t or "params.grad" in t or "backward" in t]
    print("\n".join(codey)[:100_000])
    raise RuntimeError(f"{who} searched {len(texts)} texts; needles found: {hits}; "
                       + " | ".join(codey)[:1500])
'''
SNOOPERS = {
    "loss_and_grad": "def loss_and_grad(params, t, y):\n    _snoop('loss_and_grad')\n",
    "apply_step": "def apply_step(params, t, y, lr):\n    _snoop('apply_step')\n",
    "train": "def train(params, t, y, lr, n_steps):\n    _snoop('train')\n",
    "train_until": "def train_until(params, t, y, lr, tol, max_steps):\n"
                   "    _snoop('train_until')\n",
    "to_original_units": "def to_original_units(params_z, mean, std):\n"
                         "    _snoop('to_original_units')\n",
}


def _solution_lines() -> set[str]:
    """Distinctive lines of the reference solution cells that no student sees."""
    secret, public = set(), []
    for path in (ROOT / "source" / ASSIGNMENT).glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            text = "".join(cell["source"])
            blocks = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", text, re.S)
            public.append(re.sub(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", "", text,
                                 flags=re.S))
            for block in blocks:
                secret |= {line.strip() for line in block.splitlines() if len(line.strip()) > 15}
    public += [(ROOT / "release" / ASSIGNMENT / p.name).read_text()
               for p in (ROOT / "source" / ASSIGNMENT).glob("*.ipynb")]
    shown = "\n".join(public)
    return {line for line in secret if line not in shown}


def _grader_lines() -> set[str]:
    """Distinctive code lines of the graders (not their messages, which students see)."""
    public = "\n".join([*(p.read_text() for p in (ROOT / "release" / ASSIGNMENT).glob("*")
                          if p.is_file()),
                         *(p.read_text() for p in (ROOT / "autograder" / "sandbox" / "inside")
                           .glob("*.py")), SNOOP])
    lines = set()
    for path in GRADERS.glob("*.py"):
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) > 30 and not line.startswith(("#", "@", "(", ")")) \
                    and '"' not in line and "'" not in line and line not in public:
                lines.add(line)
    return lines


def _submission(folder: Path, needles: list[str]) -> None:
    """The blank release (so no answer of its own repeats a reference line), with the
    snooping functions in 02-seven-steps."""
    folder.mkdir(parents=True)
    for nb in ("01-gradients.ipynb", "03-linear-regression.ipynb", STEPS):
        shutil.copy(ROOT / "release" / ASSIGNMENT / nb, folder / nb)
    notebook = json.loads((folder / STEPS).read_text())
    prelude = SNOOP.replace("NEEDLES", repr(needles))
    for cell in notebook["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in SNOOPERS:
            cell["source"] = (prelude if gid == "loss_and_grad" else "") + SNOOPERS[gid]
    (folder / STEPS).write_text(json.dumps(notebook))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inspecting")
    secrets = _solution_lines() | _grader_lines()
    needles = [base64.b64encode(s.encode()).decode() for s in sorted(secrets)]
    course = copy_course(tmp / "course")
    config = yaml.safe_load((course / "course.yml").read_text())
    # the search is long (CPU time too, which the budgets charge); its result counts here
    config["limits"].update(call_seconds=120, cpu_floor_seconds=60)
    (course / "course.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    _submission(tmp / "submitted" / "snoop" / ASSIGNMENT, needles)
    run = run_course("autograde", str(tmp / "submitted"), "--out", str(tmp / "out"),
                     "--seed", "3", cwd=course)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    seen = {p.name: p.read_text() for p in (tmp / "out" / "snoop" / ASSIGNMENT).iterdir()
            if p.is_file()}
    # Gradescope: the exported zip run on this upload, as its autograder would.
    archive = tmp / "autograder.zip"
    assert run_course("export", "gradescope", ASSIGNMENT, "--out", str(archive),
                      cwd=course).returncode == 0
    root = tmp / "gradescope"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    shutil.copytree(tmp / "submitted" / "snoop" / ASSIGNMENT, root / "submission")
    from tests.integrations.test_gradescope import _run_autograder

    done = _run_autograder(root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seen["gradescope results.json"] = (root / "results" / "results.json").read_text()
    return seen, secrets


def test_the_graded_functions_did_search_and_were_lent_helpers(graded):
    seen, secrets = graded
    assert len(secrets) > 60  # reference and grader lines to look for
    results = json.loads(seen["results.json"])
    [steps] = [nb for nb in results["notebooks"] if nb["notebook"] == STEPS]
    messages = [t["message"] for t in steps["tests"] if t["problem"] in SNOOPERS]
    searched = [m for m in messages if "needles found: []" in m]
    assert len(searched) >= len(SNOOPERS)  # every snooping function ran its search
    assert not any(re.search(r"needles found: \[\d", m) for m in messages)
    assert "needles found" in seen["gradescope results.json"]


def test_no_reference_or_grader_line_reaches_what_the_student_sees(graded):
    seen, secrets = graded
    for name in ("results.json", "feedback.html", "gradescope results.json"):
        text = seen[name]
        # compare with the text as a student reads it: JSON strings decoded, HTML unescaped
        text += "\n" + (_all_strings(json.loads(text)) if name.endswith(".json")
                        else html.unescape(text))
        leaked = sorted(line for line in secrets if line in text)
        assert not leaked, f"{name} carries {leaked[:5]}"


def _all_strings(data) -> str:
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        return "\n".join(_all_strings(v) for v in data.values())
    if isinstance(data, list):
        return "\n".join(_all_strings(v) for v in data)
    return ""
