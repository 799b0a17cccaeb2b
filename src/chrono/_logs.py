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
from chrono._collecting import active_stories, collecting
from chrono._errors import from_outside, swallowed
from chrono._events import Event, next_sequence_number
from chrono._secrets import Secrets, TemplateSecrets, looks_like_sql, template_secrets
from chrono._switch import is_enabled
from chrono._values import safe_str, truncated, without_lone_surrogates

OWN_LOGGER = "chrono"

_CallHandlers = Callable[[logging.Logger, logging.LogRecord], None]
#: The file name of chrono's wrapper: in logging's directory, so that logging's own report of
#: a failing handler skips it, and plainly chrono's wherever a traceback shows it.
_IN_LOGGING = os.path.join(os.path.dirname(logging.__file__), "<chrono: log observer>")
#: Builds an ``Event`` without its Python-level ``__new__`` (a keyword call costs a record
#: about as much as formatting its message).
_tuple_new = tuple.__new__
#: Past this many, a cache below starts again (a program that makes its templates or call
#: sites on the fly must not grow it for ever).
_CACHE_BOUND = 1024


def log_event(record: logging.LogRecord) -> Event:
    """The event for one log record: label is the level, the item is (logger, message)."""
    now_ns = time.monotonic_ns()
    settings = _config.settings
    limit = settings.repr_limit
    secrets = settings.secrets
    try:
        message = _message(record, secrets)
    except Exception as format_error:
        if from_outside(format_error):
            raise
        # The program's own mistake (arguments that do not fit the format), which its
        # handlers report themselves: the story says so in its place, and chrono says nothing.
        failure = f"{type(format_error).__name__}: {safe_str(format_error, limit, secrets)}"
        message = f"<message failed: {failure}>"
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        message += f" [{type(error).__name__}: {safe_str(error, limit, secrets)}]"
    if len(message) > limit:
        message = truncated(message, limit, len(message), "character")
    if not message.isascii():
        # A file name decoded with surrogateescape, say: escaped, or no file could hold it.
        message = without_lone_surrogates(message)
    if secrets is not None:
        message = _masked_message(message, secrets)
    return _tuple_new(
        Event,
        (
            next_sequence_number(),
            now_ns,
            record.created,
            record.threadName or threading.current_thread().name,
            getattr(record, "taskName", None),
            record.pathname,
            record.lineno,
            _function_name(record),
            record.levelname,
            ((record.name, message),),
            "log",
            record.thread or 0,
        ),
    )


def _message(record: logging.LogRecord, secrets: Secrets | None) -> str:
    """The record's message, its secret arguments masked: those that fill a field after a
    secret-looking key (``"password = %s"``), and an SQL statement's values logged beside it
    (Django's ``"(%.3f) %s; args=%s"``). The record itself is left as it is: the program's
    handlers see it unchanged."""
    arguments = record.args
    template = record.msg
    if not arguments or secrets is None or secrets.key_pattern is None:
        return record.getMessage()
    if type(template) is not str:
        return record.getMessage()
    found = _template_secrets(template, secrets)
    masked = found.mask(arguments) if found.fields or found.written else arguments
    if isinstance(masked, tuple):
        masked = _statements_masked(masked, secrets)
    if masked is arguments and found.text == template:
        return record.getMessage()  # nothing secret in the fields: the message as logged
    try:
        return found.text % masked
    except (TypeError, ValueError, KeyError):
        # A numeric field (%d) given the mask: the message as logging writes it, masked as
        # text afterwards.
        return record.getMessage()


#: What the secrets in ``_cached_for`` made of texts seen before: what is secret in each
#: message template, and each message masked. A program logs from a few templates, many times
#: each, often the same message in a loop (a lock polled, a retry), and reading a template or
#: masking a message costs a record more than the rest of its work together (case-blind
#: searches for every secret name and every form a credential takes).
_templates: dict[str, TemplateSecrets] = {}
_masked_messages: dict[str, str] = {}
_cached_for: list[Secrets | None] = [None]


def _template_secrets(template: str, secrets: Secrets) -> TemplateSecrets:
    if _cached_for[0] is not secrets:
        _forget_all_but(secrets)
    found = _templates.get(template)
    if found is None:
        if len(_templates) >= _CACHE_BOUND:
            _templates.clear()
        found = template_secrets(template, secrets, sql=looks_like_sql(template))
        _templates[template] = found
    return found


def _masked_message(message: str, secrets: Secrets) -> str:
    if _cached_for[0] is not secrets:
        _forget_all_but(secrets)
    masked = _masked_messages.get(message)
    if masked is None:
        if len(_masked_messages) >= _CACHE_BOUND:
            _masked_messages.clear()
        masked = _masked_messages[message] = secrets.mask(message)
    return masked


def _forget_all_but(secrets: Secrets) -> None:
    """Settings with other secrets (``configure()``): what the old ones made is forgotten."""
    _templates.clear()
    _masked_messages.clear()
    _cached_for[0] = secrets


def _statements_masked(arguments: tuple[object, ...], secrets: Secrets) -> tuple[object, ...]:
    """``arguments`` with each SQL statement's secret values masked, in it and in the
    parameters that follow it (a sequence, a mapping, or rows of them)."""
    masked: list[object] | None = None
    for index, statement in enumerate(arguments[:-1]):
        if type(statement) is not str or not _may_be_sql(statement):
            continue
        if not looks_like_sql(statement):
            continue
        found = template_secrets(statement, secrets, sql=True)
        if not found.fields and found.text == statement:
            continue
        if masked is None:
            masked = list(arguments)
        parameters = arguments[index + 1]
        if (
            isinstance(parameters, (list, tuple))
            and parameters
            and all(isinstance(row, (list, tuple, dict)) for row in parameters)
        ):
            rows = [found.mask(row) for row in parameters]  # executemany
            masked[index + 1] = rows if isinstance(parameters, list) else tuple(rows)
        else:
            masked[index + 1] = found.mask(parameters)
        masked[index] = found.text
    # Told by what was made, never by comparing: an argument's __eq__ is the program's.
    return arguments if masked is None else tuple(masked)


#: What an SQL statement can begin with, besides spaces and digits (``looks_like_sql``): the
#: first letters of its keywords, and what a case-blind match takes for one (long s, dotless
#: i, dotted capital I).
_SQL_FIRST_LETTERS = frozenset("SIUDRWMsiudrwm\u017f\u0131\u0130")


def _may_be_sql(text: str) -> bool:
    """Whether ``text`` starts as ``looks_like_sql`` needs: most arguments (a number's text, a
    path, a name) are told apart by their first character, without a match."""
    first = text[:1]
    return first in _SQL_FIRST_LETTERS or first.isspace() or first.isdecimal()


#: The qualified name of the function at each logging call, by ``(file, line, function
#: name)``: one source line is in one function, so its name is looked for on the stack once.
_function_names: dict[tuple[str, int, str], str] = {}


def _function_name(record: logging.LogRecord) -> str:
    """The logging function's qualified name; its plain ``funcName`` if that cannot be had."""
    key = (record.pathname, record.lineno, record.funcName)
    known = _function_names.get(key)
    if known is not None:
        return known
    try:
        name = logged_function_name(record)
    except Exception as error:
        if not swallowed(error):
            raise
        return record.funcName
    if name is None:
        # No frame of the logging call on this stack (a record made elsewhere and handed on):
        # nothing to keep, and looked for again next time.
        return record.funcName
    # Not kept for code made by exec or compile, which shares a made-up file name
    # ("<string>") where the same line and name may be another function.
    if not key[0].startswith("<"):
        if len(_function_names) >= _CACHE_BOUND:
            _function_names.clear()
        _function_names[key] = name
    return name


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
            stories = collecting
            stories_in_context = collecting.context.get

            def call_handlers(logger: logging.Logger, record: logging.LogRecord) -> None:
                # Between stories (a pytest run's between tests, or its collection) a record
                # costs the two looks that find none. Another library may still call an old
                # wrapper of chrono's (it took it for logging's own method): only the newest
                # one records, so nothing is twice.
                if (
                    observer._observing
                    and (stories.process or stories_in_context())
                    and observer._wrapper is call_handlers
                ):
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
            event = None
            for story in active_stories():
                if story.capture_logs:
                    if event is None:
                        event = log_event(record)
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
