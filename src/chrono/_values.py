"""Turning a value into the text a story keeps: safe, bounded, and with secrets masked.

``safe_repr`` never raises and never returns more than the limit (plus a short suffix that
states the full length). It is on the hot path, so the common case is a single ``repr()``.
"""

from __future__ import annotations

import functools
import re
import reprlib
from typing import Any, Callable

from chrono._errors import from_outside
from chrono._secrets import MASK, Secrets

__all__ = [
    "MASK",
    "Secrets",
    "failed_repr_placeholder",
    "register_repr",
    "safe_repr",
    "safe_str",
    "truncated",
    "without_lone_surrogates",
]


class _BoundedRepr(reprlib.Repr):
    """reprlib with room for real values: used only for containers too large to repr whole."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxlevel = 4
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 60
        self.maxdeque = self.maxarray = 60
        self.maxdict = 40
        self.maxstring = self.maxlong = self.maxother = limit


_LARGE_CONTAINER_TYPES = (list, tuple, dict, set, frozenset)
_FIELDLESS_TYPES = frozenset({int, float, bool, complex, type(None)})
#: Past this many elements a builtin container is repr'd through reprlib, so a million-item
#: list costs microseconds, not the full repr it would then throw away.
_LARGE_CONTAINER_LENGTH = 500


def safe_repr(value: Any, limit: int, secrets: Secrets | None) -> str:
    """The repr of ``value``, truncated past ``limit`` characters, with secret fields masked.

    A ``__repr__`` that raises becomes a placeholder naming the exception.
    """
    value_type = type(value)
    try:
        if value_type in _FIELDLESS_TYPES:
            # Numbers and singletons: no key=value to mask. (repr raises for an int of more
            # than 4,300 digits, hence inside the try.)
            text = repr(value)
            return text if len(text) <= limit else truncated(text, limit, len(text), "character")
        if value_type is str or value_type is bytes:
            if len(value) > limit:
                # Cut before the repr, so a 100 MB string costs what a short one does; the
                # part kept is masked like any other ("password=..." inside a long text).
                text = _masked(repr(value[:limit]), limit, secrets)
                return truncated(text, limit, len(value), "character")
            text = repr(value)
        elif value_type in _LARGE_CONTAINER_TYPES and len(value) > _LARGE_CONTAINER_LENGTH:
            return _shortened_container(value, limit, secrets)
        else:
            try:
                shown_by = _shown_by[value_type]
            except KeyError:
                shown_by = _resolve_shown_by(value_type)
            text = shown_by(value)
            if type(text) is not str:
                # repr() allows a str subclass; keep its text, not its overridden methods.
                text = str.__str__(text)
            if not text.isascii():
                text = without_lone_surrogates(text)
    except BaseException as error:  # a user's __repr__ may raise anything, SystemExit too
        if from_outside(error):
            raise  # an interrupt or a timeout that landed while the repr ran: the program's
        return failed_repr_placeholder(error, secrets)
    if secrets is not None:
        beyond = len(text) - limit * _MASKED_WINDOW
        if beyond > 0:
            text = _masked(text, limit, secrets)
            return truncated(text, limit, len(text) + beyond, "character")
        text = secrets.mask(text)
    if len(text) > limit:
        return truncated(text, limit, len(text), "character")
    return text


# -- the text of a type's values, where repr is not what a reader wants ---------------------


def _repr_of(value: object) -> str:
    return repr(value)


#: The functions ``register_repr`` was given, by type, subclasses and ABCs resolved as
#: ``functools.singledispatch`` resolves them; ``_repr_of`` where none was.
_registered = functools.singledispatch(_repr_of)
#: What ``safe_repr`` calls for a value of each type seen (``repr`` where nothing else), worked
#: out once per type and forgotten when a function is registered: one dict lookup per value.
_shown_by: dict[type, Callable[[Any], str]] = {}
#: Past this many types, ``_shown_by`` starts afresh (a program that makes classes in a loop).
_MAX_TYPES = 10_000


def register_repr(value_type: type, function: Callable[[Any], str]) -> None:
    """Show values of ``value_type`` (and its subclasses) as ``function(value)`` returns, in
    stories, exports and live output, instead of their ``repr``.

    The text is bounded and its secrets masked as a repr is; a function that raises makes
    the placeholder a failing ``__repr__`` makes. A type registered later wins over the
    summaries chrono gives arrays and frames.
    """
    if not isinstance(value_type, type):
        raise TypeError(f"chrono.register_repr: expected a type, not {value_type!r}")
    if not callable(function):
        raise TypeError(f"chrono.register_repr: expected a callable, not {function!r}")
    _registered.register(value_type, function)
    _shown_by.clear()


def _resolve_shown_by(value_type: type) -> Callable[[Any], str]:
    shown_by: Callable[[Any], str] = _registered.dispatch(value_type)
    if shown_by is _repr_of:
        shown_by = repr
        # Arrays and frames (and their subclasses), only where their library is already
        # imported: the modules of the type's classes say so.
        if any(
            getattr(base, "__module__", "").partition(".")[0] in _ARRAY_LIBRARIES
            for base in value_type.__mro__
        ):
            from chrono._arrays import summary_for

            shown_by = summary_for(value_type) or repr
    if len(_shown_by) >= _MAX_TYPES:
        _shown_by.clear()
    _shown_by[value_type] = shown_by
    return shown_by


#: The libraries ``chrono._arrays`` summarises values of (kept in step with its LIBRARIES).
_ARRAY_LIBRARIES = frozenset({"numpy", "pandas", "torch"})


class _Text:
    """A text shown as it is (its repr is the text), so that ``safe_str`` bounds and masks it
    exactly as ``safe_repr`` does a repr."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def safe_str(value: object, limit: int, secrets: Secrets | None) -> str:
    """``str(value)`` as chrono may show it (an exception's message): masked, cut past
    ``limit`` like a repr, and never raising (a failing ``__str__`` becomes a placeholder)."""
    try:
        text = str(value)
    except BaseException as error:  # a user's __str__ may raise anything
        if from_outside(error):
            raise
        return f"<str() failed: {type(error).__name__}>"
    return safe_repr(_Text(text), limit, secrets)


#: A repr longer than this many times the limit is searched for secrets only that far:
#: masking takes time in proportion to the text (a 100 MB string inside a list took 40 s),
#: and the window still lets a masked value shrink a repr back under the cut.
_MASKED_WINDOW = 8
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _masked(text: str, limit: int, secrets: Secrets | None) -> str:
    if secrets is None:
        return text
    return secrets.mask(text[: limit * _MASKED_WINDOW])


def without_lone_surrogates(text: str) -> str:
    """``text`` with lone surrogates escaped, as repr() escapes them in a str: a story that
    holds one cannot be written as UTF-8 (a JSON file, a log file)."""
    if _LONE_SURROGATE.search(text) is None:
        return text
    return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def truncated(text: str, limit: int, total: int, unit: str) -> str:
    """The first ``limit`` characters of ``text``, then how long the whole was: ``total``
    ``unit`` (``character``, made plural as the count needs) in all."""
    return f"{text[:limit]}… ({counted(total, unit)} in all)"


def _shortened_container(value: Any, limit: int, secrets: Secrets | None) -> str:
    # The whole repr is never built, so its size is stated in items, kept past any cut.
    text = _masked(without_lone_surrogates(_BoundedRepr(limit).repr(value)), limit, secrets)
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"{text}  ({counted(len(value), 'item')})"


def failed_repr_placeholder(error: BaseException, secrets: Secrets | None = None) -> str:
    """Placeholder text for a value whose ``__repr__`` raised ``error``: its message is the
    value's own text (``ValueError("token=…")``), so it is masked as a repr is, then cut."""
    try:
        message = str(error)
    except BaseException as failure:  # a user's __str__ may raise anything
        if from_outside(failure):
            raise
        message = ""
    name = type(error).__name__
    if not message:
        return f"<repr failed: {name}>"
    if type(message) is not str:
        message = str.__str__(message)
    message = without_lone_surrogates(message[: _PLACEHOLDER_MESSAGE * _MASKED_WINDOW])
    if secrets is not None:
        message = secrets.mask(message)
    if len(message) > _PLACEHOLDER_MESSAGE:
        message = message[:_PLACEHOLDER_MESSAGE] + "…"
    return f"<repr failed: {name}: {message}>"


#: How much of a failed repr's exception message its placeholder keeps.
_PLACEHOLDER_MESSAGE = 200


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and its ``noun``, plural unless the number is one, thousands separated:
    ``1 event``, ``0 events``, ``2,500 events``; ``plural`` where adding an s is wrong
    (``counted(n, "story", "stories")``)."""
    if number == 1:
        return f"1 {noun}"
    return f"{number:,} {plural or noun + 's'}"
