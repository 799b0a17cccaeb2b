"""Turning a value into the text a story keeps: safe, bounded, and with secrets masked.

``safe_repr`` never raises and never returns more than the limit (plus a short suffix that
states the full length). It is on the hot path, so the common case is a single ``repr()``.
"""

from __future__ import annotations

import re
import reprlib
from typing import Any

from chrono._errors import from_outside

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
        # A key starts where a run of name characters starts: a match tried from inside a run
        # would scan the rest of the run from each of its characters (quadratic: a 10 kB
        # word after a secret key took seconds).
        self.key_pattern = re.compile(
            rf"""(?<![\w.-])['"]?[\w.-]*(?:{names})[\w.-]*['"]?\s*[:=]\s*""", re.IGNORECASE
        )

    def is_secret_name(self, text: str) -> bool:
        """Whether an argument written as ``text`` holds a secret."""
        return self.name_pattern.search(text) is not None

    def mask_fields(self, text: str) -> str:
        """``text`` with the value of every secret ``key=value`` / ``'key': value`` masked."""
        # Without "=" or ":" there is no field to mask (a cheap test that spares most reprs the
        # regex); the plain name search is linear, and the assignment pattern runs only when it
        # may match.
        if ("=" not in text and ":" not in text) or self.name_pattern.search(text) is None:
            return text
        pieces: list[str] = []
        done = 0
        for key in self.key_pattern.finditer(text):
            if key.start() < done:
                continue  # a key inside a value already masked
            end = _value_end(text, key.end())
            if end > key.end():
                pieces += [text[done : key.end()], MASK]
                done = end
        pieces.append(text[done:])
        return "".join(pieces)


#: What can end a value in a repr, or nest one: quotes, brackets, separators.
_VALUE_TOKEN = re.compile(r"""['"(\[{<)\]}>,\s]""")
_STRING_PREFIX = re.compile(r"[bBrRuU]{0,2}")
_QUOTED_REST = {quote: re.compile(rf"(?:[^{quote}\\]|\\.)*{quote}", re.S) for quote in "'\""}


def _value_end(text: str, start: int) -> int:
    """Where the value starting at ``start`` ends: a whole string, or a whole bracketed
    container (so that a secret list or dict is masked entirely), or a plain token."""
    depth = 0
    position = start
    while True:
        token = _VALUE_TOKEN.search(text, position)
        if token is None:
            return len(text)
        char, index = token.group(), token.start()
        if char in "'\"":
            if depth == 0 and not _STRING_PREFIX.fullmatch(text, start, index):
                return index  # the quote that closes a string holding ``key=value``
            rest = _QUOTED_REST[char].match(text, index + 1)
            if rest is None:
                return len(text)
            position = rest.end()
        elif char in "([{<":
            depth += 1
            position = index + 1
        elif depth == 0:
            return index
        elif char in ")]}>":
            depth -= 1
            position = index + 1
        else:
            position = index + 1


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
            text = repr(value)
            if type(text) is not str:
                # repr() allows a str subclass; keep its text, not its overridden methods.
                text = str.__str__(text)
            if not text.isascii():
                text = without_lone_surrogates(text)
    except BaseException as error:  # a user's __repr__ may raise anything, SystemExit too
        if from_outside(error):
            raise  # an interrupt or a timeout that landed while the repr ran: the program's
        return failed_repr_placeholder(error)
    if secrets is not None:
        beyond = len(text) - limit * _MASKED_WINDOW
        if beyond > 0:
            text = _masked(text, limit, secrets)
            return truncated(text, limit, len(text) + beyond, "character")
        text = secrets.mask_fields(text)
    if len(text) > limit:
        return truncated(text, limit, len(text), "character")
    return text


#: A repr longer than this many times the limit is searched for secrets only that far:
#: masking takes time in proportion to the text (a 100 MB string inside a list took 40 s),
#: and the window still lets a masked value shrink a repr back under the cut.
_MASKED_WINDOW = 8
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _masked(text: str, limit: int, secrets: Secrets | None) -> str:
    if secrets is None:
        return text
    return secrets.mask_fields(text[: limit * _MASKED_WINDOW])


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


def failed_repr_placeholder(error: BaseException) -> str:
    """Placeholder text for a value whose ``__repr__`` raised ``error``."""
    try:
        message = str(error)
    except BaseException as failure:
        if from_outside(failure):
            raise
        message = ""
    name = type(error).__name__
    if message:
        if len(message) > 200:
            message = message[:200] + "…"
        message = without_lone_surrogates(message)
        return f"<repr failed: {name}: {message}>"
    return f"<repr failed: {name}>"


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and its ``noun``, plural unless the number is one, thousands separated:
    ``1 event``, ``0 events``, ``2,500 events``; ``plural`` where adding an s is wrong
    (``counted(n, "story", "stories")``)."""
    if number == 1:
        return f"1 {noun}"
    return f"{number:,} {plural or noun + 's'}"
