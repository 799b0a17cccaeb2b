"""What the pytest plugin costs, and how big and how fast its reports are.

    python benchmarks/bench_plugin.py [--runs 5] [--skip-project]

* Overhead on a generated suite of 2,000 trivial tests that never call ``tp``: wall time with
  the plugin over wall time with ``-p no:chrono`` (goal: at most 3 % more).
* The same on a real project's test suite: more-itertools, its sdist from PyPI (tests
  included), installed with pytest and chrono into a throwaway venv under /tmp.
* A failing test that makes 200,000 ``tp`` calls: the report's size (goal: at most 3 MB), and
  that it ends with the most recent events and says exactly how many were dropped.
* A 10,000-event story rendered in at most 0.3 s: ``chrono.render.StoryView`` through a rich
  Console into a StringIO at width 120 (plain, and coloured as the plugin renders it for a
  colour terminal), and ``Story.text()`` (the plugin's plain text), for a story whose rows
  all fit and for one where a quarter of the rows wrap. Rendering is single-threaded CPU
  work, so it is judged on CPU seconds, which on an idle machine equal wall seconds.

Each pair of runs is interleaved (the order alternates) and a figure is the median of
``--runs``; ratios are taken pair by pair. CPU seconds (user + system of the child) are shown
beside wall times, because a busy machine inflates wall time far more than CPU time. Each
overhead run is also repeated with ``plugin_hook_timer``, which times chrono's own hooks
alone, and each suite runs once more each way under cProfile to count Python function calls:
two figures that the machine's load hardly moves. Unrelated installed plugins
(hypothesis, pytest-benchmark, pytest-django) are turned off on both sides, which makes the
base smaller and the ratio stricter.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Target, environment_lines, format_table, pytest_version, targets_table

from chrono import Story

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
QUIET_PLUGINS = ["-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:django"]
PROJECT = "more-itertools"
PROJECT_VERSION = "11.2.1"
#: Its test functions; unittest's subTest adds 21,194 subtests, each a report of its own.
PROJECT_TESTS = 765
PROJECT_HOME = Path(tempfile.gettempdir()) / "chrono-bench-plugin"
MAX_OVERHEAD = 1.03
MAX_REPORT_BYTES = 3_000_000
MAX_RENDER_SECONDS = 0.3

_MANY_EVENTS = """
from chrono import tp


def test_many_events():
    for i in range(200_000):
        tp(i)
    assert False
"""


@dataclass
class Timing:
    """One child run: wall seconds and CPU seconds (user + system)."""

    wall: float
    cpu: float


@dataclass
class Pair:
    """Runs of one command with the plugin and with ``-p no:chrono``, interleaved."""

    name: str
    with_plugin: list[Timing] = field(default_factory=list)
    without: list[Timing] = field(default_factory=list)
    hook_seconds: list[float] = field(default_factory=list)
    hook_cpu_seconds: list[float] = field(default_factory=list)
    hook_calls: int = 0
    import_seconds: list[float] = field(default_factory=list)

    def ratio(self, what: str) -> float:
        return statistics.median(
            getattr(on, what) / getattr(off, what)
            for on, off in zip(self.with_plugin, self.without)
        )

    def ratios(self, what: str) -> list[float]:
        return [
            getattr(on, what) / getattr(off, what)
            for on, off in zip(self.with_plugin, self.without)
        ]

    def median(self, side: str, what: str) -> float:
        return statistics.median(getattr(timing, what) for timing in getattr(self, side))


def run_child(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Timing:
    """Run a command to the end, output discarded; its wall and CPU seconds."""
    if env is None:
        # Bytecode is cached, as on a developer's machine: where PYTHONDONTWRITEBYTECODE is set
        # (CI images), pytest would parse and rewrite chrono's modules on every run, and a
        # side that imports one more module (comparison's, when the run ends) would pay for
        # compiling it each time.
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return Timing(wall, usage.ru_utime + usage.ru_stime)


def measure_pair(name: str, command: list[str], cwd: Path, runs: int) -> Pair:
    """Interleaved runs with and without the plugin, then the hook timer's runs."""
    pair = Pair(name)
    run_child([*command, "-p", "no:chrono"], cwd)  # warm the bytecode caches
    run_child(command, cwd)
    for index in range(runs):
        order = [True, False] if index % 2 == 0 else [False, True]
        for with_plugin in order:
            if with_plugin:
                pair.with_plugin.append(run_child(command, cwd))
            else:
                pair.without.append(run_child([*command, "-p", "no:chrono"], cwd))
        print(
            f"  {name} run {index + 1}/{runs}: "
            f"{pair.with_plugin[-1].wall:.2f} s with, {pair.without[-1].wall:.2f} s without",
            flush=True,
        )
    times_file = cwd / "chrono-hook-times.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(BENCHMARKS), os.environ.get("PYTHONPATH")])
        ),
        "CHRONO_HOOK_TIMES": str(times_file),
    }
    for _ in range(runs):
        run_child([*command, "-p", "plugin_hook_timer"], cwd, env)
        totals = json.loads(times_file.read_text(encoding="utf-8"))
        pair.hook_seconds.append(totals["seconds"])
        pair.hook_cpu_seconds.append(totals["cpu_seconds"])
        pair.import_seconds.append(totals["import_seconds"])
        pair.hook_calls = totals["calls"]
    times_file.unlink()
    return pair


_COUNT_CALLS = """
import cProfile, contextlib, io, pstats, sys, pytest
profile = cProfile.Profile()
with contextlib.redirect_stdout(io.StringIO()):
    profile.enable()
    pytest.main(sys.argv[1:])
    profile.disable()
print(pstats.Stats(profile).total_calls)
"""


def count_calls(command: list[str], cwd: Path) -> int:
    """Python function calls of a whole in-process run: the same on a busy or an idle machine.

    ``command`` is ``[python, "-m", "pytest", *arguments]``; it runs as
    ``python -c <profiler> *arguments`` instead, without assertion rewriting, which whichever
    side ran first would otherwise pay for alone.
    """
    python, _, _, *arguments = command
    completed = subprocess.run(
        [python, "-c", _COUNT_CALLS, *arguments, "--assert=plain"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(completed.stdout.split()[-1])


def calls_row(name: str, command: list[str], cwd: Path, tests: int) -> list[str]:
    """The overhead table's row for Python function calls, with and without the plugin."""
    on = count_calls(command, cwd)
    off = count_calls([*command, "-p", "no:chrono"], cwd)
    return [name, "Python calls", f"{on:,}", f"{off:,}", f"{on / off:.4f}",
            f"{(on - off) / tests:.0f} calls a test"]  # fmt: skip


def write_suite(root: Path, tests: int = 2_000, per_file: int = 100) -> None:
    """``tests`` trivial tests, ``per_file`` to a module, none of which calls tp."""
    for number in range(tests // per_file):
        body = "".join(
            f"def test_{index:03d}():\n    assert {index} + 1 == {index + 1}\n\n\n"
            for index in range(per_file)
        )
        (root / f"test_generated_{number:02d}.py").write_text(body, encoding="utf-8")


def prepare_project() -> tuple[Path, Path]:
    """A venv with pytest, chrono (this checkout) and the project; its unpacked sdist."""
    venv = PROJECT_HOME / "venv"
    python = venv / "bin" / "python"
    source = PROJECT_HOME / f"more_itertools-{PROJECT_VERSION}"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    downloads = PROJECT_HOME / "downloads"
    sdist = downloads / f"more_itertools-{PROJECT_VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run(
            [str(python), "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
             ":all:", f"{PROJECT}=={PROJECT_VERSION}", "--dest", str(downloads)],
            check=True,
        )  # fmt: skip
    installed = subprocess.run(
        [str(python), "-m", "pip", "show", "--quiet", PROJECT, "chrono", "pytest"],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "pytest", str(sdist),
             "-e", str(REPOSITORY)],
            check=True,
        )  # fmt: skip
    if not source.exists():
        with tarfile.open(sdist) as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(PROJECT_HOME, filter="data")
            else:
                archive.extractall(PROJECT_HOME)  # our own pinned download
    return python, source


@dataclass
class BigReport:
    size: int
    seconds: float
    newest_shown: bool
    dropped_line: str


def measure_big_report(folder: Path) -> BigReport:
    """The report of a failing test that made 200,000 tp calls, at pytest's default width."""
    (folder / "test_many_events.py").write_text(_MANY_EVENTS, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *QUIET_PLUGINS],
        cwd=folder,
        env=env,
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    output = completed.stdout.decode()
    story = output.split("- chrono story -", 1)[1].split("short test summary info", 1)[0]
    rows = [line for line in story.splitlines() if line.lstrip().startswith("#")]
    newest_shown = rows[-2].endswith("i=199998") and rows[-1].endswith("i=199999")
    dropped = next(line.strip() for line in story.splitlines() if "events dropped here" in line)
    return BigReport(len(completed.stdout) + len(completed.stderr), seconds, newest_shown, dropped)


def ten_thousand_event_story(*, long_rows: bool) -> Story:
    """10,000 events from four call sites: values, labels, markers and log records.

    With ``long_rows``, a quarter of the rows (a labelled dict) are too long for 120 columns,
    so StoryView wraps them under their content column.
    """
    import chrono
    from chrono import tp

    log = logging.getLogger("bench.orders")
    logging.getLogger().setLevel(logging.INFO)
    with chrono.story("bench", max_events=10_000) as story:
        for index in range(2_500):
            tp(index)
            if long_rows:
                tp("saved", index, {"order": index, "items": [index, index + 1]})
            else:
                tp("saved", index)
            tp()
            log.info("order %d shipped", index)
    return story


def measure_render(runs: int) -> dict[str, list[Timing]]:
    """Seconds per rendering of two 10,000-event stories, interleaved, ``runs`` each."""
    from rich.console import Console

    from chrono.render import StoryView

    def view(story: Story, colour: bool) -> None:
        console = Console(
            file=io.StringIO(),
            width=120,
            color_system="standard" if colour else None,
            force_terminal=colour,
            no_color=not colour,
            highlight=False,
        )
        console.print(StoryView(story), soft_wrap=False)

    renderings: dict[str, Callable[[], object]] = {}
    for long_rows, rows in ((False, "short rows"), (True, "a quarter of rows wrapped")):
        story = ten_thousand_event_story(long_rows=long_rows)
        assert len(story.events) == 10_000
        assert story.dropped == 0
        renderings[f"StoryView, plain, {rows}"] = functools.partial(view, story, False)
        renderings[f"StoryView, coloured, {rows}"] = functools.partial(view, story, True)
        renderings[f"Story.text(), {rows}"] = story.text
    timings: dict[str, list[Timing]] = {name: [] for name in renderings}
    for render in renderings.values():
        render()  # warm-up: rich's and chrono's lazy imports and caches
    for index in range(runs):
        names = list(renderings)
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            started, cpu_started = time.perf_counter(), time.process_time()
            renderings[name]()
            cpu = time.process_time() - cpu_started
            timings[name].append(Timing(time.perf_counter() - started, cpu))
    return timings


def overhead_rows(pair: Pair, tests: int) -> list[list[str]]:
    hooks = statistics.median(pair.hook_seconds)
    hooks_cpu = statistics.median(pair.hook_cpu_seconds)
    cpu_off = pair.median("without", "cpu")
    import_ms = statistics.median(pair.import_seconds) * 1000
    return [
        [pair.name, "wall", f"{pair.median('with_plugin', 'wall'):.2f} s",
         f"{pair.median('without', 'wall'):.2f} s", f"{pair.ratio('wall'):.3f}",
         ", ".join(f"{value:.3f}" for value in pair.ratios("wall"))],
        [pair.name, "CPU", f"{pair.median('with_plugin', 'cpu'):.2f} s", f"{cpu_off:.2f} s",
         f"{pair.ratio('cpu'):.3f}", ", ".join(f"{value:.3f}" for value in pair.ratios("cpu"))],
        [pair.name, "chrono's hooks, CPU", f"{hooks_cpu * 1000:.0f} ms", "",
         f"{1 + hooks_cpu / cpu_off:.3f}",
         f"{hooks_cpu / tests * 1e6:.1f} µs a test ({hooks / tests * 1e6:.1f} µs wall), "
         f"{pair.hook_calls:,} hook calls; plugin import {import_ms:.0f} ms"],
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per figure (5)")
    parser.add_argument("--skip-project", action="store_true", help=f"leave out {PROJECT}")
    arguments = parser.parse_args()
    runs = arguments.runs
    print("\n".join(environment_lines()))

    targets: list[Target] = []
    overhead: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="chrono-bench-plugin-") as directory:
        folder = Path(directory)
        suite = folder / "suite"
        suite.mkdir()
        write_suite(suite)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *QUIET_PLUGINS]
        pair = measure_pair("2,000 trivial tests", command, suite, runs)
        overhead += overhead_rows(pair, 2_000)
        overhead.append(calls_row("2,000 trivial tests", command, suite, 2_000))
        targets.append(
            Target(
                "2,000 trivial tests: wall time, plugin / -p no:chrono",
                f"<= {MAX_OVERHEAD:.2f}",
                f"{pair.ratio('wall'):.3f} (CPU {pair.ratio('cpu'):.3f})",
                pair.ratio("wall") <= MAX_OVERHEAD,
            )
        )
        if not arguments.skip_project:
            python, source = prepare_project()
            name = f"{PROJECT} {PROJECT_VERSION} (pytest {pytest_version(python)})"
            project_command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
            pair = measure_pair(name, project_command, source, runs)
            overhead += overhead_rows(pair, PROJECT_TESTS)
            overhead.append(calls_row(name, project_command, source, PROJECT_TESTS))
            targets.append(
                Target(
                    f"{name}: wall time, plugin / -p no:chrono",
                    f"<= {MAX_OVERHEAD:.2f}",
                    f"{pair.ratio('wall'):.3f} (CPU {pair.ratio('cpu'):.3f})",
                    pair.ratio("wall") <= MAX_OVERHEAD,
                )
            )
        big = measure_big_report(folder)
    targets.append(
        Target(
            "report of a failing test with 200,000 tp calls",
            f"<= {MAX_REPORT_BYTES / 1e6:.0f} MB",
            f"{big.size:,} bytes in {big.seconds:.1f} s; newest shown: {big.newest_shown}",
            big.size <= MAX_REPORT_BYTES and big.newest_shown,
            note=big.dropped_line,
        )
    )
    for name, timings in measure_render(runs).items():
        wall = statistics.median(timing.wall for timing in timings)
        cpu = statistics.median(timing.cpu for timing in timings)
        targets.append(
            Target(
                f"10,000 events: {name}",
                f"<= {MAX_RENDER_SECONDS} s",
                f"{cpu:.3f} s CPU ({wall:.3f} s wall)",
                cpu <= MAX_RENDER_SECONDS,
            )
        )
    print()
    print(
        format_table(
            ["suite", "measure", "with chrono", "-p no:chrono", "ratio", "per run"], overhead
        )
    )
    print()
    print(targets_table(targets))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
