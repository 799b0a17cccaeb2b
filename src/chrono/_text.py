"""What an event says, as plain text: one rule for the terminal story, live lines and the files.

Plain strings only (no rich), so that ``render`` (the terminal) and ``export`` (trace files)
write an event's content by the same rule and can never disagree about what it says; and how
every message of chrono writes a count (``counted``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "NOTHING_RECORDED",
    "content_text",
    "counted",
    "item_name",
    "item_text",
    "labelled",
    "line_breaks_marked",
]

#: What an event with neither a label nor an item says: ``tp()`` marks that a line was reached.
NOTHING_RECORDED = "reached"

_LINE_BREAK_MARK = "⏎"


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and its ``noun``, plural unless the number is one, thousands separated:
    ``1 event``, ``0 events``, ``2,500 events``; ``plural`` where adding an s is wrong
    (``counted(n, "story", "stories")``)."""
    if number == 1:
        return f"1 {noun}"
    return f"{number:,} {plural or noun + 's'}"


def line_breaks_marked(text: str) -> str:
    """``text`` on one line, each line break shown as ``⏎``: one line per event, even for a
    multi-line repr (a data frame), label or log message."""
    if "\n" in text or "\r" in text:
        mark = _LINE_BREAK_MARK
        return text.replace("\r\n", mark).replace("\n", mark).replace("\r", mark)
    return text


def item_name(text: str | None, value: str) -> str | None:
    """The name an item is shown under (``name=value``), or None where the value stands alone:
    the argument was written as that value (a literal; the recorder gives such an item no
    text)."""
    return None if text is None or text == value else text


def item_text(text: str | None, value: str) -> str:
    """One item as a story shows it on one line: ``text=value``, or the value alone."""
    # item_name's rule and line_breaks_marked's test written out: a live line to a file runs
    # this once per tp call, and each Python call it saves is a tenth of the line's cost.
    shown = line_breaks_marked(value) if "\n" in value or "\r" in value else value
    return shown if text is None or text == value else f"{text}={shown}"


def labelled(label: str | None, body: str) -> str:
    """An event's line: its label, two spaces, then its ``body`` (its items); ``reached`` when
    it has neither."""
    if label is None:
        return body or NOTHING_RECORDED
    label = line_breaks_marked(label)
    return f"{label}  {body}" if body else label


def content_text(label: str | None, items: Iterable[Sequence[str]]) -> str:
    """What a ``tp`` event says on one line: ``labelled`` with its items joined by commas."""
    return labelled(label, ", ".join(item_text(text, value) for text, value in items))
