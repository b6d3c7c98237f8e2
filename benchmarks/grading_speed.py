"""How fast does the kit grade a whole class, and how does it compare with nbgrader?

    python benchmarks/grading_speed.py [--students 24] [--repeat 2] [--skip-nbgrader]
                                       [--json PATH]

Builds a class in a temporary directory (three notebooks a student: about half
complete, a quarter with typical mistakes, a quarter blank), then times, in one run:
`course autograde --workers 1` and `--workers 2`, alternately, REPEAT times each (the
table keeps each one's fastest run, the least disturbed by other load on the machine),
and `nbgrader autograde` on the same submissions. Figures are relative to a baseline
measured in the same run (one warm `import torch; from fastai.torch_core import
set_seed`), so that results from a slow laptop and a fast server can be compared.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "examples"))
from build_examples import ASSIGNMENT, NOTEBOOKS, completed, with_mistakes  # noqa: E402
from mistakes import MISTAKES  # noqa: E402

BASELINE = "import torch; from fastai.torch_core import set_seed"


# ------------------------------------------------------------------ the class
def kind_of(index: int) -> str:
    """Half complete, a quarter partly wrong, a quarter blank, interleaved (so that even
    a class of four has every kind)."""
    return ("complete", "mistakes", "complete", "blank")[index % 4]


def build_class(dest: Path, students: int) -> dict[str, str]:
    """Write SUBMITTED/<student>/<assignment>/<notebook>; returns student -> kind."""
    names = list(MISTAKES)
    kinds = {}
    for i in range(students):
        student, kind = f"student{i:03d}", kind_of(i)
        folder = dest / student / ASSIGNMENT
        folder.mkdir(parents=True)
        # Two mistakes per wrong student, rotating, so wrong notebooks differ from each other.
        mistakes = (names[i % len(names)], names[(i + 1) % len(names)])
        for notebook in NOTEBOOKS:
            if kind == "blank":
                nb = completed(notebook, blank=True)
            elif kind == "mistakes":
                nb = with_mistakes(notebook, mistakes)
            else:
                nb = completed(notebook)
            nbformat.write(nb, str(folder / notebook))
        kinds[student] = kind
    return kinds


# ------------------------------------------------------------------ measuring one run
@dataclass
class Run:
    name: str
    wall: float = 0.0
    cpu: float = 0.0  # user+sys of reaped children (getrusage(RUSAGE_CHILDREN) delta)
    cpu_tree: float = 0.0  # user+sys of every process seen in the tree (sampled)
    peak_rss_mb: float = 0.0  # largest single process (ru_maxrss of the run)
    peak_tree_rss_mb: float = 0.0  # largest sum over the tree at one moment (sampled)
    notebooks: int = 0
    load_before: float = 0.0
    load_after: float = 0.0
    returncode: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def per_notebook(self, value: float) -> float:
        return value / self.notebooks if self.notebooks else float("nan")


class TreeSampler(threading.Thread):
    """Polls a process tree for CPU time and memory.

    Needed besides getrusage: processes inside bubblewrap's PID namespace are reaped
    there, or by init once the kit SIGKILLs bwrap, so the CPU time of the sandboxed
    workers mostly never reaches our RUSAGE_CHILDREN. Sampling misses at most the last
    interval of each process's life, so these figures are lower bounds.
    """

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.interval = pid, interval
        self.cpu: dict[tuple[int, float], float] = {}  # (pid, create_time) -> last seen cpu
        self.peak_rss = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                root = psutil.Process(self.root)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            rss = 0
            for proc in procs:
                try:
                    with proc.oneshot():
                        times, key = proc.cpu_times(), (proc.pid, proc.create_time())
                        rss += proc.memory_info().rss
                except psutil.Error:
                    continue
                self.cpu[key] = max(self.cpu.get(key, 0.0), times.user + times.system)
            self.peak_rss = max(self.peak_rss, rss)
            self.done.wait(self.interval)

    def stop(self) -> None:
        self.done.set()
        self.join()


def measure(name: str, argv: list[str], notebooks: int, env: dict[str, str], log: Path,
            cwd: Path = ROOT) -> Run:
    run = Run(name, notebooks=notebooks, load_before=os.getloadavg()[0])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(log, "w") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid)
        sampler.start()
        # wait4 gives this child's own ru_maxrss; getrusage's maxrss is a lifetime maximum.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    run.wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run.cpu_tree = max(sum(sampler.cpu.values()), usage.ru_utime + usage.ru_stime)
    run.peak_rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    run.peak_tree_rss_mb = sampler.peak_rss / 2**20
    run.returncode = process.returncode
    run.load_after = os.getloadavg()[0]
    if run.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        print(f"warning: {name} exited with {run.returncode}\n{tail}", file=sys.stderr)
    return run


def baseline(env: dict[str, str], logs: Path) -> tuple[float, float]:
    """Median wall and CPU seconds of one warm torch + fastai import."""
    argv = [sys.executable, "-c", BASELINE]
    subprocess.run(argv, check=True, env=env)  # warm the page cache; not timed
    runs = [measure("baseline", argv, 1, env, logs / "baseline.log") for _ in range(3)]
    return statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs)


# ------------------------------------------------------------------ the three graders
def kit(submitted: Path, out: Path, workers: int, seed: int, env: dict[str, str],
        notebooks: int, logs: Path) -> Run:
    argv = [str(BIN / "course"), "--course", str(ROOT), "autograde", str(submitted),
            "--out", str(out), "--workers", str(workers), "--seed", str(seed)]
    run = measure(f"kit, {workers} worker{'s' * (workers > 1)}", argv, notebooks, env,
                  logs / f"kit-{workers}.log")
    # Where the wall time goes: inside notebooks (each notebook's `seconds`, from taking
    # its worker to its last grader), and outside them (start-up, reports, exit).
    inside = sum(nb["seconds"] for path in out.glob(f"*/{ASSIGNMENT}/results.json")
                 for nb in json.loads(path.read_text())["notebooks"])
    run.extra.update(workers=workers, inside_notebooks=inside,
                     outside_notebooks=run.wall - inside / workers)
    return run


NBGRADER_CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db!r}
c.Application.log_level = "WARN"
"""


def nbgrader(submitted: Path, scratch: Path, env: dict[str, str], notebooks: int,
             logs: Path) -> Run:
    """nbgrader's own autograde on the same submissions, in a scratch course directory."""
    scratch.mkdir(parents=True)
    shutil.copytree(ROOT / "source", scratch / "source")
    (scratch / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(
        root=str(scratch), db=f"sqlite:///{scratch / 'gradebook.db'}"))
    tool = str(BIN / "nbgrader")
    made = subprocess.run([tool, "generate_assignment", ASSIGNMENT, "--force"], cwd=scratch,
                          env=env, capture_output=True, text=True)
    if made.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{made.stderr[-3000:]}")
    shutil.copytree(submitted, scratch / "submitted")
    # Students are created by autograde itself (Autograde.create_student is the default).
    argv = [tool, "autograde", ASSIGNMENT, "--force", "--ExecutePreprocessor.timeout=600"]
    run = measure("nbgrader autograde", argv, notebooks, env, logs / "nbgrader.log",
                  cwd=scratch)
    run.extra["autograded_notebooks"] = len(list((scratch / "autograded").glob("*/*/*.ipynb")))
    return run


# ------------------------------------------------------------------ checks and report
def kit_totals(out: Path) -> dict[str, Any]:
    """What must not depend on the number of workers: grades.csv and per-test outcomes."""
    with open(out / "grades.csv", newline="") as f:
        rows = sorted(tuple(row) for row in csv.reader(f))
    results = {}
    for path in sorted(out.glob(f"*/{ASSIGNMENT}/results.json")):
        data = json.loads(path.read_text())
        results[data["student"]] = (data["total"], [
            (t["name"], t["passed"]) for nb in data["notebooks"] for t in nb["tests"]])
    return {"grades": rows, "results": results}


def table(runs: list[Run], base_wall: float, base_cpu: float) -> str:
    head = (f"{'run':<20}{'wall s':>9}{'CPU s':>9}{'CPU s':>9}{'peak MB':>9}{'peak MB':>9}"
            f"{'s/nb':>8}{'CPU/nb':>8}{'cost/nb':>9}\n"
            f"{'':<20}{'':>9}{'reaped':>9}{'tree':>9}{'1 proc':>9}{'tree':>9}"
            f"{'wall':>8}{'tree':>8}{'x base':>9}  load before/after")
    lines = [head]
    for r in runs:
        lines.append(
            f"{r.name:<20}{r.wall:9.1f}{r.cpu:9.1f}{r.cpu_tree:9.1f}{r.peak_rss_mb:9.0f}"
            f"{r.peak_tree_rss_mb:9.0f}{r.per_notebook(r.wall):8.2f}"
            f"{r.per_notebook(r.cpu_tree):8.2f}{r.per_notebook(r.wall) / base_wall:9.2f}"
            f"  {r.load_before:.1f}/{r.load_after:.1f}")
    lines.append(f"baseline (one warm `{BASELINE}`): {base_wall:.2f} s wall, "
                 f"{base_cpu:.2f} s CPU (median of 3)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--seed", type=int, default=5, help="grading seed for both kit runs")
    parser.add_argument("--repeat", type=int, default=2,
                        help="kit runs per worker count, alternating 1 and 2 workers; the "
                        "table shows each one's fastest (the least disturbed by other load)")
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)

    # nbgrader runs alembic for its gradebook: the venv's bin must be on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    scratch = Path(tempfile.mkdtemp(prefix="course-kit-bench-"))
    try:
        submitted, logs = scratch / "submitted", scratch / "logs"
        logs.mkdir()
        kinds = build_class(submitted, args.students)
        notebooks = args.students * len(NOTEBOOKS)
        mix = ", ".join(f"{k}: {list(kinds.values()).count(k)}"
                        for k in ("complete", "mistakes", "blank"))
        print(f"class: {args.students} students x {len(NOTEBOOKS)} notebooks = {notebooks} "
              f"notebooks ({mix}); {os.cpu_count()} CPUs; scratch {scratch}", flush=True)
        base_wall, base_cpu = baseline(env, logs)
        print(f"baseline: {base_wall:.2f} s", flush=True)
        rounds: list[tuple[Run, Run]] = []
        for r in range(max(1, args.repeat)):
            pair = []
            for workers in (1, 2):
                pair.append(kit(submitted, scratch / f"out-{workers}-{r}", workers, args.seed,
                                env, notebooks, logs))
                print(f"{pair[-1].name}: {pair[-1].wall:.1f} s", flush=True)
            rounds.append((pair[0], pair[1]))
        outputs = [kit_totals(out) for out in sorted(scratch.glob("out-*"))]
        same = all(o == outputs[0] for o in outputs)
        runs = [min((pair[i] for pair in rounds), key=lambda run: run.wall) for i in (0, 1)]
        if not args.skip_nbgrader:
            runs.append(nbgrader(submitted, scratch / "nbgrader", env, notebooks, logs))
            print(f"{runs[-1].name}: {runs[-1].wall:.1f} s", flush=True)

        print()
        print(table(runs, base_wall, base_cpu))
        kit1, kit2 = runs[0], runs[1]
        ratios = {"kit_1_over_2_workers_speedup": kit1.wall / kit2.wall}
        print(f"speedup, kit 1 worker -> 2 workers: {ratios['kit_1_over_2_workers_speedup']:.2f}x"
              f" (fastest of {len(rounds)} each)")
        print("time inside notebooks (sum over notebooks), and the rest of the wall time "
              "(start-up, reports, exit): "
              + "; ".join(f"{r.name}: {r.extra['inside_notebooks']:.1f} s inside, "
                          f"{r.extra['outside_notebooks']:.1f} s outside" for r in (kit1, kit2)))
        if len(rounds) > 1:
            ratios["kit_speedup_per_round"] = [one.wall / two.wall for one, two in rounds]
            print("speedup in each round (1 worker, then 2 workers right after): "
                  + ", ".join(f"{x:.2f}x" for x in ratios["kit_speedup_per_round"]))
        if not args.skip_nbgrader:
            ratios["kit_2_workers_over_nbgrader_wall"] = kit2.wall / runs[2].wall
            print(f"wall, kit (2 workers) / nbgrader: "
                  f"{ratios['kit_2_workers_over_nbgrader_wall']:.2f} "
                  f"(nbgrader autograded {runs[2].extra['autograded_notebooks']} notebooks)")
        print(f"kit grades, all {2 * len(rounds)} runs (seed {args.seed}): "
              f"{'identical' if same else 'DIFFERENT'}")
        if args.json:
            args.json.write_text(json.dumps({
                "students": args.students, "notebooks": notebooks, "cpus": os.cpu_count(),
                "baseline": {"wall": base_wall, "cpu": base_cpu, "command": BASELINE},
                "runs": [asdict(r) for r in runs], "ratios": ratios,
                "kit_rounds": [[asdict(r) for r in pair] for pair in rounds],
                "kit_1_and_2_workers_identical": same}, indent=2))
        failed = any(r.returncode != 0 for r in [*runs, *(x for pair in rounds for x in pair)])
        return 1 if failed or not same else 0
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
