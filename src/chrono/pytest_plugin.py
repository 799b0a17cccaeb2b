"""The pytest plugin: one story per test, told in the report when the test fails.

Registered through the ``pytest11`` entry point as ``chrono`` (``-p no:chrono`` turns it off).
pytest imports this module in every run of every project that has chrono installed, so it
imports only what every run needs (``tests/test_pytest_startup.py`` holds the list): the
options of its parts are declared in ``_pytest_options``, and comparison, suspects, exports,
logpoints, ``--chrono-why`` and rich load when their option is given, at the first failure, or
at the first story there is to compare.

A story covers setup, call and teardown. A failing phase's report gets a section on its
``longrepr``: that is what prints with the failure under every ``--tb`` style that shows
sections, whatever ``--show-capture`` says, and what reaches JUnit XML. Sections are plain
strings, so reports cross pytest-xdist's process boundary unchanged. Each section tells only
the events no earlier section of the test told, and a story of nothing adds no section; the
end of each subtest is marked in the story, and a failing subtest's report tells the part up
to its mark.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Optional

import pytest

# Only what every run needs: the parts that compare, rank, export, set logpoints or draw load
# when their option is given, or at the first failure or the first event that wants them. The
# timeouts' and the flight recorder's parts register their hooks in every run.
from chrono import _pytest_flight, _pytest_hangs, _pytest_options, _sites
from chrono._errors import from_outside
from chrono._events import Event, has_events, marker_event
from chrono._logs import bridge
from chrono._story import Scope, Story, story_part
from chrono._switch import is_enabled

if TYPE_CHECKING:
    from _pytest.capture import CaptureManager
    from _pytest.nodes import Node
    from _pytest.terminal import TerminalReporter

    from chrono._failure import EventMarks, FailureFocus
    from chrono._pytest_compare import Recorder

SHOW_CHOICES = ("failed", "all", "never")
SECTION_TITLE = "chrono story"
#: The mark that sets one test's bound: ``@pytest.mark.chrono_max_events(n)``.
MAX_EVENTS_MARK = "chrono_max_events"


class _Told:
    """How far a test's report sections have told its story, so that none repeats an event.

    A plain class: a dataclass costs about half a millisecond of every run's start."""

    __slots__ = ("call_ended_ns", "ended_with", "in_call", "subtest_failure", "up_to")

    def __init__(self) -> None:
        #: The sequence number of the last event a section showed.
        self.up_to = 0
        #: What the last section ended with: "the failure", or a failing subtest.
        self.ended_with: str | None = None
        #: Whether the test function runs now: a call report made meanwhile is a subtest's.
        self.in_call = False
        #: What the failing subtest whose report is being made is about (None: it passed).
        self.subtest_failure: FailureFocus | None = None
        #: When the test function last returned or raised, on the monotonic clock (None: it
        #: has not run): a passing story is compared up to there, not through teardown.
        self.call_ended_ns: int | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chrono", "chrono: the story of each test")
    group.addoption(
        "--chrono-show",
        choices=SHOW_CHOICES,
        default=None,
        help="which tests' stories to show: failed (default), all (passing ones too), never",
    )
    parser.addini(
        "chrono_show", "which tests' stories to show: failed, all or never", default="failed"
    )
    group.addoption(
        "--chrono-max-events",
        type=_positive_int,
        default=None,
        metavar="N",
        help="keep at most N events per test: the first ones and the most recent (10000)",
    )
    parser.addini("chrono_max_events", "keep at most N events per test", default="10000")
    group.addoption(
        "--chrono-live",
        action="store_true",
        default=None,
        help="also print each event as it happens",
    )
    parser.addini("chrono_live", "also print each event as it happens", type="bool", default=False)
    group.addoption(
        "--chrono-no-logs",
        action="store_false",
        dest="chrono_logs",
        default=None,
        help="leave log records out of the story",
    )
    parser.addini(
        "chrono_logs", "put log records into the story in their place", type="bool", default=True
    )
    _pytest_options.add_compare_options(parser, group)
    _pytest_options.add_suspect_options(parser, group)
    _pytest_options.add_export_options(parser, group)
    _pytest_options.add_logpoint_options(parser, group)
    _pytest_options.add_why_options(parser, group)
    _pytest_flight.add_options(parser, group)
    _pytest_hangs.add_options(parser, group)


def _positive_int(text: str) -> int:
    import argparse

    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return number


class ChronoOptions:
    """The plugin's settings, resolved once: command line, then ini, then default."""

    def __init__(self, config: pytest.Config) -> None:
        show = config.getoption("chrono_show") or config.getini("chrono_show").strip()
        if show not in SHOW_CHOICES:
            raise pytest.UsageError(
                f"chrono_show = {show!r} is not understood; use one of {', '.join(SHOW_CHOICES)}"
            )
        self.show: str = show
        max_events = config.getoption("chrono_max_events")
        if max_events is None:
            raw = str(config.getini("chrono_max_events")).strip()
            try:
                max_events = int(raw)
            except ValueError:
                max_events = 0
            if max_events < 1:
                raise pytest.UsageError(
                    f"chrono_max_events = {raw!r} is not understood; use a whole number >= 1"
                )
        self.max_events: int = max_events
        live = config.getoption("chrono_live")
        if live is None:
            # Who turns capture off wants to see output as it happens: tp's events included.
            live = _ini_bool(config, "chrono_live") or config.getoption("capture", None) == "no"
        self.live: bool = live
        logs = config.getoption("chrono_logs")
        self.logs: bool = _ini_bool(config, "chrono_logs") if logs is None else logs
        passing = config.getoption("chrono_export_passing")
        if passing is None:
            passing = _ini_bool(config, "chrono_export_passing")
        #: --chrono-json/--chrono-trace/--chrono-html: failing (and, if asked, passing) tests'
        #: stories as files. Who asks to see every story and to keep stories keeps every story.
        self.exports = _pytest_options.ExportOptions(config, passing=passing or show == "all")
        #: --chrono-compare: where a failing story diverged from a passing one.
        self.compare = _pytest_options.CompareOptions.from_config(
            config, as_data=self.exports.enabled
        )
        if show == "never":
            self.compare = _pytest_options.CompareOptions(False, False, False)
        #: --chrono-suspects, --chrono-full: ranked from the stories the siblings' comparison
        #: gathers, so only where it gathers them.
        self.suspects = _pytest_options.SuspectOptions.from_config(config)
        if not self.compare.siblings:
            self.suspects = self.suspects._replace(formula=None)
        #: --chrono-why: suspect lines from coverage.py's per-test spectra.
        self.why: bool = _pytest_options.why_wanted(config)


def _ini_bool(config: pytest.Config, name: str) -> bool:
    try:
        return bool(config.getini(name))
    except (ValueError, pytest.UsageError) as error:
        # pytest's own error (internal in older versions, a usage error in newer ones) names
        # neither the setting nor what it accepts.
        raise pytest.UsageError(f"{name}: {error}; use true or false") from None


#: The default root of call sites before this session set its rootdir, put back at its end.
_root_before = pytest.StashKey[Optional[str]]()


def pytest_configure(config: pytest.Config) -> None:
    options = ChronoOptions(config)
    # Call sites as pytest writes test ids, relative to the rootdir: the same in the story,
    # the comparison and the HTML page, from whatever folder pytest was started.
    config.stash[_root_before] = _sites.set_default_root(str(config.rootpath))
    if _pytest_options.logpoints_given(config):
        from chrono import _pytest_logpoints

        # Before anything runs: a bad logpoint stops the run with a usage error.
        _pytest_logpoints.register(config)
    if options.why:
        from chrono import _pytest_why

        # Before anything runs too: without coverage.py, a usage error naming the extra.
        _pytest_why.register(config)
    if config.getoption("chrono_why_values"):
        from chrono import _pytest_why

        _pytest_why.register_values(config)
    compares = options.compare.enabled and is_enabled()
    comparison = None
    if compares and _distributes(config):
        # pytest-xdist's controller runs no test: the stories come in its workers' reports,
        # which only a gatherer there from the start reads.
        comparison = _start_comparison(config, options)
    plugin = ChronoPlugin(config, options, comparison, compares=compares)
    config.pluginmanager.register(plugin, "chrono-plugin")
    if is_enabled():
        # After the plugin: a timed-out test's report tells where it stood after its story.
        _pytest_hangs.register(config, _pytest_hangs.RunningTest(plugin.running))
        _pytest_flight.register(config, plugin.running)
    if options.exports.enabled:
        from chrono import _pytest_export

        _pytest_export.register(
            config,
            options.exports,
            siblings_compared=compares and options.compare.siblings,
            suspect_lines=options.why,
        )
    config.addinivalue_line(
        "markers", f"{MAX_EVENTS_MARK}(n): keep at most n events in this test's story"
    )


def _distributes(config: pytest.Config) -> bool:
    """Whether this process is pytest-xdist's controller, which hands the tests to workers."""
    # As pytest-xdist decides it: a distribution mode (-n N sets one) outside a worker.
    return not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no"


def _start_comparison(config: pytest.Config, options: ChronoOptions) -> Recorder:
    """What compares stories: a recorder where tests run, handing them to a gatherer where
    reports are gathered (this process, unless it is a pytest-xdist worker)."""
    from chrono import _pytest_compare

    gatherer = None
    if not hasattr(config, "workerinput"):
        gatherer = _pytest_compare.Gatherer(config, options.compare, options.suspects)
        config.pluginmanager.register(gatherer, "chrono-compare-gatherer")
    return _pytest_compare.Recorder(config, options.compare, gatherer)


#: The names chrono registers its plugin objects under begin so (pytest_configure's, and those
#: its plugins register as the run goes): pytest_unconfigure takes each out.
PLUGIN_NAME_PREFIX = "chrono-"


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # Last, so that each plugin's own pytest_unconfigure (the logpoints') has run; a config
    # configured again (pytester, a runner that reuses one) starts from none of them.
    if _root_before in config.stash:
        _sites.set_default_root(config.stash[_root_before])
    plugins = config.pluginmanager
    for name, plugin in plugins.list_name_plugin():
        if isinstance(name, str) and name.startswith(PLUGIN_NAME_PREFIX):
            plugins.unregister(plugin, name)


class ChronoPlugin:
    """Per-test stories: started before setup, stopped after teardown, shown on failure."""

    def __init__(
        self,
        config: pytest.Config,
        options: ChronoOptions,
        comparison: Recorder | None = None,
        *,
        compares: bool = False,
    ) -> None:
        self.config = config
        self.options = options
        #: What compares stories: started at the first story there is to compare (a failure,
        #: or a test that recorded something), so that a run of silent passing tests never
        #: loads it.
        self.comparison = comparison
        self._compares = compares or comparison is not None
        self._live_lock = threading.Lock()
        self._logs_attached = False
        #: A pytest-xdist worker: its terminal is the controller's, reached through stderr.
        self._on_worker = hasattr(config, "workerinput")
        #: The test whose protocol runs in this process now, its story, and how far its
        #: reports told it. Plain attributes, not the item's stash: every hook of every test
        #: reads them, and a stash look-up is two Python calls.
        self._running: pytest.Item | None = None
        self._story: Story | None = None
        self._told = _Told()
        #: Whether the terminal shows colour (known when the session starts).
        self._coloured = False
        #: Whether subtests' reports are read (from the first subtest on).
        self._reading_subtests = False
        #: The closest chrono_max_events mark of each node that holds tests (None: none).
        self._parents_max_events_marks: dict[Node, pytest.Mark | None] = {}
        #: Passing tests' reports with a story, shown at the end when pytest does not (no -rP).
        self._passing_with_stories: list[pytest.TestReport] = []

    def story_of(self, item: pytest.Item) -> Story | None:
        """The story of ``item`` while its protocol runs here; None for any other, or when no
        story is kept (chrono off, nothing to show, live or export)."""
        return self._story if item is self._running else None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        options = self.options
        if not is_enabled() or (
            options.show == "never" and not options.live and not options.exports.enabled
        ):
            return (yield)
        nodeid = item.nodeid  # a property that builds the text: read once
        story = Story(
            nodeid,
            max_events=self._max_events(item),
            scope=Scope.PROCESS,
            echo=self._print_live if self.options.live else None,
            attach_to_exceptions=False,
            capture_logs=self.options.logs,
        )
        story.test_id = nodeid
        self._running, self._story, self._told = item, story, _Told()
        story.start()
        try:
            return (yield)
        finally:
            story.stop()
            self._running = self._story = None

    def running(self) -> tuple[pytest.Item | None, Story | None]:
        """The test whose protocol runs now, and its story (None, None between tests)."""
        return self._running, self._story

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        if item is not self._running:
            return (yield)
        told = self._told
        told.in_call = True
        try:
            return (yield)
        finally:
            told.in_call = False
            told.call_ended_ns = time.monotonic_ns()

    def pytest_sessionstart(self) -> None:
        # Attached for the whole run, so that each test's story only counts itself in,
        # instead of wrapping logging's callHandlers and putting it back around every test.
        self._logs_attached = self.options.logs and is_enabled()
        if self._logs_attached:
            bridge.attach()
        plugins = self.config.pluginmanager
        reporter = plugins.get_plugin("terminalreporter")
        self._coloured = reporter is not None and self.config.get_terminal_writer().hasmarkup
        # A hook on every report costs every test: registered only where it has work.
        if self._coloured or self.options.show == "all":
            plugins.register(_ReportsLogged(self), "chrono-reports-logged")

    def pytest_sessionfinish(self) -> None:
        if self._logs_attached:
            bridge.detach()
            self._logs_attached = False

    def _max_events(self, item: pytest.Item) -> int:
        marker = self._max_events_marker(item)
        if marker is not None and marker.args:
            value = marker.args[0]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                # Stops the run with this message, instead of an internal error.
                raise pytest.UsageError(
                    f"{item.nodeid}: chrono_max_events({value!r}) is not understood; "
                    "use a whole number >= 1"
                )
            return value
        return self.options.max_events

    def _max_events_marker(self, item: pytest.Item) -> pytest.Mark | None:
        """The closest ``chrono_max_events`` mark, as ``item.get_closest_marker`` finds it:
        the test's own marks, then its class's, module's and package's, which many tests share
        and are looked up once each (walking them for every test cost about as much as the
        story's start)."""
        for mark in item.own_markers:
            if mark.name == MAX_EVENTS_MARK:
                return mark
        parent = item.parent
        if parent is None:
            return None
        try:
            return self._parents_max_events_marks[parent]
        except KeyError:
            found = self._parents_max_events_marks[parent] = parent.get_closest_marker(
                MAX_EVENTS_MARK
            )
            return found

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        story = self._story
        if story is None or item is not self._running:
            return report
        exports = self.options.exports
        if exports.enabled:
            from chrono import _pytest_export

            _pytest_export.keep_story_data(
                item, report, story, passing=exports.passing, keep_empty=self.options.why
            )
        told = self._told
        # Only a failure pays for reading what it is about.
        failure = _failure_focus(call) if report.failed and self.options.show != "never" else None
        if told.in_call:
            # A subtest's report (pytest's subtests, unittest's subTest): pytest builds the
            # subtest's own report from this one and logs it, with the subtest's description,
            # which _SubtestReports hands to _on_subtest_report; registered now, before that.
            told.subtest_failure = failure
            if not self._reading_subtests:
                self._reading_subtests = True
                self.config.pluginmanager.register(_SubtestReports(self), "chrono-subtest-reports")
            return report
        if self.options.show != "never" and (
            # The common case, a passing setup or call, shows nothing.
            report.outcome != "passed" or report.when == "teardown" or self.options.show == "all"
        ):
            try:
                self._add_story(report, story, told, failure)
            except Exception as error:  # a broken story must not hide the test's own failure
                if from_outside(error):
                    raise
                title = f"{SECTION_TITLE} (not shown)"
                report.sections.append((title, f"chrono failed: {error!r}"))
        if self._compares and (
            # A passing setup or call tells the comparison nothing: every test would pay to
            # hand it over. Nor does a passing test that recorded nothing, before the
            # comparison started (none of its tests failed or had subtests yet).
            report.outcome != "passed"
            or (report.when == "teardown" and (self.comparison is not None or len(story)))
        ):
            # After the story: a divergence found now (from the last pass) is told under it.
            try:
                self._comparison().on_report(item, report, story, told.call_ended_ns)
            except Exception as error:  # a broken comparison must not hide the outcome
                if from_outside(error):
                    raise
                title = f"{SECTION_TITLE} (not compared)"
                report.sections.append((title, f"chrono failed: {error!r}"))
        return report

    def _comparison(self) -> Recorder:
        if self.comparison is None:
            self.comparison = _start_comparison(self.config, self.options)
        return self.comparison

    def _add_story(
        self,
        report: pytest.TestReport,
        story: Story,
        told: _Told,
        failure: FailureFocus | None = None,
    ) -> None:
        if report.when == "teardown" and told.ended_with is not None:
            # A failure (of the call, or of a subtest) already told the story: teardown adds
            # what came after it. pytest prints it under each failure of the test, so the
            # title says which failure it follows.
            title = f"{SECTION_TITLE} (after {told.ended_with}, through teardown)"
            self._add_part(report, title, story, told)
        elif report.failed:
            title = f"{SECTION_TITLE} ({report.when})" if report.when != "call" else SECTION_TITLE
            added = self._add_part(report, title, story, told, failure=failure)
            if added or told.ended_with is None:
                told.ended_with = "the failure"
        elif report.when == "call" and report.passed and self.options.show == "all":
            # After failing subtests, the events they showed are not told again.
            self._add_part(report, SECTION_TITLE, story, told)

    def _add_part(
        self,
        report: pytest.TestReport,
        title: str,
        story: Story,
        told: _Told,
        through: int | None = None,
        failure: FailureFocus | None = None,
    ) -> bool:
        """Add a section with the events not told yet, up to ``through`` (the sequence number
        of the last one; None: all), those the ``failure`` is about marked; whether there were
        any. A story of nothing adds nothing."""
        last = through if through is not None else sys.maxsize
        part = [event for event in story.events if told.up_to < event.seq <= last]
        if not has_events(part):
            return False
        told.up_to = part[-1].seq
        marks = None
        if failure is not None:
            from chrono._failure import event_marks

            marks = event_marks(part, failure)
        shown = story_part(story, part)
        self._add_section(report, title, shown, marks)
        if report.failed and self.options.suspects.formula is not None:
            from chrono import _pytest_suspects

            # Drawn again when the run ends, with the suspects first.
            _pytest_suspects.keep_section(report, title, shown, marks)
        return True

    def _add_section(
        self, report: pytest.TestReport, title: str, story: Story, marks: EventMarks | None = None
    ) -> None:
        from chrono import _pytest_sections

        plain, coloured = self._render(story, marks)
        _pytest_sections.add_section(report, title, plain, coloured)

    def _tell_subtest(self, item: pytest.Item, report: pytest.TestReport, story: Story) -> None:
        """Mark where a subtest ended in the story; a failing one's report gets the events
        not told yet, up to that mark."""
        description = _subtest_description(report)
        file, line, function = _test_site(item)
        marker = marker_event(f"subtest {description} {report.outcome}", file, line, function)
        story.add(marker)
        if self._compares:
            self._comparison().on_subtest(item, report, story, marker, description)
        told = self._told
        failure, told.subtest_failure = told.subtest_failure, None
        if (
            report.failed
            and self.options.show != "never"
            and self._add_part(
                report, SECTION_TITLE, story, told, through=marker.seq, failure=failure
            )
        ):
            told.ended_with = f"the failing subtest {description}"

    def _render(self, story: Story, marks: EventMarks | None = None) -> tuple[str, str | None]:
        """The story as plain text, and coloured at the terminal's width when it has colour;
        the events in ``marks`` marked.

        The plain text (JUnit XML, pipes, terminals without colour) keeps each event on one
        line, unwrapped, as ``Story.text()`` does: a CI log or an XML viewer wraps lines
        itself, and wrapping here costs ten times as much for a long story.
        """
        from chrono.render import coloured_story, story_text

        writer = self.config.get_terminal_writer()
        plain = story_text(story, writer.fullwidth, marks)
        if not writer.hasmarkup:
            return plain, None
        return plain, coloured_story(story, max(writer.fullwidth, 40), marks)

    def _print_live(self, event: Event) -> None:
        from chrono.render import live_line, terminal_live_line

        plugins = self.config.pluginmanager
        capture: CaptureManager | None = plugins.get_plugin("capturemanager")
        if self._on_worker:
            # A pytest-xdist worker has no terminal of its own, and its reports reach the
            # controller only when a phase ends. Its stderr is the controller's: with capture
            # stepped aside, the line goes there as it happens.
            with self._live_lock, _capture_disabled(capture):
                sys.stderr.write(live_line(event) + "\n")
                sys.stderr.flush()
            return
        reporter: TerminalReporter | None = plugins.get_plugin("terminalreporter")
        if reporter is None:
            return
        writer = self.config.get_terminal_writer()
        line = terminal_live_line(event, coloured=writer.hasmarkup)
        # Written while the test runs, so capture must step aside (as pytest's live logging
        # does), or the line would land in "Captured stdout" instead of on the terminal.
        with self._live_lock, _capture_disabled(capture):
            reporter.ensure_newline()
            if writer.width_of_current_line:  # after a test's progress letter, in -q
                writer.line()
            writer.line(line)

    def _on_subtest_report(self, report: pytest.TestReport) -> None:
        """A report being logged, as ``_SubtestReports`` hands it on: mark a subtest's end."""
        item, story = self._running, self._story
        # Cheapest first: every report of every test comes here, few are subtests'.
        if story is None or item is None or not _is_subtest(report):
            return
        if report.nodeid != story.test_id:
            return
        try:
            self._tell_subtest(item, report, story)
        except Exception as error:  # a broken story must not hide the subtest's failure
            if from_outside(error):
                raise
            report.sections.append((f"{SECTION_TITLE} (not shown)", f"chrono failed: {error!r}"))

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        """Passing tests' stories under --chrono-show=all, where pytest shows no passes."""
        if not self._passing_with_stories:
            return
        from chrono import _pytest_sections

        terminalreporter.write_sep("=", "chrono stories of passing tests")
        for report in self._passing_with_stories:
            terminalreporter.write_sep("_", report.head_line or report.nodeid, green=True)
            for title, content in report.sections:
                if title.startswith(SECTION_TITLE):
                    terminalreporter.write_sep("-", title)
                    terminalreporter.write_line(
                        _pytest_sections.coloured_text(report, title, content)
                    )

    def _keep_passing_story(self, report: pytest.TestReport) -> None:
        if (
            report.when == "call"
            and report.passed  # by now, pytest has failed a test whose subtests failed
            and any(title.startswith(SECTION_TITLE) for title, _ in report.sections)
            and not self._pytest_shows_passes()
        ):
            self._passing_with_stories.append(report)

    def _pytest_shows_passes(self) -> bool:
        reporter: TerminalReporter | None = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self._on_worker:
            return True  # nowhere to show them: leave it to pytest
        # -rP and -rA show passing tests' sections, unless --tb=no hides every section.
        return reporter.hasopt("P") or self.config.option.tbstyle == "no"

    def _after_logged(self, report: pytest.TestReport) -> None:
        """A report every other plugin has logged, as ``_ReportsLogged`` hands it on."""
        if self.options.show == "all":
            self._keep_passing_story(report)
        # By now JUnit XML has taken the plain text; the terminal prints failures at the end,
        # so it gets the coloured version.
        if self._coloured:
            from chrono import _pytest_sections

            _pytest_sections.use_coloured(report)


class _SubtestReports:
    """Marks in each story where a subtest ended: registered when the first subtest's report
    is made, so that a run without subtests pays for no hook on every report."""

    def __init__(self, plugin: ChronoPlugin) -> None:
        self.plugin = plugin

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # First, so that the subtest's section is on its report before JUnit XML, the terminal
        # or pytest-xdist (which sends it to the controller) take it.
        self.plugin._on_subtest_report(report)


class _ReportsLogged:
    """After every other plugin logged a report: passing stories kept for
    ``--chrono-show=all``, and coloured sections swapped in for the terminal. Registered only
    where one of them is wanted."""

    def __init__(self, plugin: ChronoPlugin) -> None:
        self.plugin = plugin

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.plugin._after_logged(report)


def _failure_focus(call: pytest.CallInfo[None]) -> FailureFocus | None:
    """What the failure of ``call`` is about, read from where it was raised."""
    excinfo = call.excinfo
    if excinfo is None:
        return None
    from chrono._failure import failure_focus

    return failure_focus(excinfo.value, excinfo.tb)


def _capture_disabled(capture: CaptureManager | None) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext() if capture is None else capture.global_and_fixture_disabled()


def _is_subtest(report: pytest.TestReport) -> bool:
    # pytest 9's SubtestReport, and pytest-subtests' SubTestReport before it: a call report
    # with the subtest's context (its message and keyword arguments).
    if report.when != "call":
        return False
    context = getattr(report, "context", None)
    return hasattr(context, "kwargs") and hasattr(context, "msg")


def _subtest_description(report: pytest.TestReport) -> str:
    """The subtest as pytest names it in its report: ``[message] (name=value, ...)``."""
    # pytest's head line is the test's domain, then the description. Read from there, not
    # rebuilt: how it writes the values changed between releases (9.0 reprs them when it
    # names them, 9.2 keeps them as reprs from the start).
    domain = report.location[2]
    head_line = report.head_line or ""
    if head_line.startswith(f"{domain} "):
        return head_line[len(domain) + 1 :]
    context: Any = getattr(report, "context", None)
    parts = []
    if context.msg is not None:
        parts.append(f"[{context.msg}]")
    if context.kwargs:
        values = ", ".join(f"{name}={value!r}" for name, value in context.kwargs.items())
        parts.append(f"({values})")
    return " ".join(parts) or "(<subtest>)"


def _test_site(item: pytest.Item) -> tuple[str, int, str]:
    """Where the test is defined: the call site of the marks a test runner puts in its story."""
    function = getattr(item, "obj", None)
    code = getattr(function, "__code__", None)
    if code is not None:
        return code.co_filename, code.co_firstlineno, getattr(function, "__qualname__", "?")
    _path, line, domain = item.location
    return str(item.path), (line or 0) + 1, domain


@pytest.fixture
def chrono_story(request: pytest.FixtureRequest) -> Story:
    """The running test's story, for assertions on what ``tp`` recorded."""
    plugin = request.config.pluginmanager.get_plugin("chrono-plugin")
    story = plugin.story_of(request.node) if isinstance(plugin, ChronoPlugin) else None
    if story is None:
        pytest.skip("chrono is off (CHRONO=off, or chrono_show=never): there is no story")
    return story
