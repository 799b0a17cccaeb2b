"""Real projects' test suites with the pytest plugin on and off: same outcomes, no noise.

    python benchmarks/real_suites.py [--runs 3] [--mode serial|xdist|both] [--project attrs]
        [--pytest-arg=--log-level=DEBUG]
        [--seeded-bug]

For attrs, structlog, more-itertools, click, boltons, filelock, python-dateutil and
packaging, at pinned versions, the script downloads the sdist (tests included) into a cache
folder, makes one venv per project with pytest, pytest-xdist, the project's own test
dependencies (read from its sdist), the project, and chrono from this checkout (editable),
then runs the suite ``--runs`` times with ``-p no:chrono`` and as many
times with the plugin on, the two alternating in order after a warm-up run. ``--mode xdist``
runs every suite with ``-n 2`` instead, ``--mode both`` both ways in turn.

It checks, run pair by run pair:

* **identical outcomes**: per test id (JUnit XML's classname and name) the outcome
  (passed, failed, skipped, xfailed, error; a test id with several entries, such as a test
  whose teardown errs after it failed, gets them all) is the same with the plugin on and off;
* **no chrono output**: none of these suites calls ``tp``, so no line of the output or of the
  JUnit XML may mention chrono, other than lines that the run with ``-p no:chrono`` printed
  as well (a path that happens to contain the word);
* **the overhead**: wall time with the plugin over wall time without, taken pair by pair;
  a figure is the median of the runs (CPU seconds of the child beside it).

A table is printed at the end; the exit status is 1 when outcomes differ or chrono printed
where it should not. The wall ratio of one run varies by a third on a busy shared machine, so
it is reported, not judged.

``--pytest-arg`` gives pytest one more argument on both sides (repeatable): with
``--log-level=DEBUG`` every DEBUG record reaches the handlers, and each test's story.

``--seeded-bug`` also plants one ``tp`` in more-itertools' ``chunked`` and a wrong
expectation in one of its tests (in a copy of the source), runs that test class with the
plugin on, prints the story, and checks that the failing test's story is shown and names the
file and line of the ``tp`` call whole; the exit status is 1 when it does not.

The script checks its own parsing and comparison on built-in samples before it runs anything
(``--self-check`` runs only that).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import venv
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    REPOSITORY,
    Target,
    environment_lines,
    format_table,
    pytest_version,
    targets_table,
)

#: Not under a name that contains "chrono": the output check looks for that word, and the
#: projects' tracebacks and headers print paths in this folder.
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "real-suites"
#: Installed in every venv beside the project's own test dependencies.
RUNNER_REQUIREMENTS = ["pytest", "pytest-xdist"]
#: For every run, both sides: no cache between runs (``--lf`` and friends would change what
#: runs), quiet progress, and a line per test in the summary, so that a story attached to a
#: passing test would be printed too and caught by the output check.
COMMON_ARGUMENTS = ["-p", "no:cacheprovider", "-q", "-rA"]
#: What ``--mode`` runs: pytest's own serial run, pytest-xdist's ``-n 2``, or both in turn.
MODES = {"serial": ["serial"], "xdist": ["-n 2"], "both": ["serial", "-n 2"]}
#: What the environment may carry that would change either side.
CLEARED_VARIABLES = ("CHRONO", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "COLUMNS")


def dependency_group(source: Path, group: str) -> list[str]:
    """The requirements of a PEP 735 dependency group in ``source``'s pyproject.toml.

    pip learned ``--group`` only in 25.1, so the groups are read here, ``include-group``
    entries resolved; environment markers stay on the requirements for pip to judge.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the script is run on 3.11, but should not break on 3.9
        import tomli as tomllib
    with (source / "pyproject.toml").open("rb") as file:
        groups: dict[str, list[Any]] = tomllib.load(file)["dependency-groups"]

    def resolve(name: str) -> list[str]:
        requirements: list[str] = []
        for entry in groups[name]:
            if isinstance(entry, dict):
                requirements += resolve(entry["include-group"])
            else:
                requirements.append(entry)
        return requirements

    return resolve(group)


def requirements_file(name: str, tools: Sequence[str]) -> Callable[[Path], list[str]]:
    """The requirements listed in ``name`` (one a line), leaving out the ``tools`` named.

    A project's requirements file can list tools that the tests do not import (coverage,
    build); leaving them out keeps the venv to what the suite runs.
    """

    def read(source: Path) -> list[str]:
        requirements = []
        for line in (source / name).read_text(encoding="utf-8").splitlines():
            requirement = line.split("#")[0].strip()
            project = re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]
            if requirement and project.lower() not in tools:
                requirements.append(requirement)
        return requirements

    return read


def no_requirements(source: Path) -> list[str]:
    return []


@dataclass(frozen=True)
class Project:
    """A PyPI project whose sdist ships its tests, and how its suite is run."""

    name: str
    version: str
    #: The test dependencies, read from the unpacked sdist.
    test_requirements: Callable[[Path], list[str]]
    #: Given to pytest on both sides, after ``COMMON_ARGUMENTS``.
    pytest_arguments: tuple[str, ...] = ()
    #: Why the suite runs as it does: shown under the table.
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def folder(self) -> str:
        """The sdist's top folder, as its file name spells it (PEP 625 normalises dashes)."""
        return f"{self.name.replace('-', '_')}-{self.version}"


PROJECTS = [
    Project(
        "attrs",
        "26.1.0",
        lambda source: dependency_group(source, "tests"),
        # Hypothesis draws new examples each run; one seed makes both sides run the same ones.
        ("--hypothesis-seed=0",),
        (
            "test dependencies: the 'tests' dependency group of its pyproject.toml (what its "
            "tox.ini installs); tests/test_mypy.yml needs pytest-mypy-plugins (the 'mypy' "
            "group, which also runs mypy) and is not collected without it",
            "--hypothesis-seed=0, so that both sides try the same examples",
        ),
    ),
    Project(
        "structlog",
        "26.1.0",
        lambda source: dependency_group(source, "tests"),
        # pytest-randomly shuffles the order and reseeds random; one seed, one order.
        ("--randomly-seed=1",),
        (
            "test dependencies: the 'tests' dependency group of its pyproject.toml; twisted, "
            "rich, colorama and better-exceptions (tox's extra environments) are not "
            "installed, so the tests that need them are skipped on both sides",
            "--randomly-seed=1, so that pytest-randomly shuffles both sides into one order",
        ),
    ),
    Project(
        "more-itertools",
        "11.2.1",
        # requirements/testing.txt lists coverage and ruff only: tools, not test imports.
        no_requirements,
        (),
        (
            "test dependencies: none (its requirements/testing.txt holds coverage and ruff; "
            "its tox.ini runs unittest, which pytest runs as well)",
            "its tests import the package from the unpacked sdist (python -m pytest puts the "
            "working folder first on sys.path), which --seeded-bug relies on",
        ),
    ),
    Project(
        "click",
        "8.5.1",
        lambda source: dependency_group(source, "tests"),
        (),
        (
            "test dependencies: the 'tests' dependency group of its pyproject.toml (pytest "
            "alone); its own addopts deselect the 'stress' tests on both sides",
        ),
    ),
    Project(
        "boltons",
        "26.2.0",
        lambda source: dependency_group(source, "dev"),
        # What its tox.ini runs: the doctests of the package beside the tests folder.
        ("--doctest-modules", "boltons", "tests"),
        (
            "test dependencies: the 'dev' dependency group of its pyproject.toml (pytest "
            "alone), which its tox.ini installs",
            "--doctest-modules boltons tests, as its tox.ini runs it (on the sdist's copy of "
            "the package rather than the installed one)",
        ),
    ),
    Project(
        "filelock",
        "3.20.3",
        lambda source: dependency_group(source, "test"),
        (),
        (
            "test dependencies: the 'test' dependency group of its pyproject.toml (pytest-"
            "asyncio, pytest-mock, pytest-timeout, virtualenv, and coverage tools that are "
            "installed but not switched on: no --cov)",
        ),
    ),
    Project(
        "python-dateutil",
        "4.0.0",
        requirements_file("requirements-dev.txt", ("build",)),
        # Its tox.ini runs tests and docs (the exercises' solutions); one Hypothesis seed.
        ("--hypothesis-seed=0", "tests", "docs"),
        (
            "test dependencies: its requirements-dev.txt (what its tox.ini installs) without "
            "build; pytest-cov stays, for the no_cover mark its conftest adds (no --cov)",
            "tests and docs, as its tox.ini runs them; --hypothesis-seed=0; tests that change "
            "the machine's time zone stay skipped (DATEUTIL_MAY_CHANGE_TZ unset)",
        ),
    ),
    Project(
        "packaging",
        "26.4",
        lambda source: dependency_group(source, "test"),
        # -rA's PASSES section looks up each passed test's teardown among all reports: with
        # 64,000 tests pytest spent minutes there on either side. -r without P keeps a line per
        # test; a passing test's own sections (where a story would be) are not printed.
        ("--hypothesis-seed=0", "-rfEsxXp"),
        (
            "test dependencies: the 'test' dependency group of its pyproject.toml; its own "
            "addopts deselect the opt-in 'property' tests on both sides",
            "--hypothesis-seed=0, so that both sides try the same examples",
            "-rfEsxXp instead of -rA: pytest's PASSES section scans every report for each "
            "of 64,000 passed tests; a line per test is still printed, the passing tests' "
            "captured sections are not",
        ),
    ),
]


# Outcomes -----------------------------------------------------------------------------------

#: A test id's outcomes: usually one, several when pytest writes several entries for it.
Outcomes = dict[str, str]


def outcomes_from_junit(xml_text: str) -> Outcomes:
    """Per test id (``classname::name``), its outcome as JUnit XML written by pytest tells it.

    ``failure`` is a failed test, ``error`` an error in setup or teardown (or a collection
    error), ``skipped`` of type ``pytest.xfail`` an expected failure, any other ``skipped`` a
    skip, and an entry with none of them a pass. A test id written more than once gets its
    outcomes joined with ``+`` in order of appearance.
    """
    outcomes: dict[str, list[str]] = {}
    for case in ElementTree.fromstring(xml_text).iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        if not kinds:
            outcome = "passed"
        else:
            found = []
            for child in case:
                if child.tag == "failure":
                    found.append("failed")
                elif child.tag == "error":
                    found.append("error")
                elif child.tag == "skipped":
                    xfail = child.get("type") == "pytest.xfail"
                    found.append("xfailed" if xfail else "skipped")
            outcome = "+".join(found)
        outcomes.setdefault(test_id, []).append(outcome)
    return {test_id: "+".join(found) for test_id, found in outcomes.items()}


@dataclass(frozen=True)
class Difference:
    test_id: str
    without: str
    with_plugin: str


def compare_outcomes(without: Outcomes, with_plugin: Outcomes) -> list[Difference]:
    """Every test id whose outcome differs, or that only one side ran; sorted by test id."""
    return [
        Difference(test_id, without.get(test_id, "not run"), with_plugin.get(test_id, "not run"))
        for test_id in sorted(without.keys() | with_plugin.keys())
        if without.get(test_id) != with_plugin.get(test_id)
    ]


def tally(outcomes: Outcomes) -> str:
    """``1,234 passed, 5 skipped``: how many test ids had each outcome."""
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    return ", ".join(f"{count:,} {outcome}" for outcome, count in sorted(counts.items()))


def chrono_lines(with_plugin: str, without: str) -> list[str]:
    """Lines of the plugin's output that mention chrono and that ``-p no:chrono`` did not print.

    JUnit XML comes on one line; it is split between elements first, so that a story in one
    test's entry is told apart from the rest of the file.
    """

    def lines(text: str) -> list[str]:
        return text.replace("><", ">\n<").splitlines()

    already = {line for line in lines(without) if "chrono" in line.lower()}
    return [line for line in lines(with_plugin) if "chrono" in line.lower() and line not in already]


_SAMPLE_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="2" tests="6">
<testcase classname="tests.test_a.TestA" name="test_pass" time="0.001" />
<testcase classname="tests.test_a.TestA" name="test_fail" time="0.001">
  <failure message="assert 1 == 2">assert 1 == 2</failure></testcase>
<testcase classname="tests.test_a" name="test_skip" time="0.000">
  <skipped type="pytest.skip" message="no twisted">no twisted</skipped></testcase>
<testcase classname="tests.test_a" name="test_xfail" time="0.000">
  <skipped type="pytest.xfail" message="known" /></testcase>
<testcase classname="tests.test_a" name="test_teardown" time="0.001">
  <failure message="boom" /><error message="teardown" /></testcase>
<testcase classname="tests.test_a" name="test_param[a::b]" time="0.001" />
</testsuite></testsuites>
"""


def self_check() -> None:
    """Raise AssertionError if the parsing or the comparison is wrong on known samples."""
    outcomes = outcomes_from_junit(_SAMPLE_JUNIT)
    assert outcomes == {
        "tests.test_a.TestA::test_pass": "passed",
        "tests.test_a.TestA::test_fail": "failed",
        "tests.test_a::test_skip": "skipped",
        "tests.test_a::test_xfail": "xfailed",
        "tests.test_a::test_teardown": "failed+error",
        "tests.test_a::test_param[a::b]": "passed",
    }, outcomes
    assert tally(outcomes) == "1 failed, 1 failed+error, 2 passed, 1 skipped, 1 xfailed"
    assert compare_outcomes(outcomes, dict(outcomes)) == []
    changed = {**outcomes, "tests.test_a.TestA::test_pass": "failed"}
    del changed["tests.test_a::test_skip"]
    changed["tests.test_a::test_new"] = "passed"
    assert compare_outcomes(outcomes, changed) == [
        Difference("tests.test_a.TestA::test_pass", "passed", "failed"),
        Difference("tests.test_a::test_new", "not run", "passed"),
        Difference("tests.test_a::test_skip", "skipped", "not run"),
    ]
    # A subtest written twice under one id keeps both entries.
    twice = _SAMPLE_JUNIT.replace(
        "</testsuite>",
        '<testcase classname="tests.test_a.TestA" name="test_pass"><failure /></testcase>'
        "</testsuite>",
    )
    assert outcomes_from_junit(twice)["tests.test_a.TestA::test_pass"] == "passed+failed"
    assert chrono_lines("a\nchrono story 'x' — 0 events\n/p/chrono/x.py\n", "/p/chrono/x.py") == [
        "chrono story 'x' — 0 events"
    ]
    assert chrono_lines("1 passed in 0.1s\n", "1 passed in 0.2s\n") == []
    assert chrono_lines('<a x="1" /><b>chrono story</b>', '<a x="1" />') == ["<b>chrono story</b>"]


# Preparing ----------------------------------------------------------------------------------


def fetch_sdist(project: Project, cache: Path) -> Path:
    """The project's unpacked sdist, downloaded and unpacked once into ``cache``."""
    downloads = cache / "downloads"
    source = cache / "sources" / project.folder
    sdist = downloads / f"{project.folder}.tar.gz"
    if not sdist.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
             ":all:", f"{project.name}=={project.version}", "--dest", str(downloads)],
            check=True,
        )  # fmt: skip
    if not source.exists():
        with tarfile.open(sdist) as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(source.parent, filter="data")
            else:
                archive.extractall(source.parent)  # our own pinned download
    return source


def prepare_venv(project: Project, source: Path, cache: Path) -> Path:
    """The project's venv (made once, reinstalled when its requirements change); its python."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    folder = cache / "venvs" / f"{project.folder}-py{version}"
    python = folder / "bin" / "python"
    requirements = [*RUNNER_REQUIREMENTS, *project.test_requirements(source)]
    wanted = "\n".join([*requirements, str(source), str(REPOSITORY)])
    stamp = folder / "installed.txt"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    if not python.exists():
        venv.create(folder, with_pip=True)
    print(f"  installing into {folder}: {', '.join(requirements)}", flush=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *requirements, str(source),
         "-e", str(REPOSITORY)],
        check=True,
    )  # fmt: skip
    stamp.write_text(wanted, encoding="utf-8")
    return python


def child_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in CLEARED_VARIABLES}


def check_plugin_installed(python: Path, source: Path) -> str:
    """pytest's version in the venv; raises unless the chrono plugin is found there."""
    completed = subprocess.run(
        [str(python), "-m", "pytest", "--help"],
        cwd=source,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if "--chrono-show" not in completed.stdout:
        raise RuntimeError(f"the chrono plugin is not loaded by {python} -m pytest")
    return pytest_version(python)


# Running ------------------------------------------------------------------------------------


@dataclass
class Run:
    """One pytest run: wall and CPU seconds, outcomes, and everything it printed."""

    wall: float
    cpu: float
    outcomes: Outcomes
    output: str


def run_suite(
    python: Path, source: Path, arguments: Sequence[str], stem: Path, columns: int | None = None
) -> Run:
    """``python -m pytest *arguments`` in ``source``, its output kept in ``stem``.out/.xml.

    The output goes to a file, where pytest's width is 80 columns unless ``columns`` says.
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    junit = stem.with_suffix(".xml")
    printed = stem.with_suffix(".out")
    command = [str(python), "-m", "pytest", *arguments, f"--junitxml={junit}"]
    env = child_environment()
    if columns is not None:
        env["COLUMNS"] = str(columns)
    with printed.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=source, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: some test failed, which the comparison judges
        raise RuntimeError(f"{' '.join(command)} exited with {code}; see {printed}")
    xml_text = junit.read_text(encoding="utf-8")
    return Run(
        wall,
        usage.ru_utime + usage.ru_stime,
        outcomes_from_junit(xml_text),
        printed.read_text(encoding="utf-8", errors="replace") + xml_text,
    )


@dataclass
class Result:
    """Interleaved runs of one suite in one mode, and what comparing them found."""

    project: Project
    mode: str
    with_plugin: list[Run] = field(default_factory=list)
    without: list[Run] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)

    def ratios(self, what: str) -> list[float]:
        return [
            getattr(on, what) / getattr(off, what)
            for on, off in zip(self.with_plugin, self.without)
        ]

    def median(self, side: str, what: str) -> float:
        runs: list[Run] = getattr(self, side)
        values: list[float] = [getattr(run, what) for run in runs]
        return statistics.median(values)


def measure(
    project: Project,
    python: Path,
    source: Path,
    mode: str,
    runs: int,
    out: Path,
    extra: Sequence[str] = (),
) -> Result:
    """A warm-up run, then ``runs`` pairs in alternating order; every pair compared.

    The warm-up runs with the plugin, which compiles the bytecode of the suite, the project
    and chrono alike, so that neither side of the first pair pays for it.
    """
    arguments = [*COMMON_ARGUMENTS, *project.pytest_arguments, *extra]
    if mode != "serial":
        arguments += ["-n", mode.split()[-1]]
    result = Result(project, mode)
    folder = out / project.folder / mode.replace(" ", "")
    if folder.exists():
        shutil.rmtree(folder)  # an earlier run's files, which a smaller --runs would leave
    warm_up = run_suite(python, source, arguments, folder / "on-warm-up")
    print(f"  {project.label}, {mode}, warm-up: {warm_up.wall:.1f} s", flush=True)
    for index in range(runs):
        pair: dict[bool, Run] = {}
        for with_plugin in [True, False] if index % 2 == 0 else [False, True]:
            side = "on" if with_plugin else "off"
            pair[with_plugin] = run_suite(
                python,
                source,
                arguments if with_plugin else [*arguments, "-p", "no:chrono"],
                folder / f"{side}-{index + 1}",
            )
        result.differences += compare_outcomes(pair[False].outcomes, pair[True].outcomes)
        result.noise += chrono_lines(pair[True].output, pair[False].output)
        result.with_plugin.append(pair[True])
        result.without.append(pair[False])
        print(
            f"  {project.label}, {mode}, run {index + 1}/{runs}: {pair[True].wall:.1f} s with, "
            f"{pair[False].wall:.1f} s without; {tally(pair[True].outcomes)}",
            flush=True,
        )
    return result


# The seeded bug -----------------------------------------------------------------------------

#: (file, text found exactly once, what replaces it): one tp and one wrong expectation.
SEEDED_EDITS = [
    ("more_itertools/more.py", "import types\n", "import types\n\nfrom chrono import tp\n"),
    (
        "more_itertools/more.py",
        "            for chunk in iterator:\n                if len(chunk) != n:",
        "            for chunk in iterator:\n"
        "                tp(chunk)\n"
        "                if len(chunk) != n:",
    ),
    (
        "tests/test_more.py",
        "list(mi.chunked('ABCDEF', 3, strict=True)),\n"
        "            [['A', 'B', 'C'], ['D', 'E', 'F']],",
        "list(mi.chunked('ABCDEF', 3, strict=True)),\n"
        "            [['A', 'B', 'C'], ['D', 'E', 'G']],",
    ),
]
SEEDED_TEST = "tests/test_more.py::ChunkedTests"


#: Wide enough for a story row with the whole site (issue 11, item 1: the function's name is
#: shortened only when the terminal is too narrow for it).
SEEDED_COLUMNS = 120
SEEDED_FUNCTION = "chunked.<locals>.ret"


def seeded_bug(python: Path, source: Path, out: Path) -> list[Target]:
    """Plant the bug in a copy of more-itertools, run the test class, judge the story."""
    copy = out / "seeded" / source.name
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(source, copy)
    for relative, old, new in SEEDED_EDITS:
        path = copy / relative
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise RuntimeError(f"{relative}: the seeded edit's anchor is not there exactly once")
        path.write_text(text.replace(old, new), encoding="utf-8")
    tp_line = next(
        number
        for number, line in enumerate((copy / "more_itertools/more.py").open(encoding="utf-8"), 1)
        if line.strip() == "tp(chunk)"
    )
    stem = out / "seeded" / "run"
    run = run_suite(python, copy, [*COMMON_ARGUMENTS, SEEDED_TEST], stem, SEEDED_COLUMNS)
    story = _story_section(run.output)
    print(f"\n--seeded-bug: {SEEDED_TEST}, tp(chunk) at more_itertools/more.py:{tp_line}")
    print(story or run.output)
    failed = [test_id for test_id, outcome in run.outcomes.items() if "failed" in outcome]
    rows = [line for line in story.splitlines() if "chunk=" in line]
    file_whole = re.compile(rf"(?<![\w…])more\.py:{tp_line}\b")
    named_whole = bool(rows) and all(file_whole.search(row) for row in rows)
    function_whole = bool(rows) and all(f" {SEEDED_FUNCTION} " in row for row in rows)
    return [
        Target(
            "seeded bug in more-itertools: the failing test's story names the file whole",
            f"1 failed; every tp row shows more.py:{tp_line}",
            f"{len(failed)} failed; {len(rows)} tp rows; file and line whole: {named_whole}",
            len(failed) == 1 and named_whole,
            note=f"the run's whole output: {stem.with_suffix('.out')}",
        ),
        Target(
            f"seeded bug: the story names the function whole at {SEEDED_COLUMNS} columns",
            f"every tp row shows {SEEDED_FUNCTION}",
            str(function_whole),
            function_whole,
        ),
    ]


def _story_section(output: str) -> str:
    """From the first chrono story section to the next section or the summary."""
    lines = output.splitlines()
    start = next((index for index, line in enumerate(lines) if "chrono story" in line), None)
    if start is None:
        return ""
    end = next(
        (
            index
            for index in range(start + 1, len(lines))
            if lines[index].startswith(("____", "====")) or " Captured " in lines[index]
        ),
        len(lines),
    )
    return "\n".join(lines[start:end])


# Report -------------------------------------------------------------------------------------


def result_rows(result: Result) -> list[str]:
    wall_ratios = result.ratios("wall")
    return [
        result.project.label,
        result.mode,
        tally(result.without[0].outcomes),
        "yes" if not result.differences else f"NO ({len(result.differences)})",
        str(len(set(result.noise))),
        f"{result.median('with_plugin', 'wall'):.1f} s",
        f"{result.median('without', 'wall'):.1f} s",
        f"{statistics.median(wall_ratios):.3f}",
        ", ".join(f"{value:.3f}" for value in wall_ratios),
        f"{statistics.median(result.ratios('cpu')):.3f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per figure (3)")
    parser.add_argument(
        "--mode",
        choices=sorted(MODES),
        default="serial",
        help="serial (the default), with -n 2 (xdist), or both",
    )
    parser.add_argument(
        "--project",
        action="append",
        choices=[project.name for project in PROJECTS],
        help="only this project (repeatable; all of them by default)",
    )
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help=f"sdists and venvs ({DEFAULT_CACHE})"
    )
    parser.add_argument(
        "--seeded-bug", action="store_true", help="also plant a tp and a bug in more-itertools"
    )
    parser.add_argument(
        "--pytest-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for pytest on both sides (repeatable): --log-level=DEBUG",
    )
    parser.add_argument("--self-check", action="store_true", help="check the parsing and stop")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    self_check()
    if arguments.self_check:
        print("self-check passed")
        return 0
    print("\n".join(environment_lines()))
    cache: Path = arguments.cache.resolve()
    out = cache / "runs"
    chosen = [p for p in PROJECTS if not arguments.project or p.name in arguments.project]
    modes = MODES[arguments.mode]

    results: list[Result] = []
    targets: list[Target] = []
    pytest_versions: dict[str, str] = {}
    for project in chosen:
        source = fetch_sdist(project, cache)
        python = prepare_venv(project, source, cache)
        pytest_versions[project.label] = check_plugin_installed(python, source)
        for mode in modes:
            results.append(
                measure(project, python, source, mode, arguments.runs, out, arguments.pytest_arg)
            )
    seeded: list[Target] = []
    if arguments.seeded_bug:
        project = next(p for p in PROJECTS if p.name == "more-itertools")
        source = fetch_sdist(project, cache)
        seeded = seeded_bug(prepare_venv(project, source, cache), source, out)

    print()
    headers = ["suite", "mode", "outcomes (-p no:chrono)", "identical", "chrono lines",
               "wall with", "wall without", "ratio", "per run", "CPU ratio"]  # fmt: skip
    print(format_table(headers, [result_rows(result) for result in results]))
    print(f"\nruns: the median of {arguments.runs} interleaved pairs after a warm-up run; "
          "ratios taken pair by pair; every pair's outcomes compared")  # fmt: skip
    for label, version in pytest_versions.items():
        print(f"{label}: pytest {version}")
    for project in chosen:
        for note in project.notes:
            print(f"  {project.label}: {note}")
    for result in results:
        targets.append(
            Target(
                f"{result.project.label}, {result.mode}: outcomes, plugin on and off",
                "identical",
                "identical" if not result.differences else f"{len(result.differences)} differ",
                not result.differences,
            )
        )
        targets.append(
            Target(
                f"{result.project.label}, {result.mode}: lines that mention chrono",
                "none",
                str(len(set(result.noise))),
                not result.noise,
            )
        )
        for difference in result.differences[:20]:
            print(
                f"  differs: {difference.test_id}: {difference.without} without, "
                f"{difference.with_plugin} with the plugin"
            )
        for line in sorted(set(result.noise))[:20]:
            print(f"  chrono printed: {line[:160]}")
    print()
    print(targets_table(targets + seeded))
    print(f"outputs and JUnit XML of every run: {out}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0 if all(target.met for target in targets + seeded) else 1


if __name__ == "__main__":
    sys.exit(main())
