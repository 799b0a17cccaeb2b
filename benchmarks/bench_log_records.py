"""What a log record costs in chrono's own time: in a story, and while no story collects.

    python benchmarks/bench_log_records.py [--records 20000] [--rounds 15]

A logger at DEBUG with one ``NullHandler`` (and no propagation) logs ``--records`` records per
round, a message with two arguments (as filelock's DEBUG records are), three ways that take
turns round by round: plain logging (chrono out of logging), chrono's log bridge attached with
no story collecting (as between a pytest run's tests), and inside a story that collects logs
(as in a test). A round is timed on the thread's CPU clock, which leaves out the time other
processes held the CPU; chrono's own time per record is a way's round minus the plain round
next to it, and the figure is the median over rounds. The story's bound is kept small so that
it cuts as a long test's does, and the story is read once at the end (the events it holds are
built then, as when a story is shown), timed apart per record.

Nothing is asserted: the targets print PASS or MISS.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Target, environment_lines, format_table, targets_table

import chrono
from chrono._logs import bridge

#: The goals, in nanoseconds of chrono's own time per record.
TARGET_IN_STORY_NS = 1_500.0
TARGET_NO_STORY_NS = 300.0


def _logger() -> logging.Logger:
    logger = logging.getLogger("bench.records")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    return logger


def _round(logger: logging.Logger, records: int) -> float:
    """CPU nanoseconds per record of one round."""
    debug = logger.debug
    path = "/tmp/project/.locks/data.lock"
    started = time.thread_time_ns()
    for index in range(records):
        debug("Lock %s acquired on %s", index, path)
    return (time.thread_time_ns() - started) / records


def _plain(logger: logging.Logger, records: int) -> float:
    return _round(logger, records)


def _attached(logger: logging.Logger, records: int) -> float:
    bridge.attach()
    try:
        return _round(logger, records)
    finally:
        bridge.detach()


def _in_story(logger: logging.Logger, records: int, read: list[float]) -> float:
    with chrono.story("bench", max_events=1_000) as story:
        per_record = _round(logger, records)
    started = time.thread_time_ns()
    events = story.events
    read.append((time.thread_time_ns() - started) / max(len(events), 1))
    return per_record


def main(argv: list[str] | None = None) -> None:
    """Take the rounds in turn and print the table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000, help="records per round")
    parser.add_argument("--rounds", type=int, default=15, help="rounds of each way")
    arguments = parser.parse_args(argv)
    chrono.enable()
    logger = _logger()
    read: list[float] = []
    ways: dict[str, Callable[[], float]] = {
        "plain": lambda: _plain(logger, arguments.records),
        "no story": lambda: _attached(logger, arguments.records),
        "in a story": lambda: _in_story(logger, arguments.records, read),
    }
    for way in ways.values():
        way()  # warm-up: caches, the first record's call-site look-up
    read.clear()
    times: dict[str, list[float]] = {name: [] for name in ways}
    for round_number in range(arguments.rounds):
        order = list(ways)
        shift = round_number % len(order)
        for name in order[shift:] + order[:shift]:
            times[name].append(ways[name]())
    own = {
        name: statistics.median(a - b for a, b in zip(times[name], times["plain"]))
        for name in ("no story", "in a story")
    }
    print("\n".join(environment_lines()))
    print(
        f"{arguments.rounds} rounds of {arguments.records:,} records each way, "
        "thread CPU time, medians"
    )
    rows = [
        ["plain logging (NullHandler)", f"{statistics.median(times['plain']):,.0f} ns", "-"],
        [
            "bridge attached, no story",
            f"{statistics.median(times['no story']):,.0f} ns",
            f"{own['no story']:+,.0f} ns",
        ],
        [
            "in a story",
            f"{statistics.median(times['in a story']):,.0f} ns",
            f"{own['in a story']:+,.0f} ns",
        ],
    ]
    print(format_table(["per record", "median", "chrono's own"], rows))
    print(f"reading the story's events when it is shown: {statistics.median(read):,.0f} ns each")
    print()
    targets = [
        Target(
            "a record in a story",
            f"<= {TARGET_IN_STORY_NS:,.0f} ns",
            f"{own['in a story']:,.0f} ns",
            own["in a story"] <= TARGET_IN_STORY_NS,
        ),
        Target(
            "a record while no story collects",
            f"<= {TARGET_NO_STORY_NS:,.0f} ns",
            f"{own['no story']:,.0f} ns",
            own["no story"] <= TARGET_NO_STORY_NS,
        ),
    ]
    print(targets_table(targets))


if __name__ == "__main__":
    main()
