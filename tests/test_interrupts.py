"""Interrupts and timeouts inside tp reach the program, once, and chrono goes on working."""

from __future__ import annotations

import _thread
import functools
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import chrono
from chrono import _errors, _recorder, tp
from helpers import environment, strict_chrono

_TRIALS = Path(__file__).with_name("interrupt_trials.py")

needs_alarm = pytest.mark.skipif(
    not hasattr(signal, "setitimer"), reason="needs signal.setitimer (POSIX)"
)


@pytest.fixture(autouse=True)
def _strict() -> Iterator[None]:
    with strict_chrono():
        yield


@pytest.fixture
def alarm_raises() -> Iterator[None]:
    """SIGALRM's handler raises TimeoutError (as timeout-decorator's does) while the test runs."""

    def on_alarm(number: int, frame: FrameType | None) -> None:
        raise TimeoutError("alarm")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class TestFromOutside:
    def test_keyboard_interrupt_is_the_programs(self) -> None:
        """A KeyboardInterrupt is never chrono's to swallow, wherever it was raised."""
        assert _errors.from_outside(KeyboardInterrupt())
        assert not _errors.swallowed(KeyboardInterrupt())

    def test_an_ordinary_error_is_chronos_own(self) -> None:
        """An error raised by code, with no signal handler on its traceback, is chrono's own."""
        with pytest.raises(TimeoutError) as raised:
            raise TimeoutError("raised by a __repr__, say")
        assert not _errors.from_outside(raised.value)

    @needs_alarm
    @pytest.mark.usefixtures("alarm_raises")
    def test_what_a_signal_handler_raised_is_the_programs(self) -> None:
        """The same class, raised by the installed handler of a real signal, is the program's."""
        with pytest.raises(TimeoutError) as raised:
            signal.raise_signal(signal.SIGALRM)
        assert _errors.from_outside(raised.value)

    @needs_alarm
    @pytest.mark.parametrize("shape", ["method", "partial", "callable object"])
    def test_handlers_of_every_shape_are_recognised(self, shape: str) -> None:
        """A handler that is a bound method, a partial or a callable object is found too."""

        class Handlers:
            def method(self, number: int, frame: object) -> None:
                raise TimeoutError(shape)

            def __call__(self, number: int, frame: object) -> None:
                raise TimeoutError(shape)

        def function(tag: str, number: int, frame: object) -> None:
            raise TimeoutError(tag)

        handler: Any = {
            "method": Handlers().method,
            "partial": functools.partial(function, shape),
            "callable object": Handlers(),
        }[shape]
        previous = signal.signal(signal.SIGALRM, handler)
        try:
            with pytest.raises(TimeoutError) as raised:
                signal.raise_signal(signal.SIGALRM)
            assert _errors.from_outside(raised.value)
        finally:
            signal.signal(signal.SIGALRM, previous)

    def test_the_test_switch_swallows_nothing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Under RAISE_INTERNAL_ERRORS an ordinary error is not swallowed; without it, it is."""
        error = ValueError("chrono's own")
        monkeypatch.setattr(_errors, "RAISE_INTERNAL_ERRORS", True)
        assert not _errors.swallowed(error)
        monkeypatch.setattr(_errors, "RAISE_INTERNAL_ERRORS", False)
        assert _errors.swallowed(error)


@needs_alarm
class TestHeldSignals:
    def test_a_signal_in_a_held_block_runs_its_handler_after_it(self) -> None:
        """A signal arriving inside the block runs its handler once the block is done."""
        order: list[str] = []

        def on_alarm(number: int, frame: FrameType | None) -> None:
            order.append("handler")
            raise TimeoutError("held")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        try:
            with pytest.raises(TimeoutError, match="held"), _errors.held_signals():  # noqa: PT012
                signal.raise_signal(signal.SIGALRM)
                order.append("block ended")
            assert order == ["block ended", "handler"]
            assert signal.getsignal(signal.SIGALRM) is on_alarm
        finally:
            signal.signal(signal.SIGALRM, previous)

    def test_an_exception_swallowed_inside_cannot_swallow_the_signal(self) -> None:
        """A library's own ``except Exception`` inside the block never sees the handler's error."""

        def on_alarm(number: int, frame: FrameType | None) -> None:
            raise TimeoutError("not the library's")

        def library_that_swallows() -> str:
            try:
                signal.raise_signal(signal.SIGALRM)
                return "done"
            except Exception:
                return "swallowed"

        previous = signal.signal(signal.SIGALRM, on_alarm)
        try:
            results = []
            with pytest.raises(TimeoutError), _errors.held_signals():
                results.append(library_that_swallows())
            assert results == ["done"]
        finally:
            signal.signal(signal.SIGALRM, previous)

    def test_other_threads_hold_nothing(self) -> None:
        """Outside the main thread (where Python runs no handler) the block changes nothing."""
        seen: list[object] = []

        def worker() -> None:
            with _errors.held_signals():
                seen.append(signal.getsignal(signal.SIGINT))

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert seen == [signal.getsignal(signal.SIGINT)]


class TestTpPassesInterruptsOn:
    @needs_alarm
    @pytest.mark.usefixtures("alarm_raises")
    def test_a_handlers_timeout_inside_a_repr_reaches_the_caller(self) -> None:
        """A timeout raised while tp takes a value's repr goes on to tp's caller, unchanged."""

        class Slow:
            def __repr__(self) -> str:
                signal.raise_signal(signal.SIGALRM)
                return "never shown"

        with chrono.story() as story, pytest.raises(TimeoutError, match="alarm"):
            tp(Slow())
        assert story.events == []
        recovered = 1
        with chrono.story() as story:
            tp(recovered)
        assert story.values("recovered") == ["1"]

    def test_keyboard_interrupt_inside_a_repr_reaches_the_caller(self) -> None:
        """Ctrl-C while a value's repr runs is the program's: it leaves tp unchanged."""

        class Interrupted:
            def __repr__(self) -> str:
                raise KeyboardInterrupt

        with chrono.story(), pytest.raises(KeyboardInterrupt):
            tp(Interrupted())

    @pytest.mark.parametrize("raised", [SystemExit(3), GeneratorExit()])
    def test_other_base_exceptions_from_a_repr_are_placeholders(
        self, raised: BaseException
    ) -> None:
        """A __repr__ that raises SystemExit or GeneratorExit is a value chrono could not show."""

        class Odd:
            def __repr__(self) -> str:
                raise raised

        odd = Odd()
        with chrono.story() as story:
            assert tp(odd) is odd
        assert story.values("odd") == [f"<repr failed: {type(raised).__name__}{_detail(raised)}>"]

    def test_a_mark_left_behind_is_cleared_by_the_next_call(self) -> None:
        """A busy mark with no tp on the stack (an interrupt left it) stops nothing."""
        ident = threading.get_ident()
        _recorder._busy.add(ident)
        value = 7
        with chrono.story() as story:
            tp(value)
        assert story.values("value") == ["7"]
        assert ident not in _recorder._busy

    def test_a_tp_inside_chronos_own_work_is_still_let_through(self) -> None:
        """A real mark (tp running below on the stack) still keeps a nested tp unrecorded."""

        class Nested:
            def __repr__(self) -> str:
                inner = "inner"
                tp(inner)
                return "Nested()"

        nested = Nested()
        with chrono.story() as story:
            tp(nested)
        assert story.values("nested") == ["Nested()"]
        assert story.values("inner") == []


def _detail(error: BaseException) -> str:
    return f": {error}" if str(error) else ""


@needs_alarm
@pytest.mark.parametrize("output", ["story", "live"])
@pytest.mark.parametrize("mode", ["keyboard", "timeout", "interrupt-main"])
def test_random_interrupts_in_a_real_process(mode: str, output: str) -> None:
    """Interrupts at random points inside tp each reach the program once, and chrono goes on:
    the next tp records, the bound holds, nothing hangs (benchmarks/bench_interrupts.py runs
    the same trials at full size)."""
    trials = 150
    finished = subprocess.run(
        [sys.executable, str(_TRIALS), mode, output, str(trials), "1", "100"],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=160,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["trials"] == trials
    assert result["arrived"] == trials
    assert result["lost"] == 0
    assert result["placeholders"] == 0
    assert result["recorded_after"] == trials
    assert result["over_bound"] == 0
    assert result["busy_left"] is False


_TIMED_OUT_TESTS = """
import signal

import pytest

from chrono import tp


def on_alarm(number, frame):
    raise TimeoutError("too slow")


signal.signal(signal.SIGALRM, on_alarm)


@pytest.mark.parametrize("case", range(50))
def test_times_out(case):
    with pytest.raises(TimeoutError):
        signal.setitimer(signal.ITIMER_REAL, 0.0001 + case * 0.00001)
        for step in range(10_000_000):
            tp(step, case)
"""


@needs_alarm
@pytest.mark.parametrize("plugin", ["-p chrono", "-p no:chrono"])
def test_timeouts_inside_tp_under_pytest(pytester: pytest.Pytester, plugin: str) -> None:
    """Fifty tests whose alarm lands inside tp each see their TimeoutError, with the plugin's
    stories and without it (every event then printed live into pytest's capture)."""
    pytester.makepyfile(test_timeouts=_TIMED_OUT_TESTS)
    result = pytester.runpytest_subprocess(
        *plugin.split(), "-q", "-p", "no:cacheprovider", timeout=240
    )
    result.assert_outcomes(passed=50)


def test_interrupt_main_reaches_the_main_thread() -> None:
    """``_thread.interrupt_main()`` from another thread, while tp runs in a loop, arrives."""
    timer = threading.Timer(0.01, _thread.interrupt_main)
    timer.start()
    try:
        with chrono.story(max_events=100), pytest.raises(KeyboardInterrupt):  # noqa: PT012
            for step in range(50_000_000):
                tp(step)
    finally:
        timer.cancel()
