"""Stories: the events collected while something ran, bounded, and how they start and stop.

A story is data: it draws itself only by handing itself to ``chrono.render`` when shown.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextvars import Token
from operator import itemgetter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from chrono import _config, _events
from chrono._collecting import active_stories, collecting
from chrono._errors import swallowed
from chrono._events import (
    Event,
    HitKey,
    Record,
    event_from_dict,
    event_of,
    site_of_record,
    take_wall_anchor,
)
from chrono._own_time import Span, spans_between, spans_from_data
from chrono._switch import is_enabled
from chrono._values import counted

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

    from chrono._collecting import StoryObserver

DEFAULT_MAX_EVENTS = 10_000
#: The version of the plain-data form of a story (``Story.to_dict``); see docs/exports.md.
STORY_SCHEMA = "chrono.story/2"
#: The earlier versions of the schema that ``from_dict`` still reads: version 2 only added
#: keys (the pytest plugin's ``suspects``).
READABLE_STORY_SCHEMAS = ("chrono.story/1", STORY_SCHEMA)

_monotonic_ns = time.monotonic_ns


class Scope:
    """Which events a story collects (a namespace of constants, not an enum, to stay cheap)."""

    #: Every event of the process, from every thread: one test or script at a time.
    PROCESS = "process"
    #: Only events from the context that entered the story (and tasks it starts): one request.
    CONTEXT = "context"


#: How to add to a story without calling it: ``(records, cut_at, story)``: append to
#: ``records``; then, once ``len(records) >= cut_at``, call ``story.cut()``. Handed out by
#: ``Story.fast_lane``. A plain tuple: the recorder unpacks it on every call, and CPython
#: unpacks an exact tuple faster than a named one.
FastLane = tuple[list[Record], int, "Story"]


EventCallback = Callable[[Event], object]
_Function = TypeVar("_Function", bound=Callable[..., Any])


class Story:
    """The events collected while the story was active, bounded, in sequence order.

    Use ``chrono.story()`` to make one. A story keeps at most ``max_events`` events: the first
    fifth of that and the most recent rest; ``dropped`` says exactly how many fell in between.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        max_events: int | None = None,
        scope: str = Scope.PROCESS,
        echo: EventCallback | None = None,
        attach_to_exceptions: bool = True,
        capture_logs: bool = True,
    ) -> None:
        if max_events is None:
            max_events = DEFAULT_MAX_EVENTS
        if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 1:
            raise ValueError(f"chrono: max_events must be a whole number >= 1, not {max_events!r}")
        if scope not in (Scope.PROCESS, Scope.CONTEXT):
            raise ValueError(f"chrono: scope must be 'process' or 'context', not {scope!r}")
        self.name = name
        self.max_events = max_events
        self.scope = scope
        self.echo = echo
        #: What ``add`` hands each event to: ``echo``, and the listeners of observers
        #: (``_collecting.StoryObserver``) while the story is open; None when nothing listens.
        self.listener: EventCallback | None = echo
        #: The id of the test the story belongs to, where it is a test's (set by the runner).
        self.test_id: str | None = None
        self._observers: tuple[StoryObserver, ...] = ()
        self.attach_to_exceptions = attach_to_exceptions
        #: Whether log records emitted while the story is active become its events.
        self.capture_logs = capture_logs
        self.started_ns = 0
        self.ended_ns: int | None = None
        #: Threads that were already running when the story began, other than its own: their
        #: events are tagged in the rendering, since they may come from an earlier test.
        self.preexisting_threads: frozenset[int] = frozenset()
        self._head_capacity = max_events // 5
        # Every record, in the order it arrived. Once the story holds more than its bound,
        # the records after the first fifth are cut down to the most recent; they may run past
        # the bound by a quarter first, so that cutting (and counting what was cut) happens
        # once per many records, not on each one. The list is never replaced: the recorder
        # may append to it directly (see fast_lane).
        self._records: list[Record] = []
        self._cut_at = max_events + max(max_events // 4, 1)
        # How many records each cut dropped (appends, so that threads never lose a count).
        self._cuts: list[int] = []
        # Dropped records per call site (see site_of_record).
        self._dropped_sites: Counter[Any] = Counter()
        self._context_token: Token[tuple[Story, ...]] | None = None
        self._active = False
        #: Started while chrono was off: the story records nothing and tells nothing.
        self._inert = False
        # chrono's own work as read back from plain data (from_dict); None: as noted live.
        self._restored_chrono_spans: list[Span] | None = None
        # The events last built by parts(), under the state they were built from (see
        # _parts_key): a report reads a story's events, then draws them, and builds them once.
        self._built_parts: tuple[tuple[float, ...], list[Event], int, list[Event]] | None = None
        # Bumped where the records change other than by growing or being cut (clear, restore).
        self._generation = 0

    # -- collecting ---------------------------------------------------------------------------

    def add(self, record: Record) -> None:
        """Record one event, or one tp record (thread-safe); past the bound, the oldest recent
        ones are dropped."""
        # A list append is a single C call: atomic under the GIL, so threads need no lock
        # and a forked child inherits none held.
        records = self._records
        records.append(record)
        if len(records) >= self._cut_at:
            self.cut()
        if self.listener is not None:
            self.listener(event_of(record, _events.wall_anchor))

    def fast_lane(self) -> FastLane:
        """What ``add`` does, as data, for a caller that cannot afford a method call per
        record (the recorder, when this is the only story and nothing listens to it)."""
        return (self._records, self._cut_at, self)

    def _tell_observers_started(self) -> None:
        """Tell the registered observers that the story starts, and listen as they ask."""
        listeners: list[EventCallback] = []
        told: list[StoryObserver] = []
        for observer in collecting.observers:
            try:
                listener = observer.story_started(self)
            except Exception as error:
                if not swallowed(error):
                    raise
                continue
            told.append(observer)
            if listener is not None:
                listeners.append(listener)
        self._observers = tuple(told)
        if listeners:
            if self.echo is not None:
                listeners.insert(0, self.echo)
            self.listener = _each_of(tuple(listeners))

    def _tell_observers_stopped(self, error: BaseException | None) -> None:
        observers, self._observers = self._observers, ()
        self.listener = self.echo
        for observer in observers:
            try:
                observer.story_stopped(self, error)
            except Exception as failure:
                if not swallowed(failure):
                    raise

    def cut(self) -> None:
        """Drop the records between the first fifth and the most recent, down to the bound."""
        # Count where the dropped records were, so that a loop's hit counter goes on counting
        # across the gap. One thread cuts at a time: a second one waits, then finds nothing
        # left to cut. A with block, because an interrupt that lands between acquire() and a
        # try would leave the lock held and the bound would never apply again; a forked child
        # gets a fresh lock (_reset_after_fork).
        with _cutting:
            records = self._records
            excess = len(records) - self.max_events
            if excess > 0:
                start = self._head_capacity
                dropped = records[start : start + excess]
                del records[start : start + excess]
                self._cuts.append(excess)
                self._count_dropped_sites(dropped)

    def _count_dropped_sites(self, dropped: list[Record]) -> None:
        sites = list(map(site_of_record, dropped))
        if not sites:
            return
        counts = self._dropped_sites
        first = sites[0]
        same = sites.count(first)
        if same == len(sites):
            # One call site in a loop, the steady state of a long story: one C-level pass,
            # nothing hashed.
            counts[first] += same
            return
        distinct = set(sites)
        if len(distinct) <= 16:
            # A loop's few call sites: one C-level count of each beats hashing every record.
            for site in distinct:
                counts[site] += sites.count(site)
        else:
            counts.update(sites)

    @property
    def dropped_hits(self) -> dict[HitKey, int]:
        """How many dropped tp events each call site had, by ``(file, line, function, text of
        its first argument)`` (None for none, or a literal)."""
        from chrono._callsite import CallSite

        if len(self._records) > self.max_events:
            self.cut()  # records past the bound since the last cut are dropped, and counted, now
        hits: dict[HitKey, int] = {}
        for site, dropped in self._dropped_sites.copy().items():
            if isinstance(site, CallSite):
                key = (site.file, site.line, site.function, site.first_text)
                hits[key] = hits.get(key, 0) + dropped
        return hits

    @property
    def events(self) -> list[Event]:
        """The kept events, in sequence order (a copy)."""
        head, _, tail = self.parts()
        return head + tail

    @property
    def dropped(self) -> int:
        """How many events the bound discarded (counted, no event built)."""
        # Read with the records' length: a cut between the two would count its records twice.
        with _cutting:
            held = len(self._records)
            cut = sum(self._cuts)
        # Records that arrived past the bound since the last cut are dropped when read.
        return cut + max(held - self.max_events, 0)

    @property
    def received(self) -> int:
        """How many events reached the story, kept or dropped (counted, no event built)."""
        with _cutting:
            return len(self._records) + sum(self._cuts)

    def parts(self) -> tuple[list[Event], int, list[Event]]:
        """``(first events, dropped count, most recent events)``: where the gap falls."""
        if len(self._records) > self.max_events:
            self.cut()
        key = self._parts_key()
        built = self._built_parts
        if built is None or built[0] != key:
            head_records, dropped, tail_records = self.record_parts()
            wall = _events.wall_anchor
            head = [event_of(r, wall) for r in head_records]
            tail = [event_of(r, wall) for r in tail_records]
            built = self._built_parts = (key, head, dropped, tail)
        return list(built[1]), built[2], list(built[3])

    def _parts_key(self) -> tuple[float, ...]:
        """What the events built from the records depend on: a record added or cut, the
        records replaced, the wall clock's anchor moved (after a fork) each change it."""
        return (len(self._records), len(self._cuts), self._generation, _events.wall_anchor)

    def record_parts(self) -> tuple[list[Record], int, list[Record]]:
        """``parts()`` as stored records, made into no event: for readers that need little of
        each (``_events.what_ran``)."""
        records, dropped = self.ordered_records()
        split = min(self._head_capacity, len(records))
        return records[:split], dropped, records[split:]

    def newest_records(self, after: int, limit: int) -> tuple[list[Record], int, int]:
        """The records received with a sequence number above ``after``, at most ``limit`` of
        the newest, in the order received; how many more there were; and how many records the
        story has received in all, kept or cut (the flight recorder's question: a binary
        search of the list, which is in sequence order but for a record a thread appended a
        moment late, and no copy of it)."""
        with _cutting:
            records = self._records
            low, high = 0, len(records)
            while low < high:
                middle = (low + high) // 2
                if records[middle][0] <= after:
                    low = middle + 1
                else:
                    high = middle
            newer = len(records) - low
            taken = min(newer, limit)
            found = records[len(records) - taken :] if taken else []
            return found, newer - taken, len(records) + sum(self._cuts)

    def ordered_records(self) -> tuple[list[Record], int]:
        """The stored records kept, in sequence order, and how many were dropped between the
        first fifth and the rest: ``record_parts()`` unsplit, for readers that take all of
        them alike (a passing test's story, made compact when it ends)."""
        if len(self._records) > self.max_events:
            self.cut()
        # The records and the count of those cut must be read together: a cut between the two
        # would count its records twice, or not at all.
        with _cutting:
            records = self._records.copy()
            dropped = sum(self._cuts) if self._cuts else 0
        if len(records) > self.max_events:
            # Records that arrived since the cut above: the bound applies to them too.
            split = self._head_capacity
            dropped += len(records) - self.max_events
            records = records[:split] + records[len(records) - self.max_events + split :]
        # Threads take their sequence number before they append, so neighbours can arrive out
        # of order, even across the head and the tail: sort them together (nearly sorted, so
        # in linear time). A record's first field is its sequence number, as an event's is.
        records.sort(key=_sequence_of)
        return records, dropped

    def records_as_they_came(self) -> list[Record]:
        """The stored records themselves, in the order they arrived: for a reader that goes
        through them at once and puts what it takes in sequence order only if it needs to (a
        passing test's story, read when it ends: ``ordered_records`` copied and sorted them
        for every test). A thread still recording may add to them meanwhile. Past the bound,
        the records kept, as ``ordered_records`` has them."""
        if len(self._records) > self.max_events:
            return self.ordered_records()[0]
        return self._records

    def records_after(self, seq: int) -> list[Record]:
        """The stored records with a sequence number above ``seq``, in sequence order: the
        part of the story since a mark, read from the end at the cost of that part alone (a
        test with thousands of subtests reads each one's part, never the whole story again)."""
        with _cutting:  # a cut moves records: not while it runs
            records = self._records
            start = len(records)
            # Records arrive nearly in order (see ordered_records): the part is the run of
            # records at the end above ``seq``.
            while start and records[start - 1][0] > seq:
                start -= 1
            part = records[start:]
        part.sort(key=_sequence_of)
        return part

    def _restore(self, head: list[Event], dropped: int, tail: list[Event]) -> None:
        """Refill a story from plain data (``from_dict``)."""
        self._generation += 1
        self._records[:] = [*head, *tail]
        self._cuts[:] = [dropped] if dropped else []
        if dropped:
            self._head_capacity = len(head)
            self.max_events = max(self.max_events, len(head) + len(tail))

    @property
    def chrono_spans(self) -> list[Span]:
        """The ``(start, end)`` spans (monotonic ns) of chrono's own work while the story ran:
        its first look at each call site. The displayed times leave them out."""
        if self._restored_chrono_spans is not None:
            return list(self._restored_chrono_spans)
        if not self.started_ns:
            return []  # never started
        # Still collecting, or filled by hand from another story's start (the pytest plugin's
        # part after a failure): up to now.
        end = _monotonic_ns() if self.ended_ns is None else self.ended_ns
        return spans_between(self.started_ns, end)

    def values(self, text: str) -> list[str]:
        """The reprs recorded for the argument written as ``text``, in order."""
        return [
            value for event in self.events for item_text, value in event.items if item_text == text
        ]

    def clear(self) -> None:
        """Forget every event collected so far."""
        self._generation += 1
        self._records.clear()
        self._cuts.clear()
        self._dropped_sites.clear()

    def __len__(self) -> int:
        return min(len(self._records), self.max_events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __repr__(self) -> str:
        state = "active" if self._active else "closed"
        events = counted(len(self), "event")
        return f"<chrono.Story {self.name!r} {state}, {events}, {self.dropped:,} dropped>"

    # -- plain data (the chrono.story/2 schema, shipped as chrono/schema/story-2.json) -------

    def to_dict(self) -> dict[str, Any]:
        """The story as JSON-able plain data: every field of every event, and where the gap is."""
        head, dropped, tail = self.parts()
        return {
            "schema": STORY_SCHEMA,
            "name": self.name,
            "started_ns": self.started_ns,
            "ended_ns": self.ended_ns,
            "max_events": self.max_events,
            "dropped": dropped,
            # The index in "events" before which the dropped events fell.
            "dropped_at": len(head) if dropped else None,
            "preexisting_thread_ids": sorted(self.preexisting_threads),
            "chrono_spans": [list(span) for span in self.chrono_spans],
            "events": [
                {**event._asdict(), "items": [list(item) for item in event.items]}
                for event in head + tail
            ],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """``to_dict()`` as a JSON document."""
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Story:
        """A closed story rebuilt from ``to_dict()`` data; keys it does not know are ignored."""
        if data.get("schema") not in READABLE_STORY_SCHEMAS:
            raise ValueError(
                f"chrono: expected a story in the {STORY_SCHEMA!r} schema, "
                f"not {data.get('schema')!r}"
            )
        events = [event_from_dict(raw) for raw in data["events"]]
        dropped = int(data.get("dropped") or 0)
        split = data.get("dropped_at")
        if not dropped or split is None:
            split = len(events)
        story = cls(data.get("name"), max_events=max(int(data.get("max_events") or 1), 1))
        story.started_ns = int(data["started_ns"])
        story.ended_ns = data.get("ended_ns")
        story.preexisting_threads = frozenset(data.get("preexisting_thread_ids") or ())
        story._restored_chrono_spans = spans_from_data(data.get("chrono_spans"))
        story._restore(events[:split], dropped, events[split:])
        return story

    # -- display (delegated, so that rich is imported only when a story is shown) -----------

    def text(self, *, width: int | None = None) -> str:
        """The story as plain text with no colour codes, one line per event; call sites are
        shortened for a line ``width`` wide (by default the terminal's)."""
        from chrono.render import story_text

        return story_text(self, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from chrono.render import StoryView

        yield StoryView(self)

    def _repr_html_(self) -> str:
        """The story in a notebook: as the terminal shows it, in HTML."""
        from chrono.render import story_html

        return story_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The story in a terminal IPython: its plain text."""
        printer.text(repr(self) if cycle else self.text())

    # -- activation ---------------------------------------------------------------------------

    def start(self) -> Story:
        """Begin collecting; prefer ``with story:``, which also stops it."""
        if self._active:
            raise RuntimeError(f"chrono: {self!r} is already active")
        self._active = True
        # Disabled means inert: a story opened while chrono is off stays empty for its whole
        # life, even if chrono is turned on inside it, and costs nothing (not even logging).
        self._inert = not is_enabled()
        if self._inert:
            return self
        # A context story hears only its own context, whichever pooled thread runs it (an ASGI
        # server's executor, say): none of its events is an earlier story's leftover, and a
        # request does not pay for listing the process's threads.
        if self.scope == Scope.PROCESS:
            threads = threading.enumerate()
            if len(threads) == 1:  # this one: no other ran before
                self.preexisting_threads = frozenset()
            else:
                current = threading.get_ident()
                self.preexisting_threads = frozenset(
                    thread.ident
                    for thread in threads
                    if thread.ident is not None and thread.ident != current
                )
        if self.capture_logs and "chrono._logs" not in sys.modules:
            # The first story imports the log bridge: chrono's own time, kept off the story's.
            importlib.import_module("chrono._logs")
        self.started_ns = _monotonic_ns()
        take_wall_anchor()
        self.ended_ns = None
        # Observers hear of the story once its start is known, before its first event.
        self.listener = self.echo
        if _config.settings.flight is not None:
            # configure(flight=...): the recorder is an observer, registered on first need.
            from chrono._flight import observe_configured

            observe_configured()
        if collecting.observers:
            self._tell_observers_started()
        if self.scope == Scope.PROCESS:
            collecting.push_process(self)
        else:
            self._context_token = collecting.push_context(self)
        if self.capture_logs:
            from chrono._logs import bridge

            bridge.attach()
        return self

    def stop(self, error: BaseException | None = None) -> None:
        """Stop collecting; the events stay. ``error``: the exception that ended it, if one
        did (observers are told)."""
        if not self._active:
            return
        self._active = False
        if self._inert:
            return
        self.ended_ns = _monotonic_ns()
        if self.capture_logs:
            from chrono._logs import bridge

            bridge.detach()
        if self.scope == Scope.PROCESS:
            collecting.remove_process(self)
        else:
            collecting.remove_context(self, self._context_token)
            self._context_token = None
        if self._observers:
            self._tell_observers_stopped(error)

    @property
    def active(self) -> bool:
        """Whether the story is collecting events now."""
        return self._active and not self._inert

    def __enter__(self) -> Story:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop(exc)
        # Nothing rides on an exception while chrono is off, whenever the story began, nor
        # when the story holds no event: an empty story adds nothing anywhere.
        tells = self.attach_to_exceptions and not self._inert and is_enabled() and len(self)
        if tells and isinstance(exc, Exception):
            _tell_story_with_exception(self, exc)

    def __call__(self, function: _Function) -> _Function:
        """Use the story as a decorator: each call of ``function`` collects a fresh story."""
        name = self.name or getattr(function, "__qualname__", None) or repr(function)

        def fresh() -> Story:
            return Story(
                name,
                max_events=self.max_events,
                scope=self.scope,
                echo=self.echo,
                attach_to_exceptions=self.attach_to_exceptions,
                capture_logs=self.capture_logs,
            )

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                __tracebackhide__ = True  # pytest shows the user's frames only
                with fresh():
                    try:
                        return await function(*args, **kwargs)
                    except BaseException as error:
                        _drop_own_frame(error)
                        raise

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True  # pytest shows the user's frames only
            with fresh():
                try:
                    return function(*args, **kwargs)
                except BaseException as error:
                    _drop_own_frame(error)
                    raise

        return run  # type: ignore[return-value]


def _each_of(listeners: tuple[EventCallback, ...]) -> EventCallback:
    """One listener that hands each event to every one of ``listeners``; one that raises does
    not keep the event from the others, nor reach the program."""

    def tell_each(event: Event) -> None:
        for listener in listeners:
            try:
                listener(event)
            except Exception as error:
                if not swallowed(error):
                    raise

    return tell_each


def _drop_own_frame(error: BaseException) -> None:
    """Take the calling wrapper's frame off the traceback of an error passing through it.

    The frame was added when the error reached it; from Python 3.11 a bare ``raise`` goes on
    with ``error.__traceback__`` as it is and adds no frame, so the traceback reads as if the
    decorated function had been called directly. Before 3.11 a bare ``raise`` restores the
    traceback the handler was entered with, so there is nothing to gain.
    """
    if sys.version_info < (3, 11):
        return
    traceback = error.__traceback__
    if traceback is not None and traceback.tb_frame is sys._getframe(1):
        error.__traceback__ = traceback.tb_next


def story_part(story: Story, events: list[Event]) -> Story:
    """A closed story of the same name and start that holds ``events``, a part of ``story``
    (a test's report tells the part that no earlier report told)."""
    if len(events) == len(story):
        return story
    part = Story(story.name, max_events=story.max_events, capture_logs=False)
    part.started_ns = story.started_ns
    part.preexisting_threads = story.preexisting_threads
    for event in events:
        part.add(event)
    return part


def story(name: str | None = None, *, max_events: int | None = None) -> Story:
    """Collect the events emitted inside a ``with`` block or a decorated function.

    Events from every thread are collected and buffered, not printed. When an exception leaves
    the story, the story rides on it: an exception note on Python 3.11+, printed to stderr on
    older Pythons. The exception propagates unchanged. With chrono off, the story records
    nothing and attaches nothing.
    """
    return Story(name, max_events=max_events)


def _tell_story_with_exception(story: Story, exc: BaseException) -> None:
    """Put the story where the traceback will show it, once per exception."""
    previous_note: str | None = getattr(exc, "__chrono_note__", None)
    if previous_note is not None and story.scope == Scope.CONTEXT:
        return
    text = story.text()
    if sys.version_info >= (3, 11):
        # An enclosing process story holds everything an inner one does, and more: keep one
        # note, the outermost story's, rather than the same events twice.
        notes: list[str] = getattr(exc, "__notes__", [])
        if previous_note is not None and previous_note in notes:
            notes.remove(previous_note)
        exc.add_note(text)
    elif not any(other.attach_to_exceptions for other in active_stories()):
        # No notes on this Python: print now, unless an enclosing story will print a fuller one.
        sys.stderr.write(text + "\n")
    with contextlib.suppress(AttributeError, TypeError):
        exc.__chrono_note__ = text  # type: ignore[attr-defined]


#: The sequence number of a record or an event: the first field of both.
_sequence_of = itemgetter(0)


# Held while a story cuts its records or reads them with what was cut (see Story.cut). Taken
# only in with blocks, which an interrupt cannot leave holding it (on 3.10+), and reentrant:
# a garbage collection inside a reader's block may run a __del__ whose tp cuts.
_cutting = threading.RLock()


def _reset_after_fork() -> None:
    """Give the child a fresh lock: another thread may have held it when the process forked
    (a story held by a cutting thread would never be cut again in the child)."""
    global _cutting
    _cutting = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
