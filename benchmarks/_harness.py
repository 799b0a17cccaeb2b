"""Shared timing for chrono's benchmarks: interleaved rounds, medians, and the result tables.

Every contender runs the same generated loop (ten calls per iteration, so the loop itself costs
a tenth of a call's worth), written to a real file so that tools which read the caller's source
(chrono, icecream, snoop, devtools) find it. A round times each contender once, in an order
that rotates from round to round; a run is a series of rounds; a figure is the median over runs
of the median over rounds. Ratios are taken round by round (both sides measured moments apart)
before the medians, which cancels most of the drift a shared machine adds.

Each round is timed on two clocks: the thread's CPU time, which leaves out the time other
processes held the CPU (on a busy shared machine that is most of the noise), and the wall
clock. Figures and ratios use CPU time; wall-clock medians are printed beside them.
"""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPOSITORY = Path(__file__).resolve().parent.parent

#: Calls written out in each iteration of a generated loop.
UNROLL = 10
#: Upper bound on calls per round (the brief: loops of about 20,000 calls).
MAX_CALLS = 20_000
#: A round of one contender aims at about this long; slow peers get fewer calls.
ROUND_SECONDS = 0.04

_Loop = Callable[[int, Any, Any], None]


@dataclass
class Contender:
    """One thing timed: ``callee(argument)``, written in the loop as ``<name>(x)``."""

    label: str
    name: str
    callee: Callable[..., Any]
    argument: Any
    #: What the detail table compares this contender with (None: the suite's first).
    baseline: Contender | None = field(default=None, repr=False)
    calls: int = 0
    #: Net CPU nanoseconds per call, one list of rounds per run.
    runs: list[list[float]] = field(default_factory=list)
    #: The same rounds on the wall clock.
    wall_runs: list[list[float]] = field(default_factory=list)

    @property
    def per_call_ns(self) -> float:
        """Median over runs of the median over rounds (CPU time)."""
        return statistics.median(statistics.median(rounds) for rounds in self.runs)

    @property
    def wall_per_call_ns(self) -> float:
        """Median over runs of the median over rounds (wall clock)."""
        return statistics.median(statistics.median(rounds) for rounds in self.wall_runs)

    @property
    def run_medians(self) -> list[float]:
        """Each run's median, to show how far runs disagree."""
        return [statistics.median(rounds) for rounds in self.runs]


def ratio(numerator: Contender, denominator: Contender) -> float:
    """Median over runs of the median over rounds of ``numerator / denominator``."""
    per_run = [
        statistics.median(a / b for a, b in zip(top, bottom))
        for top, bottom in zip(numerator.runs, denominator.runs)
    ]
    return statistics.median(per_run)


def ratio_per_run(numerator: Contender, denominator: Contender) -> list[float]:
    """The per-run ratio medians behind ``ratio``."""
    return [
        statistics.median(a / b for a, b in zip(top, bottom))
        for top, bottom in zip(numerator.runs, denominator.runs)
    ]


_LOOP_TEMPLATE = """
def loop_{name}(iterations, {name}, x):
    for _ in range(iterations):
{body}
"""

_loops: dict[str, _Loop] = {}
_source_directories: list[Path] = []


def _source_directory() -> Path:
    # Made on first use, so that scripts importing only the table helpers leave nothing behind.
    if not _source_directories:
        directory = Path(tempfile.mkdtemp(prefix="chrono-bench-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        _source_directories.append(directory)
    return _source_directories[0]


def loop_for(name: str) -> _Loop:
    """A loop of ``UNROLL`` calls ``name(x)`` per iteration, from a real source file."""
    loop = _loops.get(name)
    if loop is None:
        if name == "pass":
            source = _LOOP_TEMPLATE.format(name="pass_", body="        pass\n" * UNROLL)
            function_name = "loop_pass_"
        else:
            source = _LOOP_TEMPLATE.format(name=name, body=f"        {name}(x)\n" * UNROLL)
            function_name = f"loop_{name}"
        path = _source_directory() / f"loop_{name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(f"chrono_bench_loop_{name}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load the generated loop {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loop = getattr(module, function_name)
        _loops[name] = loop
    return loop


def _time_loop(loop: _Loop, calls: int, callee: Any, argument: Any) -> tuple[int, int]:
    """``(CPU, wall)`` nanoseconds for ``calls`` calls."""
    iterations = calls // UNROLL
    wall = time.perf_counter_ns()
    cpu = time.thread_time_ns()
    loop(iterations, callee, argument)
    cpu = time.thread_time_ns() - cpu
    return cpu, time.perf_counter_ns() - wall


def _calibrate(contender: Contender) -> None:
    # Warms call-site caches too: the first call of each site is not what is measured here.
    loop = loop_for(contender.name)
    _time_loop(loop, 10 * UNROLL, contender.callee, contender.argument)
    elapsed, _ = _time_loop(loop, 10 * UNROLL, contender.callee, contender.argument)
    per_call = max(elapsed / (10 * UNROLL), 1.0)
    calls = int(ROUND_SECONDS * 1e9 / per_call)
    contender.calls = max(UNROLL * 20, min(MAX_CALLS, calls // UNROLL * UNROLL))


def measure(contenders: Sequence[Contender], *, rounds: int, runs: int) -> None:
    """Time every contender ``rounds`` times per run, interleaved; net of the empty loop."""
    empty = loop_for("pass")
    for contender in contenders:
        _calibrate(contender)
        contender.runs = []
        contender.wall_runs = []
    for _ in range(runs):
        for contender in contenders:
            contender.runs.append([])
            contender.wall_runs.append([])
        for round_index in range(rounds):
            shift = round_index % len(contenders)
            for contender in [*contenders[shift:], *contenders[:shift]]:
                loop = loop_for(contender.name)
                cpu, wall = _time_loop(loop, contender.calls, contender.callee, contender.argument)
                empty_cpu, empty_wall = _time_loop(empty, contender.calls, None, None)
                contender.runs[-1].append(max(cpu - empty_cpu, 1) / contender.calls)
                contender.wall_runs[-1].append(max(wall - empty_wall, 1) / contender.calls)


@dataclass
class Target:
    """A goal from the issue and what was measured against it."""

    description: str
    goal: str
    measured: str
    met: bool
    note: str = ""


def command_line() -> str:
    """The command that is running, as typed (near enough) to reproduce the table."""
    arguments = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    return " ".join(arguments)


def environment_lines() -> list[str]:
    """Python and machine, for the head of every table."""
    return [
        f"$ {command_line()}",
        f"Python {platform.python_version()} ({platform.python_implementation()}) "
        f"on {platform.system()} {platform.machine()}, {_cpu_count()} CPUs, {load_average()}",
    ]


def load_average() -> str:
    """The machine's load averages, to show how busy it was while measuring."""
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):
        return "load average unknown"
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def _cpu_count() -> int:
    return os.cpu_count() or 0


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table, columns left-aligned, ready for a Markdown code block."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(headers, widths)).rstrip(),
        "  ".join("-" * width for width in widths),
    ]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    ]
    return "\n".join(lines)


def targets_table(targets: Sequence[Target]) -> str:
    """The summary: each target, what was measured, PASS or MISS."""
    rows = [
        [target.description, target.goal, target.measured, "PASS" if target.met else "MISS"]
        for target in targets
    ]
    table = format_table(["target", "goal", "measured", "result"], rows)
    notes = [f"  {target.description}: {target.note}" for target in targets if target.note]
    return table + ("\n" + "\n".join(notes) if notes else "")


def nanoseconds(value: float) -> str:
    """``1234.5`` as ``1,235 ns``; microseconds past 10,000 ns."""
    if value >= 10_000:
        return f"{value / 1000:,.1f} µs"
    return f"{value:,.0f} ns"


def milliseconds(value: float) -> str:
    """Seconds as milliseconds with one decimal."""
    return f"{value * 1000:,.1f} ms"


def spread(values: Sequence[float], unit: Callable[[float], str]) -> str:
    """The lowest and highest of per-run figures."""
    return f"{unit(min(values))} – {unit(max(values))}"


def python_version(python: str) -> str:
    """``3.11.7`` for the interpreter at ``python``."""
    return subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def pytest_version(python: str | Path) -> str:
    """``9.0.3`` for pytest as installed for the interpreter at ``python``."""
    return subprocess.run(
        [str(python), "-c", "import pytest; print(pytest.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def pyenv_venvs(root: Path) -> list[str]:
    """A virtual environment per pyenv Python 3.9-3.13 under ``root``, made when missing."""
    pyenv_root = subprocess.run(
        ["pyenv", "root"], capture_output=True, text=True, check=True
    ).stdout.strip()
    pythons = []
    for minor in range(9, 14):
        candidates = sorted(
            Path(pyenv_root, "versions").glob(f"3.{minor}.*/bin/python"),
            key=lambda path: [int(part) for part in path.parent.parent.name.split(".")],
        )
        if not candidates:
            continue
        interpreter = candidates[-1]
        venv = root / interpreter.parent.parent.name
        python = venv / "bin" / "python"
        if not python.exists():
            subprocess.run([str(interpreter), "-m", "venv", str(venv)], check=True)
            packages = ["-e", str(REPOSITORY), "icecream", "snoop", "devtools"]
            subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
        pythons.append(str(python))
    return pythons


def add_interpreter_options(parser: argparse.ArgumentParser) -> None:
    """``--python`` (repeatable) and ``--venvs``: which interpreters a benchmark measures."""
    parser.add_argument("--python", action="append", default=[], help="interpreter to measure")
    parser.add_argument("--venvs", type=Path, help="make and measure a venv per pyenv 3.9-3.13")


def chosen_interpreters(arguments: argparse.Namespace) -> list[str]:
    """The interpreters named by ``add_interpreter_options``; this one when none is."""
    pythons = list(arguments.python)
    if arguments.venvs is not None:
        pythons += pyenv_venvs(arguments.venvs)
    return pythons or [sys.executable]


_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(
    command: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> int:
    """Instructions the whole process of ``command`` executes, counted by valgrind's callgrind."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = _COLLECTED.search(result.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind:\n{result.stderr}")
    return int(found.group(1))
