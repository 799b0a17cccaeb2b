"""chrono's one policy for errors in its own work: swallowed, so the program goes on; raised
under the test switch, so the suite sees them; and never mistaken for the program's own.

Every broad ``except`` in chrono asks ``swallowed(error)`` and re-raises with a bare ``raise``
when it says no, so the error goes on unchanged, with its traceback, exactly once.

What is the program's own is told by where an exception came from, not by its class: a
``TimeoutError`` that a ``SIGALRM`` handler raised while ``tp`` ran is the program's timeout,
and the same class raised by a ``__repr__`` is a value chrono could not show. A Python signal
handler runs as a frame of its own on top of whatever frame it interrupted, so its code is on
the exception's traceback; ``KeyboardInterrupt`` (Ctrl-C, ``_thread.interrupt_main()``, a
notebook's interrupt) is the program's wherever it comes from.

Some libraries chrono calls catch ``Exception`` themselves (executing falls back to another
way of finding a call's node when one raises): a timeout that a signal handler raised inside
them would be swallowed there, beyond chrono's reach. ``held_signals`` keeps the program's
Python signal handlers from running while chrono is inside such a library, and runs them, in
order, as soon as it is out, so that what they raise starts in chrono's own frame and goes on
to the program.

What chrono swallows it says, once per place in its code: a ``SwallowedErrorWarning`` (of the
``ChronoWarning`` family, which ``-W ignore::chrono.ChronoWarning`` silences), whose location
is the ``except`` that swallowed. Python shows it on stderr, pytest in its warnings summary.
Two conditions of the interpreter rather than faults of chrono are not said: the process is
shutting down (no import works any more), or the stack is too near the recursion limit; each
has its documented fallback.

A leaf: it imports nothing of chrono, so every module can use it, the hot path included, and
the signal and warnings modules only when an error is being looked at or a library call is
held.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import CodeType, FrameType, TracebackType
from typing import Any

#: Tests set this so that errors chrono normally swallows (to protect the user's program) are
#: raised where the test suite can see them. Read at each error, so it may be rebound at any
#: time.
RAISE_INTERNAL_ERRORS = False


class ChronoWarning(UserWarning):
    """The family of chrono's own warnings, to filter them as one."""


class SwallowedErrorWarning(ChronoWarning):
    """chrono failed in its own work and swallowed the error so that the program goes on;
    said once per place in chrono's code."""


#: The places (file, line) whose swallowed error has been said.
_places_said: set[tuple[str, int]] = set()


def swallowed(error: BaseException) -> bool:
    """Whether chrono swallows ``error``, caught in its own work; if not, the caller re-raises
    it with a bare ``raise``.

    It does not swallow what came from outside its work (``from_outside``), nor anything
    under the test switch (``RAISE_INTERNAL_ERRORS``). What it swallows it says, once per
    place: the caller's line.
    """
    if RAISE_INTERNAL_ERRORS or from_outside(error):
        return False
    _say_once(error, sys._getframe(1))
    return True


def _say_once(error: BaseException, place: FrameType) -> None:
    """Warn that ``error`` was swallowed at ``place``, the first time that place swallows."""
    file, line = place.f_code.co_filename, place.f_lineno
    if (file, line) in _places_said or isinstance(error, RecursionError) or sys.is_finalizing():
        return
    _places_said.add((file, line))
    message = (
        f"chrono swallowed an error in its own work so that the program goes on"
        f" ({type(error).__name__} in {place.f_code.co_name}); said once for this place"
    )
    try:
        import warnings

        message = f"{message}: {error}"
        warnings.warn_explicit(
            message, SwallowedErrorWarning, file, line, module=place.f_globals.get("__name__")
        )
    except Exception:
        # Not the policy: saying is best effort and must not raise into the program. Where
        # warnings are errors (-W error), or the error's text itself fails, one plain line.
        with suppress(Exception):  # no stderr (pythonw), or a closed one: nothing more to try
            sys.stderr.write(f"{file}:{line}: SwallowedErrorWarning: {message}\n")


def from_outside(error: BaseException) -> bool:
    """Whether ``error`` was raised into chrono's work by the program rather than by that work:
    a ``KeyboardInterrupt``, or whatever a Python signal handler raised while chrono ran (a
    timeout, a soft time limit, a handler that calls ``sys.exit``)."""
    if isinstance(error, KeyboardInterrupt):
        return True
    handlers = _signal_handler_codes()
    if not handlers:
        return False
    traceback: TracebackType | None = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code in handlers:
            return True
        traceback = traceback.tb_next
    return False


@contextmanager
def held_signals() -> Iterator[None]:
    """Run the block with the program's Python signal handlers held, then run those whose
    signal arrived meanwhile, in the order they arrived.

    For chrono's rare, slow steps that run a library which swallows exceptions (a call site's
    first lookup), never for the hot path: it costs about 5 µs. Python runs signal
    handlers in the main thread only, so elsewhere it holds nothing.
    """
    # The C module under signal: signal's own functions turn every number and handler into
    # enums, which made this cost 100 µs a call; these calls cost a tenth of that.
    signal = sys.modules.get("_signal") if "signal" in sys.modules else None
    if signal is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[tuple[int, FrameType | None]] = []

    def hold(number: int, frame: FrameType | None) -> None:
        arrived.append((number, frame))

    held: dict[int, Any] = {}
    try:
        for number in signal.valid_signals():
            try:
                handler = signal.getsignal(number)
                if callable(handler):
                    # Noted before it is replaced: a signal landing between the two finds it
                    # put back by the finally.
                    held[number] = handler
                    signal.signal(number, hold)
            except ValueError:  # a reserved number (not OSError: TimeoutError is one)
                continue
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        _run_held(signal, held, arrived)


def _run_held(signal: Any, handlers: dict[int, Any], arrived: list[tuple[int, Any]]) -> None:
    """Run the held handlers of the signals that arrived, as if they arrived now. The first
    that raises ends the run; the signals after it are sent again, for their handlers to run
    at Python's next chance."""
    for index, (number, frame) in enumerate(arrived):
        try:
            handlers[number](number, frame)
        except BaseException:
            for later, _ in arrived[index + 1 :]:
                signal.raise_signal(later)
            raise


def _signal_handler_codes() -> set[CodeType]:
    """The code of every Python signal handler installed now (read afresh: handlers change)."""
    signal = sys.modules.get("_signal") if "signal" in sys.modules else None
    if signal is None:
        # No module has imported signal: no Python handler can have been installed through it.
        return set()
    codes = set()
    for number in signal.valid_signals():
        try:
            handler = signal.getsignal(number)
        except ValueError:  # a reserved number (not OSError: TimeoutError is one)
            continue
        code = _code_of(handler)
        if code is not None:
            codes.add(code)
    return codes


def _code_of(handler: Any) -> CodeType | None:
    """The code a handler runs first: a function's, a bound method's, a partial's, or a
    callable object's ``__call__``; None for the default and ignore dispositions."""
    for _ in range(8):  # a partial of a partial of a method…, never a loop for ever
        code = getattr(handler, "__code__", None)
        if isinstance(code, CodeType):
            return code
        if hasattr(handler, "__func__"):
            handler = handler.__func__
        elif hasattr(handler, "func"):  # functools.partial
            handler = handler.func
        elif handler is not None and not isinstance(handler, int) and callable(handler):
            handler = type(handler).__call__
        else:
            return None
    return None
