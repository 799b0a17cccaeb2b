"""What the pytest plugin adds to pytest's start-up: a one-test run with chrono and without.

    python benchmarks/bench_startup.py [--pairs 15] [--python PATH] [--breakdown-runs 7]
        [--instructions]

A temporary project holds one passing test and a ``pytest.ini`` (so that pytest looks no
further up for its configuration). Its run, ``pytest -q -p no:cacheprovider``, is timed with
the plugin and with ``-p no:chrono``, whole processes, in alternating pairs (the two orders
taking turns, after a discarded warm-up of each), each process's CPU time (user and system) read
from the operating system when it ends. The figures are the medians: of each side, and of the
difference and the ratio taken pair by pair, which cancels most of the drift a shared machine
adds. Bytecode is cached (a temporary ``PYTHONPYCACHEPREFIX``, warmed by the discarded runs),
as on a developer's machine after the first run.

Then ``python -X importtime`` runs the same test with the plugin, ``--breakdown-runs`` times:
the chrono modules it imported, each with its median self and cumulative time. pytest loads
its plugins through ``importlib``, which ``-X importtime`` does not report, so the package and
``chrono.pytest_plugin`` themselves are timed apart, as ``import chrono.pytest_plugin`` after
``import pytest``. Whether rich, executing or asttokens were loaded is said as well.

``--instructions`` counts, with valgrind's callgrind, the instructions of whole runs that the
machine's load does not move: the one-test project and one of 201 tests, each with the plugin
and without. chrono's start-up is the one-test run's difference, and chrono's cost per passing
test that records nothing is how much more the difference grows over the 200 tests more.

Measure in a virtual environment that has pytest and chrono alone (``--python
venv/bin/python``): every other installed plugin adds its own start-up to both sides, and the
noise that comes with it. The target prints PASS or MISS; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    Target,
    environment_lines,
    format_table,
    instructions,
    pytest_version,
    targets_table,
)

#: The goal: pytest with chrono costs at most this much more CPU than without it.
TARGET_MILLISECONDS = 5.0
HEAVY_MODULES = ("rich", "executing", "asttokens")
ARGUMENTS = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]

_IMPORT_TIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _environment(pycache: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in ("CHRONO", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        environment.pop(name, None)
    environment["PYTHONPYCACHEPREFIX"] = pycache
    return environment


class _Child:
    """A process whose resource usage is read when it is reaped (``Popen.wait`` would reap it
    without telling)."""

    def __init__(self, command: list[str], project: Path, environment: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=project,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def cpu_seconds(self) -> tuple[float, bytes]:
        assert self.process.stdout is not None
        output = self.process.stdout.read()
        _, status, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self.process.stdout.close()
        return usage.ru_utime + usage.ru_stime, output


def run_once(command: list[str], project: Path, environment: dict[str, str]) -> float:
    """The CPU seconds of one run, which must pass its one test."""
    seconds, output = _Child(command, project, environment).cpu_seconds()
    if b"1 passed" not in output:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output.decode(errors='replace')}")
    return seconds


def make_project(folder: Path, tests: int = 1) -> Path:
    """A project of ``tests`` passing tests."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    body = "".join(
        f"def test_{index}():\n    assert {index} + 1 > {index}\n\n" for index in range(tests)
    )
    (folder / "test_one.py").write_text(body)
    return folder


#: How many more tests the second counted project has than the first.
MORE_TESTS = 200


def counted(python: str, folder: Path, environment: dict[str, str]) -> list[list[str]]:
    """Instructions of whole runs, with and without the plugin, of one test and of
    ``1 + MORE_TESTS``: chrono's start-up, and its cost per passing test."""
    counts: dict[tuple[int, bool], int] = {}
    for tests in (1, 1 + MORE_TESTS):
        project = make_project(folder / f"counted-{tests}", tests)
        for with_chrono in (True, False):
            command = [python, *ARGUMENTS] + ([] if with_chrono else ["-p", "no:chrono"])
            run_once(command, project, environment)  # bytecode cached first
            counts[tests, with_chrono] = instructions(command, cwd=project, env=environment)
    one_on, one_off = counts[1, True], counts[1, False]
    many_on, many_off = counts[1 + MORE_TESTS, True], counts[1 + MORE_TESTS, False]
    per_test = ((many_on - one_on) - (many_off - one_off)) / MORE_TESTS
    pytest_per_test = (many_off - one_off) / MORE_TESTS
    return [
        ["one test", f"{one_on:,}", f"{one_off:,}", f"{one_on - one_off:+,} (start-up)"],
        [
            f"{1 + MORE_TESTS} tests",
            f"{many_on:,}",
            f"{many_off:,}",
            f"{per_test:+,.0f} a test (pytest's own: {pytest_per_test:,.0f})",
        ],
    ]


def pairs(
    python: str, project: Path, environment: dict[str, str], count: int
) -> tuple[list[float], list[float]]:
    """CPU seconds with the plugin and without, ``count`` alternating pairs after a warm-up."""
    with_chrono = [python, *ARGUMENTS]
    without = [python, *ARGUMENTS, "-p", "no:chrono"]
    run_once(with_chrono, project, environment)
    run_once(without, project, environment)
    on: list[float] = []
    off: list[float] = []
    for index in range(count):
        if index % 2:
            off.append(run_once(without, project, environment))
            on.append(run_once(with_chrono, project, environment))
        else:
            on.append(run_once(with_chrono, project, environment))
            off.append(run_once(without, project, environment))
    return on, off


def breakdown(
    python: str, project: Path, environment: dict[str, str], runs: int
) -> tuple[list[list[str]], list[str], float]:
    """The chrono modules a run imports, with ``-X importtime``'s median self and cumulative
    microseconds; the heavy modules it imported; and the median time of importing the package
    and the plugin module themselves."""
    self_times: dict[str, list[int]] = {}
    cumulative_times: dict[str, list[int]] = {}
    heavy: set[str] = set()
    for _ in range(runs):
        completed = subprocess.run(
            [python, "-X", "importtime", *ARGUMENTS],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        for line in completed.stderr.splitlines():
            found = _IMPORT_TIME.match(line)
            if found is None:
                continue
            name = found.group(4)
            if name.split(".")[0] in HEAVY_MODULES:
                heavy.add(name.split(".")[0])
            if name == "chrono" or name.startswith("chrono."):
                self_times.setdefault(name, []).append(int(found.group(1)))
                cumulative_times.setdefault(name, []).append(int(found.group(2)))
    rows = sorted(
        (
            (name, statistics.median(self_times[name]), statistics.median(cumulative_times[name]))
            for name in self_times
        ),
        key=lambda row: -row[1],
    )
    table = [
        [name, f"{self_us / 1000:.2f} ms", f"{total / 1000:.2f} ms"]
        for name, self_us, total in rows
    ]
    own = _plugin_module_ms(python, environment, runs)
    return table, sorted(heavy), own


_PLUGIN_MODULE = """
import time, pytest, _pytest.logging, _pytest.capture
started = time.thread_time_ns()
import chrono, chrono.pytest_plugin
print((time.thread_time_ns() - started) / 1e6)
"""


def _plugin_module_ms(python: str, environment: dict[str, str], runs: int) -> float:
    """Median CPU milliseconds of ``import chrono.pytest_plugin`` (its dependencies too) after
    the modules pytest itself has loaded by then."""
    times = [
        float(
            subprocess.run(
                [python, "-c", _PLUGIN_MODULE],
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """Time the pairs, print the breakdown and the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairs", type=int, default=15, help="alternating pairs (15)")
    parser.add_argument("--python", default=sys.executable, help="interpreter to measure")
    parser.add_argument("--breakdown-runs", type=int, default=7, help="-X importtime runs (7)")
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (callgrind)"
    )
    arguments = parser.parse_args(argv)
    python = arguments.python
    print("\n".join(environment_lines()))
    print(f"measured: {python}, pytest {pytest_version(python)}")
    with tempfile.TemporaryDirectory(prefix="chrono-startup-") as folder:
        project = make_project(Path(folder) / "project")
        environment = _environment(str(Path(folder) / "pycache"))
        on, off = pairs(python, project, environment, arguments.pairs)
        table, heavy, own = breakdown(python, project, environment, arguments.breakdown_runs)
        rows_counted = counted(python, Path(folder), environment) if arguments.instructions else []
    differences = [(a - b) * 1000 for a, b in zip(on, off)]
    ratios = [a / b for a, b in zip(on, off)]
    difference = statistics.median(differences)
    print(f"\none passing test, {arguments.pairs} alternating pairs, whole-process CPU")
    rows = [
        ["with chrono", f"{statistics.median(on) * 1000:.1f} ms", _range(on)],
        ["-p no:chrono", f"{statistics.median(off) * 1000:.1f} ms", _range(off)],
    ]
    print(format_table(["pytest", "cpu median", "cpu range"], rows))
    print(
        f"difference, pair by pair: median {difference:+.1f} ms "
        f"(range {min(differences):+.1f} .. {max(differences):+.1f}); "
        f"ratio median {statistics.median(ratios):.3f}"
    )
    print(
        f"\nchrono modules the run imported (-X importtime, median of {arguments.breakdown_runs})"
    )
    print(format_table(["module", "self", "cumulative"], table))
    print(
        f"import chrono.pytest_plugin after pytest's own modules: {own:.2f} ms CPU "
        "(the package, the plugin and everything above)"
    )
    print(f"heavy modules imported: {', '.join(heavy) or 'none'}")
    if rows_counted:
        print("\ninstructions of whole runs (callgrind)")
        headers = ["pytest run", "with chrono", "-p no:chrono", "chrono's part"]
        print(format_table(headers, rows_counted))
    print()
    target = Target(
        "pytest start-up with chrono",
        f"<= +{TARGET_MILLISECONDS:.0f} ms CPU",
        f"{difference:+.1f} ms",
        difference <= TARGET_MILLISECONDS,
    )
    print(targets_table([target]))


def _range(values: list[float]) -> str:
    return f"{min(values) * 1000:.1f} - {max(values) * 1000:.1f} ms"


if __name__ == "__main__":
    main()
