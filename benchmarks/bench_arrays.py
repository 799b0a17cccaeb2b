"""What ``tp(array)`` costs in a story: a ten-million-element numpy array against a thousand.

The summary of an array (``chrono._arrays``) reads its shape, its dtype and its first values,
and its range only up to ``WHOLE_RANGE_LIMIT`` elements, so a large array costs no more than a
small one. Prints the median cost per call of each, in microseconds, and their ratio.

    python benchmarks/bench_arrays.py
"""

from __future__ import annotations

import statistics
import time

import numpy

import chrono
from chrono import tp

#: Calls per timing, and timings per array.
CALLS = 200
ROUNDS = 15


def cost_per_call(value: object) -> float:
    """The median over ``ROUNDS`` of the time one ``tp(value)`` takes in a story, in µs."""
    timings = []
    for _ in range(ROUNDS):
        with chrono.story("bench", max_events=CALLS + 1):
            start = time.perf_counter_ns()
            for _ in range(CALLS):
                tp(value)
            timings.append((time.perf_counter_ns() - start) / CALLS / 1000)
    return statistics.median(timings)


def main() -> None:
    small = numpy.arange(1_000, dtype=numpy.float64)
    large = numpy.zeros(10_000_000)
    cost_per_call(small)  # the call site's source is read once, outside the timings
    small_us = cost_per_call(small)
    large_us = cost_per_call(large)
    print(f"tp(array of 1,000)       {small_us:8.2f} µs")
    print(f"tp(array of 10,000,000)  {large_us:8.2f} µs")
    print(f"ratio                    {large_us / small_us:8.2f}")


if __name__ == "__main__":
    main()
