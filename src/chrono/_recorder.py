"""What an enabled ``tp`` call does: build one ``Event`` and hand it to the stories or print it.

This is the buffered hot path. Per call it reads the clocks, looks the call site up in a cache,
takes each value's repr, and appends a tuple to each collecting story. Nothing is formatted
until a story is shown.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from chrono import _config
from chrono._callsite import UNKNOWN_TEXT, _sites, call_site
from chrono._events import Event, _collecting, next_sequence_number
from chrono._output import emit
from chrono._values import MASK, safe_repr

#: Tests set this so that errors chrono normally swallows (to protect the user's program)
#: are raised where the test suite can see them.
RAISE_INTERNAL_ERRORS = False

_tuple_new = tuple.__new__
_current_thread = threading.current_thread
_wall = time.time
_modules = sys.modules
_getframe = sys._getframe
_context_stories = _collecting.context.get


class _Reentry(threading.local):
    # A tp call from inside chrono's own work in this thread (a __repr__ that calls tp, a
    # signal handler that fires mid-record) is let through without recording, so that chrono
    # never recurses into itself or waits on a lock its own thread holds.
    busy = False


_reentry = _Reentry()


def record(now_ns: int, values: tuple[Any, ...]) -> None:
    """Record one ``tp(*values)`` call made by the caller of ``tp``; never raises.

    One function on purpose: each Python call costs about as much as reading a clock, and this
    runs on every ``tp``.
    """
    reentry = _reentry
    if reentry.busy:
        return
    reentry.busy = True
    try:
        settings = _config.settings
        frame = _getframe(2)
        site = _sites.get((id(frame.f_code), frame.f_lasti))
        if site is None:
            site = call_site(frame, len(values), settings.secrets)
        del frame
        limit = settings.repr_limit
        secrets = settings.secrets
        texts = site.texts
        label: str | None = None
        if texts is None:
            # No names to mask by: all the values are masked if the call's code reads a secret.
            items = tuple(
                (UNKNOWN_TEXT, MASK if site.mask_unnamed else safe_repr(value, limit, secrets))
                for value in values
            )
        elif len(values) == 1 and not site.has_label:
            # tp(x), the commonest call: one item, no loop.
            shown = MASK if site.secret[0] else safe_repr(values[0], limit, secrets)
            items = ((texts[0] or shown, shown),)
        else:
            start = 0
            if site.has_label:
                label = values[0]
                start = 1
            secret = site.secret
            collected = []
            for index in range(start, len(values)):
                shown = MASK if secret[index] else safe_repr(values[index], limit, secrets)
                # A literal has no text of its own: its item is the value alone.
                collected.append((texts[index] or shown, shown))
            items = tuple(collected)
        # asyncio is looked up, never imported: a program that does not use it pays nothing.
        asyncio = _modules.get("asyncio")
        thread = _current_thread()
        event: Event = _tuple_new(
            Event,
            (
                next_sequence_number(),
                now_ns,
                _wall(),
                thread.name,
                None if asyncio is None else _task_name(asyncio),
                site.file,
                site.line,
                site.function,
                label,
                items,
                "tp",
                thread.ident or 0,
            ),
        )
        stories = _collecting.process
        in_context = _context_stories()
        if in_context:
            stories += in_context
        if stories:
            for story in stories:
                story.add(event)
        else:
            emit(event)
    except Exception:
        if RAISE_INTERNAL_ERRORS:
            raise
    finally:
        reentry.busy = False


def _task_name(asyncio: Any) -> str | None:
    if asyncio._get_running_loop() is None:
        return None
    task = asyncio.current_task()
    return None if task is None else task.get_name()
