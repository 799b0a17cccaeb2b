"""Peak memory of long stories: how much a million ``tp`` calls add to a process's RSS.

    python benchmarks/bench_memory.py [--events 1000000] [--runs 3]

Each figure comes from a fresh interpreter that imports chrono, warms up (a story of a few
events, so that the call sites are resolved and executing and asttokens are loaded), reads its
peak resident set size (``VmHWM`` in ``/proc/self/status``; ``ru_maxrss`` where there is no
``/proc``), then records the events and reads the peak again. The growth is the difference,
the median over ``--runs`` processes. Scenarios:

* bounded: ``tp(step)`` and ``tp(record)`` (a small dict) in a loop, inside one story with the
  default bound of 10,000 events: the issue's target is a growth of at most 30 MB;
* live: the same loop printed live to /dev/null (no story);
* kept: 100,000 events in a story large enough to keep them all, to show what one kept event
  costs (the bound is what keeps a long story small).

Nothing is asserted: the target prints PASS or MISS. ``tests/test_hardening_memory.py`` runs
the bounded scenario through ``measure()`` and asserts the target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import environment_lines, format_table

#: The issue's target: peak RSS growth of a 1,000,000-event story.
TARGET_MB = 30.0

_CHILD = textwrap.dedent(
    """
    import json, os, resource, sys, time

    import chrono
    from chrono import tp


    def peak_kb():
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak


    def loop(events):
        record = {"id": 0, "name": "ada", "tags": ["a", "b"]}
        for step in range(events // 2):
            tp(step)
            record["id"] = step
            tp(record)


    scenario, events, max_events = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if scenario == "live":
        chrono.configure(output=open(os.devnull, "w", encoding="utf-8"))
    with chrono.story(max_events=max_events) as warm:
        loop(10)
    warm.text()
    before = peak_kb()
    started = time.perf_counter()
    if scenario == "live":
        loop(events)
        kept = dropped = 0
    else:
        with chrono.story(max_events=max_events) as story:
            loop(events)
        kept, dropped = len(story), story.dropped
    seconds = time.perf_counter() - started
    after = peak_kb()
    print(json.dumps({
        "before_kb": before, "after_kb": after, "seconds": seconds,
        "kept": kept, "dropped": dropped,
    }))
    """
)


def measure(
    events: int, *, scenario: str = "bounded", max_events: int = 10_000, python: str | None = None
) -> dict[str, float]:
    """One fresh interpreter's figures: peak RSS before and after, growth in MB, seconds."""
    environment = {key: value for key, value in os.environ.items() if key != "CHRONO"}
    result = subprocess.run(
        [python or sys.executable, "-c", _CHILD, scenario, str(events), str(max_events)],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        timeout=600,
    )
    figures: dict[str, float] = json.loads(result.stdout)
    figures["growth_mb"] = (figures["after_kb"] - figures["before_kb"]) / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kept", type=int, default=100_000, help="events in the kept scenario")
    arguments = parser.parse_args()
    scenarios = [
        ("bounded", arguments.events, 10_000),
        ("live", arguments.events, 10_000),
        ("kept", arguments.kept, arguments.kept),
    ]
    rows = []
    bounded_growth = 0.0
    for scenario, events, max_events in scenarios:
        runs = [
            measure(events, scenario=scenario, max_events=max_events) for _ in range(arguments.runs)
        ]
        growth = statistics.median(run["growth_mb"] for run in runs)
        seconds = statistics.median(run["seconds"] for run in runs)
        if scenario == "bounded":
            bounded_growth = growth
        per_event = growth * 1024 * 1024 / events if scenario == "kept" else None
        rows.append(
            [
                scenario,
                f"{events:,}",
                f"{int(runs[0]['kept']):,}" if scenario != "live" else "-",
                f"{int(runs[0]['dropped']):,}" if scenario != "live" else "-",
                f"{statistics.median(run['before_kb'] for run in runs) / 1024:.1f}",
                f"{growth:.1f}",
                f"{per_event:,.0f}" if per_event is not None else "-",
                f"{seconds:.2f}",
                ", ".join(f"{run['growth_mb']:.1f}" for run in runs),
            ]
        )
    print("\n".join(environment_lines()))
    print()
    print(
        format_table(
            [
                "scenario",
                "events",
                "kept",
                "dropped",
                "peak RSS before (MB)",
                "growth (MB)",
                "bytes per event",
                "seconds",
                "growth per run (MB)",
            ],
            rows,
        )
    )
    verdict = "PASS" if bounded_growth <= TARGET_MB else "MISS"
    print(
        f"\n{verdict}: {arguments.events:,} events into one bounded story grow peak RSS by "
        f"{bounded_growth:.1f} MB (target <= {TARGET_MB:.0f} MB)"
    )


if __name__ == "__main__":
    main()
