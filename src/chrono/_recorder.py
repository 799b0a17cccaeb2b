"""What an enabled ``tp`` call does: record it in the collecting stories, or print it.

This is the buffered hot path. Per call it reads the clock, looks the call site up in a cache,
takes each value's repr (an int is kept as it is: it cannot change), and appends one small
tuple to each collecting story. Events are built, and anything formatted, only when a story
is read. docs/performance.md counts what each step costs.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Any

from chrono import _config, _output
from chrono._callsite import UNKNOWN_TEXT, CallSite, call_site
from chrono._cells import host_task
from chrono._collecting import collecting
from chrono._errors import swallowed
from chrono._events import sequence_numbers
from chrono._nothing import _NOTHING
from chrono._values import MASK, safe_repr

if TYPE_CHECKING:
    from chrono._values import Secrets

_monotonic_ns = time.monotonic_ns
_current_thread = threading.current_thread
_get_ident = threading.get_ident
# threading's own map of running threads by ident: current_thread() without its Python call.
_threads_by_ident: dict[int, threading.Thread] = getattr(threading, "_active", {})
_modules = sys.modules
_getframe = sys._getframe
_context_stories = collecting.context.get

# The threads inside chrono's own work in tp right now: reading a call site, taking a repr,
# cutting a story, delivering, printing. A tp call from inside that work in the same thread (a
# __repr__ that calls tp, a signal handler that fires mid-record) is let through without
# recording, so that chrono never recurses into itself or waits on a lock its own thread holds.
# A tp(n) at a known call site into a test's story runs none of it, and takes no mark: a tp
# that interrupts it records its own event. A set of idents costs less per call than a
# threading.local.
_busy: set[int] = set()
_busy_add = _busy.add
_busy_discard = _busy.discard
#: The functions that mark their thread busy, as ``(file, function name)`` of their code: tp
#: (whose code is the recording body's, renamed) and the logpoints' hook, which adds itself.
busy_holders: set[tuple[str, str]] = {(__file__, "tp")}


class _Unseen:
    """What the call-site table gives for an offset it holds nothing at: no frame runs its code."""

    code = None


_UNSEEN: Any = _Unseen()


def _left_behind(ident: int) -> bool:
    """Whether this thread's busy mark was left behind, and if so clear it.

    A mark is taken and given back around tp's body, but an interrupt can land between a
    step and the ``try`` that undoes it (on 3.9 even inside the ``finally``), and leave the
    mark with no tp running: the thread would record nothing again. A mark is real while a
    frame that took it is still on this thread's stack; the walk runs only when the thread
    looks busy, never on an ordinary call.
    """
    frame: FrameType | None = _getframe(2)  # above this function and the tp that asks
    while frame is not None:
        code = frame.f_code
        if (code.co_filename, code.co_name) in busy_holders:
            return False
        frame = frame.f_back
    _busy_discard(ident)
    return True


def _forget_other_threads() -> None:
    # Threads that were recording when the process forked do not exist in the child, and the
    # child's own threads may be given their idents. The thread that forked stays busy if it
    # was: it is still inside tp (a __repr__ that forks), and will leave it.
    forking = _get_ident()
    was_busy = forking in _busy
    _busy.clear()
    if was_busy:
        _busy_add(forking)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_other_threads)


#: The names of this module that ``recording_tp`` reads, lent to ``tp`` by
#: ``chrono._switch.enable``: tp runs in a namespace of its own, which holds these and no more.
#: Each is bound once, at import: a name rebound later would not reach tp (the test switch
#: for internal errors is read inside ``swallowed``). tests/test_switch.py holds this list to
#: what tp's code reads.
TP_BORROWS = (
    "_NOTHING",
    "_UNSEEN",
    "_busy",
    "_busy_add",
    "_busy_discard",
    "_config",
    "_context_stories",
    "_current_thread",
    "_get_ident",
    "_getframe",
    "_items",
    "_left_behind",
    "_modules",
    "_monotonic_ns",
    "_output",
    "_task_name",
    "_threads_by_ident",
    "call_site",
    "collecting",
    "safe_repr",
    "sequence_numbers",
    "swallowed",
)


def recording_tp(first: Any = _NOTHING, /, *more: Any, **named: Any) -> Any:
    """The body of ``tp`` while chrono is on: record the call, return the values; never raises.

    It runs as ``tp`` itself (``chrono._switch`` swaps its code into ``tp`` and lends it the
    names in ``TP_BORROWS``), so that recording costs no Python call beyond ``tp``'s own: each call
    costs about as much as reading a clock, and this runs on every ``tp``. It builds one small
    tp record, not an ``Event``: stories make the event when they are read (see
    ``chrono._events.TpRecord``). The signature is the disabled ``tp``'s: a call with one
    value packs no tuple. (``**named`` costs a dict on every call, keywords or not: CPython
    accepts keywords of any name no other way.)
    """
    now_ns = _monotonic_ns()
    ident = _get_ident()
    if ident not in _busy or _left_behind(ident):
        # The busy mark is taken only before chrono's own work that may run the program's code
        # or take a lock (a call site read, a repr, a cut, a delivery, the output); a tp(n) at
        # a known call site into a test's story does none of it, and pays for no mark.
        marked = False
        try:
            settings = _config.settings
            frame = _getframe(1)
            try:
                site = settings.sites_by_offset[frame.f_lasti]
            except KeyError:
                site = _UNSEEN
            shown: int | str | tuple[tuple[str, str], ...]
            if type(first) is int and site.code is frame.f_code and site.one_plain_value:
                # tp(n), the commonest call: an int is kept itself (it cannot change, so its
                # repr taken when the story is read is the one it had now).
                shown = first
                label = None
            else:
                # Inside the try: an interrupt that lands as the mark is taken finds the finally.
                marked = True
                _busy_add(ident)
                if site.code is not frame.f_code:
                    site = call_site(
                        frame, (first is not _NOTHING) + len(more), tuple(named), settings
                    )
                if site.one_plain_value:
                    # tp(x) (its one value is ``first``): the record holds one repr, no items.
                    if type(first) is int:
                        shown = first
                    else:
                        shown = safe_repr(first, settings.repr_limit, settings.secrets)
                    label = None
                else:
                    values = () if first is _NOTHING else (first, *more)
                    label, shown = _items(
                        site, values, named, settings.repr_limit, settings.secrets
                    )
            del frame
            try:
                thread = _threads_by_ident[ident]
            except KeyError:  # a thread threading did not start: current_thread() names it
                marked = True
                _busy_add(ident)
                thread = _current_thread()
            task = None
            # asyncio is looked up, never imported: a program that does not use it pays nothing.
            if "asyncio" in _modules:
                asyncio = _modules["asyncio"]
                if asyncio._get_running_loop() is not None:
                    marked = True  # a task class of the program's may name itself
                    _busy_add(ident)
                    task = _task_name(asyncio)
            # A plain tuple in the order of _events.TpRecord's fields: the named tuple would
            # cost two fifths more per call.
            tp_record = (next(sequence_numbers), now_ns, thread, task, site, label, shown)
            sole = collecting.sole
            if sole is not None:
                # One story (a test's), no story of a context anywhere: one append, no loop.
                records, cut_at, story = sole
                records.append(tp_record)
                if len(records) >= cut_at:
                    marked = True
                    _busy_add(ident)
                    story.cut()
            else:
                marked = True
                _busy_add(ident)
                in_context = _context_stories()
                if in_context or collecting.process:
                    collecting.deliver(tp_record, in_context)
                else:
                    if _output.sink_settings is not settings:
                        _output.resolve_sink(settings)
                    _output.sink(tp_record)  # type: ignore[misc]
        except Exception as error:
            # chrono's own failure is swallowed; what a signal handler raised while tp ran
            # (a timeout) is the program's, and goes on to the caller unchanged.
            try:
                own = swallowed(error)
            except RecursionError:
                # Too near the recursion limit even to look where the error came from: chrono's
                # work ran out of frames (a signal handler's code would be on the traceback
                # only if it had found a frame to run in).
                own = True
            if not own:
                raise
        finally:
            if marked:
                _busy_discard(ident)
    if named:
        values = (*more, *named.values()) if first is _NOTHING else (first, *more, *named.values())
        return values if len(values) > 1 else values[0]
    if more:
        return (first, *more)
    return None if first is _NOTHING else first


def _items(
    site: CallSite,
    values: tuple[Any, ...],
    named: dict[str, Any],
    limit: int,
    secrets: Secrets | None,
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The label and the items of any call but ``tp(x)``: positional values, then keywords."""
    texts = site.texts
    label = None
    items = []
    if texts is None:
        # No names to mask by: all the values are masked if the call's code reads a secret.
        for value in values:
            items.append(
                (UNKNOWN_TEXT, MASK if site.mask_unnamed else safe_repr(value, limit, secrets))
            )
    else:
        start = 0
        if site.has_label:
            label = values[0]
            start = 1
        secret = site.secret
        for index in range(start, len(values)):
            text = MASK if secret[index] else safe_repr(values[index], limit, secrets)
            # A literal has no text of its own: its item is the value alone.
            items.append((texts[index] or text, text))
    # A keyword names its value, source or not: the name comes with the call.
    for name, value in named.items():
        masked = secrets is not None and (
            site.mask_unnamed or name in site.secret_keywords or secrets.is_secret_name(name)
        )
        items.append((name, MASK if masked else safe_repr(value, limit, secrets)))
    return label, tuple(items)


def _task_name(asyncio: Any) -> str | None:
    task = asyncio.current_task()
    if task is None:
        return None
    if "IPython" in _modules and host_task(task):
        # The task a kernel runs a cell in is no task of the program's.
        return None
    name: str = task.get_name()
    return name


def record_values(now_ns: int, ident: int, site: CallSite, values: tuple[Any, ...]) -> None:
    """Record ``values`` at ``site`` as a ``tp`` call there would have (a logpoint's event):
    the same record, handed to the collecting stories or the live output. The caller holds the
    re-entry guard (``_busy``).

    ``recording_tp`` keeps its own copy of these steps: a call to this from ``tp`` would cost
    every recorded call a Python call more.
    """
    settings = _config.settings
    shown: int | str | tuple[tuple[str, str], ...]
    label = None
    if not values:
        shown = ()  # a marker, as tp() is
    elif site.one_plain_value:
        first = values[0]
        shown = (
            first if type(first) is int else safe_repr(first, settings.repr_limit, settings.secrets)
        )
    else:
        label, shown = _items(site, values, {}, settings.repr_limit, settings.secrets)
    try:
        thread = _threads_by_ident[ident]
    except KeyError:
        thread = _current_thread()
    task = None
    if "asyncio" in _modules:
        asyncio = _modules["asyncio"]
        if asyncio._get_running_loop() is not None:
            task = _task_name(asyncio)
    tp_record = (next(sequence_numbers), now_ns, thread, task, site, label, shown)
    sole = collecting.sole
    if sole is not None:
        records, cut_at, story = sole
        records.append(tp_record)
        if len(records) >= cut_at:
            story.cut()
        return
    in_context = _context_stories()
    if in_context or collecting.process:
        collecting.deliver(tp_record, in_context)
    else:
        if _output.sink_settings is not settings:
            _output.resolve_sink(settings)
        _output.sink(tp_record)  # type: ignore[misc]
