"""Concurrency and interruptions: threads, tasks, forks, finalizers, signals, debuggers, re-entry.

Every scenario that could hang runs in a fresh interpreter with a timeout, so a deadlock fails
the test instead of stopping the suite. The issue's sizes (16 threads x 50,000 events, 1,000
tasks) run here by default with the default bound; with a bound large enough to keep every
event, the default run uses 16 x 10,000 and ``CHRONO_HYPOTHESIS_PROFILE=long`` the full size.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

import chrono
from chrono import tp
from chrono._story import DEFAULT_MAX_EVENTS
from helpers import run_python, write_module

LONG = os.environ.get("CHRONO_HYPOTHESIS_PROFILE") == "long"
THREADS = 16
EVENTS_PER_THREAD = 50_000
#: Keeping every event of 16 x 50,000 holds 800,000 events (about 400 MB): the long run's job.
KEPT_EVENTS_PER_THREAD = EVENTS_PER_THREAD if LONG else 10_000
TASKS = 1_000
EVENTS_PER_TASK = 20
#: A deadlock shows as a timeout, long before CI's own.
TIMEOUT = 120

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")


def run_isolated(directory: Path, source: str) -> Any:
    """Run ``source`` in a fresh interpreter with a timeout; return what it printed as JSON."""
    path = write_module(directory, "scenario", source)
    result = run_python(str(path), cwd=directory, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def record_from_threads(events_per_thread: int, max_events: int | None) -> chrono.Story:
    """16 threads, released together, each recording ``tp(step)`` for every step."""
    start = threading.Barrier(THREADS)

    def worker() -> None:
        start.wait()
        for step in range(events_per_thread):
            tp(step)

    threads = [threading.Thread(target=worker, name=f"worker-{index}") for index in range(THREADS)]
    with chrono.story(max_events=max_events) as story:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return story


def steps_by_place(events: list[chrono.Event], place: str) -> dict[str, list[int]]:
    """Each thread's (or task's) recorded steps, in story order."""
    steps: dict[str, list[int]] = {}
    for event in events:
        steps.setdefault(getattr(event, place), []).append(int(event.items[-1][1]))
    return steps


class TestThreads:
    def test_every_event_kept_exactly_once(self) -> None:
        """16 threads into one story large enough: every sequence number once, none lost."""
        total = THREADS * KEPT_EVENTS_PER_THREAD
        story = record_from_threads(KEPT_EVENTS_PER_THREAD, max_events=total)
        events = story.events
        numbers = [event.seq for event in events]
        assert story.dropped == 0
        assert numbers == list(range(numbers[0], numbers[0] + total))
        steps = steps_by_place(events, "thread")
        assert len(steps) == THREADS
        assert all(each == list(range(KEPT_EVENTS_PER_THREAD)) for each in steps.values())

    def test_default_bound_counts_every_dropped_event(self) -> None:
        """16 x 50,000 into the default bound: 10,000 kept in order, 790,000 dropped, exactly."""
        story = record_from_threads(EVENTS_PER_THREAD, max_events=None)
        head, dropped, tail = story.parts()
        kept = head + tail
        numbers = [event.seq for event in kept]
        assert len(kept) == DEFAULT_MAX_EVENTS
        assert dropped == THREADS * EVENTS_PER_THREAD - DEFAULT_MAX_EVENTS
        assert story.received == THREADS * EVENTS_PER_THREAD
        assert numbers == sorted(set(numbers))
        for steps in steps_by_place(kept, "thread").values():
            assert steps == sorted(steps)
        assert f"{dropped:,} events dropped here" in story.text()


class TestTasks:
    @staticmethod
    def run_tasks(max_events: int | None) -> chrono.Story:
        """1,000 named tasks, each recording ``tp(step)`` 20 times, yielding in between."""

        async def job() -> None:
            for step in range(EVENTS_PER_TASK):
                tp(step)
                await asyncio.sleep(0)

        async def main() -> None:
            await asyncio.gather(
                *(asyncio.create_task(job(), name=f"task-{index}") for index in range(TASKS))
            )

        with chrono.story(max_events=max_events) as story:
            asyncio.run(main())
        return story

    def test_every_event_kept_exactly_once(self) -> None:
        """1,000 tasks x 20 events: every sequence number once, each task's steps in order."""
        story = self.run_tasks(max_events=TASKS * EVENTS_PER_TASK)
        numbers = [event.seq for event in story.events]
        assert story.dropped == 0
        assert numbers == list(range(numbers[0], numbers[0] + TASKS * EVENTS_PER_TASK))
        steps = steps_by_place(story.events, "task")
        assert len(steps) == TASKS
        assert all(each == list(range(EVENTS_PER_TASK)) for each in steps.values())

    def test_default_bound_counts_every_dropped_event(self) -> None:
        """1,000 tasks x 20 events into the default bound: exactly 10,000 dropped."""
        story = self.run_tasks(max_events=None)
        assert len(story) == DEFAULT_MAX_EVENTS
        assert story.dropped == TASKS * EVENTS_PER_TASK - DEFAULT_MAX_EVENTS
        numbers = [event.seq for event in story.events]
        assert numbers == sorted(set(numbers))


@needs_fork
class TestFork:
    def test_child_events_leave_the_parent_story_unchanged(self) -> None:
        """A child forked inside a story records into its own copy; the parent's is untouched."""
        reader, writer = os.pipe()
        with chrono.story() as story:
            tp("before the fork")
            before = story.events
            with warnings.catch_warnings():
                # 3.12+ warns when forking with threads alive (an earlier test's, say).
                warnings.simplefilter("ignore", DeprecationWarning)
                child = os.fork()
            if child == 0:  # pragma: no cover (the child)
                try:
                    for step in range(1_000):
                        tp(step)
                    os.write(writer, str(len(story.events)).encode())
                finally:
                    os._exit(0)
            os.close(writer)
            with os.fdopen(reader) as pipe:
                child_count = pipe.read()
            _, status = os.waitpid(child, 0)
            tp("after the fork")
        assert status == 0
        assert child_count == "1001"
        assert story.events[:1] == before
        assert [event.label for event in story.events] == ["before the fork", "after the fork"]
        assert story.dropped == 0

    def test_fork_from_inside_tp(self) -> None:
        """A __repr__ that forks: the child leaves that tp cleanly and records its next ones."""
        reader, writer = os.pipe()

        class Forks:
            child = -1

            def __repr__(self) -> str:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    Forks.child = os.fork()
                return "Forks()"

        with chrono.story() as story:
            forks = Forks()
            tp(forks)
            if Forks.child == 0:  # pragma: no cover (the child)
                try:
                    after = 1
                    tp(after)
                    os.write(writer, ",".join(story.values("after")).encode())
                finally:
                    os._exit(0)
            os.close(writer)
            with os.fdopen(reader) as pipe:
                child_values = pipe.read()
            _, status = os.waitpid(Forks.child, 0)
        assert status == 0
        assert child_values == "1"
        assert story.values("forks") == ["Forks()"]

    def test_fork_while_other_threads_print_live(self, tmp_path: Path) -> None:
        """Children forked while another thread prints or records never hang on chrono's locks."""
        outcome = run_isolated(
            tmp_path,
            """
            import io, json, os, threading, time, warnings
            import chrono
            from chrono import tp

            warnings.simplefilter("ignore", DeprecationWarning)
            # A stream with no lock of its own: only chrono's locks can be held at the fork.
            chrono.configure(output=io.StringIO())
            # Imports done first: a child forked mid-import would wait on the import lock,
            # as with any lazy import (CPython resets only the global one after a fork).
            tp(0)
            stop = threading.Event()

            def hammer():
                while not stop.is_set():
                    tp(1)

            def fork_children(count):
                hung = 0
                for _ in range(count):
                    child = os.fork()
                    if child == 0:
                        try:
                            tp(2)
                            with chrono.story() as story:
                                tp(3)
                            os._exit(0 if len(story.events) == 1 else 1)
                        finally:
                            os._exit(2)
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline:
                        done, status = os.waitpid(child, os.WNOHANG)
                        if done:
                            assert status == 0, status
                            break
                        time.sleep(0.001)
                    else:
                        hung += 1
                        os.kill(child, 9)
                        os.waitpid(child, 0)
                return hung

            threads = [threading.Thread(target=hammer) for _ in range(2)]
            for thread in threads:
                thread.start()
            live = fork_children(40)
            with chrono.story():
                recording = fork_children(20)
            stop.set()
            for thread in threads:
                thread.join()
            print(json.dumps({"live": live, "recording": recording}))
            """,
        )
        assert outcome == {"live": 0, "recording": 0}


class TestInterruptions:
    def test_tp_in_finalizers(self, tmp_path: Path) -> None:
        """tp in __del__, run by refcount or by the cycle collector mid-tp, neither hangs nor
        raises; the finalizer's event is kept whenever chrono was not busy."""
        outcome = run_isolated(
            tmp_path,
            """
            import gc, json
            import chrono
            from chrono import _errors, tp
            _errors.RAISE_INTERNAL_ERRORS = True

            finalized = 0

            class Finalized:
                def __init__(self):
                    self.me = self  # a cycle: only the collector frees it

                def __del__(self):
                    global finalized
                    finalized += 1
                    tp("finalized", finalized)

            class DropsLastReference:
                def __init__(self, held):
                    self.held = held

                def __repr__(self):
                    held, self.held = self.held, None
                    del held
                    gc.collect()  # the finalizer runs inside chrono's own work
                    return "DropsLastReference()"

            with chrono.story(max_events=100_000) as story:
                alone = Finalized()
                del alone
                gc.collect()
                inside = DropsLastReference(Finalized())
                tp(inside)
                gc.set_threshold(50)
                for step in range(20_000):
                    Finalized()
                    tp(step)
                gc.collect()
            labels = [event.label for event in story.events]
            loop = [event for event in story.events if event.items and event.items[0][0] == "step"]
            print(json.dumps({
                "loop": len(loop),
                "finalized": finalized,
                "recorded": labels.count("finalized"),
                "first": [list(item) for item in story.events[0].items],
                "inside": story.values("inside"),
            }))
            """,
        )
        assert outcome["loop"] == 20_000
        assert outcome["first"] == [["finalized", "1"]]
        assert outcome["inside"] == ["DropsLastReference()"]
        assert outcome["finalized"] == 20_002
        assert 1 <= outcome["recorded"] <= outcome["finalized"]

    @pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="setitimer is POSIX only")
    def test_tp_in_a_signal_handler(self, tmp_path: Path) -> None:
        """A timer firing every half millisecond during tp loops, its handler calling tp, in a
        story and live: every loop event is kept and nothing hangs or raises."""
        outcome = run_isolated(
            tmp_path,
            """
            import io, json, signal
            import chrono
            from chrono import _errors, tp
            _errors.RAISE_INTERNAL_ERRORS = True

            fired = 0

            def handler(number, frame):
                global fired
                fired += 1
                tp("signal", fired)

            signal.signal(signal.SIGALRM, handler)
            signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
            with chrono.story(max_events=1_000_000) as story:
                for step in range(50_000):
                    tp(step)
            in_story = fired
            output = io.StringIO()
            chrono.configure(output=output)
            for step in range(20_000):
                tp(step)
            signal.setitimer(signal.ITIMER_REAL, 0)
            lines = output.getvalue().splitlines()
            print(json.dumps({
                "loop": len(story.values("step")),
                "fired": in_story,
                "recorded": sum(1 for event in story.events if event.label == "signal"),
                "live_loop": sum(1 for line in lines if "step=" in line),
                "live_signal": sum(1 for line in lines if " signal  fired=" in line),
                "live_fired": fired - in_story,
            }))
            """,
        )
        assert outcome["loop"] == 50_000
        assert outcome["live_loop"] == 20_000
        assert outcome["fired"] > 0
        assert 0 < outcome["recorded"] <= outcome["fired"]
        assert outcome["live_signal"] <= outcome["live_fired"]

    def test_tp_in_a_trace_function(self, tmp_path: Path) -> None:
        """A sys.settrace debugger that calls tp on every call and line, chrono's own included."""
        outcome = run_isolated(
            tmp_path,
            """
            import json, sys
            import chrono
            from chrono import _errors, tp
            _errors.RAISE_INTERNAL_ERRORS = True

            def tracer(frame, event, argument):
                tp("trace", event, frame.f_code.co_name)
                return tracer

            def work(count):
                total = 0
                for step in range(count):
                    total += tp(step)
                return total

            with chrono.story(max_events=1_000_000) as story:
                sys.settrace(tracer)
                result = work(1_000)
                sys.settrace(None)
            traced = [event for event in story.events if event.label == "trace"]
            print(json.dumps({
                "result": result,
                "loop": story.values("step"),
                "functions": sorted({event.items[1][1] for event in traced}),
            }))
            """,
        )
        assert outcome["result"] == sum(range(1_000))
        assert outcome["loop"] == [str(step) for step in range(1_000)]
        # The tracer saw the user's function; chrono's own frames ran while it was busy.
        assert "'work'" in outcome["functions"]

    def test_tp_from_pdb(self, tmp_path: Path) -> None:
        """pdb driven by a script evaluates tp at its prompt; the debugged code records too."""
        outcome = run_isolated(
            tmp_path,
            """
            import io, json, pdb
            import chrono
            from chrono import _errors, tp
            _errors.RAISE_INTERNAL_ERRORS = True

            def work(value):
                tp(value)
                return value * 2

            commands = io.StringIO("p tp(1)\\nnext\\np tp(value)\\nnext\\ncontinue\\n")
            answers = io.StringIO()
            with chrono.story() as story:
                result = pdb.Pdb(stdin=commands, stdout=answers).runcall(work, 21)
            print(json.dumps({
                "result": result,
                "items": [[list(item) for item in event.items] for event in story.events],
                "answers": answers.getvalue(),
            }))
            """,
        )
        assert outcome["result"] == 42
        first, second, third = outcome["items"]
        assert first in ([["<?>", "1"]], [["1", "1"]])
        assert second == [["value", "21"]]
        assert third in ([["<?>", "21"]], [["value", "21"]])
        assert "(Pdb) 1\n" in outcome["answers"]
        assert "(Pdb) 21\n" in outcome["answers"]


class TestReentry:
    def test_reprs_that_use_chrono(self, tmp_path: Path) -> None:
        """A repr that calls tp, tp in another thread, renders the story or logs: no hang, and
        each event lands where it should."""
        outcome = run_isolated(
            tmp_path,
            """
            import io, json, logging, threading
            import chrono
            from chrono import _errors, tp
            _errors.RAISE_INTERNAL_ERRORS = True

            class CallsTp:
                def __repr__(self):
                    tp("same thread")
                    return "CallsTp()"

            def in_another_thread():
                tp("other thread")

            class CallsTpInAThread:
                def __repr__(self):
                    worker = threading.Thread(target=in_another_thread)
                    worker.start()
                    worker.join(30)
                    return "alive" if worker.is_alive() else "joined"

            class RendersTheStory:
                def __repr__(self):
                    story = chrono.current_story()
                    if story is None:
                        return "no story"
                    story.text()
                    story.to_json()
                    return f"saw {len(story)}"

            class Logs:
                def __repr__(self):
                    logging.getLogger("inside").warning("logged from a repr")
                    return "Logs()"

            class OpensAStory:
                def __repr__(self):
                    with chrono.story() as inner:
                        tp("in an inner story")
                    return f"inner {len(inner)}"

            values = [CallsTp(), CallsTpInAThread(), RendersTheStory(), Logs(), OpensAStory()]
            with chrono.story() as story:
                for value in values:
                    tp(value)
            output = io.StringIO()
            chrono.configure(output=output)
            for value in values:
                tp(value)
            told = [[event.label] + [list(item) for item in event.items] for event in story.events]
            print(json.dumps({
                "story": told,
                "live": output.getvalue().splitlines(),
            }))
            """,
        )
        assert outcome["story"] == [
            [None, ["value", "CallsTp()"]],
            ["other thread"],
            [None, ["value", "joined"]],
            [None, ["value", "saw 3"]],
            ["WARNING", ["inside", "logged from a repr"]],
            [None, ["value", "Logs()"]],
            [None, ["value", "inner 0"]],
        ]
        live = outcome["live"]
        assert [line.rsplit("  ", 1)[-1] for line in live] == [
            "value=CallsTp()",
            "other thread",
            "value=joined",
            "value=no story",
            "value=Logs()",
            "value=inner 0",
        ]
