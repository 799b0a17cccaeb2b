"""What comparison costs the tests that pass: ``--chrono-compare=auto`` against ``off``.

    python benchmarks/bench_compare_plugin.py [--runs 7] [--tests 2000]
    python benchmarks/bench_compare_plugin.py --instructions [--tests 400]
    python benchmarks/bench_compare_plugin.py --steps

A passing test pays for comparison: what its story ran is taken when it ends, marshalled,
kept in memory for failing siblings, and kept in pytest's cache as its last pass when the run
ends. Measured on a generated suite of ``--tests`` parametrized cases that make 10 ``tp`` calls
each and all pass (goal: at most 3 % more wall time), and on the same number of tests that call
no ``tp`` (goal: nothing to pay). The cache is warm (a run each way first), as on a
developer's second run; the cold first run is shown beside it.

Runs alternate between the two sides and each figure is the median of ``--runs``; ratios are
taken pair by pair. CPU seconds (user + system of the child) are shown beside wall times, as
bench_plugin.py does, because a busy machine inflates wall time far more than CPU time.

Pairs of whole runs differ by a few percent on a shared machine even when nothing differs
(the control suite), so the time spent in comparison's own code is also measured, from inside
the ``auto`` runs (``plugin_hook_timer``, timing the recorder's calls and the gatherer's end of
session): its median over ``--runs`` runs, as a share of the median ``off`` run's wall time.

``--instructions`` counts instead, with valgrind's callgrind, the instructions of a whole run
of ``--tests`` and of twice as many tests, each way and for both suites (warm cache,
PYTHONHASHSEED=0): their difference over ``--tests`` is what one more test costs, with what
every run pays once left out. It does not depend on the machine's load, so it tells a
change's effect where wall time cannot; it does not see time spent waiting on the disk.

``--steps`` counts, the same way, each step a passing test's teardown takes for a story of ten
``tp`` events, alone, in a process that runs it 2,000 times and in one that runs it none: the
records as they came, what ran, marshal, and the whole of the recorder's teardown (the first two,
and handing what ran to where reports are gathered, which marshals a hundred at a time).
"""

from __future__ import annotations

import argparse
import json
import marshal
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Target, environment_lines, format_table, instructions, targets_table
from bench_plugin import BENCHMARKS, QUIET_PLUGINS, Timing, run_child

MAX_OVERHEAD = 1.03
#: The same goal for the time in comparison's own code, as a share of the ``off`` run.
MAX_OWN_SHARE = MAX_OVERHEAD - 1

_WITH_EVENTS = """
import pytest
from chrono import tp


@pytest.mark.parametrize("n", range({tests}))
def test_case(n):
    total = 0
    for step in range(10):
        total += step * n
        tp(total)
    assert total >= 0
"""

_WITHOUT_EVENTS = """
import pytest


@pytest.mark.parametrize("n", range({tests}))
def test_case(n):
    assert n >= 0
"""


def suite(root: Path, name: str, source: str, tests: int) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "test_cases.py").write_text(textwrap.dedent(source.format(tests=tests)))
    return folder


def command(mode: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", *QUIET_PLUGINS, f"--chrono-compare={mode}"]


def measure(folder: Path, runs: int) -> tuple[list[Timing], list[Timing], Timing]:
    """Interleaved warm runs with ``auto`` and ``off``; and one cold ``auto`` run."""
    cache = folder / ".pytest_cache"
    shutil.rmtree(cache, ignore_errors=True)
    run_child([*command("auto"), "-p", "no:cacheprovider"], folder)  # the bytecode, warm
    cold = run_child(command("auto"), folder)
    run_child(command("off"), folder)
    auto: list[Timing] = []
    off: list[Timing] = []
    for index in range(runs):
        for mode in ("auto", "off") if index % 2 == 0 else ("off", "auto"):
            timing = run_child(command(mode), folder)
            (auto if mode == "auto" else off).append(timing)
        print(f"  {folder.name} run {index + 1}/{runs}: "
              f"{auto[-1].wall:.2f} s auto, {off[-1].wall:.2f} s off", flush=True)  # fmt: skip
    return auto, off, cold


def own_seconds(folder: Path, runs: int) -> list[float]:
    """The seconds ``auto`` runs spend in comparison's own code, timed from inside each."""
    times_file = folder / "chrono-hook-times.json"
    environment = dict(os.environ, CHRONO_HOOK_TIMES=str(times_file))
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(BENCHMARKS), os.environ.get("PYTHONPATH")])
    )
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    seconds = []
    for _ in range(runs):
        run_child([*command("auto"), "-p", "plugin_hook_timer"], folder, environment)
        seconds.append(json.loads(times_file.read_text(encoding="utf-8"))["compare_seconds"])
    times_file.unlink()
    return seconds


def count_per_test(tests: int) -> None:
    """Instructions that one more passing test costs, each way: with ten ``tp`` calls, and
    with none."""
    environment = dict(os.environ, PYTHONHASHSEED="0")
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="chrono-bench-compare-") as folder:
        root = Path(folder)
        for name, source in (("ten-tp-calls", _WITH_EVENTS), ("no-tp-calls", _WITHOUT_EVENTS)):
            per_test = {}
            for mode in ("auto", "off"):
                counts = []
                for size in (tests, 2 * tests):
                    cases = suite(root, f"{name}-{mode}-{size}", source, size)
                    run_child(command(mode), cases, environment)  # bytecode and cache, warm
                    counts.append(instructions(command(mode), cwd=cases, env=environment))
                    print(f"  {name}, {mode}, {size} tests: {counts[-1] / 1e6:,.1f} M "
                          "instructions", flush=True)  # fmt: skip
                per_test[mode] = (counts[1] - counts[0]) / tests
            auto, off = per_test["auto"], per_test["off"]
            rows.append([name, f"{auto:,.0f}", f"{off:,.0f}", f"{auto - off:,.0f}",
                         f"{auto / off:.3f}"])  # fmt: skip
    print()
    print(format_table(
        ["instructions per passing test", "auto", "off", "auto - off", "auto / off"], rows
    ))  # fmt: skip


_STEPS_CHILD = """
import sys

import chrono
from chrono import _events, _pytest_compare as compare
from chrono._story import Story
import pytest

step, calls = sys.argv[1], int(sys.argv[2])
stories = []
for case in range(200):
    with Story("bench") as story:
        total = 0
        for step_index in range(10):
            total += step_index * case
            chrono.tp(total)
    stories.append(story)
options = compare.CompareOptions(siblings=True, last_pass=True, reruns=True)
gatherer = compare.Gatherer(None, options)
recorder = compare.Recorder(None, options, gatherer)
reports = [
    pytest.TestReport(f"t.py::test[{case}]", ("t.py", 1, "test"), {}, "passed", None, "teardown")
    for case in range(200)
]
ran = _events.what_ran_within(stories[0].records_as_they_came(), 0, sys.maxsize)
for index in range(calls):
    story = stories[index % 200]
    if step == "records as they came":
        story.records_as_they_came()
    elif step == "what ran":
        _events.what_ran_within(story.records_as_they_came(), 0, sys.maxsize)
    elif step == "marshal":
        compare._PassingStory.of("t.py::test[1]", ran)
    elif step == "the recorder's teardown":
        recorder.on_report(None, reports[index % 200], story, sys.maxsize)
"""
#: Each step, and the one before it whose count it includes (its own is the difference).
_STEPS = {
    "records as they came": None,
    "what ran": "records as they came",
    "marshal": None,
    "the recorder's teardown": None,
}


def count_steps(calls: int = 2_000) -> None:
    """Instructions of each step of a passing test's teardown, for a story of ten events."""
    environment = dict(os.environ, PYTHONHASHSEED="0")
    counts = {}
    with tempfile.TemporaryDirectory(prefix="chrono-bench-steps-") as folder:
        child = Path(folder) / "steps.py"
        child.write_text(_STEPS_CHILD)
        for step in _STEPS:
            command = [sys.executable, str(child), step]
            base = instructions([*command, "0"], env=environment)
            counts[step] = (instructions([*command, str(calls)], env=environment) - base) / calls
    rows = []
    for step, includes in _STEPS.items():
        own = counts[step] - (counts[includes] if includes else 0)
        rows.append([step, f"{counts[step]:,.0f}", f"{own:,.0f}"])
    print()
    print(format_table(["step, for ten events", "instructions a call", "its own"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tests", type=int, default=None)
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions per test (callgrind)"
    )
    parser.add_argument(
        "--steps", action="store_true", help="count each step of a passing teardown (callgrind)"
    )
    arguments = parser.parse_args()
    print("\n".join(environment_lines()))
    if arguments.steps:
        count_steps()
        return
    if arguments.instructions:
        count_per_test(arguments.tests or 400)
        return
    arguments.tests = arguments.tests or 2_000
    rows = []
    own_rows = []
    targets = []
    with tempfile.TemporaryDirectory(prefix="chrono-bench-compare-") as folder:
        root = Path(folder)
        for name, source in (("ten-tp-calls", _WITH_EVENTS), ("no-tp-calls", _WITHOUT_EVENTS)):
            tests = suite(root, name, source, arguments.tests)
            auto, off, cold = measure(tests, arguments.runs)
            own = statistics.median(own_seconds(tests, arguments.runs))
            share = own / statistics.median(t.wall for t in off)
            own_rows.append([name, f"{own * 1e3:.1f} ms", f"{own / arguments.tests * 1e6:.1f} µs",
                             f"{share:.2%}"])  # fmt: skip
            targets.append(
                Target(
                    f"{name}: comparison's own time, share of an off run",
                    f"<= {MAX_OWN_SHARE:.0%}",
                    f"{share:.2%}",
                    share <= MAX_OWN_SHARE,
                )
            )
            for what in ("wall", "cpu"):
                ratio = statistics.median(
                    getattr(on, what) / getattr(base, what) for on, base in zip(auto, off)
                )
                rows.append([
                    name, what,
                    f"{statistics.median(getattr(t, what) for t in auto):.2f} s",
                    f"{statistics.median(getattr(t, what) for t in off):.2f} s",
                    f"{ratio:.3f}",
                    f"{getattr(cold, what):.2f} s",
                ])  # fmt: skip
                if what == "wall":
                    targets.append(
                        Target(
                            f"{name}: auto / off, wall, warm cache",
                            f"<= {MAX_OVERHEAD}",
                            f"{ratio:.3f}",
                            ratio <= MAX_OVERHEAD,
                        )
                    )
            kept = tests / ".pytest_cache" / "d" / "chrono" / "last-passes.marshal"
            entries = len(marshal.loads(kept.read_bytes())) if kept.exists() else 0
            size = kept.stat().st_size if kept.exists() else 0
            rows.append([name, "cache", f"{entries} entries", f"{size / 1024:.0f} KiB",
                         "", ""])  # fmt: skip
    print()
    print(f"{arguments.tests:,} passing tests, median of {arguments.runs} runs each way\n")
    print(format_table(["suite", "measure", "auto", "off", "ratio", "cold auto"], rows))
    print()
    print(format_table(
        ["suite", "in comparison's code, a run", "a test", "share of an off run"], own_rows
    ))  # fmt: skip
    print()
    print(targets_table(targets))


if __name__ == "__main__":
    main()
