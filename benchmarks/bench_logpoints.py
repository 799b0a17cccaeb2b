"""What logpoints cost: per hit, to the rest of the program, to a real suite, and at start-up.

    python benchmarks/bench_logpoints.py [--runs 3] [--rounds 9] [--part hits|suite|startup|all]

* **hits** (this interpreter, in-process): a three-line function called 20,000 times inside a
  story, without a logpoint, with a marker logpoint (``FILE:LINE``), with ``FILE:LINE:x``, and
  with ``tp(x)`` written in its source; and a function holding no logpoint while another holds
  one (what the rest of the program pays: nothing on 3.12+, the trace function's call event
  on 3.9-3.11). Thread CPU time, median over ``--rounds`` rounds, sides interleaved.
* **suite**: more-itertools' test suite (its sdist, as benchmarks/real_suites.py prepares it)
  with the plugin on, without and with ``--chrono-at`` on the first line of
  ``peekable.__next__``, which many of its tests run; runs alternate, the ratio is taken pair
  by pair, the median of ``--runs``. A first run counts the hits.
* **startup**: a fresh venv's ``python -c pass``, with chrono's ``.pth`` in its site-packages
  and without, ``CHRONO_AT`` unset (wall time, median of interleaved runs), and the ``.pth``
  line alone, executed in-process (timeit).

Goals (issue 13, for 3.12+): the suite within 1.05x of no logpoint; a hit at most 3 µs plus its
expression; the startup hook at most 0.1 ms. 3.9-3.11 are measured and documented, not judged.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import REPOSITORY, Target, environment_lines, format_table, targets_table
from bench_plugin import run_child

STARTUP_HOOK = REPOSITORY / "startup" / "chrono_at.pth"
CALLS = 20_000
MODULE = """\
from chrono import tp


def hot(x):
    y = x + 1
    return y


def cold(x):
    y = x + 1
    return y


def written(x):
    tp(x)
    y = x + 1
    return y
"""
HOT_LINE = 5


# -- hits --------------------------------------------------------------------------------------


def _loop(function: Callable[[int], Any]) -> float:
    """CPU seconds for CALLS calls of ``function`` inside a story."""
    import chrono

    with chrono.story(max_events=CALLS * 2):
        started = time.thread_time()
        for number in range(CALLS):
            function(number)
        return time.thread_time() - started


def measure_hits(rounds: int) -> tuple[list[list[str]], dict[str, float]]:
    import importlib.util

    from chrono import _logpoints

    folder = Path(tempfile.mkdtemp(prefix="chrono-logpoints-"))
    path = folder / "hot_module.py"
    path.write_text(MODULE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("hot_module", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def with_logpoint(spec_text: str | None, function: Callable[[int], Any]) -> float:
        logpoints = _logpoints.parse_specs([spec_text] if spec_text else [])
        _logpoints.add(logpoints)
        try:
            return _loop(function)
        finally:
            _logpoints.remove(logpoints)

    sides: dict[str, Callable[[], float]] = {
        "no logpoint": lambda: with_logpoint(None, module.hot),
        "marker logpoint (FILE:LINE)": lambda: with_logpoint(f"{path}:{HOT_LINE}", module.hot),
        "logpoint FILE:LINE:x": lambda: with_logpoint(f"{path}:{HOT_LINE}:x", module.hot),
        "tp(x) written in the source": lambda: with_logpoint(None, module.written),
        "other code, logpoint elsewhere": lambda: with_logpoint(f"{path}:{HOT_LINE}", module.cold),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for index in range(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            times[name].append(sides[name]())
    base = statistics.median(times["no logpoint"])
    rows = []
    per_call: dict[str, float] = {}
    for name in names:
        median = statistics.median(times[name])
        per_call[name] = (median - base) / CALLS * 1e6
        rows.append(
            [
                name,
                f"{median / CALLS * 1e9:,.0f} ns",
                "" if name == "no logpoint" else f"{per_call[name]:+.2f} µs",
                f"{median / base:.2f}x",
            ]
        )
    return rows, per_call


# -- suite -------------------------------------------------------------------------------------


HITS_PLUGIN = """\
import os

def pytest_sessionfinish(session):
    from chrono import _logpoints
    hits = sum(logpoint.hits for logpoint in _logpoints.live())
    with open(os.environ["CHRONO_BENCH_HITS"], "w") as handle:
        handle.write(str(hits))
"""


def measure_suite(runs: int) -> tuple[list[list[str]], float, int, str]:
    from real_suites import PROJECTS, child_environment, fetch_sdist, prepare_venv

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "real-suites"
    project = next(each for each in PROJECTS if each.name == "more-itertools")
    source = fetch_sdist(project, cache)
    python = prepare_venv(project, source, cache)
    # peekable.__next__: started about 22,000 times by tests/test_more.py alone (counted with
    # a sys.monitoring PY_START counter), by many of the suite's tests.
    more = source / "more_itertools" / "more.py"
    lines = more.read_text(encoding="utf-8").splitlines()
    start = lines.index("class peekable:")
    definition = lines.index("    def __next__(self):", start)
    spec = f"more_itertools/more.py:{definition + 2}:len(self._cache)"
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"]
    at = [*command, f"--chrono-at={spec}"]
    # The hits, counted once by a plugin that reads them at the end of the session.
    helper = Path(tempfile.mkdtemp(prefix="chrono-hits-"))
    (helper / "chrono_bench_hits.py").write_text(HITS_PLUGIN, encoding="utf-8")
    counted = helper / "hits.txt"
    env = {
        **child_environment(),
        "PYTHONPATH": str(helper),
        "CHRONO_BENCH_HITS": str(counted),
    }
    run_child([*at, "-p", "chrono_bench_hits"], source, env)
    hits = int(counted.read_text(encoding="utf-8"))
    run_child(command, source)  # warm the bytecode caches
    without: list[Any] = []
    with_logpoint: list[Any] = []
    for index in range(runs):
        order = [False, True] if index % 2 == 0 else [True, False]
        for logpoint in order:
            timing = run_child(at if logpoint else command, source)
            (with_logpoint if logpoint else without).append(timing)
    ratios = [on.wall / off.wall for on, off in zip(with_logpoint, without)]
    cpu_ratios = [on.cpu / off.cpu for on, off in zip(with_logpoint, without)]
    rows = [
        [
            "without --chrono-at",
            f"{statistics.median(t.wall for t in without):.2f} s",
            f"{statistics.median(t.cpu for t in without):.2f} s",
            "",
        ],
        [
            f"--chrono-at={spec}",
            f"{statistics.median(t.wall for t in with_logpoint):.2f} s",
            f"{statistics.median(t.cpu for t in with_logpoint):.2f} s",
            f"{statistics.median(ratios):.3f}x wall, {statistics.median(cpu_ratios):.3f}x CPU "
            f"(runs: {', '.join(f'{r:.3f}' for r in ratios)})",
        ],
    ]
    return rows, statistics.median(cpu_ratios), hits, spec


# -- startup -----------------------------------------------------------------------------------


def measure_startup(runs: int) -> tuple[list[list[str]], float, float]:
    folder = Path(tempfile.mkdtemp(prefix="chrono-startup-"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    hook = Path(purelib, STARTUP_HOOK.name)
    environment = {key: value for key, value in os.environ.items() if key != "CHRONO_AT"}
    command = [str(python), "-c", "pass"]
    times: dict[bool, list[float]] = {True: [], False: []}
    for index in range(runs):
        for installed in (True, False) if index % 2 == 0 else (False, True):
            if installed:
                hook.write_text(STARTUP_HOOK.read_text(encoding="utf-8"), encoding="utf-8")
            elif hook.exists():
                hook.unlink()
            times[installed].append(run_child(command, folder, environment).wall)
    line = STARTUP_HOOK.read_text(encoding="utf-8").strip()
    saved = os.environ.pop("CHRONO_AT", None)
    try:
        number = 100_000
        alone = min(timeit.repeat(line, number=number, repeat=5)) / number
    finally:
        if saved is not None:
            os.environ["CHRONO_AT"] = saved
    with_hook = statistics.median(times[True])
    without = statistics.median(times[False])
    rows = [
        ["python -c pass, no chrono .pth", f"{without * 1000:.2f} ms"],
        ["python -c pass, chrono's .pth, CHRONO_AT unset", f"{with_hook * 1000:.2f} ms"],
        ["difference (whole process, noisy)", f"{(with_hook - without) * 1000:+.2f} ms"],
        ["the .pth line alone (timeit, best of 5)", f"{alone * 1e6:.2f} µs"],
    ]
    return rows, alone, with_hook - without


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="suite runs each way (3)")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of the hit loops (9)")
    parser.add_argument("--startup-runs", type=int, default=40, help="process starts each way")
    parser.add_argument("--part", choices=("hits", "suite", "startup", "all"), default="all")
    arguments = parser.parse_args()
    print("\n".join(environment_lines()))
    monitoring = sys.version_info >= (3, 12)
    how = "sys.monitoring" if monitoring else "a trace function (sys.settrace)"
    print(f"logpoints through {how}\n")
    targets: list[Target] = []
    if arguments.part in ("hits", "all"):
        rows, per_call = measure_hits(arguments.rounds)
        print(f"{CALLS:,} calls of a three-line function inside a story (thread CPU time)")
        print(format_table(["", "per call", "added per call", "ratio"], rows) + "\n")
        marker = per_call["marker logpoint (FILE:LINE)"]
        with_x = per_call["logpoint FILE:LINE:x"]
        targets.append(
            Target(
                "a hit (marker; with x)",
                "<= 3 µs + expression" if monitoring else "(documented)",
                f"{marker:.2f} µs; {with_x:.2f} µs",
                marker <= 3 or not monitoring,
            )
        )
    if arguments.part in ("suite", "all"):
        rows, cpu_ratio, hits, _spec = measure_suite(arguments.runs)
        print(f"more-itertools' suite, plugin on, {arguments.runs} runs each way; {hits:,} hits")
        print(format_table(["", "wall", "CPU", "ratio"], rows) + "\n")
        targets.append(
            Target(
                "more-itertools' suite, hot logpoint",
                "<= 1.05x" if monitoring else "(documented)",
                f"{cpu_ratio:.3f}x CPU ({hits:,} hits)",
                cpu_ratio <= 1.05 or not monitoring,
            )
        )
    if arguments.part in ("startup", "all"):
        rows, alone, difference = measure_startup(arguments.startup_runs)
        print(f"interpreter start-up, {arguments.startup_runs} runs each way (wall, median)")
        print(format_table(["", "time"], rows) + "\n")
        targets.append(
            Target(
                "startup hook, CHRONO_AT unset",
                "<= 0.1 ms",
                f"{alone * 1e6:.2f} µs (line); {difference * 1000:+.2f} ms (process)",
                alone <= 0.0001,
            )
        )
    print(targets_table(targets))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
