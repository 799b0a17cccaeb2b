"""OpenTelemetry: a story is a span, each of its events a log record in that span's trace.

```python
import chrono.otel

chrono.otel.instrument()  # the global tracer and logger providers
```

A story that starts becomes a span named ``chrono.story``, a child of the span that is current
where it starts (a request's, under OpenTelemetry's Django instrumentation), with the story's
name, the test id where there is one, and, when it ends, how many events it held and dropped;
its status is ERROR when an exception left it. Each event becomes a log record through the
OpenTelemetry Logs API, in that span's context, so that it carries the trace and span ids.

Nothing is exported from the program's threads: ``tp`` puts the event on a bounded queue and
goes on, and one daemon thread of chrono's makes the spans and log records. An exporter that
raises or blocks therefore never breaks or stalls the program; when the queue is full, events
are dropped and counted (``Instrumentation.dropped``). Only masked values leave the process.
With chrono off, nothing is sent; events outside stories are not sent.
"""

from __future__ import annotations

import atexit
import inspect
import os
import queue
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

import chrono
from chrono import _config
from chrono._errors import from_outside, swallowed
from chrono._events import SUBTEST_KIND
from chrono._switch import is_enabled
from chrono._text import content_text, line_breaks_marked
from chrono._values import safe_str

if TYPE_CHECKING:
    from chrono._events import Event
    from chrono._story import Story

__all__ = ["Instrumentation", "emit", "instrument", "uninstrument"]

SPAN_NAME = "chrono.story"
#: How many events may wait for the exporting thread before new ones are dropped.
DEFAULT_QUEUE_SIZE = 10_000
#: How long the program waits at exit for queued events to reach the providers.
EXIT_FLUSH_SECONDS = 2.0

_SEVERITIES = {"DEBUG": 5, "INFO": 9, "WARNING": 13, "ERROR": 17, "CRITICAL": 21}
_SEVERITY_TEXTS = {"WARNING": "WARN", "CRITICAL": "FATAL"}

#: The one instrumentation of the process, or None.
_current: Instrumentation | None = None
#: Held while the instrumentation, or its export thread, is set up or taken down.
_instrumenting = threading.Lock()


def instrument(
    tracer_provider: Any = None,
    logger_provider: Any = None,
    *,
    queue_size: int = DEFAULT_QUEUE_SIZE,
) -> Instrumentation:
    """Send stories to OpenTelemetry from now on: each story a span, each event a log record.

    ``tracer_provider`` and ``logger_provider`` default to the global ones (those set later
    too). Calling it again replaces the earlier instrumentation. Never raises: without
    opentelemetry-api, it says so once on stderr and returns an instrumentation that sends
    nothing.
    """
    global _current
    if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 1:
        sys.stderr.write(
            f"chrono: warning: chrono.otel.instrument's queue_size must be a whole number >= 1,"
            f" not {queue_size!r}; using {DEFAULT_QUEUE_SIZE}.\n"
        )
        queue_size = DEFAULT_QUEUE_SIZE
    with _instrumenting:
        if _current is not None:
            _current.uninstrument()
        instrumentation = Instrumentation(tracer_provider, logger_provider, queue_size)
        if instrumentation.sending:
            chrono.observe(instrumentation)
        _current = instrumentation
    return instrumentation


def uninstrument() -> None:
    """Stop sending stories (what is queued is still sent)."""
    global _current
    with _instrumenting:
        if _current is not None:
            _current.uninstrument()
        _current = None


def emit(event: Event) -> None:
    """Send one event outside any story, as a log record in the program's current trace
    context. Events outside stories are not sent unless asked; this asks, as chrono's output:
    ``chrono.configure(output=chrono.otel.emit)`` (they are then not printed). Never raises."""
    instrumentation = _current
    if instrumentation is None or not instrumentation.sending or event.kind == SUBTEST_KIND:
        return
    try:
        from opentelemetry import context

        instrumentation.send_outside_story(event, context.get_current())
    except Exception as error:
        if not swallowed(error):
            raise


class Instrumentation:
    """What ``instrument`` set up: its queue, its exporting thread, and what it dropped."""

    def __init__(self, tracer_provider: Any, logger_provider: Any, queue_size: int) -> None:
        #: Events that found the queue full, and were not sent.
        self.dropped = 0
        #: Spans and log records the providers refused (they raised).
        self.failed = 0
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._queue_size = queue_size
        #: Events queued and not yet sent (read and written without a lock: a bound, not a
        #: count to the unit).
        self._waiting = 0
        self._worker: threading.Thread | None = None
        self._worker_pid = 0
        self._worker_ident: int | None = None
        #: The open stories it sends: an event goes to the innermost of them that holds it.
        self._open: set[Story] = set()
        self._spans: dict[Story, tuple[Any, Any]] = {}
        self.sending = False
        try:
            self._tracer, self._logger = _tracer_and_logger(tracer_provider, logger_provider)
            self._with_context = _log_records_take_context()
            self.sending = True
        except Exception as error:
            # Not swallowed as chrono's own: a missing or broken SDK is the program's setup,
            # said in one line each time instrument() finds it so.
            if from_outside(error):
                raise
            sys.stderr.write(
                "chrono: warning: chrono.otel needs opentelemetry-api (the otel extra):"
                f" {type(error).__name__}: {error};"
                " stories are not sent.\n"
            )

    # -- in the program's threads: queue, never wait ------------------------------------------

    def story_started(self, story: Story) -> Callable[[Event], object] | None:
        if not self.sending:
            return None
        from opentelemetry import context

        self._ensure_worker()
        self._open.add(story)
        self._put(("start", story, context.get_current(), _wall_ns(story.started_ns)))
        open_stories = self._open

        def send(event: Event) -> None:
            # What the exporting thread itself logs (an SDK's report of a failed export) stays
            # in the story but is not sent: sending it could fail, and log, again.
            if event.thread_id == self._worker_ident:
                return
            if not is_enabled() or event.kind == SUBTEST_KIND:
                return  # a test runner's mark where a subtest ended is no event of the program
            # Alone, the story is the innermost that holds the event (it was handed it).
            if len(open_stories) > 1 and chrono.current_story(open_stories) is not story:
                return
            self._put(("event", story, event))

        return send

    def story_stopped(self, story: Story, error: BaseException | None) -> None:
        if story not in self._open:
            return
        self._open.discard(story)
        ended = _wall_ns(story.ended_ns or time.monotonic_ns())
        failure = None
        if error is not None:
            # The message is the program's text, as a value is: masked and cut like a repr,
            # and a __str__ that raises must not cost the span its end.
            settings = _config.settings
            message = safe_str(error, settings.repr_limit, settings.secrets)
            failure = (type(error).__qualname__, message)
        # Counts: no event is built for them.
        self._put(("stop", story, ended, failure, story.received, story.dropped))

    def send_outside_story(self, event: Event, context: Any) -> None:
        """Queue ``event`` for a log record in ``context`` (see ``emit``)."""
        if event.thread_id != self._worker_ident:
            self._ensure_worker()
            self._put(("loose", context, event))

    def _put(self, job: tuple[Any, ...]) -> None:
        # A story's start and end always go in (one each per story, or a span would never
        # end); events only while fewer than the bound wait.
        if job[0] in ("event", "loose"):
            if self._waiting >= self._queue_size:
                self.dropped += 1
                return
            self._waiting += 1
        self._queue.put(job)

    def uninstrument(self) -> None:
        """Stop sending stories that start from now on (queued work is still sent)."""
        self.sending = False
        chrono.unobserve(self)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until what is queued has reached the providers; False if ``timeout`` passed."""
        if self._worker is None or self._worker_pid != os.getpid():
            return True  # no story has started here: nothing was queued
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def _ensure_worker(self) -> None:
        worker = self._worker
        pid = os.getpid()
        if worker is not None and self._worker_pid == pid:
            return
        with _instrumenting:
            if self._worker is not None and self._worker_pid == pid:
                return
            if self._worker_pid != pid and self._worker is not None:
                # A forked child: the parent's thread does not exist here, nor its jobs.
                self._queue = queue.SimpleQueue()
                self._waiting = 0
                self._spans.clear()
            self._worker = threading.Thread(target=self._work, name="chrono-otel", daemon=True)
            self._worker_pid = pid
            self._worker.start()
            self._worker_ident = self._worker.ident
            atexit.register(self.flush, EXIT_FLUSH_SECONDS)

    # -- in chrono's exporting thread ----------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                kind = job[0]
                if kind == "event":
                    self._waiting -= 1
                    self._emit(job[1], job[2])
                elif kind == "loose":
                    self._waiting -= 1
                    self._emit_in(job[1], job[2])
                elif kind == "start":
                    self._start_span(*job[1:])
                elif kind == "stop":
                    self._end_span(*job[1:])
                else:  # flush
                    job[1].set()
            except Exception as error:
                self.failed += 1
                if not swallowed(error):
                    raise

    def _start_span(self, story: Story, parent: Any, started_ns: int) -> None:
        from opentelemetry import trace

        attributes: dict[str, Any] = {"chrono.story": story.name or ""}
        test_id = getattr(story, "test_id", None)
        if test_id:
            attributes["chrono.test_id"] = test_id
        span = self._tracer.start_span(
            SPAN_NAME, context=parent, start_time=started_ns, attributes=attributes
        )
        self._spans[story] = (span, trace.set_span_in_context(span, parent))

    def _emit(self, story: Story, event: Event) -> None:
        held = self._spans.get(story)
        if held is not None:
            self._emit_in(held[1], event)

    def _emit_in(self, context: Any, event: Event) -> None:
        """Emit the log record of ``event`` in ``context`` (a story span's, or the program's)."""
        attributes = {
            "code.filepath": event.file,
            "code.lineno": event.line,
            "code.function": event.function,
            "thread.name": event.thread,
            "chrono.seq": event.seq,
            "chrono.kind": event.kind,
        }
        if event.task is not None:
            attributes["chrono.task"] = event.task
        if event.kind == "log":
            logger, message = event.items[0] if event.items else ("", "")
            attributes["log.logger"] = logger
            body = line_breaks_marked(message)
            level = event.label or "INFO"
        else:
            body = content_text(event.label, event.items)
            level = "DEBUG"
        from opentelemetry._logs import LogRecord, SeverityNumber

        fields: dict[str, Any] = {
            "timestamp": int(event.wall * 1e9),
            "severity_text": _SEVERITY_TEXTS.get(level, level),
            "severity_number": SeverityNumber(_SEVERITIES.get(level, 9)),
            "body": body,
            "attributes": attributes,
        }
        if self._with_context:
            fields["context"] = context
        else:
            from opentelemetry import trace

            ids = trace.get_current_span(context).get_span_context()
            fields.update(trace_id=ids.trace_id, span_id=ids.span_id, trace_flags=ids.trace_flags)
        self._logger.emit(LogRecord(**fields))

    def _end_span(
        self,
        story: Story,
        ended_ns: int,
        failure: tuple[str, str] | None,
        received: int,
        dropped: int,
    ) -> None:
        held = self._spans.pop(story, None)
        if held is None:
            return
        span = held[0]
        span.set_attribute("chrono.events", received)
        span.set_attribute("chrono.dropped", dropped)
        if failure is not None:
            from opentelemetry.trace import Status, StatusCode

            error_type, message = failure
            span.set_attribute("exception.type", error_type)
            span.set_status(Status(StatusCode.ERROR, f"{error_type}: {message}"))
        span.end(end_time=ended_ns)


def _tracer_and_logger(tracer_provider: Any, logger_provider: Any) -> tuple[Any, Any]:
    from opentelemetry import _logs, trace

    from chrono import __version__

    if tracer_provider is None:
        tracer = trace.get_tracer("chrono", __version__)
    else:
        tracer = tracer_provider.get_tracer("chrono", __version__)
    if logger_provider is None:
        logger = _logs.get_logger("chrono", __version__)
    else:
        logger = logger_provider.get_logger("chrono", __version__)
    return tracer, logger


def _log_records_take_context() -> bool:
    """Whether this opentelemetry-api's LogRecord takes a ``context`` (1.35 and later); older
    ones take the trace and span ids."""
    from opentelemetry._logs import LogRecord

    return "context" in inspect.signature(LogRecord.__init__).parameters


def _wall_ns(monotonic_ns: int) -> int:
    """Epoch nanoseconds for a reading of the monotonic clock."""
    return time.time_ns() - (time.monotonic_ns() - monotonic_ns)
