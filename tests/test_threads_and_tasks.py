"""Real threads and asyncio tasks recording into one story at once."""

from __future__ import annotations

import asyncio
import threading

import chrono
from chrono import tp

THREADS = 8
EVENTS_PER_THREAD = 10_000


class TestThreads:
    def test_every_sequence_number_exactly_once(self) -> None:
        """8 threads x 10,000 events: each is kept once, in sequence order, with no gaps."""
        start = threading.Barrier(THREADS)

        def worker() -> None:
            start.wait()
            for step in range(EVENTS_PER_THREAD):
                tp(step)

        threads = [
            threading.Thread(target=worker, name=f"worker-{index}") for index in range(THREADS)
        ]
        with chrono.story(max_events=THREADS * EVENTS_PER_THREAD) as story:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        events = story.events
        numbers = [event.seq for event in events]
        assert len(numbers) == THREADS * EVENTS_PER_THREAD
        assert numbers == sorted(numbers)
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        assert story.dropped == 0
        assert {event.thread for event in events} == {f"worker-{index}" for index in range(8)}
        for index in range(THREADS):
            steps = [event.items[0][1] for event in events if event.thread == f"worker-{index}"]
            assert steps == [str(step) for step in range(EVENTS_PER_THREAD)]

    def test_bound_holds_under_concurrency(self) -> None:
        """Threads overflowing a small story leave exactly max_events kept and the rest counted."""

        def worker() -> None:
            for step in range(1_000):
                tp(step)

        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        with chrono.story(max_events=100) as story:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        head, dropped, tail = story.parts()
        assert len(head) + len(tail) == 100
        assert dropped == THREADS * 1_000 - 100
        assert [event.seq for event in head + tail] == sorted(event.seq for event in head + tail)

    def test_thread_names_are_recorded(self) -> None:
        """Each event names the thread that recorded it."""

        def worker() -> None:
            tp("hello")

        with chrono.story() as story:
            for name in ("alpha", "beta"):
                thread = threading.Thread(target=worker, name=name)
                thread.start()
                thread.join()
        assert [event.thread for event in story.events] == ["alpha", "beta"]


class TestTasks:
    def test_task_names_are_recorded(self) -> None:
        """Events from several concurrent named tasks carry their own task's name."""

        async def job(name: str) -> None:
            for step in range(3):
                tp(name, step)
                await asyncio.sleep(0)

        async def main() -> None:
            await asyncio.gather(
                *(asyncio.create_task(job(name), name=name) for name in ("fetch", "parse", "save"))
            )

        with chrono.story() as story:
            asyncio.run(main())
        by_task: dict[str | None, list[str]] = {}
        for event in story.events:
            by_task.setdefault(event.task, []).append(event.items[0][1])
        assert by_task == {
            "fetch": ["'fetch'"] * 3,
            "parse": ["'parse'"] * 3,
            "save": ["'save'"] * 3,
        }
        # The tasks ran interleaved: the first three events come from three different tasks.
        assert len({event.task for event in story.events[:3]}) == 3

    def test_event_loop_in_a_thread(self) -> None:
        """A loop running in another thread records both that thread's name and the task's."""

        async def main() -> None:
            await asyncio.create_task(asyncio.sleep(0), name="idle")
            await asyncio.create_task(record(), name="recorder")

        async def record() -> None:
            tp("in loop thread")

        with chrono.story() as story:
            thread = threading.Thread(target=lambda: asyncio.run(main()), name="loop-thread")
            thread.start()
            thread.join()
        (event,) = story.events
        assert event.thread == "loop-thread"
        assert event.task == "recorder"

    def test_code_outside_tasks_has_no_task(self) -> None:
        """Code run by the loop outside any task (a call_soon callback) has task None."""

        async def main() -> None:
            loop = asyncio.get_running_loop()
            done = loop.create_future()
            loop.call_soon(lambda: (tp("callback"), done.set_result(None)))
            await done

        with chrono.story() as story:
            asyncio.run(main())
        (event,) = story.events
        assert event.task is None
