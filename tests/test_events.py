"""Events and tp records: fields, and how a record is read as an event."""

from __future__ import annotations

import asyncio
import logging
import pickle
import re
import threading
import time

import pytest

import chrono
from chrono import Event, tp
from chrono._callsite import CallSite
from chrono._events import TpRecord, marker_event, read_tp_record
from helpers import run_in_thread, strict_chrono


class TestEvent:
    def test_documents_exactly_the_kinds_that_exist(self) -> None:
        """Event's docstring names each kind chrono makes (tp, log, subtest) and no other."""
        with chrono.story() as story:
            tp(1)
            logging.getLogger("shop").warning("low stock")
            story.add(marker_event("subtest passed", __file__, 1, "test"))
        made = {event.kind for event in story.events}
        documented = set(re.findall(r'``"(\w+)"``', chrono.Event.__doc__ or ""))
        assert made == documented == {"tp", "log", "subtest"}

    def test_sequence_numbers_are_unique_and_increasing(self) -> None:
        """Each event's seq is greater than the one before, across stories."""
        with chrono.story() as first:
            for number in range(5):
                tp(number)
        with chrono.story() as second:
            tp(5)
        numbers = [event.seq for event in first.events + second.events]
        assert numbers == sorted(set(numbers))

    def test_monotonic_clock_is_read_at_call_time(self) -> None:
        """monotonic_ns is taken when tp is called, between the clock readings around it."""
        with chrono.story() as story:
            before = time.monotonic_ns()
            tp(1)
            after = time.monotonic_ns()
        (event,) = story.events
        assert before <= event.monotonic_ns <= after
        assert abs(event.wall - time.time()) < 60

    def test_thread_name_is_recorded(self) -> None:
        """An event from a named thread carries that name."""
        with chrono.story() as story:
            run_in_thread(lambda: tp("from thread"), name="loader")
        (event,) = story.events
        assert event.thread == "loader"
        assert event.thread_id != threading.get_ident()

    def test_task_name_is_recorded(self) -> None:
        """An event from an asyncio task carries the task's name; outside a task it is None."""

        async def work() -> None:
            tp("in task")

        async def main() -> None:
            await asyncio.create_task(work(), name="importer")

        with chrono.story() as story:
            tp("no task")
            asyncio.run(main())
        assert [event.task for event in story.events] == [None, "importer"]

    def test_event_is_read_only_plain_data(self) -> None:
        """An Event cannot be changed, and survives pickling unchanged."""
        with chrono.story() as story:
            tp("x")
        (event,) = story.events
        with pytest.raises(AttributeError):
            event.seq = 0  # type: ignore[misc]
        assert pickle.loads(pickle.dumps(event)) == event
        assert isinstance(event, Event)


class TestTpRecord:
    """The recorder's plain tuple holds TpRecord's fields, in TpRecord's order."""

    def test_recorded_tuple_reads_by_field_name(self) -> None:
        """Each field of a recorded tp(x) and tp("label", x, n=1) is what its name says."""
        x = 42
        with strict_chrono(), chrono.story() as story:
            tp(x)
            tp("label", "text", n=1)
        records, _, _ = story.fast_lane()
        plain, labelled = (read_tp_record(raw) for raw in records)
        assert len(TpRecord._fields) == len(records[0]) == 7
        assert plain.seq + 1 == labelled.seq
        assert 0 < plain.monotonic_ns <= labelled.monotonic_ns
        assert plain.thread is threading.current_thread()
        assert plain.task is None
        assert isinstance(plain.site, CallSite)
        assert (plain.site.first_text, plain.label, plain.shown) == ("x", None, 42)
        assert labelled.label == "label"
        assert labelled.shown == (("'text'", "'text'"), ("n", "1"))
