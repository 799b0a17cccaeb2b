"""CPU instructions per ``tp`` call, counted by valgrind: ``bench_tp``'s ratios, deterministic.

    python benchmarks/bench_instructions.py [--python PY ...] [--venvs DIR] [--calls 20000]

Timings on a shared machine move with its load; the number of instructions a call executes
does not (it varies by well under one percent between runs). Each scenario is a small script
that makes ``N`` calls in a loop; valgrind's callgrind counts the instructions of the whole
process once with ``N`` calls and once with none, and the difference divided by ``N``, less
the same figure for an empty loop, is the cost of one call (as ``bench_tp`` subtracts an
empty loop from its timings).

Instructions are not time: a cache miss or a system call costs far more than its count (live
output's write to /dev/null is a system call, which callgrind does not see). So this script
backs ``bench_tp.py`` up rather than replacing it: the targets are judged by both.

Needs valgrind, and icecream and snoop in each interpreter measured.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    Target,
    add_interpreter_options,
    chosen_interpreters,
    environment_lines,
    format_table,
    instructions,
    python_version,
    targets_table,
)

#: Set-up code of each scenario; the loop calls ``call(value)``.
SCENARIOS = {
    "f(x)": """
        def call(x):
            return x
        value = 42
    """,
    "tp(x), disabled": """
        import chrono
        chrono.disable()
        call, value = chrono.tp, 42
    """,
    "ic(x), disabled": """
        from icecream import ic
        ic.disable()
        call, value = ic, 42
    """,
    "pp(x), disabled": """
        import snoop
        snoop.install(builtins=False, enabled=False)
        call, value = snoop.pp, 42
    """,
    "tp(42), in a full story": """
        import chrono
        story = chrono.story()
        story.start()
        for number in range(12_000):
            chrono.tp(number)
        call, value = chrono.tp, 42
    """,
    "tp(list of 100 ints), in a full story": """
        import chrono
        story = chrono.story()
        story.start()
        for number in range(12_000):
            chrono.tp(number)
        call, value = chrono.tp, list(range(100))
    """,
    "repr(list of 100 ints)": """
        call, value = repr, list(range(100))
    """,
    "tp(42), live to /dev/null": """
        import os
        import chrono
        chrono.configure(output=open(os.devnull, "w"))
        call, value = chrono.tp, 42
    """,
    "pp(42), to /dev/null": """
        import os
        import snoop
        snoop.install(builtins=False, out=open(os.devnull, "w"), color=False)
        call, value = snoop.pp, 42
    """,
    # The floors of a switched-off tp: the cheapest bodies of its two possible signatures.
    "g(x), g(first=None, /, *more, **named)": """
        def call(first=None, /, *more, **named):
            return first
        value = 42
    """,
    "g(x), g(first=None, /, *more)": """
        def call(first=None, /, *more):
            return first
        value = 42
    """,
}

_LOOP = """
import sys

def loop(calls, call, value):
    for _ in range(calls):
        call(value)

loop(100, call, value)
loop(int(sys.argv[1]), call, value)
"""

_EMPTY_LOOP = """
import sys

def loop(calls):
    for _ in range(calls):
        pass

loop(100)
loop(int(sys.argv[1]))
"""


def count(python: str, script: Path, calls: int) -> int:
    """Instructions the whole process executes with ``calls`` calls in its loop."""
    return instructions([python, str(script), str(calls)])


def per_call(
    python: str, directory: Path, calls: int, chosen: list[str] | None = None
) -> dict[str, float]:
    """Instructions per call of each scenario under ``python`` (the ``chosen`` ones, or all)."""
    empty = directory / "empty_loop.py"
    empty.write_text(_EMPTY_LOOP, encoding="utf-8")
    loop = (count(python, empty, calls) - count(python, empty, 0)) / calls
    figures = {}
    for number, (name, setup) in enumerate(SCENARIOS.items()):
        if chosen is not None and name not in chosen:
            continue
        # A file per scenario: chrono and snoop read the call's source from it.
        script = directory / f"scenario_{number}.py"
        script.write_text(textwrap.dedent(setup) + _LOOP, encoding="utf-8")
        figures[name] = (count(python, script, calls) - count(python, script, 0)) / calls - loop
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_interpreter_options(parser)
    parser.add_argument("--calls", type=int, default=20_000, help="calls per counted loop")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="count only this scenario (repeatable; the targets need them all)",
    )
    arguments = parser.parse_args()
    print("\n".join(environment_lines()))
    print(f"instructions per call (callgrind, {arguments.calls:,} calls less none)\n")
    rows = []
    targets = []
    with tempfile.TemporaryDirectory(prefix="chrono-instructions-") as folder:
        for python in chosen_interpreters(arguments):
            version = python_version(python)
            figures = per_call(python, Path(folder), arguments.calls, arguments.scenario)
            rows += [[version, name, f"{value:,.0f}"] for name, value in figures.items()]
            if arguments.scenario is None:
                targets += _targets(version, figures)
    print(format_table(["Python", "scenario", "instructions"], rows))
    if targets:
        print()
        print(targets_table(targets))


def _targets(version: str, figures: dict[str, float]) -> list[Target]:
    disabled = figures["tp(x), disabled"] / figures["f(x)"]
    recorded = figures["pp(42), to /dev/null"] / figures["tp(42), in a full story"]
    hundred = figures["tp(list of 100 ints), in a full story"] / figures["repr(list of 100 ints)"]
    live = figures["pp(42), to /dev/null"] / figures["tp(42), live to /dev/null"]
    return [
        Target(f"{version} disabled tp(x) / f(x)", "<= 1.5x", f"{disabled:.2f}x", disabled <= 1.5),
        Target(
            f"{version} recorded tp(int) vs snoop pp",
            ">= 30x fewer",
            f"{recorded:.1f}x",
            recorded >= 30,
        ),
        Target(
            f"{version} recorded tp(list of 100) / repr",
            "<= 2x",
            f"{hundred:.2f}x",
            hundred <= 2,
        ),
        Target(f"{version} live tp(int) vs snoop pp", ">= 10x fewer", f"{live:.1f}x", live >= 10),
    ]


if __name__ == "__main__":
    main()
