"""What the flight recorder costs: buffered ``tp`` with it following the story and without,
and a pytest run of many small tests with it on and off.

    python benchmarks/bench_flight.py [--runs 7] [--calls 200000] [--tests 2000]

* Buffered ``tp(42)`` in a story past its bound (the steady state of a long test), the
  recorder following that story or not, alternating, ``--calls`` calls a side per run. The
  recorder works in a thread of its own, so the figure is the whole process's CPU time
  (``time.process_time``: every thread), not the calling thread's alone; wall time beside it.
  Goal: at most 1.10x.
* A generated suite of ``--tests`` tests, each making five ``tp`` calls, run serially with
  ``--chrono-flight=on`` and ``=off`` alternately: the child's CPU time (user + system).
  The recorder writes at each test's start and end. Goal: at most 1.03x.

* What the recorder costs a test runner per test (``follow`` at its start, ``unfollow`` at its
  end: one write each), and what an idle recorder costs a second (it wakes every interval to
  find nothing new), in CPU time: two figures the machine's load hardly moves.

Figures are medians of ``--runs``; ratios are taken run by run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import environment_lines, load_average

import chrono
from chrono._flight import FlightRecorder


def _tp_loop(calls: int) -> None:
    tp = chrono.tp
    for _ in range(calls // 10):
        tp(42), tp(42), tp(42), tp(42), tp(42), tp(42), tp(42), tp(42), tp(42), tp(42)


def buffered(calls: int, runs: int) -> tuple[list[float], list[float], list[float]]:
    """CPU ns per call without and with the recorder, and the wall ratios, run by run."""
    chrono.enable()
    without: list[float] = []
    with_recorder: list[float] = []
    wall_ratios: list[float] = []
    directory = Path(tempfile.mkdtemp(prefix="chrono-bench-flight-"))
    for run in range(runs):
        figures: dict[bool, tuple[float, float]] = {}
        # Alternate which side goes first.
        for following in (False, True) if run % 2 == 0 else (True, False):
            with chrono.story("benchmark") as story:
                for _ in range(story.max_events + 2_000):
                    chrono.tp(42)
                recorder = FlightRecorder(directory / f"bench{os.getpid()}")
                if following:
                    recorder.follow(story, "benchmark")
                cpu, wall = time.process_time_ns(), time.perf_counter_ns()
                _tp_loop(calls)
                cpu, wall = time.process_time_ns() - cpu, time.perf_counter_ns() - wall
                recorder.close(remove=True)
                story.clear()
            figures[following] = (cpu / calls, wall / calls)
        without.append(figures[False][0])
        with_recorder.append(figures[True][0])
        wall_ratios.append(figures[True][1] / figures[False][1])
    directory.rmdir()
    return without, with_recorder, wall_ratios


_TEST_FILE = """
from chrono import tp

{tests}
"""


def suite(tests: int, runs: int, tp_per_test: int = 5) -> tuple[list[float], list[float]]:
    """The child's CPU seconds with the recorder off and on, run by run."""
    directory = Path(tempfile.mkdtemp(prefix="chrono-bench-flight-suite-"))
    body = "\n".join(
        f"def test_{number}():\n    for step in range({tp_per_test}):\n        tp(step)\n"
        for number in range(tests)
    )
    (directory / "test_many.py").write_text(_TEST_FILE.format(tests=body))
    off: list[float] = []
    on: list[float] = []
    for run in range(runs):
        for choice in ("off", "on") if run % 2 == 0 else ("on", "off"):
            command = [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:benchmark",
                "-p",
                "no:hypothesispytest",
                "-p",
                "no:django",
                f"--chrono-flight={choice}",
                "test_many.py",
            ]
            before = os.times()
            subprocess.run(command, cwd=directory, check=True, capture_output=True)
            after = os.times()
            cpu = (after.children_user - before.children_user) + (
                after.children_system - before.children_system
            )
            (on if choice == "on" else off).append(cpu)
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()
    return off, on


def per_test_and_idle(runs: int) -> tuple[float, float]:
    """CPU ns per follow and unfollow, and CPU ms per second of an idle followed story."""
    chrono.enable()
    directory = Path(tempfile.mkdtemp(prefix="chrono-bench-flight-"))
    recorder = FlightRecorder(directory / "per-test")
    pairs = 20_000
    per_test: list[float] = []
    idle: list[float] = []
    with chrono.story("idle") as story:
        recorder.follow(story, "tests/test_shop.py::test_checkout[card-EUR]")
        for _ in range(runs):
            cpu = time.process_time_ns()
            for _ in range(pairs):
                recorder.follow(story, "tests/test_shop.py::test_checkout[card-EUR]")
                recorder.unfollow()
            per_test.append((time.process_time_ns() - cpu) / pairs)
        recorder.follow(story, "idle")
        for _ in range(runs):
            cpu = time.process_time_ns()
            time.sleep(1.0)
            idle.append((time.process_time_ns() - cpu) / 1e6)
    recorder.close()
    directory.rmdir()
    return statistics.median(per_test), statistics.median(idle)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--tests", type=int, default=2_000)
    parser.add_argument("--tp-per-test", type=int, default=5, help="tp calls in each test (5)")
    parser.add_argument(
        "--parts", default="buffered,suite,per-test", help="which to run (default: all three)"
    )
    arguments = parser.parse_args(argv)
    parts = {part.strip() for part in arguments.parts.split(",")}
    print("\n".join(environment_lines()))
    if "buffered" in parts:
        _print_buffered(arguments.calls, arguments.runs)
    if "suite" in parts:
        _print_suite(arguments.tests, arguments.runs, arguments.tp_per_test)
    if "per-test" in parts:
        follow_ns, idle_ms = per_test_and_idle(min(arguments.runs, 3))
        print(f"\nper test (follow + unfollow): {follow_ns / 1000:.1f} µs CPU")
        print(f"idle recorder: {idle_ms:.2f} ms CPU a second")
    print(f"\nat the end: {load_average()}")


def _print_buffered(calls: int, runs: int) -> None:
    without, with_recorder, wall_ratios = buffered(calls, runs)
    ratios = [w / o for w, o in zip(with_recorder, without)]
    print(f"\nbuffered tp(42), {calls} calls a side, {runs} runs (process CPU, every thread):")
    print(f"  without the recorder: {statistics.median(without):.0f} ns/call")
    print(f"  with the recorder:    {statistics.median(with_recorder):.0f} ns/call")
    ratio = statistics.median(ratios)
    verdict = "PASS" if ratio <= 1.10 else "MISS"
    runs_text = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"  ratio: {ratio:.3f}x (runs {runs_text}) <= 1.10x {verdict}")
    print(f"  wall ratio: {statistics.median(wall_ratios):.3f}x")


def _print_suite(tests: int, runs: int, tp_per_test: int) -> None:
    off, on = suite(tests, runs, tp_per_test)
    suite_ratios = [a / b for a, b in zip(on, off)]
    suite_ratio = statistics.median(suite_ratios)
    print(f"\n{tests} tests of {tp_per_test} tp calls each, serial, child CPU seconds:")
    print(f"  --chrono-flight=off: {statistics.median(off):.2f} s")
    print(f"  --chrono-flight=on:  {statistics.median(on):.2f} s")
    verdict = "PASS" if suite_ratio <= 1.03 else "MISS"
    runs_text = ", ".join(f"{r:.3f}" for r in suite_ratios)
    print(f"  ratio: {suite_ratio:.3f}x (runs {runs_text}) <= 1.03x {verdict}")


if __name__ == "__main__":
    main()
