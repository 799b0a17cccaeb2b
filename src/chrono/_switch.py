"""The switch: ``CHRONO`` read once at import, and the one ``tp`` whose body is swapped.

``tp`` is a single function object that modules import by name. Turning chrono on or off
replaces its code object, so names imported earlier follow the switch, and the disabled body
is the shortest one Python can run: no flag is checked on each call.
"""

from __future__ import annotations

import builtins
import os
import sys
from time import monotonic_ns

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


def _passthrough(first: Any = None, /, *more: Any) -> Any:
    # tp() and tp(None) both return None, so the disabled body needs no sentinel.
    return (first, *more) if more else first


def _recording(*values: Any) -> Any:
    _record(monotonic_ns(), values)
    if len(values) == 1:
        return values[0]
    return values or None


if TYPE_CHECKING:

    @overload
    def tp() -> None: ...
    @overload
    def tp(value: _Value, /) -> _Value: ...
    @overload
    def tp(first: Any, second: Any, /, *more: Any) -> tuple[Any, ...]: ...


def tp(first: Any = None, /, *more: Any) -> Any:
    """Record the values with their source text, and return them unchanged.

    ``tp(x)`` returns ``x``; ``tp(a, b)`` returns ``(a, b)``; ``tp()`` returns None and records
    where it was called; a leading string literal, as in ``tp("HERE")``, is a label. Inside a
    story (a test, ``chrono.story()``) the event is buffered; outside, it is printed to
    stderr. With ``CHRONO=off`` it does nothing but return its arguments.
    """
    return (first, *more) if more else first


def _record(now_ns: int, values: tuple[Any, ...]) -> None:
    """Replaced by the recorder when chrono is enabled."""


def _named_tp(code: CodeType) -> CodeType:
    # Tracebacks and profilers then say "tp", whichever body runs.
    if sys.version_info >= (3, 11):
        return code.replace(co_name="tp", co_qualname="tp")
    return code.replace(co_name="tp")


_PASSTHROUGH = (_named_tp(_passthrough.__code__), _passthrough.__defaults__)
_RECORDING = (_named_tp(_recording.__code__), _recording.__defaults__)
_enabled = False


def enable() -> None:
    """Turn chrono on: ``tp`` records again, including where it was imported before."""
    global _enabled, _record
    from chrono._recorder import record

    _record = record
    tp.__code__, tp.__defaults__ = _RECORDING
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
        f"chrono: warning: {ENVIRONMENT_VARIABLE}={raw!r} is not understood; chrono stays off. "
        f"Use one of {', '.join(ON_VALUES)} to turn it on or {', '.join(OFF_VALUES)} "
        "to turn it off.\n"
    )
    return False
