"""A test that runs out of time still tells its story, and where it stood.

- pytest-timeout's ``signal`` method fails the test from a ``SIGALRM`` handler: the report
  gets the story as any failure does, and a section more, ``chrono story (at the timeout)``:
  what the test's own thread recorded last ("still running after") and each thread's
  innermost frames at the moment of the timeout.
- Its ``thread`` method dumps the stacks and ends the process with ``os._exit``, so no report
  is ever made: chrono sets the timer itself (pytest-timeout's ``pytest_timeout_set_timer``
  hook is made for that) and, when it expires, writes the story to the terminal, to
  ``--junitxml`` and to ``--chrono-json``/``--chrono-trace`` first, then hands over to
  pytest-timeout's own expiry.
- ``faulthandler_timeout`` dumps the stacks from C, with no Python hook: a watchdog thread of
  chrono's, armed for each test, prints the story shortly before the dump.

pytest-timeout is imported only when the run has loaded it (as its plugin ``timeout``).
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Generator
from contextlib import nullcontext
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable

import pytest

from chrono import _hang
from chrono._errors import swallowed

if TYPE_CHECKING:
    from chrono._story import Story

#: What pytest-timeout's signal method fails a test with.
_TIMEOUT_MESSAGE = re.compile(r"Timeout \(>\S+s\) from pytest-timeout\.")
#: The title of the section a timed-out test's report gets after its story.
SECTION_TITLE = "chrono story (at the timeout)"
#: How much earlier than faulthandler's dump chrono's watchdog speaks: the dump may end the
#: process (``faulthandler_exit_on_timeout``), and it writes from C, past any lock of ours.
WATCHDOG_LEAD_SECONDS = 0.05


class RunningTest:
    """What the hang reports read of the test running now: handed the plugin's own view."""

    def __init__(self, running: Callable[[], tuple[pytest.Item | None, Story | None]]) -> None:
        self._running = running

    def now(self) -> tuple[pytest.Item | None, Story | None]:
        """The test running now and its story."""
        return self._running()

    def story_of(self, item: pytest.Item) -> Story | None:
        running, story = self._running()
        return story if running is item else None


def add_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    """``--chrono-signal`` and its ini twin."""
    group.addoption("--chrono-signal", default=None, metavar="SIGNAL", help=_SIGNAL_HELP)
    # Off unless asked: a handler of chrono's would change what the program's own code sees
    # (signal.getsignal, a forked child that the signal should end).
    parser.addini("chrono_signal", _SIGNAL_HELP, default="off")


_SIGNAL_HELP = (
    "print the running test's story, and where each thread stands, when the process gets "
    "this signal: USR1, USR2 or off (the default; always off on Windows)"
)
_SIGNAL_CHOICES = ("USR1", "USR2", "off")


def _signal_number(config: pytest.Config) -> int | None:
    """The signal asked for, None for off; a usage error names what is accepted."""
    given = config.getoption("chrono_signal")
    choice = given or str(config.getini("chrono_signal")).strip()
    if choice.upper().removeprefix("SIG") not in _SIGNAL_CHOICES[:2] and choice != "off":
        setting = f"--chrono-signal={choice}" if given else f"chrono_signal = {choice!r}"
        raise pytest.UsageError(
            f"{setting} is not understood; use one of {', '.join(_SIGNAL_CHOICES)}"
        )
    if choice == "off" or sys.platform == "win32":
        return None
    import signal

    number: int = getattr(signal, f"SIG{choice.upper().removeprefix('SIG')}")
    return number


def register(config: pytest.Config, running: RunningTest) -> None:
    """Register what the run's timeouts need: nothing when it has none."""
    plugins = config.pluginmanager
    number = _signal_number(config)
    if number is not None and threading.current_thread() is threading.main_thread():
        plugins.register(_SignalTold(config, running, number), "chrono-signal")
    if plugins.has_plugin("timeout"):
        plugins.register(_TimeoutHooks(config, running), "chrono-timeout")
    if _faulthandler_timeout(config) > 0:
        plugins.register(_FaulthandlerWatchdog(config, running), "chrono-faulthandler-watchdog")


def _faulthandler_timeout(config: pytest.Config) -> float:
    try:
        return float(config.getini("faulthandler_timeout") or 0.0)
    except (ValueError, KeyError):  # pytest's faulthandler plugin off, or a value it rejects
        return 0.0


def tell_running(
    config: pytest.Config,
    item: pytest.Item,
    story: Story,
    headline: str,
    *,
    own_thread: int,
) -> str:
    """The story of the running test, with where it stands now, written to the terminal (the
    controller's, from a pytest-xdist worker); returns the text."""
    from chrono.render import story_text

    writer = config.get_terminal_writer()
    now_ns = time.monotonic_ns()
    asking = threading.get_ident()
    # A timer's thread leaves itself out; a signal handler runs in the test's own thread,
    # whose frames under chrono's own are where the signal found it.
    found = _hang.standings(leave_out=() if asking == own_thread else (asking,))
    where = _hang.hang_text(story.events, own_thread, now_ns, found)
    text = f"{headline}\n{story_text(story, writer.fullwidth)}\n{where}"
    capture: Any = config.pluginmanager.get_plugin("capturemanager")
    disabled = capture.global_and_fixture_disabled() if capture is not None else nullcontext()
    with disabled:
        if hasattr(config, "workerinput"):
            # A pytest-xdist worker: its stderr is the controller's terminal.
            sys.stderr.write(f"{text}\n")
            sys.stderr.flush()
        else:
            writer.line()
            writer.sep("+", "chrono")
            writer.line(text)
            writer.flush()
    return text


class _TimeoutHooks:
    """pytest-timeout's hooks, registered only where the run has loaded it."""

    def __init__(self, config: pytest.Config, running: RunningTest) -> None:
        self.config = config
        self.running = running

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> bool | None:
        """The thread method's timer, set as pytest-timeout sets it, with the story told
        before its expiry ends the process; the signal method is left to pytest-timeout."""
        import pytest_timeout

        expire = getattr(pytest_timeout, "timeout_timer", None)
        uses_thread = settings.method == "thread" or (
            threading.current_thread() is not threading.main_thread()
        )
        if expire is None or not uses_thread or self.running.story_of(item) is None:
            return None
        own_thread = threading.get_ident()

        def expired() -> None:
            try:
                if settings.disable_debugger_detection or not pytest_timeout.is_debugging():
                    self._tell_before_exit(item, settings.timeout, own_thread)
            except Exception as error:
                if not swallowed(error):
                    raise
            finally:
                expire(item, settings)  # ends the process

        timer = threading.Timer(settings.timeout, expired)
        timer.name = f"pytest_timeout {item.nodeid}"

        def cancel() -> None:
            timer.cancel()
            timer.join()

        item.cancel_timeout = cancel  # type: ignore[attr-defined]  # read by pytest-timeout
        timer.start()
        return True

    def _tell_before_exit(self, item: pytest.Item, timeout: float, own_thread: int) -> None:
        story = self.running.story_of(item)
        if story is None:
            return
        message = f"Timeout (>{timeout}s) from pytest-timeout; the process ended (thread method)"
        text = tell_running(
            self.config,
            item,
            story,
            f"chrono: {item.nodeid} timed out after {timeout} s; its story up to the timeout:",
            own_thread=own_thread,
        )
        try:
            self._junit_before_exit(item, message, text)
        except Exception as error:  # the JSON file below is still worth writing
            if not swallowed(error):
                raise
        exports: Any = self.config.pluginmanager.get_plugin("chrono-export")
        if exports is not None:
            data = story.to_dict()
            data["test"] = {
                "id": item.nodeid,
                "outcome": "failed",
                "phases": [],
                "message": message,
            }
            exports.files.add(data)

    def _junit_before_exit(self, item: pytest.Item, message: str, text: str) -> None:
        """With ``--junitxml``, the file written now, with this test's failure (its story as
        the failure's text) after the tests that ended: pytest would write it only when the
        session ends, which this process never reaches. Only JUnit XML's own plugin hears of
        the report: the terminal has the story already."""
        from _pytest.junitxml import xml_key

        junit: Any = self.config.stash.get(xml_key, None)
        if junit is None:
            return
        report = pytest.TestReport(
            item.nodeid, item.location, {}, "failed", f"{message}\n{text}", "call"
        )
        junit.pytest_runtest_logreport(report)
        junit.pytest_sessionfinish()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        excinfo = call.excinfo
        if excinfo is None or not _TIMEOUT_MESSAGE.fullmatch(str(excinfo.value)):
            return report
        story = self.running.story_of(item)
        if story is None:
            return report
        try:
            _add_timeout_section(report, story, excinfo.tb)
        except Exception as error:  # the test's own failure must still be reported
            if not swallowed(error):
                raise
        return report


def _add_timeout_section(report: pytest.TestReport, story: Story, tb: TracebackType) -> None:
    """The signal method's timeout, on the report: the handler interrupted the test's thread
    (this one) where the traceback enters pytest-timeout."""
    from chrono import _pytest_sections

    own_thread = threading.get_ident()
    interrupted = _hang.traceback_frames(tb, stop_at_module="pytest_timeout")
    found = _hang.standings(known={own_thread: interrupted})
    text = _hang.hang_text(story.events, own_thread, time.monotonic_ns(), found)
    _pytest_sections.add_section(report, SECTION_TITLE, text)


class _FaulthandlerWatchdog:
    """One thread for the run that, when a test outlives ``faulthandler_timeout``, prints its
    story as faulthandler dumps the stacks."""

    def __init__(self, config: pytest.Config, running: RunningTest) -> None:
        self.config = config
        self.running = running
        timeout = _faulthandler_timeout(config)
        self.timeout = timeout
        self.lead = min(WATCHDOG_LEAD_SECONDS, timeout / 10)
        self._condition = threading.Condition()
        #: The test watched, when it is due (monotonic seconds), and its thread.
        self._armed: tuple[pytest.Item, float, int] | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._watch, name="chrono faulthandler watchdog", daemon=True
            )
            self._thread.start()
        due = time.monotonic() + self.timeout - self.lead
        with self._condition:
            self._armed = (item, due, threading.get_ident())
            self._condition.notify()
        try:
            return (yield)
        finally:
            with self._condition:
                self._armed = None

    def pytest_unconfigure(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()

    def _watch(self) -> None:
        # Loaded now, not when a test is due: importing rich takes longer than the lead.
        import chrono.render  # noqa: F401

        while True:
            due_now = self._wait_for_due()
            if due_now is None:
                return
            # Told outside the lock: the test may end meanwhile, and must not wait for us.
            self._tell(*due_now)

    def _wait_for_due(self) -> tuple[pytest.Item, int] | None:
        """The test that is due, and its thread, once one is; None when the run ends."""
        condition = self._condition
        with condition:
            while not self._closed:
                armed = self._armed
                if armed is None:
                    condition.wait()
                    continue
                item, due, own_thread = armed
                left = due - time.monotonic()
                if left > 0:
                    condition.wait(left)
                    continue
                self._armed = None
                return item, own_thread
        return None

    def _tell(self, item: pytest.Item, own_thread: int) -> None:
        story = self.running.story_of(item)
        if story is None:
            return
        try:
            tell_running(
                self.config,
                item,
                story,
                f"chrono: {item.nodeid} is still running at faulthandler_timeout "
                f"({self.timeout} s); its story so far:",
                own_thread=own_thread,
            )
        except Exception as error:
            if not swallowed(error):
                raise


class _SignalTold:
    """``kill -USR1 <pid>``: the running test's story, as faulthandler's ``register`` prints
    stacks. Installed only over the default disposition (which would end the process): a
    program's own handler stays."""

    def __init__(self, config: pytest.Config, running: RunningTest, number: int) -> None:
        import signal

        self.config = config
        self.running = running
        self.number = number
        self.installed = signal.getsignal(number) == signal.SIG_DFL
        if self.installed:
            signal.signal(number, self._told)

    def pytest_unconfigure(self) -> None:
        import signal

        if self.installed and signal.getsignal(self.number) == self._told:
            signal.signal(self.number, signal.SIG_DFL)
            self.installed = False

    def _told(self, number: int, frame: Any) -> None:
        del number, frame
        try:
            item, story = self.running.now()
            if item is None or story is None:
                sys.stderr.write("chrono: no test is running\n")
                return
            tell_running(
                self.config,
                item,
                story,
                f"chrono: {item.nodeid} is running; its story so far:",
                own_thread=threading.get_ident(),
            )
        except Exception as error:  # the test goes on whatever chrono could not tell
            if not swallowed(error):
                raise
