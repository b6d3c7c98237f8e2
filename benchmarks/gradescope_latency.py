"""How long does a student wait on Gradescope, against the floor of importing torch?

    python benchmarks/gradescope_latency.py [--repeat 3] [--student ada] [--json PATH]

Exports the assignment's autograder.zip, lays out a simulated /autograder in a temporary
folder (the zip in source/, run_autograder, the student's notebooks in submission/) and
times, alternately, REPEAT times each:

- the import floor: `python -c "import torch, fastai.torch_core"`, a fresh interpreter;
- `run_autograder` on the submission (a correct one by default), as Gradescope runs it:
  the whole run, from the interpreter's start to results.json.

Both with this interpreter, on this machine, in the same run; each keeps its fastest
time (the least disturbed by other load). It prints the ratio run / floor; the target
(issue 17) is at most 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "gradient-descent"
FLOOR = "import torch, fastai.torch_core"
TARGET = 1.5


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def layout(tmp: Path, student: str) -> Path:
    archive = tmp / "autograder.zip"
    course = shutil.which("course") or str(Path(sys.executable).parent / "course")
    subprocess.run([course, "export", "gradescope", ASSIGNMENT, "--out", str(archive)],
                   cwd=ROOT, check=True, capture_output=True)
    root = tmp / "autograder"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    for nb in (ROOT / "examples" / "submitted" / student / ASSIGNMENT).glob("*.ipynb"):
        shutil.copy(nb, root / "submission" / nb.name)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--student", default="ada")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gradescope-latency-") as tmp:
        root = layout(Path(tmp), args.student)
        env = {**os.environ, "GRADESCOPE_ROOT": str(root), "COURSE_KIT_PYTHON": sys.executable}
        env.pop("PYTHONPATH", None)
        floors, runs, score = [], [], None
        timed([sys.executable, "-c", FLOOR])  # warm the page cache for both
        for _ in range(args.repeat):
            floors.append(timed([sys.executable, "-c", FLOOR]))
            runs.append(timed([str(root / "run_autograder")], env))
            score = json.loads((root / "results" / "results.json").read_text())["score"]
    floor, run = min(floors), min(runs)
    ratio = run / floor
    print(f"import floor ({FLOOR}): {floor:.2f} s   (all: {', '.join(f'{s:.2f}' for s in floors)})")
    print(f"run_autograder, {args.student}: {run:.2f} s, score {score:g}   "
          f"(all: {', '.join(f'{s:.2f}' for s in runs)})")
    print(f"ratio run / floor: {ratio:.2f} (target <= {TARGET}) "
          f"{'OK' if ratio <= TARGET else 'ABOVE TARGET'}")
    if args.json:
        args.json.write_text(json.dumps({"floor": floors, "run": runs, "ratio": ratio,
                                         "score": score}, indent=2))


if __name__ == "__main__":
    main()
