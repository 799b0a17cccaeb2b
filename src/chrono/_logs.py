"""Log records as story events: one chronology instead of a separate "captured log" box.

chrono is not one of logging's handlers. A handler on the root logger would be removed by the
first ``dictConfig`` (Django's ``settings.LOGGING``, ``basicConfig(force=True)``), and while
there it would count as a handler, so logging's last resort would no longer print a warning
in a program that configured nothing. Instead, while a story collects logs, chrono watches
the point where logging hands a record to the handlers, ``Logger.callHandlers``: a record gets
there only when logging itself keeps it (the logger is enabled, its level and filters let the
record through), whichever handlers the program has, and then goes on to them unchanged.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import types
from typing import Callable

from chrono import _config
from chrono._callsite import logged_function_name
from chrono._collecting import active_stories
from chrono._errors import swallowed
from chrono._events import Event, next_sequence_number
from chrono._switch import is_enabled
from chrono._values import truncated, without_lone_surrogates

OWN_LOGGER = "chrono"

_CallHandlers = Callable[[logging.Logger, logging.LogRecord], None]
#: The file name of chrono's wrapper: in logging's directory, so that logging's own report of
#: a failing handler skips it, and plainly chrono's wherever a traceback shows it.
_IN_LOGGING = os.path.join(os.path.dirname(logging.__file__), "<chrono: log observer>")


def log_event(record: logging.LogRecord) -> Event:
    """The event for one log record: label is the level, the item is (logger, message)."""
    now_ns = time.monotonic_ns()
    limit = _config.settings.repr_limit
    message = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        message += f" [{type(error).__name__}: {error}]"
    if len(message) > limit:
        message = truncated(message, limit, len(message), "character")
    if not message.isascii():
        # A file name decoded with surrogateescape, say: escaped, or no file could hold it.
        message = without_lone_surrogates(message)
    secrets = _config.settings.secrets
    if secrets is not None:
        message = secrets.mask_fields(message)
    return Event(
        seq=next_sequence_number(),
        monotonic_ns=now_ns,
        wall=record.created,
        thread=record.threadName or threading.current_thread().name,
        task=getattr(record, "taskName", None),
        file=record.pathname,
        line=record.lineno,
        function=_function_name(record),
        label=record.levelname,
        items=((record.name, message),),
        kind="log",
        thread_id=record.thread or 0,
    )


def _function_name(record: logging.LogRecord) -> str:
    """The logging function's qualified name; its plain ``funcName`` if that cannot be had."""
    try:
        return logged_function_name(record)
    except Exception as error:
        if not swallowed(error):
            raise
        return record.funcName


class _Bridge:
    """Watches ``Logger.callHandlers`` while any story collects logs (reference-counted).

    The first story to attach wraps the method; the last to detach puts it back, so that
    outside stories logging runs exactly its own code. Another library may wrap the method
    over chrono's meanwhile (Sentry's logging integration does): chrono's wrapper then stays
    inside theirs, idle, and is woken again by the next story instead of wrapping twice.
    """

    def __init__(self) -> None:
        self._users = 0
        self._lock = threading.Lock()
        #: chrono's wrapper while it is in logging's call chain, else None.
        self._wrapper: _CallHandlers | None = None
        #: What the wrapper calls: the method it replaced.
        self._wrapped: _CallHandlers | None = None
        #: Whether the wrapper turns records into events (it only passes them on otherwise).
        self._observing = False

    def attach(self) -> None:
        """One more story collects logs: make sure records reach it."""
        with self._lock:
            self._users += 1
            if self._users == 1:
                self._install()

    def detach(self) -> None:
        """One story fewer collects logs; the last one takes chrono out of logging."""
        with self._lock:
            self._users = max(self._users - 1, 0)
            if self._users == 0:
                self._uninstall()

    def uninstall(self) -> None:
        """Take chrono out of logging now, whatever stories are open (they get no records)."""
        with self._lock:
            self._users = 0
            self._uninstall()

    def _install(self) -> None:
        if self._wrapper is not None and vars(logging.Logger).get("callHandlers") is self._wrapped:
            # Someone put back the method chrono had wrapped: the wrapper is out of the chain.
            self._wrapper = self._wrapped = None
        if self._wrapper is None:
            wrapped: _CallHandlers = logging.Logger.callHandlers
            observer = self

            def call_handlers(logger: logging.Logger, record: logging.LogRecord) -> None:
                # Another library may still call an old wrapper of chrono's (it took it for
                # logging's own method): only the newest one records, so nothing is twice.
                if observer._observing and observer._wrapper is call_handlers:
                    observer._observe(record)
                wrapped(logger, record)

            # The wrapper's frame is on the stack while the handlers run, and code there finds
            # the logging call by walking past logging's own frames: by file (logging's report
            # of a failing handler) or by module name (structlog's call-site processor). So
            # the wrapper passes as logging's on both counts: its file name is in logging's
            # folder and its globals are logging's (it reads none; its names are closed over).
            call_handlers = types.FunctionType(
                call_handlers.__code__.replace(co_filename=_IN_LOGGING),
                vars(logging),
                "callHandlers",
                None,
                call_handlers.__closure__,
            )
            functools.update_wrapper(call_handlers, wrapped)
            # Logging first: a child forked in between then wraps again rather than trusting a
            # wrapper that logging never got (the older one records nothing, see above).
            logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
            self._wrapped = wrapped
            self._wrapper = call_handlers
        self._observing = True

    def _uninstall(self) -> None:
        self._observing = False
        if self._wrapper is None:
            return
        if vars(logging.Logger).get("callHandlers") is self._wrapper:
            logging.Logger.callHandlers = self._wrapped  # type: ignore[method-assign,assignment]
            self._wrapper = self._wrapped = None
        # Else another wrapper calls chrono's: taking it out would cut theirs off from logging.

    @staticmethod
    def _observe(record: logging.LogRecord) -> None:
        """Turn one record into an event of every story collecting logs (never raises)."""
        name = record.name
        if name == OWN_LOGGER or name.startswith(OWN_LOGGER + "."):
            return  # chrono's own output (a story logged by the Django middleware)
        if not is_enabled():
            return  # a story opened while chrono was on records nothing while it is off
        try:
            stories = [story for story in active_stories() if story.capture_logs]
            if not stories:
                return
            event = log_event(record)
            for story in stories:
                story.add(event)
        except Exception as error:
            # The record still goes to the program's handlers, which report a bad format
            # themselves; chrono adds nothing to what the program prints.

            if not swallowed(error):
                raise


bridge = _Bridge()


def _reset_after_fork() -> None:
    # A thread starting or stopping a story when the process forked would leave the lock
    # held in the child, and the child's first story would wait on it for ever.
    bridge._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
