"""Stories: bounds, counts read without events, nesting, scopes, decorators and exceptions."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import chrono
from chrono import Story, _story, tp
from chrono._collecting import collecting
from chrono._events import read_tp_record
from chrono._story import DEFAULT_MAX_EVENTS, Scope, story_part
from helpers import environment, run_in_thread, run_script
from pytest_plugin_runs import QUIET_PLUGINS


class TestBoundedStory:
    def test_keeps_first_and_most_recent_events(self) -> None:
        """Past max_events a story keeps the first fifth and the most recent rest."""
        with chrono.story(max_events=10) as story:
            for number in range(100):
                tp(number)
        assert story.values("number") == ["0", "1", *map(str, range(92, 100))]
        assert story.dropped == 90
        assert story.received == 100
        assert len(story) == 10
        assert "90 events dropped" in story.text()

    def test_default_bound(self) -> None:
        """A story made without max_events keeps up to the default bound."""
        assert chrono.story().max_events == DEFAULT_MAX_EVENTS == 10_000

    def test_below_the_bound_nothing_is_dropped(self) -> None:
        """A story that never fills keeps every event and says nothing was dropped."""
        with chrono.story(max_events=10) as story:
            for number in range(10):
                tp(number)
        assert story.dropped == 0
        assert story.values("number") == [str(number) for number in range(10)]
        assert "events dropped" not in story.text()

    @pytest.mark.parametrize("calls", [1_000, 1_249, 1_250, 1_251, 5_003])
    def test_bound_holds_between_and_after_cuts(self, calls: int) -> None:
        """The tail is cut in batches, yet a story read at any moment shows at most its bound,
        the newest events, the exact dropped count and each site's dropped hits."""
        with chrono.story(max_events=1_000) as story:
            for number in range(calls):
                tp(number)
                if number % 2:
                    tp("odd")
        odd = calls // 2
        received = calls + odd
        assert story.received == received
        assert len(story) == len(story.events) == min(received, 1_000)
        assert story.dropped == max(received - 1_000, 0)
        sequence = [event.seq for event in story.events]
        assert sequence == sorted(sequence)
        head, dropped, tail = story.parts()
        assert len(head) == min(received, 200)
        assert (dropped, len(tail)) == (story.dropped, len(story) - len(head))
        numbers = story.values("number")
        assert numbers[-1] == str(calls - 1)
        # The loop's hit counts, dropped plus kept, add up to every call at each site.
        kept = Counter((event.line, event.label) for event in story.events)
        (number_line,) = {event.line for event in story.events if event.label is None}
        (odd_line,) = {event.line for event in story.events if event.label == "odd"}
        dropped_hits = {line: hits for (_, line, _, _), hits in story.dropped_hits.items()}
        assert kept[(number_line, None)] + dropped_hits.get(number_line, 0) == calls
        assert kept[(odd_line, "odd")] + dropped_hits.get(odd_line, 0) == odd

    def test_one_call_site_counts_every_dropped_hit(self) -> None:
        """A loop with one call site (the cut's shortest way) has its dropped hits counted
        exactly: kept and dropped add up to every call."""
        calls = 5_003
        with chrono.story(max_events=1_000) as story:
            for number in range(calls):
                tp(number)
        assert story.dropped == calls - 1_000
        assert list(story.dropped_hits.values()) == [story.dropped]

    def test_records_after_a_mark_are_the_part_since_it(self) -> None:
        """records_after(seq): the kept records past ``seq``, in sequence order, after cuts
        and with another thread's among them; from 0, every kept record."""
        with chrono.story(max_events=50) as story:
            for number in range(120):
                tp(number)
            mark = story.events[-1].seq
            tp("after")
            run_in_thread(lambda: tp("from a thread"))
            tp("last")
        part = story.records_after(mark)
        assert [record[0] for record in part] == [e.seq for e in story.events if e.seq > mark]
        assert [read_tp_record(record).label for record in part] == [
            "after",
            "from a thread",
            "last",
        ]
        assert story.dropped > 0
        assert [record[0] for record in story.records_after(0)] == [e.seq for e in story.events]
        assert story.records_after(story.events[-1].seq) == []

    @pytest.mark.parametrize("calls", [8, 11, 12, 120])
    def test_records_as_they_came_hold_what_is_kept(self, calls: int) -> None:
        """records_as_they_came(): the kept records, another thread's among them; past the
        bound of 10 (a cut is made only at 12), no more than the story keeps."""
        with chrono.story(max_events=10) as story:
            for number in range(calls - 1):
                tp(number)
            run_in_thread(lambda: tp("from a thread"))
        records = story.records_as_they_came()
        assert sorted(record[0] for record in records) == [e.seq for e in story.events]
        assert len(records) == min(calls, 10)
        assert story.dropped == max(calls - 10, 0)

    @pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
    def test_bad_bound_is_rejected(self, bad: object) -> None:
        """max_events must be a whole number of at least 1."""
        with pytest.raises(ValueError, match="max_events"):
            chrono.story(max_events=bad)  # type: ignore[arg-type]

    def test_clear_forgets_events(self) -> None:
        """clear() empties the story and resets its counts."""
        with chrono.story(max_events=3) as story:
            for number in range(5):
                tp(number)
            story.clear()
            tp("after")
        assert [event.label for event in story.events] == ["after"]
        assert story.dropped == 0


class TestCheapReads:
    def test_counts_and_repr_build_no_event(self) -> None:
        """dropped, received, len() and repr() are read from counts: no event is built, past
        the bound and before the next cut alike."""
        with chrono.story("counted", max_events=10) as story:
            for number in range(11):  # one past the bound, below the cut at 12
                tp(number)
        assert (story.dropped, story.received, len(story)) == (1, 11, 10)
        assert repr(story) == "<chrono.Story 'counted' closed, 10 events, 1 dropped>"
        assert story._built_parts is None

    def test_events_are_built_once_until_the_story_changes(self) -> None:
        """A second read returns the same Event objects; an event added, a cut or clear()
        makes the next read build them afresh."""
        with chrono.story(max_events=10) as story:
            tp("first")
            first = story.events
            assert story.events[0] is first[0]
            tp("second")
            assert [event.label for event in story.events] == ["first", "second"]
            for number in range(20):
                tp(number)
            assert story.dropped == 12
            assert story.events[-1].items == (("number", "19"),)
            story.clear()
            assert story.events == []

    def test_a_part_that_is_the_whole_story_is_the_story(self) -> None:
        """story_part of every kept event is the story itself, its gap and counts with it;
        a smaller part is a story of those events alone."""
        with chrono.story(max_events=10) as story:
            for number in range(30):
                tp(number)
        events = story.events
        assert story_part(story, events) is story
        part = story_part(story, events[-3:])
        assert [event.seq for event in part.events] == [event.seq for event in events[-3:]]
        assert part.dropped == 0

    def test_a_failing_tests_report_builds_its_events_once(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The plugin reads a failing test's events, then draws them: each tp record becomes
        an Event once."""
        built: list[int] = []
        real_event_of = _story.event_of

        def counting_event_of(record: Any, wall: float) -> chrono.Event:
            if not isinstance(record, chrono.Event):
                built.append(record[0])
            return real_event_of(record, wall)

        monkeypatch.setattr(_story, "event_of", counting_event_of)
        pytester.makepyfile(
            "from chrono import tp\n\ndef test_fails():\n    for n in range(3):\n"
            "        tp(n)\n    assert False\n"
        )
        result = pytester.runpytest_inprocess(*QUIET_PLUGINS, "--chrono-compare=off")
        result.assert_outcomes(failed=1)
        assert "n=2" in result.stdout.str()
        assert len(built) == len(set(built)) == 3


class TestNesting:
    def test_event_is_recorded_in_every_active_story(self) -> None:
        """Inside nested stories an event lands in both; outside the inner, only the outer."""
        with chrono.story("outer") as outer:
            tp("before")
            with chrono.story("inner") as inner:
                tp("inside")
            tp("after")
        assert [event.label for event in outer.events] == ["before", "inside", "after"]
        assert [event.label for event in inner.events] == ["inside"]
        assert outer.events[1] == inner.events[0]

    def test_current_story_is_the_innermost(self) -> None:
        """current_story() names the innermost active story, then the outer, then None."""
        assert chrono.current_story() is None
        with chrono.story("outer") as outer:
            assert chrono.current_story() is outer
            with chrono.story("inner") as inner:
                assert chrono.current_story() is inner
            assert chrono.current_story() is outer
        assert chrono.current_story() is None

    def test_story_cannot_start_twice(self) -> None:
        """Starting an active story again is an error, not a double registration."""
        with chrono.story() as story, pytest.raises(RuntimeError, match="already active"):
            story.start()

    def test_stopped_story_keeps_its_events(self) -> None:
        """After the with block the story is inactive and its events remain readable."""
        with chrono.story("kept") as story:
            tp("one")
        assert story.active is False
        assert story.ended_ns is not None
        assert story.ended_ns >= story.started_ns
        assert [event.label for event in story] == ["one"]
        assert "'kept'" in repr(story)


class TestScopes:
    def test_process_story_sees_every_thread(self) -> None:
        """A process story collects events from threads that never entered it."""
        with chrono.story() as story:
            run_in_thread(lambda: tp("elsewhere"))
        assert [event.label for event in story.events] == ["elsewhere"]

    def test_context_story_ignores_other_threads(self) -> None:
        """A context story does not see events from a thread that did not enter it."""
        with Story(scope=Scope.CONTEXT) as story:
            tp("mine")
            run_in_thread(lambda: tp("not mine"))
        assert [event.label for event in story.events] == ["mine"]

    def test_context_stories_of_concurrent_tasks_do_not_mix(self) -> None:
        """Two tasks each in their own context story see only their own events."""
        stories: dict[str, Story] = {}

        async def request(name: str) -> None:
            with Story(name, scope=Scope.CONTEXT) as story:
                stories[name] = story
                for step in range(3):
                    tp(name, step)
                    await asyncio.sleep(0)

        async def main() -> None:
            await asyncio.gather(request("a"), request("b"))

        asyncio.run(main())
        assert set(stories) == {"a", "b"}
        for name, story in stories.items():
            assert story.values("name") == [repr(name)] * 3

    def test_context_story_follows_tasks_it_starts(self) -> None:
        """A task started inside a context story inherits it, as contextvars do."""

        async def child() -> None:
            tp("child")

        async def main() -> Story:
            with Story(scope=Scope.CONTEXT) as story:
                await asyncio.create_task(child())
            return story

        story = asyncio.run(main())
        assert [event.label for event in story.events] == ["child"]

    def test_bad_scope_is_rejected(self) -> None:
        """Only 'process' and 'context' are scopes."""
        with pytest.raises(ValueError, match="scope"):
            Story(scope="thread")

    def test_a_context_story_open_elsewhere_leaves_the_process_story_whole(self) -> None:
        """While a context's story is open in another thread, the process story still gets
        every event, the context's story only its own; when it stops, tp takes its one-append
        way again."""
        entered = threading.Event()
        done = threading.Event()
        request: list[Story] = []

        def serve() -> None:
            with Story("request", scope=Scope.CONTEXT) as story:
                request.append(story)
                entered.set()
                done.wait(10)
                tp("in the request")

        with chrono.story() as whole:
            worker = threading.Thread(target=serve)
            worker.start()
            entered.wait(10)
            assert collecting.sole is None
            tp("beside it")
            done.set()
            worker.join()
            assert collecting.sole is not None
            tp("after it")
        assert [event.label for event in whole.events] == [
            "beside it",
            "in the request",
            "after it",
        ]
        assert [event.label for event in request[0].events] == ["in the request"]


class TestDecorator:
    def test_each_call_gets_a_fresh_story(self) -> None:
        """A decorated function collects a new story on every call, named after it."""
        seen: list[Story | None] = []

        @chrono.story()
        def handle(value: int) -> int:
            seen.append(chrono.current_story())
            return tp(value)

        assert handle(1) == 1
        assert handle(2) == 2
        first, second = seen
        assert first is not None
        assert second is not None
        assert first is not second
        assert first.values("value") == ["1"]
        assert second.values("value") == ["2"]
        assert first.name is not None
        assert first.name.endswith("handle")
        assert chrono.current_story() is None

    def test_async_function_gets_a_fresh_story_per_call(self) -> None:
        """A decorated coroutine function stays a coroutine function with its own stories."""
        seen: list[Story | None] = []

        @chrono.story("job")
        async def job(value: int) -> int:
            await asyncio.sleep(0)
            seen.append(chrono.current_story())
            return tp(value)

        assert asyncio.iscoroutinefunction(job)

        async def main() -> list[int]:
            return [await job(1), await job(2)]

        assert asyncio.run(main()) == [1, 2]
        first, second = seen
        assert first is not None
        assert second is not None
        assert first is not second
        assert first.name == second.name == "job"
        assert first.values("value") == ["1"]
        assert second.values("value") == ["2"]

    def test_decorator_keeps_the_function_metadata(self) -> None:
        """functools.wraps keeps the decorated function's name and docstring."""

        @chrono.story()
        def documented() -> None:
            """Docstring."""

        assert documented.__name__ == "documented"
        assert documented.__doc__ == "Docstring."


# Decorated functions, plain and async, whose failures are shown with their tracebacks.
DECORATED = """
import asyncio
import logging

import chrono


@chrono.story("nightly")
def reserve(count):
    return check(count)


@chrono.story("nightly async")
async def reserve_async(count):
    return check(count)


def check(count):
    assert count > 0, "nothing to reserve"


def test_plain():
    reserve(0)


def test_async():
    asyncio.run(reserve_async(0))
"""


def chrono_frames(traceback: str) -> list[str]:
    """The lines of a traceback that locate a frame in chrono's own events module: pytest's
    ``path:line: …`` or Python's ``File "path", line …``."""
    frame = re.compile(r"chrono[/\\]_events\.py(:\d+: |\", line )")
    return [line for line in traceback.splitlines() if frame.search(line)]


class TestDecoratorTracebacks:
    """A decorated function's tracebacks show the user's frames, not chrono's wrapper."""

    @pytest.mark.parametrize("style", ["long", "short", "auto"])
    def test_pytest_traceback_has_no_chrono_frame(
        self, pytester: pytest.Pytester, style: str
    ) -> None:
        """In pytest's tracebacks, the frames run straight from the test to the function."""
        pytester.makepyfile(test_decorated=DECORATED)
        result = pytester.runpytest_subprocess(*QUIET_PLUGINS, f"--tb={style}", timeout=120)
        result.assert_outcomes(failed=2)
        output = result.stdout.str()
        assert "nothing to reserve" in output
        assert "reserve(0)" in output
        assert chrono_frames(output) == []

    @pytest.mark.skipif(sys.version_info < (3, 11), reason="the frame stays before Python 3.11")
    def test_native_traceback_has_no_chrono_frame(self, pytester: pytest.Pytester) -> None:
        """From Python 3.11, pytest's --tb=native shows no chrono frame either."""
        pytester.makepyfile(test_decorated=DECORATED)
        result = pytester.runpytest_subprocess(*QUIET_PLUGINS, "--tb=native", timeout=120)
        result.assert_outcomes(failed=2)
        output = result.stdout.str()
        assert "in reserve\n    return check(count)" in output.replace("\r", "")
        assert chrono_frames(output) == []

    @pytest.mark.skipif(sys.version_info < (3, 11), reason="the frame stays before Python 3.11")
    def test_plain_traceback_has_no_chrono_frame(self, tmp_path: Path) -> None:
        """From Python 3.11, Python's own traceback of an uncaught error shows no chrono frame."""
        script = DECORATED + "\ntest_plain()\n"
        result = run_script(tmp_path, script, env=environment())
        assert result.returncode == 1
        frames = [line for line in result.stderr.splitlines() if line.startswith("  File ")]
        assert [line.rsplit(" in ", 1)[1] for line in frames] == [
            "<module>",
            "test_plain",
            "reserve",
            "check",
        ]
        assert chrono_frames(result.stderr) == []


class TestExceptions:
    def test_exception_propagates_unchanged_with_the_story(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The same exception object leaves the story, carrying the story's text once."""
        error = ValueError("bad input")

        def failing() -> None:
            with chrono.story("failing"):
                tp("about to fail")
                raise error

        with pytest.raises(ValueError, match="bad input") as caught:
            failing()
        assert caught.value is error
        assert caught.value.args == ("bad input",)
        if sys.version_info >= (3, 11):
            notes = caught.value.__notes__
            assert len(notes) == 1
            assert "about to fail" in notes[0]
            assert "'failing'" in notes[0]
            assert capsys.readouterr().err == ""
        else:
            err = capsys.readouterr().err
            assert err.count("about to fail") == 1
            assert "'failing'" in err

    def test_nested_stories_tell_the_story_once(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An exception leaving nested stories carries one story: the outermost, fullest one."""

        def failing() -> None:
            with chrono.story("outer"):
                tp("outer event")
                with chrono.story("inner"):
                    tp("inner event")
                    raise KeyError("missing")

        with pytest.raises(KeyError, match="missing") as caught:
            failing()
        if sys.version_info >= (3, 11):
            (note,) = caught.value.__notes__
            assert "'outer'" in note
            assert note.count("inner event") == 1
            assert "outer event" in note
        else:
            err = capsys.readouterr().err
            assert err.count("inner event") == 1
            assert "outer event" in err

    @pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes arrived in 3.11")
    def test_existing_notes_are_kept(self) -> None:
        """A note the exception already had is not removed by the story's."""

        def failing() -> None:
            with chrono.story():
                tp("about to fail")
                error = RuntimeError("boom")
                error.add_note("mine")
                raise error

        with pytest.raises(RuntimeError, match="boom") as caught:
            failing()
        assert caught.value.__notes__[0] == "mine"
        assert len(caught.value.__notes__) == 2

    def test_story_without_events_tells_nothing(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An exception leaving a story that recorded no event carries no note and prints
        nothing: an empty story adds nothing anywhere."""

        def failing() -> None:
            with chrono.story("quiet"):
                raise ValueError("no events")

        with pytest.raises(ValueError, match="no events") as caught:
            failing()
        assert getattr(caught.value, "__notes__", []) == []
        assert capsys.readouterr().err == ""

    def test_keyboard_interrupt_is_not_annotated(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Only Exceptions carry the story; KeyboardInterrupt passes through untouched."""

        def interrupted() -> None:
            with chrono.story():
                tp("interrupted")
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt) as caught:
            interrupted()
        assert getattr(caught.value, "__notes__", []) == []
        assert capsys.readouterr().err == ""

    def test_story_ends_even_when_an_exception_leaves_it(self) -> None:
        """After an exception the story is inactive and no longer collects events."""
        story = chrono.story()

        def failing() -> None:
            with story:
                raise ValueError("inside")

        with pytest.raises(ValueError, match="inside"):
            failing()
        assert chrono.current_story() is None
        assert story.active is False
