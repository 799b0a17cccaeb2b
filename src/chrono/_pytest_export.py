"""The pytest side of the exports: ``--chrono-json``, ``--chrono-trace`` and ``--chrono-html``.

Stories are recorded where tests run (a pytest-xdist worker, or the one process), and files
are written where reports are gathered (the controller): the last report of a failing test
(and of a passing one, with ``--chrono-export-passing`` or ``--chrono-show=all``) carries its
story as plain data (``Story.to_dict()`` plus a ``test`` object), which crosses xdist's
process boundary like any other report attribute; so does, for a test that failed and then
passed on a rerun (pytest-rerunfailures), the failing attempt's story. Where comparing
found the story diverged from a passing one, the reports carry that too
(``_pytest_compare.DIVERGENCES_ATTRIBUTE``), and the file holds it. Nothing here runs unless
an export option is given.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import TYPE_CHECKING, Any

import pytest

from chrono import _config
from chrono._events import has_events
from chrono._pytest_compare import DIVERGENCES_ATTRIBUTE
from chrono._pytest_options import ExportOptions
from chrono._pytest_suspects import SUSPECTS_ATTRIBUTE
from chrono._pytest_why import REPORT_ATTRIBUTE as SUSPECT_LINES_ATTRIBUTE
from chrono._story import story_part
from chrono._switch import ENVIRONMENT_VARIABLE, is_enabled

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

    from chrono._story import Story
    from chrono.export import StoryFiles

#: The report attribute that carries a failing test's story to the controller.
REPORT_ATTRIBUTE = "chrono_story"

_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: The outcome of a test that failed, then passed on a rerun (pytest-rerunfailures).
FLAKY_OUTCOME = "flaky"


@dataclasses.dataclass
class _TestPhases:
    """What the exports note of a test as its phases end, over all its attempts
    (pytest-rerunfailures runs the phases again, in the same protocol)."""

    #: Each report's ``when`` and ``outcome``, in order, every attempt's.
    phases: list[dict[str, str]] = dataclasses.field(default_factory=list)
    #: The first failure's message.
    message: str | None = None
    #: Where the attempt that runs now begins in ``phases``, and its first failure's message.
    attempt_start: int = 0
    attempt_message: str | None = None
    #: The sequence number after which the attempt that runs now recorded its events.
    attempt_after: int = 0
    #: The last failing attempt: its events' sequence numbers (after, through) and message.
    failed_attempt: tuple[int, int, str | None] | None = None


_phases_key = pytest.StashKey[_TestPhases]()


def keep_story_data(
    item: pytest.Item,
    report: pytest.TestReport,
    story: Story,
    *,
    passing: bool = False,
    keep_empty: bool = False,
) -> None:
    """Note the phase's outcome; on the last report of an attempt that failed, attach the
    test's story (one of no events too, with ``keep_empty``: its suspect lines are worth a
    file); on the last report of a rerun that passed after one that failed, attach the failing
    attempt's story, as a flaky test's; with ``passing``, on the last report of a test whose
    every phase passed, its story."""
    test = item.stash.setdefault(_phases_key, _TestPhases())
    test.phases.append({"when": report.when, "outcome": report.outcome})
    if report.failed and test.attempt_message is None:
        test.attempt_message = _failure_message(report)
        if test.message is None:
            test.message = test.attempt_message
    if report.when != "teardown":
        return
    attempt = test.phases[test.attempt_start :]
    test.attempt_start = len(test.phases)
    message, test.attempt_message = test.attempt_message, None
    if any(phase["outcome"] == "failed" for phase in attempt):
        call_failed = any(p["when"] == "call" and p["outcome"] == "failed" for p in test.phases)
        outcome = "failed" if call_failed else "error"
        data = _story_data(item, test, story, outcome, keep_empty=keep_empty)
        if data is not None:
            through = data["events"][-1]["seq"] if data["events"] else test.attempt_after
            test.failed_attempt = (test.attempt_after, through, message)
            test.attempt_after = through
            setattr(report, REPORT_ATTRIBUTE, data)
    elif test.failed_attempt is not None:
        data = _flaky_story_data(item, test, story, test.failed_attempt)
        if data is not None:
            setattr(report, REPORT_ATTRIBUTE, data)
    elif passing and all(phase["outcome"] == "passed" for phase in attempt):
        # Skipped and xfailed tests stay out: their stories are no passing run to compare with.
        data = _story_data(item, test, story, "passed")
        if data is not None:
            setattr(report, REPORT_ATTRIBUTE, data)


def _story_data(
    item: pytest.Item, test: _TestPhases, story: Story, outcome: str, *, keep_empty: bool = False
) -> dict[str, Any] | None:
    if not keep_empty and not has_events(story.events):
        return None  # a story of nothing gets no file, as it gets no section
    data = story.to_dict()  # still collecting: ended_ns is None, as in the terminal's story
    data["test"] = {
        "id": item.nodeid,
        "outcome": outcome,
        "phases": test.phases,
        "message": test.message,
    }
    return data


def _flaky_story_data(
    item: pytest.Item,
    test: _TestPhases,
    story: Story,
    failed_attempt: tuple[int, int, str | None],
) -> dict[str, Any] | None:
    """The failing attempt's part of the story: what the comparison with the passing rerun
    read, and where the failure is."""
    after, through, message = failed_attempt
    events = [event for event in story.events if after < event.seq <= through]
    if not has_events(events):
        return None
    data = story_part(story, events).to_dict()
    data["test"] = {
        "id": item.nodeid,
        "outcome": FLAKY_OUTCOME,
        "phases": test.phases,
        "message": message,
    }
    return data


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
    return message if secrets is None else secrets.mask(message)


class ExportPlugin:
    """Where reports are gathered: writes each test's story when its divergences are known,
    the page at the end.

    A failing test's file also carries where its story diverged from a passing one, as data.
    The comparison with a passing sibling is made when the run ends; so while siblings are
    compared, failing tests' files are written then, once; otherwise each as its test ends.
    """

    def __init__(
        self,
        config: pytest.Config,
        options: ExportOptions,
        *,
        siblings_compared: bool,
        suspect_lines: bool = False,
    ) -> None:
        from chrono.export import StoryFiles

        self.files: StoryFiles = StoryFiles(
            json_directory=options.json_directory,
            trace_directory=options.trace_directory,
            html_file=options.html_file,
            root=str(config.rootpath),
        )
        tests = "tests" if options.passing else "failing tests"
        self.title = f"chrono: stories of {tests} in {config.rootpath.name}"
        #: Why no story will come, when chrono is off for this run (None when it is on).
        self.off = None if is_enabled() else _off_setting()
        self.errors: list[str] = []
        self.siblings_compared = siblings_compared
        #: Whether --chrono-why ranks suspect lines when the run ends: files wait for them.
        self.suspect_lines = suspect_lines
        #: The reports of each running attempt (test id, attempt number) whose divergences
        #: its file may carry.
        self._reports: dict[tuple[str, int], list[pytest.TestReport]] = {}
        #: The attempts that run again (pytest-rerunfailures).
        self._rerun: set[tuple[str, int]] = set()
        #: Failing tests' stories and reports, written when the siblings are compared.
        self._waiting: list[tuple[dict[str, Any], list[pytest.TestReport]]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # pytest-rerunfailures numbers each attempt's reports (``rerun``), and gives a failing
        # attempt that runs again the outcome "rerun", which pytest's own types do not list.
        attempt = (report.nodeid, int(getattr(report, "rerun", 0) or 0))
        outcome: str = report.outcome
        if outcome == "rerun":
            # The file tells how the last attempt ended. Older versions (16.0.1) log none of the
            # attempt's later reports; newer ones (16.7) log its teardown too, passed over below.
            self._rerun.add(attempt)
            self._reports.pop(attempt, None)
            return
        if attempt in self._rerun:
            if report.when == "teardown":
                self._rerun.discard(attempt)
            return
        if report.failed or hasattr(report, DIVERGENCES_ATTRIBUTE):
            # A failing report gets a sibling's divergence when the run ends.
            self._reports.setdefault(attempt, []).append(report)
        if report.when != "teardown":
            return
        reports = self._reports.pop(attempt, [])
        data: Any = getattr(report, REPORT_ATTRIBUTE, None)
        if data is None:
            return
        # Written when the run ends, with what it found then (a flaky test's file carries
        # neither a sibling's divergence nor suspects; a passing test's has nothing to wait for).
        written_at_the_end = self.siblings_compared or self.suspect_lines
        if written_at_the_end and data["test"]["outcome"] in ("failed", "error"):
            self._waiting.append((data, reports))
        else:
            self._write(data, reports)

    def _write(self, data: dict[str, Any], reports: list[pytest.TestReport]) -> None:
        divergences = [
            noted for report in reports for noted in getattr(report, DIVERGENCES_ATTRIBUTE, ())
        ]
        if divergences:
            data["divergences"] = divergences
        for report in reports:
            suspects = getattr(report, SUSPECTS_ATTRIBUTE, None)
            if suspects is not None:
                # The first failing report's: a test's, or its first failing subtest's.
                data["suspects"] = suspects
                break
        for report in reports:
            suspect_lines = getattr(report, SUSPECT_LINES_ATTRIBUTE, None)
            if suspect_lines is not None:
                data["suspect_lines"] = suspect_lines
                break
        try:
            self.files.add(data)
        except OSError as error:
            # One line (NotWritten's text names the file and why); the file is as it was.
            self.errors.append(f"chrono: {error} ({data['test']['id']}'s story)")

    def pytest_sessionfinish(self) -> None:
        # After the comparisons with siblings (tryfirst, in _pytest_compare's Gatherer).
        for data, reports in self._waiting:
            self._write(data, reports)
        self._waiting.clear()
        empty_because = None
        if self.off is not None:
            empty_because = (
                f"chrono was off ({self.off}) while these tests ran, so no story was recorded. "
                "Run them again with chrono on (CHRONO unset, or CHRONO=on) to see the stories "
                "of the failing tests."
            )
        try:
            self.files.finish(title=self.title, empty_because=empty_because)
        except OSError as error:
            self.errors.append(f"chrono: {error} (the HTML page)")

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        lines = self.files.summary() if self.off is None else [self._off_line()]
        for line in lines:
            terminalreporter.write_sep("-", line)
        for line in self.errors:
            terminalreporter.write_sep("!", line, red=True)

    def _off_line(self) -> str:
        """The one line that replaces the summary when chrono is off."""
        files = self.files
        directories = (("JSON", files.json_directory), ("trace", files.trace_directory))
        kinds = [kind for kind, directory in directories if directory is not None]
        said = [f"no {' or '.join(kinds)} file written"] if kinds else []
        if files.html_file is not None:
            said.append(f"the HTML page {files.html_file} says why it is empty")
        return f"chrono is off ({self.off}): no story recorded; {'; '.join(said)}"


def _off_setting() -> str:
    """What turned chrono off, as the user set it."""
    value = os.environ.get(ENVIRONMENT_VARIABLE)
    return "chrono.disable()" if value is None else f"{ENVIRONMENT_VARIABLE}={value}"


def register(
    config: pytest.Config,
    options: ExportOptions,
    *,
    siblings_compared: bool,
    suspect_lines: bool = False,
) -> None:
    """Register the writer where reports are gathered: not on an xdist worker."""
    if options.enabled and not hasattr(config, "workerinput"):
        plugin = ExportPlugin(
            config, options, siblings_compared=siblings_compared, suspect_lines=suspect_lines
        )
        config.pluginmanager.register(plugin, "chrono-export")
