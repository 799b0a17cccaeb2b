"""The pytest side of the flight recorder (``_flight``): a test whose process dies still tells
its story.

- Under pytest-xdist, the controller hands each worker a file of its own (in the user's
  private directory, named by a random id of this run and the worker's id). When xdist reports
  that a worker crashed while running a test, the controller reads that worker's file and
  puts the test's story on the crash report, marked as possibly incomplete.
- In a single process, the file is named by the rootdir and the
  process id; the next run in the same rootdir finds the file of a process that no longer
  runs, says ``chrono: the last run ended inside <test>; its story:``, and removes it.

Files are removed when the run ends normally. ``--chrono-flight`` / ``chrono_flight``:
``auto`` (the default) records in pytest-xdist's workers, where a dead worker's tests are
otherwise told by one line, and which run threads of their own already; ``on`` records in a
single process too (not on Windows), where the recorder is a thread the program would see;
``off`` records nothing. Its cost (``benchmarks/bench_flight.py``, CPU
time of every thread): about 7 µs a test, 3 ms a second while idle, and buffered ``tp`` about
1.07x.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pytest

from chrono import _flight
from chrono._errors import swallowed

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

    from chrono._story import Story

CHOICES = ("auto", "on", "off")
#: The key of the workers' input that names their flight files: [directory, run id].
WORKER_INPUT_KEY = "chrono_flight"
SECTION_TITLE = "chrono story (possibly incomplete: the process died)"
_HELP = (
    "keep the running test's newest events in a file that outlives the process, shown when "
    "it dies: auto (default: in pytest-xdist's workers), on (in a single process too), off"
)

#: A single process's file is named by its process id, and a later run asks whether that
#: process still runs, which Windows offers no harmless way to ask (``os.kill(pid, 0)`` there
#: is a Ctrl-C): there, only pytest-xdist's workers record.
_SERIAL_FILES = sys.platform != "win32"

Running = Callable[[], "tuple[pytest.Item | None, Story | None]"]


def add_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    """``--chrono-flight=auto|on|off`` and its ini twin."""
    group.addoption("--chrono-flight", choices=CHOICES, default=None, help=_HELP)
    parser.addini("chrono_flight", _HELP, default="auto")


def _choice(config: pytest.Config) -> str:
    choice = config.getoption("chrono_flight") or str(config.getini("chrono_flight")).strip()
    if choice not in CHOICES:
        raise pytest.UsageError(
            f"chrono_flight = {choice!r} is not understood; use one of {', '.join(CHOICES)}"
        )
    return choice


def register(config: pytest.Config, running: Running) -> None:
    """Register the recorder where tests run and the reader where reports are gathered."""
    choice = _choice(config)
    plugins = config.pluginmanager
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        given = workerinput.get(WORKER_INPUT_KEY)
        if given:
            directory, run = given
            path = Path(directory) / f"{run}-{workerinput['workerid']}{_flight.SUFFIX}"
            _start_recording(config, path, running)
        return
    if plugins.has_plugin("xdist") and choice != "off":
        plugins.register(_Controller(config), "chrono-flight-controller")
    if not _SERIAL_FILES:
        return
    plugins.register(_LastRun(config), "chrono-flight-last-run")
    # In a single process only when asked: the recorder is a thread of its own, which a test
    # that counts the process's threads would see.
    if choice == "on" and not _runs_workers(config):
        try:
            directory = _flight.private_directory()
        except _flight.FlightUnavailable as error:
            _warn(config, error)
            return
        _start_recording(config, directory / _serial_name(config), running)


def _runs_workers(config: pytest.Config) -> bool:
    """Whether this process hands tests to pytest-xdist workers and runs none itself."""
    numprocesses = getattr(config.option, "numprocesses", None)
    dist = getattr(config.option, "dist", "no")
    return (
        bool(numprocesses) or dist not in ("no", None) or bool(getattr(config.option, "tx", None))
    )


def _serial_name(config: pytest.Config, *, any_process: bool = False) -> str:
    """A single process's file: by the rootdir and the process id (any: a glob pattern)."""
    root = hashlib.sha256(str(config.rootpath).encode("utf-8", "replace")).hexdigest()[:16]
    process = "*" if any_process else str(os.getpid())
    return f"serial-{root}-{process}{_flight.SUFFIX}"


def _warn(config: pytest.Config, error: OSError) -> None:
    config.issue_config_time_warning(
        pytest.PytestConfigWarning(f"chrono: no flight recorder: {error}"), stacklevel=2
    )


def _start_recording(config: pytest.Config, path: Path, running: Running) -> None:
    try:
        recorder = _flight.FlightRecorder(path)
    except OSError as error:
        _warn(config, error)
        return
    config.pluginmanager.register(_Recording(recorder, running), "chrono-flight-recorder")


class _Recording:
    """Where tests run: the recorder follows each test's story."""

    def __init__(self, recorder: _flight.FlightRecorder, running: Running) -> None:
        self.recorder = recorder
        self.running = running

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        # Called inside the test's protocol, after chrono's plugin started its story. Every
        # test pays for these two hooks: they only hand the story over (no I/O, nothing that
        # can fail), the recorder's thread writes.
        _item, story = self.running()
        if story is not None:
            self.recorder.follow(story, nodeid)

    def pytest_runtest_logfinish(self) -> None:
        self.recorder.unfollow()

    def pytest_unconfigure(self) -> None:
        self._safely(lambda: self.recorder.close(remove=True))

    def _safely(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as error:  # a full disk must not fail the test
            if not swallowed(error):
                raise


def _story_text(config: pytest.Config, story: Story) -> str:
    from chrono.render import story_text

    return story_text(story, config.get_terminal_writer().fullwidth)


def _interval() -> str:
    return f"{_flight.INTERVAL_SECONDS * 1000:.0f} ms"


def _incomplete_note(process: str) -> str:
    interval = _interval()
    return (
        f"(the flight recorder writes every {interval}: what {process} did in its last "
        f"{interval} may be missing)"
    )


class _Controller:
    """Where pytest-xdist gathers reports: hands out the workers' files, reads a dead one's."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.directory: Path | None = None
        self.run = secrets.token_hex(8)
        self._unavailable = False

    def pytest_configure_node(self, node: Any) -> None:
        if self._unavailable:
            return
        if self.directory is None:
            try:
                self.directory = _flight.private_directory()
            except _flight.FlightUnavailable as error:
                self._unavailable = True
                sys.stderr.write(f"chrono: no flight recorder: {error}\n")
                return
        node.workerinput[WORKER_INPUT_KEY] = [str(self.directory), self.run]

    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport) -> None:
        worker = getattr(getattr(getattr(report, "node", None), "gateway", None), "id", None)
        if self.directory is None or not isinstance(worker, str):
            return
        path = self.directory / f"{self.run}-{worker}{_flight.SUFFIX}"
        try:
            text = self._told(path, crashitem, worker)
        except Exception as error:  # the crash report must stay as it is
            if not swallowed(error):
                raise
            text = f"chrono could not read {worker}'s flight recorder: {error}"
        if text is not None:
            report.sections.append((SECTION_TITLE, text))

    def _told(self, path: Path, crashitem: str, worker: str) -> str | None:
        if not path.exists():
            return None
        try:
            from chrono._flight_reader import read_flight  # only a death is read

            flight = read_flight(path)
        finally:
            path.unlink(missing_ok=True)
        if flight.story is None or flight.test is None:
            return None
        if flight.test != crashitem or flight.ended:
            return (
                f"{worker}'s flight recorder last wrote {flight.test}, which had ended: "
                f"{crashitem} ran less than {_interval()} before {worker} died, too briefly "
                "to be written"
            )
        return f"{_story_text(self.config, flight.story)}\n{_incomplete_note(worker)}"

    def pytest_sessionfinish(self) -> None:
        # Workers that ended normally removed their own; a dead one's that no crash report
        # read (a worker that died between tests) goes now.
        if self.directory is not None:
            for leftover in self.directory.glob(f"{self.run}-*{_flight.SUFFIX}"):
                leftover.unlink(missing_ok=True)


#: A dead process's file that no run in its rootdir read for this long is removed by any run
#: (its project moved, or was a temporary one).
FORGOTTEN_AFTER_SECONDS = 7 * 24 * 3600


def _dead_process_file(path: Path) -> bool:
    """Whether a single process's file was left by a process that no longer runs."""
    pid_text = path.name[: -len(_flight.SUFFIX)].rsplit("-", 1)[-1]
    return pid_text.isdigit() and not _flight.process_alive(int(pid_text))


def _remove_forgotten(directory: Path) -> None:
    """Remove the files of dead processes, of any rootdir, left unread for a week."""
    import time

    too_old = time.time() - FORGOTTEN_AFTER_SECONDS
    for path in directory.glob(f"serial-*{_flight.SUFFIX}"):
        try:
            if path.stat().st_mtime < too_old and _dead_process_file(path):
                path.unlink()
        except OSError:
            continue  # gone meanwhile


class _LastRun:
    """Where a run starts: a single process of an earlier run here that died tells its story."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionstart(self) -> Generator[None, None, None]:
        yield  # after the terminal's header
        try:
            text = self._last_run()
        except Exception as error:
            if not swallowed(error):
                raise
            return
        reporter: TerminalReporter | None = self.config.pluginmanager.get_plugin("terminalreporter")
        if text is not None and reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(text)

    def _last_run(self) -> str | None:
        """What the newest dead process of an earlier run here left; all of them removed."""
        try:
            directory = _flight.private_directory()
        except _flight.FlightUnavailable:
            return None  # nothing of ours can be there
        _remove_forgotten(directory)
        dead: list[tuple[float, Path]] = []
        for path in directory.glob(_serial_name(self.config, any_process=True)):
            if _dead_process_file(path):
                dead.append((path.stat().st_mtime, path))
        if not dead:
            return None
        dead.sort()
        newest = dead[-1][1]
        try:
            from chrono._flight_reader import read_flight  # only a death is read

            flight = read_flight(newest)
        finally:
            for _, path in dead:
                path.unlink(missing_ok=True)
        if flight.story is None or flight.test is None:
            return None
        if flight.ended:
            return (
                f"chrono: the last run ended after {flight.test} (between tests, or within "
                f"{_interval()} of the next test's start)"
            )
        return (
            f"chrono: the last run ended inside {flight.test}; its story:\n"
            f"{_story_text(self.config, flight.story)}\n{_incomplete_note('the process')}"
        )
