"""What an event says, as plain text: one rule for the terminal story, live lines and the files.

Plain strings only (no rich), so that ``render`` (the terminal) and ``export`` (trace files)
write an event's content by the same rule and can never disagree about what it says; how
every message of chrono writes a count (``counted``, defined in ``_values`` so that the modules
below this one write counts alike). The plain live line is written here too,
whole: live output to a pipe or a file needs no rich, and so still works where nothing can be
imported any more (a ``__del__`` at interpreter shutdown).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from chrono import _config
from chrono._events import wall_at_zero
from chrono._sites import reader_path, site_text
from chrono._values import counted, safe_repr

if TYPE_CHECKING:
    from chrono._callsite import CallSite
    from chrono._events import RawTpRecord

__all__ = [
    "NOTHING_RECORDED",
    "clock_time",
    "content_text",
    "counted",
    "for_terminal",
    "item_name",
    "item_text",
    "labelled",
    "line_breaks_marked",
    "plain_live_line",
]

#: What an event with neither a label nor an item says: ``tp()`` marks that a line was reached.
NOTHING_RECORDED = "reached"

_LINE_BREAK_MARK = "⏎"


def line_breaks_marked(text: str) -> str:
    """``text`` on one line, each line break shown as ``⏎``: one line per event, even for a
    multi-line repr (a data frame), label or log message."""
    if "\n" in text or "\r" in text:
        mark = _LINE_BREAK_MARK
        return text.replace("\r\n", mark).replace("\n", mark).replace("\r", mark)
    return text


#: What a terminal acts on instead of showing: every C0 control (line breaks are marked
#: before), DEL and the C1 controls (escape sequences that clear the screen, set the window's
#: title, ring the bell), and the bidirectional formatting characters that reorder the text
#: after them (U+202E makes ``exe.txt`` read ``txt.exe``).
_ACTED_ON = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def for_terminal(text: str) -> str:
    """``text`` on one line, as it may be written to a terminal: line breaks marked ``⏎``,
    and each character a terminal would act on written as its escape, as ``repr`` writes it
    (``\\x1b``, ``\\u202e``). Text with nothing to escape is returned as is, after one check.
    """
    if text.isprintable():
        return text
    return _ACTED_ON.sub(_escape, line_breaks_marked(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 9:
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def item_name(text: str | None, value: str) -> str | None:
    """The name an item is shown under (``name=value``), or None where the value stands alone:
    the argument was written as that value (a literal; the recorder gives such an item no
    text)."""
    return None if text is None or text == value else text


def item_text(text: str | None, value: str) -> str:
    """One item as a story shows it on one line: ``text=value``, or the value alone; safe for
    a terminal (``for_terminal``)."""
    # item_name's rule and for_terminal's test written out: a live line to a file runs this
    # once per tp call, and each Python call it saves is a tenth of the line's cost.
    shown = value if value.isprintable() else for_terminal(value)
    if text is None or text == value:
        return shown
    return f"{text if text.isprintable() else for_terminal(text)}={shown}"


def labelled(label: str | None, body: str) -> str:
    """An event's line: its label, two spaces, then its ``body`` (its items); ``reached`` when
    it has neither. The label is made safe for a terminal (``for_terminal``); ``item_text``
    has made the body so."""
    if label is None:
        return body or NOTHING_RECORDED
    label = for_terminal(label)
    return f"{label}  {body}" if body else label


def content_text(label: str | None, items: Iterable[Sequence[str]]) -> str:
    """What a ``tp`` event says on one line: ``labelled`` with its items joined by commas."""
    return labelled(label, ", ".join(item_text(text, value) for text, value in items))


# -- one tp record, live ------------------------------------------------------------------------


def plain_live_line(raw: RawTpRecord, wall: float | None = None) -> str:
    """A tp record as one line of live output, without colour, at ``wall`` (by default, the
    wall time of the record's monotonic time); safe for a terminal (``for_terminal``).

    Live output to a file or a pipe runs this once per tp call, so it writes the line straight
    from the record, with no event and no pieces built; the tests hold it to the text
    ``render.live_line`` gives the record's event.
    """
    # Once per tp call: unpacked in TpRecord's field order (tests/test_events.py holds the
    # recorder to it): reading it by name cost a live line an eighth more (callgrind, 3.11).
    seq, now_ns, thread, task, site, label, shown = raw
    try:
        shown_site = _shown_sites[site]
    except KeyError:
        shown_site = for_terminal(site_text(reader_path(site.file), site.line, site.function))
        _shown_sites[site] = shown_site
    try:
        # Thread.name is a property over _name: reading it directly saves a Python call on
        # every live line (the property stays the fallback).
        name = thread._name  # type: ignore[attr-defined]
    except AttributeError:
        name = thread.name
    # The names the program chose go through for_terminal, as the value and the label do in
    # item_text and labelled (one str.isprintable() check each when there is nothing to escape).
    if task:
        where = f" [{for_terminal(f'{name} / {task}')}]"
    elif name == "MainThread":
        where = ""
    else:
        where = f" [{for_terminal(name)}]"
    if not isinstance(shown, tuple):
        # One value: its text is None for a literal, whose item is the value alone.
        if isinstance(shown, int):
            # A small int's repr is short and has no line break; any other goes the long way.
            if -1_000_000_000 < shown < 1_000_000_000:
                value = repr(shown)
            else:
                value = safe_repr(shown, _config.settings.repr_limit, None)
        else:
            value = shown
        body = item_text(site.first_text, value)
        if label is not None or not body:
            body = labelled(label, body)
    else:
        body = content_text(label, shown)
    if wall is None:
        now_ms = now_ns // 1_000_000
        clock = _live_clock
        if clock[0] != now_ms:
            clock = _set_live_clock(now_ms)
        return f"#{seq} {clock[1]} {shown_site}{where}  {body}"
    return f"#{seq} {clock_time(wall)} {shown_site}{where}  {body}"


# The site text of each call site seen live, by its CallSite (hashed by identity).
_shown_sites: dict[CallSite, str] = {}

_clock_second: tuple[int, str] = (-1, "")


def clock_time(wall: float) -> str:
    """``HH:MM:SS.mmm`` in local time."""
    return _clock_text(int(wall * 1000))


# The clock text of live lines, formatted once per millisecond of the monotonic clock (a loop
# of live tp calls makes hundreds of lines in one), so never more than a millisecond off.
_live_clock: tuple[int, str] = (-1, "")


def _set_live_clock(monotonic_millisecond: int) -> tuple[int, str]:
    global _live_clock
    wall = wall_at_zero() + monotonic_millisecond / 1000
    _live_clock = (monotonic_millisecond, _clock_text(int(wall * 1000)))
    return _live_clock


def _clock_text(millisecond: int) -> str:
    # The seconds part is formatted once per second.
    global _clock_second
    second, part = divmod(millisecond, 1000)
    if _clock_second[0] != second:
        _clock_second = (second, time.strftime("%H:%M:%S", time.localtime(second)))
    return f"{_clock_second[1]}.{_MILLISECONDS[part]}"


_MILLISECONDS = tuple(f"{millisecond:03d}" for millisecond in range(1000))
