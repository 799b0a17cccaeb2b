"""A test that runs out of time still tells its story, and where each thread stood.

Real inner pytest runs (see ``pytest_plugin_runs``) with pytest-timeout's two methods and with
``faulthandler_timeout``, each on a test that sleeps past a one-second limit.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
import xml.etree.ElementTree as ElementTree

import pytest

from chrono import _hang
from chrono._events import Event
from pytest_plugin_runs import (
    BOTH,
    SUBPROCESS,
    SharedRun,
    make_runner,
    only_section,
    run_once,
    story_of,
)

pytest.importorskip("pytest_timeout")

HANGS = """
import threading
import time

from chrono import tp


def poll(stop):
    while not stop.wait(0.05):
        pass


def test_waits_for_reply():
    stop = threading.Event()
    threading.Thread(target=poll, args=(stop,), name="poller", daemon=True).start()
    request = tp({"id": 7, "path": "/orders"})
    tp("sent", request["id"])
    time.sleep(3)
    tp("reply came")


def test_quick():
    tp("quick")
"""

STILL_RUNNING = re.compile(
    r"still running after #\d+ test_hangs\.py:\d+ in test_waits_for_reply, \d\.\d\d s ago"
)


class TestSignalMethod:
    @pytest.fixture(params=BOTH)
    def run(
        self,
        request: pytest.FixtureRequest,
        pytester: pytest.Pytester,
        monkeypatch: pytest.MonkeyPatch,
    ) -> pytest.RunResult:
        runner = make_runner(pytester, monkeypatch, request.param)
        return run_once(runner, "signal", {"test_hangs": HANGS}, "--timeout=1").result

    def test_story_up_to_the_timeout(self, run: pytest.RunResult) -> None:
        """The timed-out test's report tells the events recorded before the timeout, and not
        the one after the sleep."""
        story = story_of(run, "test_waits_for_reply")
        assert 'sent  request["id"]=7' in story
        assert "reply came" not in story
        run.assert_outcomes(failed=1, passed=1)

    def test_where_it_stood(self, run: pytest.RunResult) -> None:
        """A section after the story says what the test's thread recorded last and where
        each thread stood: the test at its sleep, the poller in its wait."""
        text = only_section(run, "chrono story (at the timeout)")
        assert STILL_RUNNING.search(text), text
        test_thread = text.split("(the test's own thread)\n", 1)[1]
        assert test_thread.splitlines()[0].strip() == (
            "test_hangs.py:17 in test_waits_for_reply: time.sleep(3)"
        )
        poller = text.split("  poller\n", 1)[1]
        assert "test_hangs.py:8 in poll: while not stop.wait(0.05):" in poller


class TestThreadMethod:
    @pytest.fixture
    def shared(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> SharedRun:
        runner = make_runner(pytester, monkeypatch, SUBPROCESS)
        # The process dies: its flight file stays, in a temporary directory of its own.
        monkeypatch.setenv("TMPDIR", str(pytester.path))
        arguments = (
            "--timeout=1",
            "--timeout-method=thread",
            "--chrono-json=stories",
            "--junitxml=report.xml",
        )
        return run_once(runner, "thread", {"test_hangs": HANGS}, *arguments)

    @pytest.fixture
    def run(self, shared: SharedRun) -> pytest.RunResult:
        return shared.result

    def test_story_before_the_process_ends(self, run: pytest.RunResult) -> None:
        """With os._exit ahead, the story and where the test stood are printed before
        pytest-timeout's own stack dump."""
        output = run.stdout.str()
        told = output.index("timed out after 1.0 s; its story up to the timeout:")
        assert told < output.index("+ Timeout +")
        assert 'sent  request["id"]=7' in output[told:]
        assert STILL_RUNNING.search(output[told:])
        assert "reply came" not in output
        assert run.ret == 1  # pytest-timeout's os._exit(1): no report was ever made

    def test_json_written_before_the_process_ends(self, shared: SharedRun) -> None:
        """--chrono-json holds the timed-out test's story, written before os._exit."""
        (written,) = (shared.path / "stories").glob("*.json")
        data = json.loads(written.read_text())
        assert data["test"]["id"] == "test_hangs.py::test_waits_for_reply"
        assert data["test"]["message"].startswith("Timeout (>1.0s) from pytest-timeout")
        assert [event["label"] for event in data["events"]] == [None, "sent"]

    def test_junit_written_before_the_process_ends(self, shared: SharedRun) -> None:
        """--junitxml holds the timed-out test, failed, with its story as the failure's text:
        written before os._exit, which pytest's own writer never reaches (the test after it
        never ran)."""
        tree = ElementTree.parse(shared.path / "report.xml")
        (case,) = tree.iter("testcase")
        assert case.get("name") == "test_waits_for_reply"
        failure = case.find("failure")
        assert failure is not None
        assert failure.get("message", "").startswith("Timeout (>1.0s) from pytest-timeout")
        assert 'sent  request["id"]=7' in (failure.text or "")


class TestFaulthandlerTimeout:
    def test_story_before_the_dump(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """At faulthandler_timeout, the running test's story is printed while it goes on;
        the test then passes as it would have."""
        runner = make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(test_hangs=HANGS.replace("time.sleep(3)", "time.sleep(1.5)"))
        result = runner("-o", "faulthandler_timeout=1", "-p", "no:timeout")
        output = result.stdout.str()
        assert "is still running at faulthandler_timeout (1.0 s); its story so far:" in output
        assert STILL_RUNNING.search(output)
        assert "Timeout (0:00:01)!" in result.stderr.str()  # faulthandler's own dump
        result.assert_outcomes(passed=2)

    def test_without_pytest_timeout_it_is_not_imported(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A run that does not load pytest-timeout never imports it through chrono."""
        runner = make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(
            test_imports="""
            import sys
            from chrono import tp

            def test_no_timeout_module():
                tp(1)
                assert "pytest_timeout" not in sys.modules
            """
        )
        runner("-p", "no:timeout", "-o", "faulthandler_timeout=5").assert_outcomes(passed=1)


def _event(seq: int, thread_id: int, monotonic_ns: int = 0) -> Event:
    return Event(seq, monotonic_ns, 0.0, "t", None, "/x/a.py", seq, "f", None, (), "tp", thread_id)


class TestHangData:
    def test_last_event_of_its_own_thread(self) -> None:
        """ "Still running after" names the last event of the test's thread, not a later
        event of another thread."""
        events = [_event(1, 10), _event(2, 10), _event(3, 20)]
        last = _hang.last_event_of_thread(events, 10)
        assert last is not None
        assert last.seq == 2

    def test_nothing_recorded(self) -> None:
        """A thread with no event says so instead of naming another thread's."""
        assert _hang.still_running_text(None, 0) == (
            "its thread recorded no event before this moment"
        )

    def test_seconds_since_the_last_event(self) -> None:
        """The time since the last event is given in seconds, from the monotonic clock."""
        text = _hang.still_running_text(_event(4, 1, 1_000_000_000), 3_500_000_000)
        assert text.endswith("#4 /x/a.py:4 in f, 2.50 s ago")

    def test_standings_of_a_waiting_thread(self) -> None:
        """A thread blocked in a wait stands at its innermost frames, and the asking thread is
        left out."""
        stop = threading.Event()

        def waiting_here() -> None:
            stop.wait(10)

        thread = threading.Thread(target=waiting_here, name="waiter")
        thread.start()
        try:
            time.sleep(0.05)
            found = _hang.standings(leave_out=(threading.get_ident(),))
        finally:
            stop.set()
            thread.join()
        (waiter,) = (standing for standing in found if standing.thread == "waiter")
        assert "waiting_here" in [function for _, _, function, _ in waiter.frames]
        assert len(waiter.frames) == _hang.FRAMES_SHOWN
        assert threading.get_ident() not in [standing.ident for standing in found]


SIGNALLED = """
import os
import signal
import time

from chrono import tp


def test_slow_import():
    for batch in range(2):
        tp(batch)
    os.kill(os.getpid(), signal.SIGUSR1)
    time.sleep(0.1)
    tp("after the signal")
"""


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="no SIGUSR1 (Windows)")
class TestSignal:
    def test_usr1_prints_the_running_story(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``kill -USR1`` prints the running test's story so far and where it stands, and the
        test goes on and passes."""
        runner = make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(test_signalled=SIGNALLED)
        result = runner("--chrono-signal=USR1")
        result.stdout.fnmatch_lines(
            [
                "chrono: test_signalled.py::test_slow_import is running; its story so far:",
                "*test_signalled.py:10 in test_slow_import ×2  batch=1",
                "still running after #* test_signalled.py:10 in test_slow_import, *",
                "*test_signalled.py:11 in test_slow_import: os.kill(os.getpid(), signal.SIGUSR1)",
            ]
        )
        assert "after the signal" not in result.stdout.str()
        assert "chrono flight recorder" not in result.stdout.str()  # chrono's own thread
        result.assert_outcomes(passed=1)

    def test_unknown_signal_is_a_usage_error(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A signal chrono does not take stops the run with a message naming the choices."""
        runner = make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(test_signalled=SIGNALLED)
        result = runner("--chrono-signal=TERM")
        assert "--chrono-signal=TERM is not understood; use one of USR1, USR2, off" in (
            result.stderr.str()
        )


def _waits_then_cleans_up() -> None:
    try:
        raise TimeoutError("interrupted here")
    finally:
        cleaned = True  # noqa: F841  (the frame runs on to here as the error goes up)


class TestTracebackFrames:
    def test_lines_from_the_traceback(self) -> None:
        """A frame that ran on into its ``finally`` block is shown at the line that raised,
        innermost first."""
        try:
            _waits_then_cleans_up()
        except TimeoutError as error:
            frames = _hang.traceback_frames(error.__traceback__, stop_at_module="no such module")
        (innermost, caller) = frames
        assert innermost[2:] == ("_waits_then_cleans_up", 'raise TimeoutError("interrupted here")')
        assert caller[2] == "test_lines_from_the_traceback"
