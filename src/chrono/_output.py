"""Live output: where an event goes when no story is collecting it."""

from __future__ import annotations

import atexit
import io
import logging
import os
import sys
import threading
from typing import IO, TYPE_CHECKING, Callable, cast

from chrono import _config
from chrono._cells import in_kernel
from chrono._errors import held_signals, swallowed
from chrono._events import Event, RawTpRecord, event_of, wall_at_zero
from chrono._text import plain_live_line

if TYPE_CHECKING:
    from rich.color import ColorSystem

LOGGER_NAME = "chrono"

# Taken only in a with block, which an interrupt cannot leave holding it on 3.10+. Reentrant
# because on 3.9 an interrupt landing just as the block ends can skip the release: the thread
# it struck (the main thread, where Python runs signal handlers) still writes its next lines.
_write_lock = threading.RLock()
#: Where live tp records go, and the settings it was resolved from. The recorder calls
#: ``resolve_sink`` when ``sink_settings`` are not the current settings (the first live event,
#: and the first after ``configure()``), then ``sink``. Two module names, not a tuple or an
#: object: each is one cheap module attribute read on the live path.
sink: Callable[[RawTpRecord], object] | None = None
sink_settings: _config.Settings | None = None
#: The file chrono opened for ``configure(output=PATH)``, and that path: kept while settings
#: that name the same path replace each other, closed when the output changes and at exit.
_opened: tuple[object, IO[str]] | None = None


def _reset_after_fork() -> None:
    # Another thread may have been writing a line when the process forked: its lock would
    # stay held in the child, and the child's first live event would wait on it for ever.
    global _write_lock
    _write_lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def resolve_sink(settings: _config.Settings) -> None:
    """Set ``sink`` to write to ``settings``' output, until the settings change."""
    global sink, sink_settings, _opened
    target = settings.output
    opened = None
    resolved: Callable[[RawTpRecord], object]
    if target == "stderr" and in_kernel():
        # A notebook shows stderr on red: the cell's own output is stdout.
        resolved = _StreamOutput(current=lambda: sys.stdout).write
    elif target == "stderr":
        # Looked up at each write: test runners and tools swap sys.stderr after import.
        resolved = _StreamOutput(current=lambda: sys.stderr).write
    elif target == "stdout":
        resolved = _StreamOutput(current=lambda: sys.stdout).write
    elif target == "logging":
        resolved = _LoggerOutput(logging.getLogger(LOGGER_NAME))
    elif isinstance(target, logging.Logger):
        resolved = _LoggerOutput(target)
    elif isinstance(target, (str, os.PathLike)):
        if _opened is not None and _opened[0] == target and not _opened[1].closed:
            opened = _opened
        else:
            stream = open(  # noqa: SIM115 (closed by _close_opened)
                target, "a", encoding="utf-8", errors="backslashreplace", buffering=1
            )
            opened = (target, stream)
        resolved = _StreamOutput(fixed=opened[1], owned=True).write
    elif callable(getattr(target, "write", None)):
        resolved = _StreamOutput(fixed=target).write  # type: ignore[arg-type]
    else:
        resolved = _CallableOutput(target)  # type: ignore[arg-type]
    sink = resolved
    sink_settings = settings
    if opened is not _opened:
        _close_opened()
        _opened = opened


@atexit.register
def _close_opened() -> None:
    """Close the file chrono opened for its output, if it did (a line a thread writes to it
    meanwhile, or a ``__del__`` after exit, is dropped: see ``_StreamOutput.write``)."""
    global _opened
    opened, _opened = _opened, None
    if opened is not None:
        opened[1].close()


#: What was learnt of the last stream written to: ``(stream, colour, flush, whole_lines)``,
#: read by unpacking into those names: the stream, its colour system (None: plain), whether
#: to flush after a line (a line-buffered stream has flushed it already), whether one write
#: call puts a whole line out without chrono's lock. A plain tuple, not a named one: CPython
#: unpacks an exact tuple at once, and reading four named fields cost a live line 2% more
#: instructions (callgrind, 3.11: 22,063 against 21,562).
_StreamFacts = tuple["IO[str]", "ColorSystem | None", bool, bool]


class _StreamOutput:
    """One line per event; coloured only when the stream is a terminal that wants colour."""

    def __init__(
        self,
        *,
        fixed: IO[str] | None = None,
        current: Callable[[], IO[str]] | None = None,
        owned: bool = False,
    ) -> None:
        self._fixed = fixed
        #: Whether chrono opened ``fixed`` (and closes it: see ``_close_opened``).
        self._owned = owned
        self._current = current
        self._plain_live_line = plain_live_line
        #: render's coloured line, imported for the first stream that takes colour.
        self._live_line: Callable[..., str] | None = None
        self._known: _StreamFacts | None = None

    def write(self, record: RawTpRecord) -> None:
        stream = self._fixed
        if stream is None:
            stream = self._current()  # type: ignore[misc]
        known = self._known
        if known is None or known[0] is not stream:
            known = self._learn(stream)
        _, colour, flush, whole_lines = known
        if colour is None:
            line = self._plain_live_line(record)
        else:
            line = self._live_line(event_of(record, wall_at_zero()), colour=colour)  # type: ignore[misc]
        line += "\n"
        try:
            if whole_lines:
                stream.write(line)
                if flush:
                    stream.flush()
                return
            # One lock for every other stream: a line is never torn by another thread's
            # line. A with block, not acquire() then try: an interrupt that lands between
            # those two (a signal handler's timeout) would leave the lock held, and the next
            # line would wait for ever (see _write_lock).
            with _write_lock:
                stream.write(line)
                if flush:
                    stream.flush()
        except BrokenPipeError:
            # The stream's reader went away (`program 2>&1 | head`). The program goes on;
            # its later events go nowhere, rather than each failing at the closed pipe.
            self._fixed = _GONE
            self._known = (_GONE, None, False, True)
        except ValueError:
            # A file chrono opened and closed: its output changed while this thread wrote
            # (the line belonged to the old one), or the interpreter is past its exit.
            if not (self._owned and stream.closed):
                raise

    def _learn(self, stream: IO[str]) -> _StreamFacts:
        # Deciding the colour means building a rich Console: once per stream, not per line.
        # A line-buffered stream (stderr, a file chrono opened) has flushed the line already.
        line_buffered = getattr(stream, "line_buffering", False) is True
        try:
            # rich catches OSError around the terminal's size, and a timeout is an OSError:
            # the program's signal handlers wait until rich is done (see chrono._errors).
            with held_signals():
                from chrono.render import live_line, stream_colour_system

                colour = stream_colour_system(stream)
        except Exception as error:
            if not swallowed(error):
                raise
            # rich could not be loaded: every import fails once the interpreter is shutting
            # down (a __del__ that calls tp), and importing rich near the recursion limit runs
            # out of frames. This line goes out plain, which needs no rich; the next one asks
            # again.
            return (stream, None, not line_buffered, _writes_whole_lines(stream))
        self._live_line = live_line
        self._known = (stream, colour, not line_buffered, _writes_whole_lines(stream))
        return self._known


class _Gone(io.TextIOBase):
    """Where live lines go once their stream's reader has gone: nowhere."""

    def write(self, text: str) -> int:
        return len(text)


# An IO[str] to the type checker: write is all that is ever called on it.
_GONE = cast("IO[str]", _Gone())


def _writes_whole_lines(stream: IO[str]) -> bool:
    """Whether one ``write`` call of a line can never be torn by another thread's.

    True of the standard library's own text streams, whose write runs in C under the GIL (a
    file's text layer hands a whole line to its buffered layer, which has a lock of its own);
    not of subclasses or streams written in Python, nor without a GIL.
    """
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        return False
    if type(stream) is io.StringIO:
        return True
    return type(stream) is io.TextIOWrapper and type(stream.buffer) in (
        io.BufferedWriter,
        io.BufferedRandom,
    )


class _LoggerOutput:
    """Hands each event to a logger at INFO, so a deployment routes it with its logging config."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def __call__(self, record: RawTpRecord) -> None:
        if self._logger.isEnabledFor(logging.INFO):
            from chrono.render import live_line

            event = event_of(record, wall_at_zero())
            self._logger.info(live_line(event), extra={"chrono_event": event})


class _CallableOutput:
    """Hands each event to the user's callable."""

    def __init__(self, target: Callable[[Event], object]) -> None:
        self._target = target

    def __call__(self, record: RawTpRecord) -> None:
        self._target(event_of(record, wall_at_zero()))
