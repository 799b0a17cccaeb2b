"""How long a full story takes to read and show: 10,000 events made into events and plain text.

    python benchmarks/bench_story_show.py [--runs 7] [--python PY ...]

The buffered ``tp`` keeps its per-call work small by leaving some of it to the reader: a call
leaves a plain tuple, an int is kept itself and its repr taken when the story is read, the
``Event`` is built then. This measures the reader's side, so that a cheaper ``tp`` is not
bought with a slower story. Each run is a fresh process that fills one story past its bound of
10,000 events (12,000 calls from three call sites: an int, a string, a small dict), then times,
on the thread's CPU clock, ``story.events`` (the records made into events) and
``story.text()`` (the plain text a failing test's report carries). The figures are medians over
``--runs`` processes. Which chrono is measured is the one the interpreter imports (set
``PYTHONPATH`` to compare two checkouts).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    add_interpreter_options,
    chosen_interpreters,
    environment_lines,
    format_table,
    python_version,
)

_CHILD = textwrap.dedent(
    """
    import json
    import time

    import chrono
    from chrono import tp

    story = chrono.story()
    story.start()
    for number in range(4_000):
        tp(number)
        word = "step" + str(number)
        tp(word)
        order = {"id": number, "state": "paid"}
        tp(order)
    story.stop()
    started = time.thread_time_ns()
    events = story.events
    made = time.thread_time_ns()
    text = story.text(width=100)
    shown = time.thread_time_ns()
    assert len(events) == 10_000 and story.dropped == 2_000, (len(events), story.dropped)
    print(json.dumps({"events_ms": (made - started) / 1e6, "text_ms": (shown - made) / 1e6,
                      "lines": text.count("\\n")}))
    """
)


def measure(python: str, runs: int) -> dict[str, float]:
    """Median milliseconds of ``story.events`` and ``story.text()`` over ``runs`` processes."""
    results = []
    for _ in range(runs):
        finished = subprocess.run(
            [python, "-c", _CHILD], capture_output=True, text=True, check=True
        )
        results.append(json.loads(finished.stdout.strip().splitlines()[-1]))
    return {
        "events_ms": statistics.median(result["events_ms"] for result in results),
        "text_ms": statistics.median(result["text_ms"] for result in results),
        "lines": results[0]["lines"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_interpreter_options(parser)
    parser.add_argument("--runs", type=int, default=7, help="processes per interpreter")
    arguments = parser.parse_args()
    print("\n".join(environment_lines()))
    print(f"a story of 10,000 events (2,000 dropped); median of {arguments.runs} processes\n")
    rows = []
    for python in chosen_interpreters(arguments):
        figures = measure(python, arguments.runs)
        rows.append(
            [
                python_version(python),
                f"{figures['events_ms']:.1f} ms",
                f"{figures['text_ms']:.1f} ms",
                f"{figures['lines']:,.0f}",
            ]
        )
    print(format_table(["Python", "story.events", "story.text()", "lines"], rows))


if __name__ == "__main__":
    main()
