"""What reading a story's counts costs, against building its events.

    python benchmarks/bench_story_reads.py [--events 10000] [--repeat 7]

Two stories of ``--events`` events (the default bound): one filled exactly, one that received
five times as many and dropped the rest. For each, the best of ``--repeat`` timings, in
microseconds per read, of ``dropped``, ``received``, ``len()``, ``repr()``, and of the events
built the first time and read again. The counts are read from the records' lengths and no
event is built: the target is 10 µs or less per count on a 10,000-event story, however many
events it held. Nothing is asserted: each target prints PASS or MISS.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Target, environment_lines, format_table, targets_table

import chrono
from chrono._story import Story

COUNT_TARGET_US = 10.0


def filled(bound: int, calls: int) -> Story:
    """A closed story of ``bound`` events that ``calls`` tp calls reached."""
    with chrono.story("reads", max_events=bound) as story:
        for number in range(calls):
            chrono.tp(number)
    return story


def best_microseconds(read: Callable[[], object], repeat: int, number: int) -> float:
    """The best of ``repeat`` timings of ``number`` reads, per read."""
    return min(timeit.repeat(read, repeat=repeat, number=number)) / number * 1e6


def first_build_microseconds(bound: int, calls: int, repeat: int) -> float:
    """The events of a story read for the first time (a fresh story each timing)."""
    timings = []
    for _ in range(repeat):
        story = filled(bound, calls)
        timings.append(timeit.timeit(lambda story=story: story.events, number=1))
    return min(timings) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    bound, repeat = arguments.events, arguments.repeat
    chrono.enable()
    rows, targets = [], []
    for calls in (bound, bound * 5):
        story = filled(bound, calls)
        reads = {
            "story.dropped": lambda story=story: story.dropped,
            "story.received": lambda story=story: story.received,
            "len(story)": lambda story=story: len(story),
            "repr(story)": lambda story=story: repr(story),
        }
        label = f"{bound:,} kept of {calls:,}"
        for name, read in reads.items():
            microseconds = best_microseconds(read, repeat, 1000)
            rows.append([label, name, f"{microseconds:.2f}"])
            met = microseconds <= COUNT_TARGET_US
            goal = f"<= {COUNT_TARGET_US:g} µs"
            targets.append(Target(f"{name}, {label}", goal, f"{microseconds:.2f} µs", met))
        first = first_build_microseconds(bound, calls, repeat)
        again = best_microseconds(lambda story=story: story.events, repeat, 10)
        rows.append([label, "story.events, first read", f"{first:,.0f}"])
        rows.append([label, "story.events, read again", f"{again:,.0f}"])
    print("\n".join(environment_lines()))
    print()
    print(format_table(["story", "read", "µs per read"], rows))
    print()
    print(targets_table(targets))


if __name__ == "__main__":
    main()
