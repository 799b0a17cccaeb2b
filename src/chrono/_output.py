"""Live output: where an event goes when no story is collecting it."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import IO, TYPE_CHECKING, Callable

from chrono import _config
from chrono._events import Event

if TYPE_CHECKING:
    from rich.color import ColorSystem

LOGGER_NAME = "chrono"

_write_lock = threading.Lock()
_resolved: Callable[[Event], object] | None = None


def _reset_after_fork() -> None:
    # Another thread may have been writing a line when the process forked: its lock would
    # stay held in the child, and the child's first live event would wait on it for ever.
    global _write_lock
    _write_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def check_output_target(target: object) -> None:
    """Raise a clear error for an ``output`` that chrono cannot write to."""
    if isinstance(target, str) and target in _config.OUTPUT_KEYWORDS:
        return
    if isinstance(target, (str, os.PathLike)):
        # Opened now, so that a path chrono cannot write to is told here, not lost with every
        # event later.
        try:
            with open(target, "a", encoding="utf-8"):
                pass
        except (OSError, ValueError) as error:
            raise ValueError(
                f"chrono.configure: output={target!r} cannot be written to ({error}); give "
                "'stderr', 'stdout', 'logging', a writable file path, a text stream, a "
                "logging.Logger or a callable taking an Event"
            ) from None
        return
    if isinstance(target, logging.Logger):
        return
    if callable(getattr(target, "write", None)) or callable(target):
        return
    raise TypeError(
        "chrono.configure: output must be 'stderr', 'stdout', 'logging', a file path, "
        f"a text stream, a logging.Logger or a callable taking an Event; not {target!r}"
    )


def emit(event: Event) -> None:
    """Send one event to the configured live output."""
    sink = _resolved or _resolve()
    sink(event)


def forget_resolved_output() -> None:
    """Resolve the output again on the next event (after ``configure``)."""
    global _resolved
    _resolved = None


def _resolve() -> Callable[[Event], object]:
    global _resolved
    target = _config.settings.output
    sink: Callable[[Event], object]
    if target == "stderr":
        # Looked up at each write: test runners and tools swap sys.stderr after import.
        sink = _StreamOutput(lambda: sys.stderr)
    elif target == "stdout":
        sink = _StreamOutput(lambda: sys.stdout)
    elif target == "logging":
        sink = _LoggerOutput(logging.getLogger(LOGGER_NAME))
    elif isinstance(target, logging.Logger):
        sink = _LoggerOutput(target)
    elif isinstance(target, (str, os.PathLike)):
        stream = open(  # noqa: SIM115 (kept open)
            target, "a", encoding="utf-8", errors="backslashreplace", buffering=1
        )
        sink = _StreamOutput(lambda: stream)
    elif callable(getattr(target, "write", None)):
        sink = _StreamOutput(lambda: target)  # type: ignore[arg-type,return-value]
    else:
        sink = target  # type: ignore[assignment]
    _resolved = sink
    return sink


class _StreamOutput:
    """One line per event; coloured only when the stream is a terminal that wants colour."""

    def __init__(self, stream: Callable[[], IO[str]]) -> None:
        from chrono.render import live_line

        self._stream = stream
        self._live_line = live_line
        self._colour: tuple[IO[str], ColorSystem | None] | None = None

    def __call__(self, event: Event) -> None:
        stream = self._stream()
        line = self._live_line(event, colour=self._colour_for(stream)) + "\n"
        # One lock for every stream: a line is never torn by another thread's line.
        with _write_lock:
            stream.write(line)
            stream.flush()

    def _colour_for(self, stream: IO[str]) -> ColorSystem | None:
        # Deciding means building a rich Console: once per stream, not once per line.
        known = self._colour
        if known is not None and known[0] is stream:
            return known[1]
        from chrono.render import stream_colour_system

        colour = stream_colour_system(stream)
        self._colour = (stream, colour)
        return colour


class _LoggerOutput:
    """Hands each event to a logger at INFO, so a deployment routes it with its logging config."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def __call__(self, event: Event) -> None:
        if self._logger.isEnabledFor(logging.INFO):
            from chrono.render import live_line

            self._logger.info(live_line(event), extra={"chrono_event": event})
