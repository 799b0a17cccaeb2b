"""The pytest plugin: one story per test, told in the report when the test fails.

Registered through the ``pytest11`` entry point as ``chrono`` (``-p no:chrono`` turns it off).
pytest imports this module in every run of every project that has chrono installed, so it
imports nothing heavy: rich loads only when a story is shown.

A story covers setup, call and teardown. A failing phase's report gets a section on its
``longrepr``: that is what prints with the failure under every ``--tb`` style that shows
sections, whatever ``--show-capture`` says, and what reaches JUnit XML. Sections are plain
strings, so reports cross pytest-xdist's process boundary unchanged.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from chrono import _pytest_export
from chrono._events import Event, Scope, Story
from chrono._logs import bridge
from chrono._switch import is_enabled

if TYPE_CHECKING:
    from _pytest.capture import CaptureManager
    from _pytest.terminal import TerminalReporter

SHOW_CHOICES = ("failed", "all", "never")
SECTION_TITLE = "chrono story"

_story_key = pytest.StashKey[Story]()
_shown_up_to_key = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chrono", "chrono: the story of each test")
    group.addoption(
        "--chrono-show",
        choices=SHOW_CHOICES,
        default=None,
        help="which tests' stories to show: failed (default), all (passing ones under -rP), never",
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
    _pytest_export.add_options(parser, group)


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
        self.live: bool = _ini_bool(config, "chrono_live") if live is None else live
        logs = config.getoption("chrono_logs")
        self.logs: bool = _ini_bool(config, "chrono_logs") if logs is None else logs
        #: --chrono-json/--chrono-trace/--chrono-html: failing tests' stories as files.
        self.exports = _pytest_export.ExportOptions(config)


def _ini_bool(config: pytest.Config, name: str) -> bool:
    try:
        return bool(config.getini(name))
    except (ValueError, pytest.UsageError) as error:
        # pytest's own error (internal in older versions, a usage error in newer ones) names
        # neither the setting nor what it accepts.
        raise pytest.UsageError(f"{name}: {error}; use true or false") from None


def pytest_configure(config: pytest.Config) -> None:
    options = ChronoOptions(config)
    config.pluginmanager.register(ChronoPlugin(config, options), "chrono-plugin")
    _pytest_export.register(config, options.exports)
    config.addinivalue_line(
        "markers", "chrono_max_events(n): keep at most n events in this test's story"
    )


class ChronoPlugin:
    """Per-test stories: started before setup, stopped after teardown, shown on failure."""

    def __init__(self, config: pytest.Config, options: ChronoOptions) -> None:
        self.config = config
        self.options = options
        self._live_lock = threading.Lock()
        self._logs_attached = False

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        options = self.options
        if not is_enabled() or (
            options.show == "never" and not options.live and not options.exports.enabled
        ):
            return (yield)
        story = Story(
            item.nodeid,
            max_events=self._max_events(item),
            scope=Scope.PROCESS,
            echo=self._print_live if self.options.live else None,
            attach_to_exceptions=False,
            capture_logs=self.options.logs,
        )
        item.stash[_story_key] = story
        story.start()
        try:
            return (yield)
        finally:
            story.stop()
            del item.stash[_story_key]

    def pytest_sessionstart(self) -> None:
        # Attached for the whole run, so that each test's story only counts itself in,
        # instead of wrapping logging's callHandlers and putting it back around every test.
        self._logs_attached = self.options.logs and is_enabled()
        if self._logs_attached:
            bridge.attach()

    def pytest_sessionfinish(self) -> None:
        if self._logs_attached:
            bridge.detach()
            self._logs_attached = False

    def _max_events(self, item: pytest.Item) -> int:
        marker = item.get_closest_marker("chrono_max_events")
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

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        story = item.stash.get(_story_key, None)
        if story is None:
            return report
        if self.options.exports.enabled:
            _pytest_export.keep_story_data(item, report, story)
        if self.options.show == "never" or (
            # The common case, a passing setup or call, shows nothing: leave at once.
            report.outcome == "passed" and report.when != "teardown" and self.options.show != "all"
        ):
            return report
        try:
            self._add_story(item, report, story)
        except Exception as error:  # a broken story must not hide the test's own failure
            report.sections.append((f"{SECTION_TITLE} (not shown)", f"chrono failed: {error!r}"))
        return report

    def _add_story(self, item: pytest.Item, report: pytest.TestReport, story: Story) -> None:
        shown_up_to = item.stash.get(_shown_up_to_key, 0)
        if report.when == "teardown" and shown_up_to:
            # A failure (of the call, or of a subtest) already told the story: teardown adds
            # what came after it.
            self._add_rest(report, story, shown_up_to)
        elif report.failed:
            item.stash[_shown_up_to_key] = _last_seq(story)
            title = f"{SECTION_TITLE} ({report.when})" if report.when != "call" else SECTION_TITLE
            self._add_section(report, title, story)
        elif report.when == "call" and report.passed and self.options.show == "all":
            plain, _ = self._render(story)
            report.sections.append((SECTION_TITLE, plain))

    def _add_section(self, report: pytest.TestReport, title: str, story: Story) -> None:
        plain, coloured = self._render(story)
        longrepr: Any = report.longrepr
        if hasattr(longrepr, "addsection"):
            # On the failure itself: shown whatever --show-capture says, and in JUnit XML.
            longrepr.addsection(title, plain)
        else:
            report.sections.append((title, plain))
        if coloured is not None:
            report.chrono_coloured = (title, coloured)  # type: ignore[attr-defined]

    def _add_rest(self, report: pytest.TestReport, story: Story, after: int) -> None:
        later = [event for event in story.events if event.seq > after]
        if not later:
            return
        rest = Story(story.name, max_events=story.max_events, capture_logs=False)
        rest.started_ns = story.started_ns
        for event in later:
            rest.add(event)
        # Later subtests' events come before teardown's; pytest prints a passing teardown's
        # sections under the failure when "teardown" is in the section's name.
        self._add_section(report, f"{SECTION_TITLE} (after the failure, through teardown)", rest)

    def _render(self, story: Story) -> tuple[str, str | None]:
        """The story as plain text, and coloured at the terminal's width when it has colour.

        The plain text (JUnit XML, pipes, terminals without colour) keeps each event on one
        line, unwrapped, as ``Story.text()`` does: a CI log or an XML viewer wraps lines
        itself, and wrapping here costs ten times as much for a long story.
        """
        writer = self.config.get_terminal_writer()
        plain = story.text(width=writer.fullwidth)
        if not writer.hasmarkup:
            return plain, None
        from rich.console import Console

        from chrono.render import StoryView

        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=max(writer.fullwidth, 40),
            color_system="standard",
            force_terminal=True,
            highlight=False,
            emoji=False,
            legacy_windows=False,
        )
        console.print(StoryView(story), end="", soft_wrap=False)
        return plain, buffer.getvalue().rstrip("\n")

    def _print_live(self, event: Event) -> None:
        from rich.color import ColorSystem

        from chrono.render import live_line

        plugins = self.config.pluginmanager
        reporter: TerminalReporter | None = plugins.get_plugin("terminalreporter")
        if reporter is None:
            return
        writer = self.config.get_terminal_writer()
        line = live_line(event, colour=ColorSystem.STANDARD if writer.hasmarkup else None)
        # Written while the test runs, so capture must step aside (as pytest's live logging
        # does), or the line would land in "Captured stdout" instead of on the terminal.
        capture: CaptureManager | None = plugins.get_plugin("capturemanager")
        with self._live_lock, _capture_disabled(capture):
            reporter.ensure_newline()
            if writer.width_of_current_line:  # after a test's progress letter, in -q
                writer.line()
            writer.line(line)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # By now JUnit XML has taken the plain text; the terminal prints failures at the end,
        # so it gets the coloured version.
        coloured = getattr(report, "chrono_coloured", None)
        if coloured is None or not self.config.get_terminal_writer().hasmarkup:
            return
        title, text = coloured
        longrepr: Any = report.longrepr
        sections = getattr(longrepr, "sections", None)
        if sections is None:
            return
        for index, (name, _content, separator) in enumerate(sections):
            if name == title:
                sections[index] = (name, text, separator)


def _capture_disabled(capture: CaptureManager | None) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext() if capture is None else capture.global_and_fixture_disabled()


def _last_seq(story: Story) -> int:
    events = story.events
    return events[-1].seq if events else 0


@pytest.fixture
def chrono_story(request: pytest.FixtureRequest) -> Story:
    """The running test's story, for assertions on what ``tp`` recorded."""
    story: Story | None = request.node.stash.get(_story_key, None)
    if story is None:
        pytest.skip("chrono is off (CHRONO=off, or chrono_show=never): there is no story")
    return story
