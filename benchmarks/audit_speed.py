"""How long does `course audit` take, relative to grading the example class?

    python benchmarks/audit_speed.py [--repeat 2] [--seeds 20] [--json PATH]

Times, alternately and REPEAT times each, in one run: `course autograde
examples/submitted --workers 2` (the example class: 6 students, 18 notebooks) and
`course audit gradient-descent --workers 2` (the seed sweep and every mutant). On a
machine shared with other work the wall times swing; their ratio within a round, taken
back to back, is what can be compared between machines and runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = Path(sys.executable).parent / "course"


def timed(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([str(COURSE), *args], cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - started, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory(prefix="audit-speed-") as tmp:
        for i in range(args.repeat):
            out = Path(tmp) / f"class{i}"
            klass, done = timed("autograde", "examples/submitted", "--out", str(out),
                                "--workers", "2", "--seed", "1")
            if done.returncode:
                print(done.stderr[-2000:], file=sys.stderr)
                return 2
            figures = Path(tmp) / f"audit{i}.json"
            audit, done = timed("audit", "gradient-descent", "--seeds", str(args.seeds),
                                "--seed", "0", "--workers", "2", "--out", str(Path(tmp) / "a"),
                                "--json", str(figures))
            if done.returncode not in (0, 1):
                print(done.stderr[-2000:], file=sys.stderr)
                return 2
            report = json.loads(figures.read_text())
            mutants = sum(p["mutants"] for p in report["problems"].values())
            rounds.append({"class_seconds": round(klass, 1), "audit_seconds": round(audit, 1),
                           "ratio": round(audit / klass, 2), "mutants": mutants,
                           "executions": report["executions"]})
            print(f"round {i + 1}: example class {klass:.1f} s, audit {audit:.1f} s "
                  f"({mutants} mutants, {report['executions']} notebook executions): "
                  f"audit / class = {audit / klass:.2f}", flush=True)
    best = min(rounds, key=lambda r: r["audit_seconds"])
    print(f"fastest audit {best['audit_seconds']} s; ratios "
          f"{', '.join(str(r['ratio']) for r in rounds)}")
    if args.json:
        args.json.write_text(json.dumps({"rounds": rounds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
