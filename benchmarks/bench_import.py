"""What ``import chrono`` costs with ``CHRONO=off``, and that it imports nothing heavy.

    python benchmarks/bench_import.py [--runs 21] [--python PATH ...] [--venvs DIR] [--breakdown]

Each run is a fresh interpreter that times ``import chrono`` in-process (from just before the
import statement to just after it, so the interpreter's own start-up is not counted) and lists
the modules the import added. ``CHRONO=off`` and ``CHRONO=on`` alternate, ``--runs`` processes
each; each figure is their median, in the thread's CPU time (which leaves out the time other
processes held the CPU), with the wall clock beside it. Bytecode is cached (a temporary
``PYTHONPYCACHEPREFIX``, warmed by a discarded run), as on a developer's machine after the
first run.

Measure in a virtual environment (``--python .venv/bin/python``, or ``--venvs DIR`` for one per
pyenv Python 3.9-3.13): its start-up loads only what Python itself needs, so every module chrono
pulls in is counted. An interpreter whose ``site`` or ``.pth`` files preload ``typing`` or ``re``
makes chrono look cheaper than it is for a user. ``--breakdown`` adds ``python -X importtime``'s
heaviest entries for ``CHRONO=off`` on the first interpreter. Nothing is asserted: the targets
print PASS or MISS.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    Target,
    add_interpreter_options,
    chosen_interpreters,
    environment_lines,
    format_table,
    load_average,
    python_version,
    targets_table,
)

HEAVY_MODULES = ("rich", "executing", "asttokens")
TARGET_MILLISECONDS = 5.0

_CHILD = """
import sys, time
before = set(sys.modules)
start = time.perf_counter_ns()
cpu = time.thread_time_ns()
import chrono
cpu = time.thread_time_ns() - cpu
elapsed = time.perf_counter_ns() - start
added = sorted(set(sys.modules) - before)
import json
print(json.dumps({"ns": elapsed, "cpu_ns": cpu, "added": added}))
"""


@dataclass
class ImportCase:
    """One interpreter with ``CHRONO`` set one way."""

    python: str
    version: str
    chrono: str
    wall_ns: list[int] = field(default_factory=list)
    cpu_ns: list[int] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How the table names this case."""
        return f"{self.version}, CHRONO={self.chrono}"

    def run(self, pycache: str) -> None:
        """One fresh process; keeps its timings and the modules it added."""
        completed = subprocess.run(
            [self.python, "-c", _CHILD],
            capture_output=True,
            text=True,
            env=_environment(pycache, self.chrono),
            check=True,
        )
        result = json.loads(completed.stdout)
        self.wall_ns.append(result["ns"])
        self.cpu_ns.append(result["cpu_ns"])
        self.added = result["added"]

    @property
    def heavy(self) -> list[str]:
        """The heavy packages this import loaded (should be none when off)."""
        return [name for name in self.added if name.split(".")[0] in HEAVY_MODULES]

    @property
    def median_ms(self) -> float:
        """Median CPU time of the import, in milliseconds."""
        return statistics.median(self.cpu_ns) / 1e6

    @property
    def wall_median_ms(self) -> float:
        """Median wall time of the import, in milliseconds."""
        return statistics.median(self.wall_ns) / 1e6


def _environment(pycache: str, chrono: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = pycache
    environment["CHRONO"] = chrono
    return environment


def _ms(nanoseconds: float) -> str:
    return f"{nanoseconds / 1e6:.1f} ms"


def breakdown(python: str, pycache: str, runs: int = 7, limit: int = 15) -> str:
    """``-X importtime``'s heaviest entries for ``CHRONO=off``, medians of ``runs`` processes."""
    self_times: dict[str, list[int]] = {}
    cumulative_times: dict[str, list[int]] = {}
    for _ in range(runs):
        completed = subprocess.run(
            [python, "-X", "importtime", "-c", "import chrono"],
            capture_output=True,
            text=True,
            env=_environment(pycache, "off"),
            check=True,
        )
        lines = [
            line[len("import time:") :].split("|")
            for line in completed.stderr.splitlines()
            if line.startswith("import time:") and "cumulative" not in line
        ]
        # The interpreter's own start-up ends with ``site``; chrono's imports come after it.
        names = [name.strip() for _, _, name in lines]
        start = names.index("site") + 1 if "site" in names else 0
        for self_us, cumulative_us, name in lines[start:]:
            self_times.setdefault(name.rstrip(), []).append(int(self_us))
            cumulative_times.setdefault(name.rstrip(), []).append(int(cumulative_us))
    entries = sorted(
        (
            (statistics.median(cumulative_times[name]), statistics.median(self_times[name]), name)
            for name in cumulative_times
        ),
        reverse=True,
    )
    rows = [
        [name, f"{self_us / 1000:.1f} ms", f"{total / 1000:.1f} ms"]
        for total, self_us, name in entries[:limit]
    ]
    title = f"module (-X importtime, median of {runs})"
    return format_table([title, "self", "cumulative"], rows)


def main(argv: list[str] | None = None) -> None:
    """Time the import in fresh processes and print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21, help="processes per case (21)")
    add_interpreter_options(parser)
    parser.add_argument("--breakdown", action="store_true", help="show -X importtime's top")
    arguments = parser.parse_args(argv)
    pythons = chosen_interpreters(arguments)
    print("\n".join(environment_lines()))
    print(f"median of {arguments.runs} fresh processes per case, interleaved")
    cases = [
        ImportCase(python, python_version(python), chrono)
        for python in pythons
        for chrono in ("off", "on")
    ]
    with tempfile.TemporaryDirectory(prefix="chrono-pycache-") as pycache:
        for case in cases:
            case.run(pycache)  # warms the bytecode cache
            case.wall_ns.clear()
            case.cpu_ns.clear()
        for _ in range(arguments.runs):
            for case in cases:
                case.run(pycache)
        detail = breakdown(pythons[0], pycache) if arguments.breakdown else ""
    rows = [
        [
            case.label,
            _ms(statistics.median(case.cpu_ns)),
            f"{_ms(min(case.cpu_ns))} - {_ms(max(case.cpu_ns))}",
            _ms(statistics.median(case.wall_ns)),
            str(sum(1 for name in case.added if not name.startswith("chrono"))),
            ", ".join(case.heavy) or "none",
        ]
        for case in cases
    ]
    print()
    headers = ["import chrono", "cpu median", "cpu range", "wall median", "other modules", "heavy"]
    print(format_table(headers, rows))
    first_off = cases[0]
    print(
        f"\nmodules import chrono added ({first_off.label}): "
        + ", ".join(name for name in first_off.added if not name.startswith("_"))
    )
    if detail:
        print()
        print(detail)
    targets = [
        Target(
            f"import chrono, CHRONO=off, {case.version}",
            "<= 5 ms",
            f"{case.median_ms:.1f} ms (wall {case.wall_median_ms:.1f} ms)",
            case.median_ms <= TARGET_MILLISECONDS,
        )
        for case in cases
        if case.chrono == "off"
    ]
    heavy = sorted({name for case in cases if case.chrono == "off" for name in case.heavy})
    targets.append(
        Target(
            "import chrono, CHRONO=off: heavy imports",
            "none of " + ", ".join(HEAVY_MODULES),
            ", ".join(heavy) or "none",
            not heavy,
        )
    )
    print()
    print(targets_table(targets))
    print(f"\nat the end: {load_average()}")


if __name__ == "__main__":
    main()
