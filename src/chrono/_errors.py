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

A leaf: it imports nothing of chrono, so every module can use it, the hot path included, and
the signal module only when an error is being looked at.
"""

from __future__ import annotations

import sys
from types import CodeType, TracebackType
from typing import Any

#: Tests set this so that errors chrono normally swallows (to protect the user's program) are
#: raised where the test suite can see them. Read at each error, so it may be rebound at any
#: time.
RAISE_INTERNAL_ERRORS = False


def swallowed(error: BaseException) -> bool:
    """Whether chrono swallows ``error``, caught in its own work; if not, the caller re-raises
    it with a bare ``raise``.

    It does not swallow what came from outside its work (``from_outside``), nor anything
    under the test switch (``RAISE_INTERNAL_ERRORS``).
    """
    return not RAISE_INTERNAL_ERRORS and not from_outside(error)


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


def _signal_handler_codes() -> set[CodeType]:
    """The code of every Python signal handler installed now (read afresh: handlers change)."""
    signal = sys.modules.get("signal")
    if signal is None:
        # No module has imported signal: no Python handler can have been installed through it.
        return set()
    codes = set()
    for number in signal.valid_signals():
        try:
            handler = signal.getsignal(number)
        except (OSError, ValueError):  # a number this platform reserves
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
