"""The first ``tp`` call in a 15,000-line module, beside icecream's and snoop's first call.

    python benchmarks/bench_first_call.py [--runs 7] [--python PATH ...] [--venvs DIR]

The first call is the one that pays for finding the call's source: importing executing and
asttokens, parsing, and (for live output) importing rich. Each measurement runs in a fresh
subprocess that imports a generated module of 15,000 lines, then times one call of a function
in its middle, from just before the call to just after it. The subprocesses of the contenders
are interleaved, and each figure is the median of ``--runs`` of them, in the thread's CPU time
(which leaves out the time other processes held the CPU), with the wall clock beside it. The
child's output is checked for the argument's name, so a fast call that failed to find the
source cannot pass.

``--venvs DIR`` makes (once) a virtual environment per Python 3.9-3.13 that pyenv has, with
``pip install -e <this repository> icecream snoop``, and measures each: executing behaves
differently on each version. Bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``, warmed
by one discarded run per contender) as it is on a developer's machine after the first run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    Target,
    add_interpreter_options,
    chosen_interpreters,
    environment_lines,
    format_table,
    load_average,
    milliseconds,
    python_version,
    targets_table,
)

MODULE_LINES = 15_000
TARGET_SECONDS = 0.100

_HEADER = '''"""A generated module of about 15,000 lines, for timing a print tool's first call."""

import dataclasses
import os

tp = ic = pp = None

'''

_BLOCK = '''
# -- block @I@ -----------------------------------------------------------------------


@dataclasses.dataclass
class Record@I@:
    """A record with a few fields, as application code has by the hundred."""

    name: str
    count: int = 0
    tags: list = dataclasses.field(default_factory=list)

    def total(self, factor: int = @I@) -> int:
        values = [self.count * factor + index for index in range(3)]
        return sum(value for value in values if value % 2 == 0)

    def describe(self) -> str:
        return f"{self.name} #@I@: {self.count!r:>6} ({len(self.tags)} tags)"


def transform_@I@(items, *, limit=@I@ % 7 + 1):
    result = {}
    for position, item in enumerate(items):
        try:
            key = str(item).upper()
        except (TypeError, ValueError) as error:
            raise RuntimeError(error) from None
        if position > limit:
            break
        result[key] = lambda value=item: value * 2
    return result
'''

_PROBES = """

def probe_tp(value):
    return tp(value)


def probe_ic(value):
    return ic(value)


def probe_pp(value):
    return pp(value)

"""

_CHILD = """
import contextlib, importlib, json, sys, time

sys.path.insert(0, sys.argv[1])
tool, mode = sys.argv[2], sys.argv[3]
module = importlib.import_module("big_module")
context = contextlib.nullcontext()
if tool == "chrono":
    import chrono

    module.tp = chrono.tp
    probe = module.probe_tp
    if mode == "story":
        context = chrono.story()
elif tool == "icecream":
    from icecream import ic

    module.ic = ic
    probe = module.probe_ic
else:
    import snoop

    module.pp = snoop.pp
    probe = module.probe_pp
with context as story:
    start = time.perf_counter()
    cpu = time.thread_time()
    probe(42)
    cpu = time.thread_time() - cpu
    elapsed = time.perf_counter() - start
shown = story.text() if mode == "story" else ""
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "shown": shown}))
"""

#: What each tool prints when it found the argument's source text.
_EXPECTED = {"chrono": "value=42", "icecream": "value: 42", "snoop": "value = 42"}
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class FirstCall:
    """One contender on one interpreter: how long each fresh process took for its first call."""

    tool: str
    mode: str
    #: Thread CPU time of each first call: what it costs, without the time other processes
    #: held the CPU.
    seconds: list[float] = field(default_factory=list)
    wall_seconds: list[float] = field(default_factory=list)
    found_source: bool = True

    @property
    def label(self) -> str:
        """How the table names this contender."""
        return f"{self.tool} ({self.mode})"

    @property
    def median(self) -> float:
        """Median CPU time over the fresh processes."""
        return statistics.median(self.seconds)

    @property
    def wall_median(self) -> float:
        """Median wall-clock time over the fresh processes."""
        return statistics.median(self.wall_seconds)


def generate_module(directory: Path) -> int:
    """Write ``big_module.py`` of about ``MODULE_LINES`` lines; return the probes' line."""
    block_lines = _BLOCK.count("\n")
    blocks = (MODULE_LINES - _HEADER.count("\n") - _PROBES.count("\n")) // block_lines
    middle = blocks // 2
    parts = [_HEADER]
    probe_line = 0
    for index in range(blocks):
        if index == middle:
            probe_line = sum(part.count("\n") for part in parts) + 4
            parts.append(_PROBES)
        parts.append(_BLOCK.replace("@I@", str(index)))
    (directory / "big_module.py").write_text("".join(parts), encoding="utf-8")
    (directory / "child.py").write_text(_CHILD, encoding="utf-8")
    return probe_line


def _child_environment(pycache: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment.pop("CHRONO", None)
    environment["PYTHONPYCACHEPREFIX"] = str(pycache)
    environment["NO_COLOR"] = "1"
    return environment


def _run_child(python: str, directory: Path, contender: FirstCall, pycache: Path) -> None:
    completed = subprocess.run(
        [python, str(directory / "child.py"), str(directory), contender.tool, contender.mode],
        capture_output=True,
        text=True,
        env=_child_environment(pycache),
        check=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    # icecream colours its output even into a pipe.
    shown = _ANSI_ESCAPE.sub("", completed.stderr) + result["shown"]
    if _EXPECTED[contender.tool] not in shown:
        contender.found_source = False
    contender.seconds.append(float(result["cpu_seconds"]))
    contender.wall_seconds.append(float(result["seconds"]))


def measure_python(python: str, directory: Path, runs: int) -> list[FirstCall]:
    """Every contender's first call on ``python``, in interleaved fresh processes."""
    contenders = [
        FirstCall("chrono", "live"),
        FirstCall("chrono", "story"),
        FirstCall("icecream", "live"),
        FirstCall("snoop", "live"),
    ]
    with tempfile.TemporaryDirectory(prefix="chrono-pycache-") as pycache:
        for contender in contenders:
            _run_child(python, directory, contender, Path(pycache))  # warms the bytecode cache
            contender.seconds.clear()
            contender.wall_seconds.clear()
        for _ in range(runs):
            for contender in contenders:
                _run_child(python, directory, contender, Path(pycache))
    return contenders


def main(argv: list[str] | None = None) -> None:
    """Measure each interpreter asked for and print one table and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="processes per contender (7)")
    add_interpreter_options(parser)
    arguments = parser.parse_args(argv)
    pythons = chosen_interpreters(arguments)
    print("\n".join(environment_lines()))
    rows: list[list[str]] = []
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="chrono-first-call-") as folder:
        directory = Path(folder)
        probe_line = generate_module(directory)
        lines = (directory / "big_module.py").read_text(encoding="utf-8").count("\n")
        print(
            f"module: {lines:,} lines, call at line {probe_line:,}; "
            f"median of {arguments.runs} fresh processes per contender, interleaved; "
            "thread CPU time of the call (wall clock beside it)"
        )
        for python in pythons:
            version = python_version(python)
            contenders = measure_python(python, directory, arguments.runs)
            chrono_live, chrono_story = contenders[0], contenders[1]
            for contender in contenders:
                rows.append(
                    [
                        version,
                        contender.label,
                        milliseconds(contender.median),
                        f"{milliseconds(min(contender.seconds))} - "
                        f"{milliseconds(max(contender.seconds))}",
                        milliseconds(contender.wall_median),
                        "yes" if contender.found_source else "NO",
                    ]
                )
            medians = ", ".join(f"{each.label} {milliseconds(each.median)}" for each in contenders)
            print(f"{version}: {medians}", file=sys.stderr, flush=True)
            worst = max(chrono_live.median, chrono_story.median)
            found = chrono_live.found_source and chrono_story.found_source
            targets.append(
                Target(
                    f"first tp, 15,000-line module, {version}",
                    "<= 100 ms",
                    f"live {milliseconds(chrono_live.median)}, "
                    f"story {milliseconds(chrono_story.median)} "
                    f"(wall {milliseconds(chrono_live.wall_median)}, "
                    f"{milliseconds(chrono_story.wall_median)})",
                    worst <= TARGET_SECONDS and found,
                    "" if found else "the argument's name was not found",
                )
            )
            sys.stdout.flush()
    print()
    headers = ["python", "contender", "cpu median", "cpu range", "wall median", "name found"]
    print(format_table(headers, rows))
    print()
    print(targets_table(targets))
    print(f"\nat the end: {load_average()}")


if __name__ == "__main__":
    main()
