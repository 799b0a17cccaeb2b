"""The switch: ``CHRONO`` read once at import, and the one ``tp`` whose body is swapped.

``tp`` is a single function object that modules import by name. Turning chrono on or off
replaces its code object, so names imported earlier follow the switch, and the disabled body
is the shortest one Python can run: no flag is checked on each call.
"""

from __future__ import annotations

import builtins
import os
import sys

from chrono._nothing import _NOTHING

# typing costs more to import than the rest of chrono's disabled mode: annotations here are
# for the type checker only (the usual TYPE_CHECKING constant, without importing typing).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import CodeType
    from typing import Any, TypeVar, overload

    _Value = TypeVar("_Value")

ENVIRONMENT_VARIABLE = "CHRONO"
OFF_VALUES = ("off", "0", "false", "no")
ON_VALUES = ("on", "1", "true", "yes")


def _passthrough(first: Any = _NOTHING, /, *more: Any, **named: Any) -> Any:
    if more or named:
        values = (*more, *named.values()) if first is _NOTHING else (first, *more, *named.values())
        return values if len(values) > 1 else values[0]
    return None if first is _NOTHING else first


if TYPE_CHECKING:

    @overload
    def tp() -> None: ...
    @overload
    def tp(value: _Value, /) -> _Value: ...
    # One keyword returns its value and several return a tuple, but a type cannot count
    # keywords: Any, rather than a type that would be wrong for one of the two.
    @overload
    def tp(**named: Any) -> Any: ...
    @overload
    def tp(first: Any, /, *more: Any, **named: Any) -> tuple[Any, ...]: ...


def tp(first: Any = _NOTHING, /, *more: Any, **named: Any) -> Any:
    """Record the values with their source text, and return them unchanged.

    ``tp(x)`` returns ``x``; ``tp(a, b)`` returns ``(a, b)``; ``tp()`` returns None and records
    where it was called; a leading string literal, as in ``tp("HERE")``, is a label. A keyword
    names its value: ``tp(total=sum(xs))`` returns the sum, and ``tp(a, n=len(a))`` returns
    ``(a, len(a))``, positional values first, then keywords, in call order. Inside a story (a
    test, ``chrono.story()``) the event is buffered; outside, it is printed to stderr. With
    ``CHRONO=off`` it does nothing but return its arguments.
    """
    if more or named:
        values = (*more, *named.values()) if first is _NOTHING else (first, *more, *named.values())
        return values if len(values) > 1 else values[0]
    return None if first is _NOTHING else first


# tp runs in a namespace of its own rather than this module's: enable() fills it with the
# names the recorder lends (``_recorder.TP_BORROWS``), so that the recording body can be tp's
# own code (no second Python call per tp) while this module, all that CHRONO=off imports,
# never imports the recorder.
_tp_namespace: dict[str, Any] = {"__builtins__": builtins, "_NOTHING": _NOTHING}
if not TYPE_CHECKING:
    _documented = tp
    tp = type(tp)(tp.__code__, _tp_namespace, "tp", tp.__defaults__)
    tp.__doc__ = _documented.__doc__
    tp.__module__ = "chrono"
    del _documented


def _named_tp(code: CodeType) -> CodeType:
    # Tracebacks and profilers then say "tp", whichever body runs.
    if sys.version_info >= (3, 11):
        return code.replace(co_name="tp", co_qualname="tp")
    return code.replace(co_name="tp")


_PASSTHROUGH = (_named_tp(_passthrough.__code__), _passthrough.__defaults__)
_enabled = False


def enable() -> None:
    """Turn chrono on: ``tp`` records again, including where it was imported before."""
    global _enabled
    from chrono import _recorder

    # Lent afresh at each enable(), and only what the recorder lists: see TP_BORROWS.
    _tp_namespace.update((name, getattr(_recorder, name)) for name in _recorder.TP_BORROWS)
    tp.__code__ = _named_tp(_recorder.recording_tp.__code__)
    tp.__defaults__ = _recorder.recording_tp.__defaults__
    _enabled = True


def disable() -> None:
    """Turn chrono off: ``tp`` returns its arguments and does nothing else."""
    global _enabled
    tp.__code__, tp.__defaults__ = _PASSTHROUGH
    _enabled = False


def is_enabled() -> bool:
    """Whether ``tp`` records."""
    return _enabled


def install(name: str = "tp") -> None:
    """Make ``tp`` a builtin, to debug inside installed libraries without editing imports."""
    setattr(builtins, name, tp)


def uninstall(name: str = "tp") -> None:
    """Take back the builtin ``install`` made; a builtin of that name that is not chrono's
    ``tp`` (the program's own, or none) is left as it is."""
    if getattr(builtins, name, None) is tp:
        delattr(builtins, name)


def enabled_from_environment(environ: Mapping[str, str] = os.environ) -> bool:
    """Read ``CHRONO``; an unknown value prints one warning and keeps chrono off."""
    raw = environ.get(ENVIRONMENT_VARIABLE)
    if raw is None:
        return True
    value = raw.strip().lower()
    if value in ON_VALUES or value == "":
        return True
    if value in OFF_VALUES:
        return False
    sys.stderr.write(
        f"chrono: warning: {ENVIRONMENT_VARIABLE}={raw!r} is not understood, so chrono stays off;"
        f" set {ENVIRONMENT_VARIABLE} to {_one_of(ON_VALUES)} to turn it on,"
        f" or to {_one_of(OFF_VALUES)} to keep it off.\n"
    )
    return False


def _one_of(values: tuple[str, ...]) -> str:
    return f"{', '.join(values[:-1])} or {values[-1]}"
