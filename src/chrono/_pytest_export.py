"""The pytest side of the exports: ``--chrono-json``, ``--chrono-trace`` and ``--chrono-html``.

Stories are recorded where tests run (a pytest-xdist worker, or the one process), and files
are written where reports are gathered (the controller): the last report of a failing test
carries its story as plain data (``Story.to_dict()`` plus a ``test`` object), which crosses
xdist's process boundary like any other report attribute. Nothing here runs unless an
export option is given.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chrono import _config
from chrono._events import has_events

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

    from chrono._story import Story
    from chrono.export import StoryFiles

#: The report attribute that carries a failing test's story to the controller.
REPORT_ATTRIBUTE = "chrono_story"

_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_phases_key = pytest.StashKey[list[dict[str, str]]]()
_message_key = pytest.StashKey[str]()

#: (option, ini key, what it names, help): each option has its ini twin.
_OPTIONS = (
    (
        "--chrono-json",
        "chrono_json",
        "DIR",
        "write each failing test's story to DIR as JSON (schema chrono.story/1)",
    ),
    (
        "--chrono-trace",
        "chrono_trace",
        "DIR",
        "write each failing test's story to DIR as a Chrome trace (Perfetto, chrome://tracing)",
    ),
    (
        "--chrono-html",
        "chrono_html",
        "FILE",
        "write the failing tests' stories to FILE as one self-contained HTML page",
    ),
)


def add_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    """Register the export options and their ini twins."""
    for option, ini_key, metavar, help_text in _OPTIONS:
        group.addoption(option, dest=ini_key, metavar=metavar, default=None, help=help_text)
        parser.addini(ini_key, f"{help_text} (relative to the ini file)", default="")


class ExportOptions:
    """Where each export goes (None: not asked for), checked before any test runs."""

    def __init__(self, config: pytest.Config) -> None:
        self.json_directory = _path(config, "chrono_json", directory=True)
        self.trace_directory = _path(config, "chrono_trace", directory=True)
        self.html_file = _path(config, "chrono_html", directory=False)
        self.enabled = any(
            path is not None for path in (self.json_directory, self.trace_directory, self.html_file)
        )


def _path(config: pytest.Config, ini_key: str, *, directory: bool) -> Path | None:
    given: str | None = config.getoption(ini_key)
    if given is not None:
        setting, base = f"--{ini_key.replace('_', '-')}", config.invocation_params.dir
    else:
        given = str(config.getini(ini_key)).strip()
        if not given:
            return None
        setting = ini_key
        base = config.inipath.parent if config.inipath is not None else config.rootpath
    wanted = "a directory" if directory else "a file"
    if not given.strip():
        raise pytest.UsageError(f"{setting}: expected {wanted}, got an empty value")
    path = base / os.path.expanduser(given)
    if directory and path.exists() and not path.is_dir():
        raise pytest.UsageError(f"{setting}={given}: {path} is a file; expected {wanted}")
    if not directory and (path.is_dir() or given.endswith(("/", os.sep))):
        raise pytest.UsageError(f"{setting}={given}: {path} is a directory; expected {wanted}")
    existing = path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise pytest.UsageError(f"{setting}={given}: {existing} is a file, not a directory")
    return path


def keep_story_data(item: pytest.Item, report: pytest.TestReport, story: Story) -> None:
    """Note the phase's outcome; on the last report of a failing test, attach its story."""
    phases = item.stash.setdefault(_phases_key, [])
    phases.append({"when": report.when, "outcome": report.outcome})
    if report.failed and _message_key not in item.stash:
        item.stash[_message_key] = _failure_message(report)
    if report.when != "teardown" or all(phase["outcome"] != "failed" for phase in phases):
        return
    if not has_events(story.events):
        return  # a story of nothing gets no file, as it gets no section
    data = story.to_dict()  # still collecting: ended_ns is None, as in the terminal's story
    call_failed = any(p["when"] == "call" and p["outcome"] == "failed" for p in phases)
    data["test"] = {
        "id": item.nodeid,
        "outcome": "failed" if call_failed else "error",
        "phases": phases,
        "message": item.stash.get(_message_key, None),
    }
    setattr(report, REPORT_ATTRIBUTE, data)


def _failure_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if not isinstance(message, str):
        lines = [line for line in report.longreprtext.splitlines() if line.strip()]
        message = lines[-1] if lines else ""
    # Under --color=yes pytest colours assertion diffs; a file wants the plain text.
    message = _ANSI_CODE.sub("", message)
    # pytest's text repeats the values the test compared: the story masks secret names in
    # what it recorded, and the copy of pytest's text must not give them away.
    secrets = _config.settings.secrets
    return message if secrets is None else secrets.mask_fields(message)


class ExportPlugin:
    """Where reports are gathered: writes each story as its report arrives, the page at the end."""

    def __init__(self, config: pytest.Config, options: ExportOptions) -> None:
        from chrono.export import StoryFiles

        self.files: StoryFiles = StoryFiles(
            json_directory=options.json_directory,
            trace_directory=options.trace_directory,
            html_file=options.html_file,
            root=str(config.rootpath),
        )
        self.title = f"chrono: stories of failing tests in {config.rootpath.name}"
        self.errors: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data: Any = getattr(report, REPORT_ATTRIBUTE, None)
        if data is None:
            return
        try:
            self.files.add(data)
        except OSError as error:
            self.errors.append(f"chrono: could not write {report.nodeid}'s story: {error}")

    def pytest_sessionfinish(self) -> None:
        try:
            self.files.finish(title=self.title)
        except OSError as error:
            self.errors.append(f"chrono: could not write the HTML page: {error}")

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        for line in self.files.summary():
            terminalreporter.write_sep("-", line)
        for line in self.errors:
            terminalreporter.write_sep("!", line, red=True)


def register(config: pytest.Config, options: ExportOptions) -> None:
    """Register the writer where reports are gathered: not on an xdist worker."""
    if options.enabled and not hasattr(config, "workerinput"):
        config.pluginmanager.register(ExportPlugin(config, options), "chrono-export")
