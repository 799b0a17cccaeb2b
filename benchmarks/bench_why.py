"""What ``--chrono-why`` costs a real suite: a whole run with it against one without.

    python benchmarks/bench_why.py PROJECT [--runs 5] [--source src] [-- PYTEST_ARGS…]

PROJECT is a project's unpacked source (from its sdist), with a seeded bug so that some tests
fail: that is when ``--chrono-why`` does all its work (per-test coverage, ranking, running the
failing tests again with logpoints). Goal: at most twice the run without it.

Runs alternate between the two sides, each in a fresh interpreter (``python -m pytest -q -p
no:cacheprovider``, the project's ``--source`` folder and this checkout's ``src`` on
PYTHONPATH); each figure is the median of ``--runs``, with CPU seconds (user + system of the
child) beside wall time, because a busy machine inflates wall time far more than CPU time.
The ratio is taken pair by pair.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHRONO_SOURCE = Path(__file__).resolve().parent.parent / "src"


def _run(project: Path, source: str, arguments: list[str]) -> tuple[float, float, int]:
    """One run's wall seconds, CPU seconds and exit code."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(project / source), str(CHRONO_SOURCE)])
    environment.pop("CHRONO", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=project,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, completed.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", default="src", help="the project's import root, under it")
    arguments = sys.argv[1:]
    split = arguments.index("--") if "--" in arguments else len(arguments)
    options = parser.parse_args(arguments[:split])
    options.pytest_args = arguments[split + 1 :]
    project = options.project.resolve()
    sides = ("without", "--chrono-why")
    walls: dict[str, list[float]] = {side: [] for side in sides}
    cpus: dict[str, list[float]] = {side: [] for side in sides}
    ratios = []
    codes = set()
    for _ in range(options.runs):
        pair = {}
        for side in sides:
            extra = ["--chrono-why"] if side == "--chrono-why" else []
            wall, cpu, code = _run(project, options.source, [*options.pytest_args, *extra])
            walls[side].append(wall)
            cpus[side].append(cpu)
            codes.add(code)
            pair[side] = wall
        ratios.append(pair["--chrono-why"] / pair["without"])
    print(f"{project.name}: {options.runs} runs each, exit codes {sorted(codes)}")
    print(f"{'':14} {'wall s':>8} {'cpu s':>8}")
    for side in sides:
        wall = statistics.median(walls[side])
        cpu = statistics.median(cpus[side])
        print(f"{side:14} {wall:8.2f} {cpu:8.2f}")
    cpu_ratio = statistics.median(cpus["--chrono-why"]) / statistics.median(cpus["without"])
    print(f"ratio (median of pairs, wall): {statistics.median(ratios):.2f}×; cpu: {cpu_ratio:.2f}×")


if __name__ == "__main__":
    main()
