"""Log records as story events: one chronology instead of a separate "captured log" box."""

from __future__ import annotations

import logging
import os
import threading
import time

from chrono import _config
from chrono._callsite import logged_function_name
from chrono._events import Event, active_stories, next_sequence_number
from chrono._values import without_lone_surrogates

OWN_LOGGER = "chrono"


class StoryLogHandler(logging.Handler):
    """Turns each log record that reaches it into an event of every story collecting logs."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == OWN_LOGGER or record.name.startswith(OWN_LOGGER + "."):
            return  # chrono's own output (a story logged by the Django middleware)
        stories = [story for story in active_stories() if story.capture_logs]
        if not stories:
            return
        try:
            event = log_event(record)
        except Exception:
            self.handleError(record)
            return
        for story in stories:
            story.add(event)


def log_event(record: logging.LogRecord) -> Event:
    """The event for one log record: label is the level, the item is (logger, message)."""
    now_ns = time.monotonic_ns()
    limit = _config.settings.repr_limit
    message = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        message += f" [{type(error).__name__}: {error}]"
    if len(message) > limit:
        message = f"{message[:limit]}… ({len(message):,} characters in all)"
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
        function=logged_function_name(record),
        label=record.levelname,
        items=((record.name, message),),
        kind="log",
        thread_id=record.thread or 0,
    )


class _Bridge:
    """One handler on the root logger while any story collects logs (reference-counted)."""

    def __init__(self) -> None:
        self.handler = StoryLogHandler()
        self._users = 0
        self._lock = threading.Lock()

    def attach(self) -> None:
        with self._lock:
            self._users += 1
            if self._users == 1:
                logging.getLogger().addHandler(self.handler)

    def detach(self) -> None:
        with self._lock:
            self._users = max(self._users - 1, 0)
            if self._users == 0:
                logging.getLogger().removeHandler(self.handler)


bridge = _Bridge()


def _reset_after_fork() -> None:
    # A thread starting or stopping a story when the process forked would leave the lock
    # held in the child, and the child's first story would wait on it for ever.
    bridge._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
