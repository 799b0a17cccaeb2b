"""Events: what happened, as plain data, and the tp records they are made from.

A ``tp`` call leaves a ``TpRecord``, the least it can know cheaply; a story turns it into an
``Event`` when it is read. Nothing here formats anything: ``chrono.render`` turns events into
text. Stories, which hold events, are in ``chrono._story``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from itertools import count
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional, Union

from chrono import _config
from chrono._values import safe_repr

if TYPE_CHECKING:
    from chrono._callsite import CallSite

#: The process-wide sequence counter. ``next()`` on ``itertools.count`` is a single C call, so
#: under the GIL two threads never receive the same number.
sequence_numbers = count(1)
next_sequence_number: Callable[[], int] = sequence_numbers.__next__

# Builds a named tuple without its Python-level __new__.
_tuple_new = tuple.__new__

#: The kind of the events a test runner adds to mark where a subtest ended.
SUBTEST_KIND = "subtest"


class Event(NamedTuple):
    """One thing that happened, by ``kind``: ``"tp"`` (a ``tp`` call), ``"log"`` (a log
    record) or ``"subtest"`` (a test runner's mark where a subtest ended).

    Read-only plain data (a named tuple), so it pickles and crosses process boundaries.
    ``items`` holds ``(text, repr)`` pairs: the argument's source text and the value's repr,
    taken when the event happened. For a log record, ``label`` is the level name and the one
    item is ``(logger name, message)``.
    """

    seq: int
    monotonic_ns: int
    wall: float
    thread: str
    task: str | None
    file: str
    line: int
    function: str
    label: str | None
    items: tuple[tuple[str, str], ...]
    kind: str = "tp"
    thread_id: int = 0


class TpRecord(NamedTuple):
    """What the recorder hands a story for one ``tp`` call: only what the call alone can know.

    A story turns it into an ``Event`` when it is read (``event_of``), so that the hot path
    builds no event and reads no wall clock; a story holds tp records and ready events (log
    records, restored stories) side by side. The recorder builds a plain tuple in these
    fields' order (``RawTpRecord``): building this named tuple would cost every recorded call
    two fifths more (39% more instructions on 3.11). Readers take it by name with
    ``read_tp_record``.
    """

    seq: int
    monotonic_ns: int
    #: The thread itself: reading its name costs a Python call, paid when the story is read.
    thread: threading.Thread
    task: str | None
    #: The call site, shared by every call made there.
    site: CallSite
    label: str | None
    #: For a one-value call, its repr, or the value itself when it is an int (immutable, so
    #: its repr taken later is the one it had); for any other call, the tuple of items.
    shown: int | str | tuple[tuple[str, str], ...]


#: A tp record as the recorder builds it: a plain tuple of ``TpRecord``'s fields, in order
#: (tests/test_events.py holds the recorder to it).
RawTpRecord = tuple[
    int,
    int,
    threading.Thread,
    Optional[str],
    "CallSite",
    Optional[str],
    Union[int, str, tuple[tuple[str, str], ...]],
]

#: What a story stores: a tp record, or an event that was ready when it came.
Record = Union[RawTpRecord, Event]


def read_tp_record(record: RawTpRecord) -> TpRecord:
    """The record, read by field name."""
    return _tuple_new(TpRecord, record)


#: The call site of a tp record (for an event, its task: not a call site, and never counted).
#: A C-level getter, so that a story counts its dropped records per site without a loop.
site_of_record = itemgetter(4)


def event_of(record: Record | TpRecord, wall_at_zero: float) -> Event:
    """The ``Event`` for a stored record; ``wall_at_zero`` is the wall clock, in seconds, when
    the monotonic clock read zero (the wall time of a tp record is derived from it)."""
    if isinstance(record, Event):
        return record
    record = read_tp_record(record)
    site = record.site
    items = items_of_shown(record.shown, site.first_text)
    thread = record.thread
    return _tuple_new(
        Event,
        (
            record.seq,
            record.monotonic_ns,
            wall_at_zero + record.monotonic_ns / 1e9,
            thread.name,
            record.task,
            site.file,
            site.line,
            site.function,
            record.label,
            items,
            "tp",
            thread.ident or 0,
        ),
    )


#: The call site whose runs a story's hit counter counts: ``(file, line, function, text of
#: the first argument)``, the text None where there is none or it is a literal.
HitKey = tuple[str, int, str, Optional[str]]
#: Where an event was recorded, as a comparison reads it: ``(kind, file, line, function, first
#: text)``. A tp call site keeps its own (``CallSite.where``), shared by all its events.
Where = tuple[str, str, int, str, Optional[str]]
#: What ran, as a comparison reads it, taken from a record at little cost: ``(where, label,
#: shown, seq, thread name)``. ``shown`` is a tp record's (an int, a repr, or the items) or an
#: event's items; ``items_of_shown`` makes it items.
WhatRan = tuple[Where, Optional[str], Union[int, str, tuple[tuple[str, str], ...]], int, str]


def what_ran(record: Record) -> WhatRan:
    """A record's ``WhatRan``, without building its ``Event`` or taking any repr: a passing
    test's story is kept, and compared, by this alone."""
    if isinstance(record, Event):
        where = (record.kind, record.file, record.line, record.function, None)
        return (where, record.label, record.items, record.seq, record.thread)
    # Unpacked in TpRecord's field order (tests/test_events.py holds the recorder to it),
    # which halves what this costs against reading it by name.
    seq, _monotonic_ns, thread, _task, site, label, shown = record
    return (site.where, label, shown, seq, thread.name)


def what_ran_within(
    records: Iterable[Record], first: int, last: int, *, by_sequence: bool = False
) -> list[WhatRan]:
    """The ``WhatRan`` of each record made from ``first`` to ``last`` on the monotonic clock (or
    by sequence number); a test runner's subtest marks are left out, being no part of what
    the program did."""
    # Every passing test pays this once for all its records, so a tp record is read here
    # without a call per record, and a thread's name (a property) only where the thread
    # differs from the record before's (records of one thread come in runs).
    ran: list[WhatRan] = []
    append = ran.append
    thread_before = None
    name = ""
    for record in records:
        if isinstance(record, Event):
            at = record.seq if by_sequence else record.monotonic_ns
            if first <= at <= last and record.kind != SUBTEST_KIND:
                append(what_ran(record))
            continue
        seq, monotonic_ns, thread, _task, site, label, shown = record
        if not first <= (seq if by_sequence else monotonic_ns) <= last:
            continue
        if thread is not thread_before:
            thread_before = thread
            name = thread.name
        append((site.where, label, shown, seq, name))
    return ran


def items_of_shown(
    shown: int | str | tuple[tuple[str, str], ...], first_text: str | None
) -> tuple[tuple[str, str], ...]:
    """The ``(text, repr)`` items of what a record shows (see ``TpRecord.shown``)."""
    if isinstance(shown, tuple):
        return shown
    if isinstance(shown, int):
        # A small int's repr is short and safe; any other goes the long way.
        if -1_000_000_000 < shown < 1_000_000_000:
            shown = repr(shown)
        else:
            shown = safe_repr(shown, _config.settings.repr_limit, None)
    return ((first_text or shown, shown),)


def event_from_dict(raw: Mapping[str, Any]) -> Event:
    """The event of one entry of a story's plain data (``Story.to_dict``)."""
    fields = {name: raw[name] for name in Event._fields if name in raw}
    fields["items"] = tuple((str(text), str(value)) for text, value in raw["items"])
    return Event(**fields)


def marker_event(label: str, file: str, line: int, function: str) -> Event:
    """An event that marks a point in a story, taking the next sequence number now."""
    seq = next_sequence_number()
    now_ns = time.monotonic_ns()
    thread = threading.current_thread()
    return Event(
        seq,
        now_ns,
        wall_anchor + now_ns / 1e9,
        thread.name,
        None,
        file,
        line,
        function,
        label,
        (),
        SUBTEST_KIND,
        thread.ident or 0,
    )


def has_events(events: list[Event]) -> bool:
    """Whether ``events`` hold anything the program did, not only subtest markers."""
    return any(event.kind != SUBTEST_KIND for event in events)


def wall_at_zero() -> float:
    """The wall clock, in seconds, at which the monotonic clock read zero (as of now)."""
    return time.time() - time.monotonic_ns() / 1e9


#: The anchor stories give their tp records' wall times: one for the process, so that an event
#: has the same wall time in every story that holds it, taken again whenever a story starts
#: (``take_wall_anchor``), so that a long-lived process does not drift from its wall clock.
#: Read it as ``_events.wall_anchor``: it is rebound.
wall_anchor = wall_at_zero()


def take_wall_anchor() -> None:
    global wall_anchor
    wall_anchor = wall_at_zero()
