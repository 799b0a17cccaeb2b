"""Turning a value into the text a story keeps: safe, bounded, and with secrets masked.

``safe_repr`` never raises and never returns more than the limit (plus a short suffix that
states the full length). It is on the hot path, so the common case is a single ``repr()``.
"""

from __future__ import annotations

import re
import reprlib
from typing import Any

MASK = "<masked>"

#: Argument texts and mapping keys whose values are masked unless configured otherwise.
DEFAULT_SECRET_NAMES = (
    r"passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|authori[sz]ation|auth[_-]?header|cookie|session[_-]?id|csrf"
    r"|credential|signature|dsn"
)


class Secrets:
    """Which names are secret: argument texts, and keys inside a value's repr.

    ``names`` is a regular expression, searched case-insensitively.
    """

    def __init__(self, names: str) -> None:
        self.names = names
        self.name_pattern = re.compile(names, re.IGNORECASE)
        # Works on repr text, so dicts, dataclasses, named tuples and keyword-style reprs are
        # masked alike without walking the object a second time.
        key = rf"""(?P<key>['"]?[\w.-]*(?:{names})[\w.-]*['"]?\s*[:=]\s*)"""
        value = r"""(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^,)\]}\s]+)"""
        self.assignment_pattern = re.compile(key + value, re.IGNORECASE)

    def is_secret_name(self, text: str) -> bool:
        """Whether an argument written as ``text`` holds a secret."""
        return self.name_pattern.search(text) is not None

    def mask_fields(self, text: str) -> str:
        """``text`` with the value of every secret ``key=value`` / ``'key': value`` masked."""
        # The plain name search is linear; the assignment pattern runs only when it may match.
        if self.name_pattern.search(text) is None:
            return text
        return self.assignment_pattern.sub(_mask_value, text)


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
#: Past this many elements a builtin container is repr'd through reprlib, so a million-item
#: list costs microseconds, not the full repr it would then throw away.
_LARGE_CONTAINER_LENGTH = 500


def safe_repr(value: Any, limit: int, secrets: Secrets | None) -> str:
    """The repr of ``value``, truncated past ``limit`` characters, with secret fields masked.

    A ``__repr__`` that raises becomes a placeholder naming the exception.
    """
    value_type = type(value)
    try:
        if value_type is str or value_type is bytes:
            if len(value) > limit:
                return _truncated(repr(value[:limit]), limit, len(value), "characters")
            text = repr(value)
        elif value_type in _LARGE_CONTAINER_TYPES and len(value) > _LARGE_CONTAINER_LENGTH:
            text = _BoundedRepr(limit).repr(value)
            text = f"{text}  ({len(value):,} items)"
        else:
            text = repr(value)
            if type(text) is not str:
                raise TypeError(f"__repr__ returned {type(text).__name__}")
    except Exception as error:  # a user's __repr__ may raise anything
        return failed_repr_placeholder(error)
    if secrets is not None:
        text = secrets.mask_fields(text)
    if len(text) > limit:
        return _truncated(text, limit, len(text), "characters")
    return text


def _truncated(text: str, limit: int, total: int, unit: str) -> str:
    return f"{text[:limit]}… ({total:,} {unit} in all)"


def _mask_value(match: re.Match[str]) -> str:
    return match.group("key") + MASK


def failed_repr_placeholder(error: BaseException) -> str:
    """Placeholder text for a value whose ``__repr__`` raised ``error``."""
    try:
        message = str(error)
    except Exception:
        message = ""
    name = type(error).__name__
    if message:
        if len(message) > 200:
            message = message[:200] + "…"
        return f"<repr failed: {name}: {message}>"
    return f"<repr failed: {name}>"
