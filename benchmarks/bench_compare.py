"""How long ``chrono.compare`` takes on two 10,000-event stories (the issue's target: 0.3 s).

    python benchmarks/bench_compare.py [--runs 7] [--unbounded]

The stories are recorded by real ``tp`` calls in a generated module (a real file, so that the
call sites have source), each of exactly 10,000 events, inside stories large enough to keep
them all. Scenarios:

* loop, alike: a checkout loop (three ``tp`` calls a pass) against a run of it with the same
  values: the whole story is one shared start;
* loop, diverged: the same loop against a run with one extra pass at 50% (the control flow
  diverged there; later events align again) and one other value at 60%;
* pathological: one function's two call sites in two orders (alternating, and in two
  blocks): nearly every token is shared but in another order, which makes difflib's matcher
  quadratic; the alignment window is what bounds it (``--unbounded`` also times the matcher
  on the whole stories, which takes seconds, to show why);
* story vs compact form: the diverged loop's story against the ``compact()`` form of the
  first (what the pytest plugin keeps in its cache and sends between processes). At 64 KB
  that form keeps only its first and last events, so the two differ where its cut falls.

Each figure is the median of ``--runs`` calls, in the thread's CPU time (the wall clock
beside it). A call includes reading the events out of the stories.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Target, environment_lines, format_table, milliseconds, targets_table

import chrono
from chrono import _compare

#: The issue's target for two 10,000-event stories.
TARGET_SECONDS = 0.3
EVENTS = 10_000

_SOURCE = """
from chrono import tp


def checkout(prices, changed_at=None, extra_pass_at=None):
    running = 0
    for number, price in enumerate(prices):
        if number == changed_at:
            price += 1
        tp(price)
        running += price
        tp(running)
        tp("line", number)
        if number == extra_pass_at:
            tp(price)
            tp(running)
            tp("line", number)


def pattern(count, alternating):
    for number in range(count):
        if (number % 2 if alternating else number >= count // 2):
            tp(1)
        else:
            tp(2)
"""


def load_module(directory: Path) -> ModuleType:
    path = directory / "bench_compare_stories.py"
    path.write_text(_SOURCE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("bench_compare_stories", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def record(function: Callable[..., Any], *arguments: Any) -> chrono.Story:
    with chrono.story("bench", max_events=2 * EVENTS) as story:
        function(*arguments)
    events = len(story.events)
    if abs(events - EVENTS) > 3:
        raise RuntimeError(f"a story of {events} events, not about {EVENTS}")
    return story


def scenarios(module: ModuleType) -> list[tuple[str, Any, Any]]:
    passes = EVENTS // 3
    prices = [10 + number % 17 for number in range(passes)]
    base = record(module.checkout, prices)
    diverged = record(module.checkout, prices[:-1], int(passes * 0.6), passes // 2)
    return [
        ("loop, alike", base, record(module.checkout, prices)),
        ("loop, diverged", base, diverged),
        (
            "pathological",
            record(module.pattern, EVENTS, True),
            record(module.pattern, EVENTS, False),
        ),
        ("story vs compact form", diverged, _compare.compact(base)),
    ]


def timed(a: Any, b: Any, runs: int) -> tuple[list[float], list[float], _compare.Divergence]:
    cpu_times, wall_times = [], []
    divergence = _compare.compare(a, b)  # warm: the first call imports nothing new after it
    for _ in range(runs):
        wall = time.perf_counter()
        cpu = time.thread_time()
        divergence = _compare.compare(a, b)
        cpu_times.append(time.thread_time() - cpu)
        wall_times.append(time.perf_counter() - wall)
    return cpu_times, wall_times, divergence


def main(argv: list[str] | None = None) -> None:
    """Time each scenario and print one table and the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="calls per scenario (7)")
    parser.add_argument(
        "--unbounded",
        action="store_true",
        help="also time difflib on the whole pathological pair, without the window",
    )
    arguments = parser.parse_args(argv)
    print("\n".join(environment_lines()))
    print(
        f"two stories of {EVENTS:,} events each; median of {arguments.runs} calls per scenario; "
        "thread CPU time (wall clock beside it)"
    )
    rows = []
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="chrono-bench-compare-") as folder:
        module = load_module(Path(folder))
        cases = scenarios(module)
        for label, a, b in cases:
            cpu_times, wall_times, divergence = timed(a, b, arguments.runs)
            median = statistics.median(cpu_times)
            worst = max(worst, median)
            found = "alike" if divergence.same else f"{divergence.kind} after {divergence.shared:,}"
            rows.append(
                [
                    label,
                    milliseconds(median),
                    f"{milliseconds(min(cpu_times))} - {milliseconds(max(cpu_times))}",
                    milliseconds(statistics.median(wall_times)),
                    found,
                ]
            )
        if arguments.unbounded:
            rows.append(unbounded_row(cases[2][1], cases[2][2]))
    print(format_table(["scenario", "CPU median", "range", "wall median", "found"], rows))
    target = Target(
        "compare two 10,000-event stories",
        f"<= {TARGET_SECONDS} s",
        f"{milliseconds(worst)} (slowest scenario)",
        worst <= TARGET_SECONDS,
    )
    print(targets_table([target]))


def unbounded_row(a: chrono.Story, b: chrono.Story) -> list[str]:
    """The pathological pair through difflib with no window: what the bound saves."""
    window = _compare.ALIGNMENT_WINDOW
    _compare.ALIGNMENT_WINDOW = 10 * EVENTS
    try:
        wall = time.perf_counter()
        cpu = time.thread_time()
        _compare.compare(a, b)
        cpu_seconds = time.thread_time() - cpu
        wall_seconds = time.perf_counter() - wall
    finally:
        _compare.ALIGNMENT_WINDOW = window
    return [
        "pathological, no window",
        milliseconds(cpu_seconds),
        "(one call)",
        milliseconds(wall_seconds),
        "",
    ]


if __name__ == "__main__":
    main()
