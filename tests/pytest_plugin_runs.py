"""Running the plugin in an inner pytest, three ways, and reading the stories it printed.

Not a test module: the plugin tests import it. Each inner run loads chrono through its
``pytest11`` entry point, as a user's run does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

IN_PROCESS = "in-process"
SUBPROCESS = "subprocess"
XDIST = "xdist"
#: Every scenario runs in-process and in a fresh interpreter; the core ones also under xdist.
BOTH = (IN_PROCESS, SUBPROCESS)
ALL = (IN_PROCESS, SUBPROCESS, XDIST)

#: The inner runs need none of the other installed plugins, and loading them costs most of a
#: subprocess's start-up.
QUIET_PLUGINS = (
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:benchmark",
    "-p",
    "no:django",
)
_SEPARATOR = re.compile(r"^(?:[-=_]{3,} .+ [-=_]{3,}|[-=_]{20,})$")
PYTEST_9 = pytest.version_tuple >= (9,)


class Runner:
    """``runner(*args)`` runs pytest on the pytester directory in one of the three ways."""

    def __init__(self, pytester: pytest.Pytester, mode: str) -> None:
        self.pytester = pytester
        self.mode = mode

    @property
    def fresh_process(self) -> bool:
        """Whether sequence numbers start at #1 in the inner run (one process, not shared)."""
        return self.mode == SUBPROCESS

    def __call__(self, *args: str) -> pytest.RunResult:
        arguments = (*QUIET_PLUGINS, *args)
        if self.mode == IN_PROCESS:
            return self.pytester.runpytest_inprocess(*arguments)
        if self.mode == SUBPROCESS:
            return self.pytester.runpytest_subprocess(*arguments, timeout=120)
        return self.pytester.runpytest_subprocess("-n", "2", *arguments, timeout=120)


def make_runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str) -> Runner:
    """A runner with a known environment: chrono on, 120 columns, no forced colour."""
    for name in ("CHRONO", "FORCE_COLOR", "NO_COLOR", "PYTEST_XDIST_AUTO_NUM_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    # Wide enough that no story row wraps, so each event is one line to match.
    monkeypatch.setenv("COLUMNS", "120")
    return Runner(pytester, mode)


class SharedRun(NamedTuple):
    """One inner run's result and the directory it ran in."""

    result: pytest.RunResult
    path: Path


_shared_runs: dict[tuple[str, str], SharedRun] = {}


def run_once(runner: Runner, name: str, files: dict[str, str], *args: str) -> SharedRun:
    """Run the scenario ``name`` once per mode; later tests assert on the same result.

    Several tests check different things about one report; running it once for all of them
    keeps the subprocess and xdist runs, a second or more each, to a few.
    """
    key = (runner.mode, name)
    if key not in _shared_runs:
        runner.pytester.makepyfile(**files)
        _shared_runs[key] = SharedRun(runner(*args), runner.pytester.path)
    return _shared_runs[key]


def sections(result: pytest.RunResult, title: str) -> list[str]:
    """The text of every report section titled exactly ``title``, in the order printed."""
    found: list[str] = []
    current: list[str] | None = None
    for line in result.stdout.lines:
        if _SEPARATOR.match(line):
            if current is not None:
                found.append("\n".join(current))
            current = [] if line.strip("-= ") == title else None
        elif current is not None:
            current.append(line)
    if current is not None:
        found.append("\n".join(current))
    return found


def only_section(result: pytest.RunResult, title: str) -> str:
    """The text of the one section titled ``title``; fails if there are none or several."""
    found = sections(result, title)
    assert len(found) == 1, f"expected one {title!r} section, found {len(found)}"
    return found[0]


def story_of(result: pytest.RunResult, test: str, title: str = "chrono story") -> str:
    """The one section titled ``title`` that tells the story of the test function ``test``.

    Under xdist, failures are reported in the order the workers finish them.
    """
    found = [text for text in sections(result, title) if f"::{test}' " in text.split("\n")[0]]
    assert len(found) == 1, f"expected one {title!r} section for {test}, found {len(found)}"
    return found[0]


def seq(runner: Runner, number: int) -> str:
    """A regex for sequence number ``#number``: exact in a fresh process, any number otherwise."""
    return rf"#{number}\b" if runner.fresh_process else r"#\d+\b"
