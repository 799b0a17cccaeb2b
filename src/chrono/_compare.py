"""Where two stories diverged: plain data, no display.

Stories are aligned by what ran, not by position. Each event becomes a token: its call site
and what the call records (for a ``tp`` call its label and argument texts; for a log record
its logger and level), and how many times that same token had come before in its story. The
occurrence number makes a token almost always unique, so that difflib's ``SequenceMatcher``
pairs the third pass of a loop with the third pass, and a loop that ran once more is one
insertion, not a shift of every later event. Values (reprs, log messages) are compared only
between aligned events, with memory addresses masked, so that two runs' ``<Foo object at
0x…>`` read alike.

``chrono.render`` draws a ``Divergence``; the pytest plugin decides when to compare.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable

from chrono._events import SUBTEST_KIND, Event, WhatRan, items_of_shown, what_ran

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

__all__ = [
    "COMPACT_EVENT_FIELDS",
    "COMPACT_LIMIT_BYTES",
    "COMPACT_REPR_LIMIT",
    "COMPACT_SCHEMA",
    "DIVERGENCE_SCHEMA",
    "AlignedPair",
    "Divergence",
    "OnlyIn",
    "Side",
    "closest",
    "compact",
    "compact_size",
    "comparable_value",
    "compare",
    "compare_moved",
    "is_input",
    "moved_sites",
    "short_names",
    "split_test_id",
]

#: The version of ``compact()``'s form of a story.
COMPACT_SCHEMA = "chrono.compact/1"
#: The version of ``Divergence.to_dict()``'s form.
DIVERGENCE_SCHEMA = "chrono.divergence/1"
#: ``compact()``'s bound on one story, in UTF-8 bytes of its indented JSON
#: (``json.dumps(value, ensure_ascii=False, indent=2)``). Marshalled, as the pytest plugin
#: keeps a last pass too big to keep as what it ran, it is smaller still.
COMPACT_LIMIT_BYTES = 64 * 1024
#: Reprs, labels and argument texts are kept and compared up to this many characters.
COMPACT_REPR_LIMIT = 200
#: Rows of context shown after the first difference, by default.
DEFAULT_CONTEXT = 3
#: How many tokens from the first difference on are aligned by ``SequenceMatcher``. Tokens
#: are nearly unique, yet a pathological pair of stories (one site run 10,000 times against
#: two sites alternating) makes the matcher quadratic; the context after the first difference
#: is all the alignment is needed for, and this window bounds its cost.
ALIGNMENT_WINDOW = 400

_STORY_SCHEMAS = ("chrono.story/1", "chrono.story/2")
_CUT_MARK = "…"
# A default repr's address (``at 0x7f3a5c2b1d90``), or any long hex number alike.
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
_MASKED_ADDRESS = "0x…"
#: Other values that differ from run to run by nature, and what stands for each.
_NATURAL_MASKS = (
    # Temporary paths: the system's, macOS's, Windows', and pytest's own under any base.
    (
        re.compile(
            r"(?:/private)?/(?:tmp|var/folders)/[^\s'\",)\]}]*"
            r"|[A-Za-z]:\\\\?(?:[^\s'\"]*\\\\?)?(?:Temp|TEMP|tmp)\\\\?[^\s'\",)\]}]*"
            r"|[^\s'\"]*pytest-of-[^\s'\",)\]}]*"
        ),
        "<temporary path>",
    ),
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
    ),
    # Dates and clock times, ISO or as datetime's repr writes them; epoch seconds.
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:[+-]\d{2}:?\d{2}|Z)?"
        ),
        "<time>",
    ),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), "<time>"),
    (
        re.compile(
            r"\b(?:datetime\.)?(?:datetime|date|time)\(\d{1,4}(?:, \d{1,6})*(?:, tzinfo=[^)]*\))?\)"
        ),
        "<time>",
    ),
    (re.compile(r"\b1[0-9]{9}(?:\.\d+)?\b"), "<time>"),
    # id() values: twelve digits and more (addresses in decimal).
    (re.compile(r"\b\d{12,}\b"), "<id>"),
)
#: What any of ``_NATURAL_MASKS`` needs: four digits in a row, a clock's colon, or a path's
#: separator. Most values have none, and pay for this one search only.
_MAYBE_NATURAL = re.compile(r"\d{4}|\d:\d|[/\\]")
#: The fields of one event in the compact form, in order (the file as an index into "files").
COMPACT_EVENT_FIELDS = ("kind", "file", "line", "function", "label", "items", "seq", "thread")

_EXPECTED_INPUT = (
    "a chrono Story, its to_dict() data (schema 'chrono.story/2', or /1) "
    "or its compact() form (schema 'chrono.compact/1')"
)


# -- the result -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One of the two stories compared: how it is called, and what of it was compared."""

    #: The name the comparison calls it by ("failing", a test id, a file name).
    name: str
    #: How many events were compared (its kept events, less subtest markers).
    events: int
    #: How many events it had that were not kept (the story's bound, and compact()'s cut).
    dropped: int = 0
    #: When it ran: the wall-clock time (epoch seconds) of its start, where known.
    wall: float | None = None
    #: Where events were not kept: the indexes of the compared events before which they fell.
    gaps: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The side as JSON-able data."""
        return {
            "name": self.name,
            "events": self.events,
            "dropped": self.dropped,
            "wall": self.wall,
            "gaps": list(self.gaps),
        }


@dataclass(frozen=True)
class AlignedPair:
    """Two events aligned with each other; ``None`` where one side has no counterpart.

    ``kind``: ``"same"`` (same call site, same values), ``"data"`` (same call site, other
    values) or ``"control"`` (another call site, or only one side ran here). ``differing``:
    the indexes of the items whose values differ (for a log record, 0 is its message).
    """

    a: Event | None
    b: Event | None
    kind: str
    differing: tuple[int, ...] = ()

    @property
    def differing_names(self) -> tuple[str, ...]:
        """The argument texts of the differing items, as recorded on the ``a`` side."""
        event = self.a if self.a is not None else self.b
        if event is None:
            return ()
        return tuple(event.items[index][0] for index in self.differing)

    def to_dict(self) -> dict[str, Any]:
        """The pair as JSON-able data: each side's event (what comparison reads of it), or
        None."""
        return {
            "kind": self.kind,
            "a": _event_data(self.a),
            "b": _event_data(self.b),
            "differing": list(self.differing),
        }


def _event_data(event: Event | None) -> dict[str, Any] | None:
    """What comparison read of an event. Not its times: an event read from the compact form
    has none."""
    if event is None:
        return None
    return {
        "seq": event.seq,
        "kind": event.kind,
        "file": event.file,
        "line": event.line,
        "function": event.function,
        "label": event.label,
        "items": [list(item) for item in event.items],
        "thread": event.thread,
    }


@dataclass(frozen=True)
class OnlyIn:
    """A call site that ran more times on one side than on the other, and how many more."""

    file: str
    line: int
    function: str
    count: int


@dataclass(frozen=True)
class Divergence:
    """Where two stories diverged, as ``chrono.compare(a, b)`` found it.

    ``shared``: how many events the two have alike from the start (same call sites, same
    values), counted over the events each kept. ``first``: the first pair that differs, or
    None when the stories ran alike. ``context``: the aligned pairs after it. ``only_in_a``,
    ``only_in_b``: call sites that ran more times on one side, in order of first appearance.
    ``closeness``: from 0 to 1, how much of the two stories ran alike (see ``closest``).
    """

    a: Side
    b: Side
    shared: int
    first: AlignedPair | None
    context: tuple[AlignedPair, ...]
    only_in_a: tuple[OnlyIn, ...]
    only_in_b: tuple[OnlyIn, ...]
    closeness: float
    #: The side whose events ended where the first difference is (the other ran on), or None.
    ended: str | None = None
    #: Where ``first`` is only a difference of input (see ``is_input``): the first difference
    #: after it that is not, when there is one in the aligned window; ``context`` follows it.
    after_input: AlignedPair | None = None
    #: Whether ``first`` is a difference of input and none but such follows it: the two ran
    #: the same way on other inputs.
    only_input: bool = False

    @property
    def same(self) -> bool:
        """Whether the two stories ran alike: the same call sites with the same values."""
        return self.first is None

    @property
    def kind(self) -> str | None:
        """``"data"`` or ``"control"`` for the first difference; None when ``same``."""
        return None if self.first is None else self.first.kind

    @property
    def dropped(self) -> bool:
        """Whether either story had events that were not kept (and so not compared)."""
        return bool(self.a.dropped or self.b.dropped)

    def to_dict(self) -> dict[str, Any]:
        """The divergence as JSON-able data (schema ``chrono.divergence/1``): what the
        ``--chrono-json`` files and the HTML report carry."""
        return {
            "schema": DIVERGENCE_SCHEMA,
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "same": self.same,
            "shared": self.shared,
            "kind": self.kind,
            "first": None if self.first is None else self.first.to_dict(),
            "context": [pair.to_dict() for pair in self.context],
            "only_in_a": [asdict(site) for site in self.only_in_a],
            "only_in_b": [asdict(site) for site in self.only_in_b],
            "ended": self.ended,
            "dropped": self.dropped,
            "closeness": self.closeness,
            "after_input": None if self.after_input is None else self.after_input.to_dict(),
            "only_input": self.only_input,
        }

    def text(self, *, width: int | None = None) -> str:
        """The divergence as plain text, no colour codes, laid out for a line ``width`` wide
        (by default the terminal's)."""
        from chrono.render import divergence_text

        return divergence_text(self, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from chrono.render import DivergenceView

        yield DivergenceView(self)

    def _repr_html_(self) -> str:
        """The divergence in a notebook: as the terminal shows it, in HTML."""
        from chrono.render import divergence_html

        return divergence_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """The divergence in a terminal IPython: its plain text."""
        printer.text(repr(self) if cycle else self.text())


# -- what is compared -----------------------------------------------------------------------------


def comparable_value(value: str) -> str:
    """A repr as the comparison sees it: cut to ``COMPACT_REPR_LIMIT`` characters, and what
    differs from run to run by nature masked (memory addresses, ``id()`` numbers, temporary
    paths, UUIDs, dates, clock times and epoch seconds), so that two runs'
    ``<Foo object at 0x7f…>`` or ``/tmp/pytest-of-me/pytest-7/data.txt`` are the same value."""
    shown = _ADDRESS.sub(_MASKED_ADDRESS, _bounded(value))
    # A whole number shorter than an epoch second is common (a count, a price) and no mask's.
    if len(shown) < 10 and shown.isdigit():
        return shown
    if _MAYBE_NATURAL.search(shown):
        for pattern, mask in _NATURAL_MASKS:
            shown = pattern.sub(mask, shown)
    return shown


def _bounded(text: str) -> str:
    if len(text) > COMPACT_REPR_LIMIT:
        text = text[:COMPACT_REPR_LIMIT] + _CUT_MARK
    if not text.isascii():
        # A lone surrogate (in a label; reprs never hold one) cannot be written as UTF-8, so
        # the compact form could not be written to a file. Escaped, it still compares.
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _token(event: Event) -> tuple[Any, ...]:
    """What ran, without how often: the call site and what the call records."""
    if event.kind == "log":
        logger = event.items[0][0] if event.items else ""
        return ("log", event.file, event.line, logger, event.label)
    texts = tuple(_bounded(text) for text, _ in event.items)
    label = None if event.label is None else _bounded(event.label)
    return (event.kind, event.file, event.line, event.function, label, texts)


def _values(event: Event) -> tuple[str, ...]:
    return tuple(comparable_value(value) for _, value in event.items)


def _differing(a: Event, b: Event) -> tuple[int, ...]:
    values_a, values_b = _values(a), _values(b)
    return tuple(
        index for index, (one, other) in enumerate(zip(values_a, values_b)) if one != other
    )


def _tokens(
    events: Sequence[Event], gaps: Sequence[int] = (), moved: Mapping[Site, int] | None = None
) -> list[tuple[Any, ...]]:
    """Each event's token with its occurrence number: how many times it had come before.

    Past a gap (events not kept) the count starts again, and the token carries how many gaps
    came before it: a count after a gap says nothing of how often the site really ran, so an
    event after one side's gap is never taken for its counterpart on the other side.
    ``moved``: the line each moved call site has on the other side (``moved_sites``), taken
    in the token for its own.
    """
    seen: Counter[tuple[Any, ...]] = Counter()
    tokens = []
    segment = 0
    for index, event in enumerate(events):
        if index in gaps:
            segment += 1
            seen.clear()
        token = _token(event)
        if moved:
            line = moved.get((event.file, event.line))
            if line is not None:
                token = (*token[:2], line, *token[3:])
        tokens.append((*token, segment, seen[token]))
        seen[token] += 1
    return tokens


#: A call site by its file and line.
Site = tuple[str, int]


def moved_sites(
    now: Sequence[Event], before: Sequence[Event], source_line: Callable[[str, int], str]
) -> dict[Site, int]:
    """The call sites of the events ``before`` that an edit has moved since, each with its
    line in the events ``now``, as the source reads now (``source_line(file, line)``).

    A call that ran in both stories (the same file, function and kind, with the same label and
    argument texts: ``_token`` without the line) at lines that differ is one site moved, when
    each side's lines of it that the other lacks are as many, and the source now has another
    line where the old one was. Paired in order of line, as an edit above them moves them.
    (Two calls alike in one function, each run on one side, are two sites: the source still
    has the call at the old line.)
    """
    lines_now = _lines_by_call(now)
    lines_before = _lines_by_call(before)
    moved: dict[Site, int] = {}
    for call, old_lines in lines_before.items():
        new_lines = lines_now.get(call)
        if not new_lines:
            continue
        file = call[1]
        gone = sorted(old_lines - new_lines)
        arrived = sorted(new_lines - old_lines)
        if not gone or len(gone) != len(arrived):
            continue
        pairs = list(zip(gone, arrived))
        if all(
            source_line(file, old).strip() != source_line(file, new).strip() for old, new in pairs
        ):
            moved.update(((file, old), new) for old, new in pairs)
    return moved


def _lines_by_call(events: Iterable[Event]) -> dict[tuple[Any, ...], set[int]]:
    lines: dict[tuple[Any, ...], set[int]] = {}
    for event in events:
        token = _token(event)
        lines.setdefault((*token[:2], *token[3:]), set()).add(event.line)
    return lines


# -- reading either input -----------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """A story read for comparison: its name, its events less subtest markers, how many it
    did not keep, and when it ran."""

    name: str | None
    events: list[Event]
    dropped: int
    wall: float | None
    #: The indexes in ``events`` before which events were not kept.
    gaps: tuple[int, ...] = ()


def load(story: object, which: str, caller: str = "chrono.compare") -> Loaded:
    """A Story, a ``to_dict()`` mapping or a ``compact()`` mapping, read for comparison;
    anything else is a ValueError that names ``which`` (and the ``caller``, if any) and what
    was expected."""
    prefix = f"{caller}: " if caller else ""
    try:
        if isinstance(story, Mapping):
            schema = story.get("schema")
            if schema == COMPACT_SCHEMA:
                return _load_compact(story)
            if schema in _STORY_SCHEMAS:
                return _load_story_data(story)
        else:
            loaded = _load_story(story)
            if loaded is not None:
                return loaded
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ValueError(
            f"{prefix}{which} is not a valid story ({type(error).__name__}: {error}); "
            f"expected {_EXPECTED_INPUT}"
        ) from None
    raise ValueError(f"{prefix}{which} must be {_EXPECTED_INPUT}, not {_describe(story)}")


def _describe(value: object) -> str:
    if isinstance(value, Mapping):
        return f"a mapping with schema {value.get('schema')!r}"
    return f"a {type(value).__name__}"


def _load_story(story: Any) -> Loaded | None:
    """A Story, or anything with ``events`` and ``dropped``; None for anything else."""
    # Each of a Story's ``events`` and ``dropped`` reads the whole story: one ``parts()``
    # gives both (and hasattr() would read them too).
    parts = getattr(story, "parts", None)
    if callable(parts):
        head, dropped, tail = parts()
        events = list(head) + list(tail)
        gap = len(head) if dropped else None
    else:
        try:
            events, dropped = list(story.events), int(story.dropped)
        except AttributeError:
            return None
        gap = None
    started_ns = getattr(story, "started_ns", 0)
    wall = _start_wall(events[0].wall, events[0].monotonic_ns, started_ns) if events else None
    compared, gaps = _compared(events, () if gap is None else (gap,))
    return Loaded(getattr(story, "name", None), compared, int(dropped), wall, gaps)


def _load_story_data(data: Mapping[str, Any]) -> Loaded:
    events = [_event_of_plain_data(raw) for raw in data["events"]]
    started_ns = int(data.get("started_ns") or 0)
    wall = _start_wall(events[0].wall, events[0].monotonic_ns, started_ns) if events else None
    dropped = int(data.get("dropped") or 0)
    gap = data.get("dropped_at")
    compared, gaps = _compared(events, (int(gap),) if dropped and gap is not None else ())
    return Loaded(data.get("name"), compared, dropped, wall, gaps)


def _event_of_plain_data(raw: Mapping[str, Any]) -> Event:
    return Event(
        seq=int(raw["seq"]),
        monotonic_ns=int(raw.get("monotonic_ns") or 0),
        wall=float(raw.get("wall") or 0.0),
        thread=str(raw.get("thread") or ""),
        task=raw.get("task"),
        file=str(raw["file"]),
        line=int(raw["line"]),
        function=str(raw["function"]),
        label=raw.get("label"),
        items=tuple((str(text), str(value)) for text, value in raw["items"]),
        kind=str(raw.get("kind") or "tp"),
        thread_id=int(raw.get("thread_id") or 0),
    )


def _load_compact(data: Mapping[str, Any]) -> Loaded:
    files: list[str] = list(data["files"])
    events = []
    for kind, file, line, function, label, items, seq, thread in data["events"]:
        events.append(
            Event(
                int(seq),
                0,
                0.0,
                str(thread),
                None,
                files[file],
                int(line),
                str(function),
                label,
                tuple((str(text), str(value)) for text, value in items),
                str(kind),
            )
        )
    dropped = int(data.get("dropped") or 0) + int(data.get("cut") or 0)
    wall = data.get("wall")
    gaps = tuple(sorted(int(gap) for gap in data.get("gaps") or ()))
    return Loaded(data.get("name"), events, dropped, None if wall is None else float(wall), gaps)


def _start_wall(event_wall: float, event_ns: int, started_ns: int) -> float | None:
    if not event_wall:
        return None
    if started_ns and event_ns >= started_ns:
        return event_wall - (event_ns - started_ns) / 1e9
    return event_wall


def _compared(events: list[Event], gaps: Sequence[int]) -> tuple[list[Event], tuple[int, ...]]:
    """The events less subtest markers (the runner's, not the program's), and the ``gaps``
    as indexes among those left."""
    compared: list[Event] = []
    moved = []
    for index, event in enumerate(events):
        if index in gaps:
            moved.append(len(compared))
        if event.kind != SUBTEST_KIND:
            compared.append(event)
    moved += [len(compared) for gap in gaps if gap >= len(events)]
    return compared, tuple(moved)


# -- the compact form ---------------------------------------------------------------------------


def compact(story: object) -> dict[str, Any]:
    """The story as small JSON-able data holding what comparison needs, for keeping (pytest's
    cache, for a passing story past the bound) and sending (between pytest-xdist processes).

    Accepts what ``compare`` accepts. Per event: kind, call site, label, items (texts and
    reprs cut to ``COMPACT_REPR_LIMIT`` characters), sequence number and thread name; with
    the story's name, when it ran (``wall``) and how many events it dropped. Serialized it
    is at most ``COMPACT_LIMIT_BYTES``: past that, the middle events are cut (the first and
    the last are kept), and ``cut`` says how many, ``cut_at`` where.
    """
    loaded = load(story, "the story", "chrono.compact")
    rows = compact_rows(map(what_ran, loaded.events))
    return _compact_data(loaded.name, rows, loaded.wall, loaded.dropped, loaded.gaps)


#: The compact form's files and rows as tuples (``compact_rows``): what the pytest plugin keeps
#: of a passing story, made cheaply, and left alone by the garbage collector once seen.
Rows = tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]


def compact_rows(ran: Iterable[WhatRan]) -> Rows:
    """The files and rows of the compact form of what ran (``_events.what_ran`` of each
    record), as tuples; subtest marks are left out, as ``compact()`` leaves them."""
    files: dict[str, int] = {}
    rows = []
    limit = COMPACT_REPR_LIMIT
    for (kind, file, line, function, first_text), label, shown, seq, thread in ran:
        if kind == SUBTEST_KIND:
            continue
        items = items_of_shown(shown, first_text)
        index = files.setdefault(file, len(files))
        if label is not None:
            label = _bounded(label)
        # Every passing test pays for this loop: texts are bounded only where they must be.
        for text, value in items:
            if len(text) > limit or len(value) > limit or not (text + value).isascii():
                items = tuple((_bounded(text), _bounded(value)) for text, value in items)
                break
        rows.append((kind, index, line, function, label, items, seq, thread))
    return tuple(files), tuple(rows)


def compact_of_rows(name: str | None, rows: Rows) -> dict[str, Any]:
    """The compact form, bounded, of ``compact_rows``' output for a story called ``name``."""
    return _compact_data(name, rows)


def _compact_data(
    name: str | None,
    rows: Rows,
    wall: float | None = None,
    dropped: int = 0,
    gaps: Sequence[int] = (),
) -> dict[str, Any]:
    files, events = rows
    data: dict[str, Any] = {
        "schema": COMPACT_SCHEMA,
        "name": name,
        "wall": wall,
        "dropped": dropped,
        "cut": 0,
        "cut_at": None,
        "gaps": list(gaps),
        "files": list(files),
        "events": [[*row[:5], [list(item) for item in row[5]], *row[6:]] for row in events],
    }
    if not _surely_within_bound(_json(data)) and compact_size(data) > COMPACT_LIMIT_BYTES:
        _cut_middle(data)
    return data


def _json(data: object) -> str:
    # No indent: the C encoder, a fraction of what the indenting one, pure Python, costs.
    return json.dumps(data, ensure_ascii=False)


#: How much longer indent=2 makes the JSON of a compact form, at most: each value gains a line
#: break and up to ten spaces (five levels deep) where the compact JSON has ", " before it, and
#: the shortest value is one character (3 bytes with its separator against 13).
_INDENT_GROWTH = 5


def _surely_within_bound(unindented: str) -> bool:
    """Whether JSON text without indent is small enough that, indented, it is surely within
    the bound: most stories are far below it, and need no exact (pure Python) measure."""
    # A character is at most 4 bytes in UTF-8; the common ASCII case needs no encoding.
    size = len(unindented) if unindented.isascii() else len(unindented.encode("utf-8"))
    return size * _INDENT_GROWTH <= COMPACT_LIMIT_BYTES


def compact_size(data: object) -> int:
    """The size in bytes of ``data`` as indented JSON (see COMPACT_LIMIT_BYTES)."""
    return len(json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))


def _row_size(row: list[Any]) -> int:
    """A row's bytes in the indented JSON: two levels deeper than the top, so each of its lines
    is indented four more spaces, and a comma and a line break follow it."""
    text = json.dumps(row, ensure_ascii=False, indent=2)
    return len(text.encode("utf-8")) + 4 * (text.count("\n") + 1) + 2


def _cut_middle(data: dict[str, Any]) -> None:
    """Keep the first and the last events that fit in the bound, half of the room each."""
    rows: list[list[Any]] = data.pop("events")
    data["cut"], data["cut_at"] = len(rows), len(rows)
    data["events"] = []
    # Generous room for the numbers the cut fills in below.
    room = COMPACT_LIMIT_BYTES - compact_size(data) - 64
    sizes = [_row_size(row) for row in rows]
    head = _fitting(sizes, room // 2)
    tail = _fitting(sizes[head:][::-1], room - sum(sizes[:head]))
    gaps: list[int] = data["gaps"]
    while True:
        data["events"] = rows[:head] + rows[len(rows) - tail :]
        cut = data["cut"] = len(rows) - head - tail
        data["cut_at"] = head
        # A gap the cut swallowed is the cut's; one after it moves back by what was cut.
        kept_gaps = {
            gap if gap <= head else gap - cut for gap in gaps if not head < gap < head + cut
        }
        data["gaps"] = sorted({*kept_gaps, head})
        if compact_size(data) <= COMPACT_LIMIT_BYTES or not head + tail:
            return
        # The estimate fell short (it never has yet): one event fewer, from the longer end.
        if head > tail:
            head -= 1
        else:
            tail -= 1


def _fitting(sizes: Sequence[int], room: int) -> int:
    """How many of ``sizes``, from the first, fit in ``room``."""
    used = 0
    for count, size in enumerate(sizes):
        used += size
        if used > room:
            return count
    return len(sizes)


# -- comparing ------------------------------------------------------------------------------------


def compare(
    a: object,
    b: object,
    *,
    names: tuple[str, str] | None = None,
    context: int = DEFAULT_CONTEXT,
) -> Divergence:
    """Where story ``b`` diverged from story ``a``: aligned by what ran, not by position.

    Each side may be a ``Story``, its ``to_dict()`` data (a ``--chrono-json`` file, loaded)
    or its ``compact()`` form. ``names`` call the two sides (default: the stories' names when
    they differ, else "first" and "second"); ``context`` is how many aligned pairs after the
    first difference are kept. Raises ValueError, naming what it expected, for anything else.
    """
    return _compare(load(a, "the first story"), load(b, "the second story"), names, context)


def compare_moved(
    now: object,
    before: object,
    source_line: Callable[[str, int], str],
    *,
    names: tuple[str, str] | None = None,
    context: int = DEFAULT_CONTEXT,
) -> tuple[Divergence, dict[Site, int]]:
    """``compare`` of a story ``now`` with one from ``before`` an edit, the call sites the
    edit moved (``moved_sites``) taken for the ones they were; and those moves. Each side's
    events keep their own lines."""
    loaded_now, loaded_before = load(now, "the story now"), load(before, "the story before")
    moved = moved_sites(loaded_now.events, loaded_before.events, source_line)
    return _compare(loaded_now, loaded_before, names, context, moved), moved


def _compare(
    loaded_a: Loaded,
    loaded_b: Loaded,
    names: tuple[str, str] | None,
    context: int,
    moved_b: Mapping[Site, int] | None = None,
    outcomes: Collection[Outcome] = (),
) -> Divergence:
    name_a, name_b = names if names is not None else _default_names(loaded_a, loaded_b)
    side_a = Side(name_a, len(loaded_a.events), loaded_a.dropped, loaded_a.wall, loaded_a.gaps)
    side_b = Side(name_b, len(loaded_b.events), loaded_b.dropped, loaded_b.wall, loaded_b.gaps)
    events_a, events_b = loaded_a.events, loaded_b.events
    tokens_a = _tokens(events_a, loaded_a.gaps)
    tokens_b = _tokens(events_b, loaded_b.gaps, moved_b)
    values_a = [_values(event) for event in events_a]
    values_b = [_values(event) for event in events_b]

    shared = 0
    for token_a, token_b, value_a, value_b in zip(tokens_a, tokens_b, values_a, values_b):
        if token_a != token_b or value_a != value_b:
            break
        shared += 1

    only_in_a, only_in_b = _only_in(tokens_a, tokens_b, events_a, events_b)
    closeness = _closeness(tokens_a, tokens_b, values_a, values_b)
    if shared == len(events_a) == len(events_b):
        return Divergence(side_a, side_b, shared, None, (), only_in_a, only_in_b, closeness)

    pairs = _aligned(events_a, events_b, tokens_a, tokens_b, shared)
    first = next(pairs)
    after_input = None
    only_input = False
    if is_input(first, outcomes):
        # The test's own input told apart, not the outcome: the difference that matters is
        # the first one after it that is not input too; without one, the context is the
        # pairs after the first, as always.
        passed: list[AlignedPair] = []
        for pair in pairs:
            if pair.kind != "same" and not is_input(pair, outcomes):
                after_input = pair
                break
            passed.append(pair)
        # An input is told by what it leads to: a lone value that differs, with nothing
        # after it, is no input, but the one difference there is.
        only_input = after_input is None and any(pair.kind != "same" for pair in passed)
        if after_input is None:
            pairs = iter(passed)
    after = list(islice(pairs, max(context, 0)))
    ended = None
    if first.a is None and shared == len(events_a):
        ended = name_a
    elif first.b is None and shared == len(events_b):
        ended = name_b
    return Divergence(
        side_a,
        side_b,
        shared,
        first,
        tuple(after),
        only_in_a,
        only_in_b,
        closeness,
        ended,
        after_input,
        only_input,
    )


#: The values of a condition: an outcome the code decided, never an input it was handed.
CONDITION_VALUES = frozenset({"True", "False"})


#: An item known to be an outcome, whatever its value: its call site and argument text (the
#: failing story's top suspect, when it is a value).
Outcome = tuple[str, int, str]


def is_input(pair: AlignedPair, outcomes: Collection[Outcome] = ()) -> bool:
    """Whether a pair differs only by input: the same call with other values (a log record's
    message too), none of them a condition's (``True`` or ``False``). Two tests hand the code
    other values, and values computed from them differ too; what tells a failure apart is a
    condition that went the other way, or a call that ran on one side only. An item in
    ``outcomes`` (its call site and argument text) is never input."""
    if pair.kind != "data" or pair.a is None or pair.b is None:
        return False
    event = pair.a
    if outcomes and any(
        (event.file, event.line, event.items[index][0]) in outcomes for index in pair.differing
    ):
        return False
    return not any(
        side.items[index][1] in CONDITION_VALUES
        for side in (pair.a, pair.b)
        for index in pair.differing
    )


def _default_names(a: Loaded, b: Loaded) -> tuple[str, str]:
    if a.name and b.name and a.name != b.name:
        return a.name, b.name
    return "first", "second"


def short_names(first: str, second: str) -> tuple[str, str]:
    """What to call two tests beside each other: only as much of their ids as tells them apart
    (``[SAVE10]`` beside ``[WELCOME10]``, ``TestNames::test_comma`` beside ``::test_plain``)."""
    first_base, first_case = split_test_id(first)
    second_base, second_case = split_test_id(second)
    if first_base == second_base and first_case and second_case:
        return first_case, second_case
    first_file, _, first_test = first.partition("::")
    second_file, _, second_test = second.partition("::")
    if first_file == second_file and first_test and second_test:
        return first_test, second_test
    return first, second


def split_test_id(test_id: str) -> tuple[str, str]:
    """A test id as the test, and what names its case: ``file.py::test[case]``, and a
    subtest's ``file.py::test [message] (i=1)``; the case is empty for a plain test."""
    cut = min((at for at in (test_id.find("["), test_id.find(" ")) if at > 0), default=-1)
    if cut < 0:
        return test_id, ""
    return test_id[:cut], test_id[cut:].strip()


def _aligned(
    events_a: list[Event],
    events_b: list[Event],
    tokens_a: list[tuple[Any, ...]],
    tokens_b: list[tuple[Any, ...]],
    start: int,
) -> Iterator[AlignedPair]:
    """The aligned pairs from ``start``, where the two sides first differ, to the end of the
    alignment window."""
    end_a = min(len(tokens_a), start + ALIGNMENT_WINDOW)
    end_b = min(len(tokens_b), start + ALIGNMENT_WINDOW)
    matcher = SequenceMatcher(None, tokens_a[start:end_a], tokens_b[start:end_b], autojunk=False)
    return _pairs(matcher.get_opcodes(), events_a, events_b, start)


def _pairs(
    opcodes: Sequence[tuple[str, int, int, int, int]],
    events_a: list[Event],
    events_b: list[Event],
    start: int,
) -> Iterator[AlignedPair]:
    for tag, a_low, a_high, b_low, b_high in opcodes:
        if tag == "equal":
            for offset in range(a_high - a_low):
                event_a = events_a[start + a_low + offset]
                event_b = events_b[start + b_low + offset]
                differing = _differing(event_a, event_b)
                yield AlignedPair(event_a, event_b, "data" if differing else "same", differing)
            continue
        # A replaced stretch is shown pair by pair, then what one side had beyond the other.
        a_part = events_a[start + a_low : start + a_high]
        b_part = events_b[start + b_low : start + b_high]
        for index in range(max(len(a_part), len(b_part))):
            only_a = a_part[index] if index < len(a_part) else None
            only_b = b_part[index] if index < len(b_part) else None
            yield AlignedPair(only_a, only_b, "control")


def _only_in(
    tokens_a: list[tuple[Any, ...]],
    tokens_b: list[tuple[Any, ...]],
    events_a: list[Event],
    events_b: list[Event],
) -> tuple[tuple[OnlyIn, ...], tuple[OnlyIn, ...]]:
    """The call sites that ran more times on one side, and how many more, in order of first
    appearance. Counted over the whole stories, so no alignment window limits them."""
    # What ran, without the gap count and the occurrence number.
    counts_a = Counter(token[:-2] for token in tokens_a)
    counts_b = Counter(token[:-2] for token in tokens_b)
    return (
        _sites_beyond(tokens_a, events_a, counts_b),
        _sites_beyond(tokens_b, events_b, counts_a),
    )


def _sites_beyond(
    tokens: list[tuple[Any, ...]],
    events: list[Event],
    other_counts: Counter[tuple[Any, ...]],
) -> tuple[OnlyIn, ...]:
    # The n-th run of a call is beyond the other side when the other ran it fewer than n times.
    runs: Counter[tuple[Any, ...]] = Counter()
    beyond: Counter[tuple[str, int, str]] = Counter()
    for token, event in zip(tokens, events):
        call = token[:-2]
        runs[call] += 1
        if runs[call] > other_counts[call]:
            beyond[event.file, event.line, event.function] += 1
    return tuple(OnlyIn(*site, count) for site, count in beyond.items())


def _closeness(
    tokens_a: list[tuple[Any, ...]],
    tokens_b: list[tuple[Any, ...]],
    values_a: list[tuple[str, ...]],
    values_b: list[tuple[str, ...]],
) -> float:
    """From 0 to 1: how much of the two stories ran alike, in linear time.

    Three shares, weighed alike: the events that ran on both sides (the occurrence numbers
    pair the n-th run of a call with the n-th, as difflib's ``quick_ratio`` counts common
    elements); of those, the ones with the same values; and the ones that follow the same
    event on both sides, so that order counts too. 1 only for stories that ran alike.
    """
    total = len(tokens_a) + len(tokens_b)
    if not total:
        return 1.0
    index_b = {token: position for position, token in enumerate(tokens_b)}
    common = alike = in_order = 0
    for position_a, (token, values) in enumerate(zip(tokens_a, values_a)):
        position_b = index_b.get(token)
        if position_b is None:
            continue
        common += 1
        if values == values_b[position_b]:
            alike += 1
        before_a = tokens_a[position_a - 1] if position_a else None
        before_b = tokens_b[position_b - 1] if position_b else None
        if before_a == before_b:
            in_order += 1
    # Each count is at most the shorter side's length: over both sides' events, each share
    # counts twice.
    return 2 * (common + alike + in_order) / (3 * total)


def closest(
    target: object,
    candidates: Sequence[object],
    *,
    names: tuple[str, str] | None = None,
    context: int = DEFAULT_CONTEXT,
    outcomes: Collection[Outcome] = (),
) -> tuple[int, Divergence] | None:
    """Which of ``candidates`` ran most like ``target``: its index and the divergence from
    ``target`` to it (``names`` and ``context`` as for ``compare``), or None when there is
    no candidate. The highest ``closeness`` wins; then the longest shared start; then the
    earliest candidate. ``outcomes``: items whose differing values are never input (see
    ``is_input``)."""
    best: tuple[tuple[float, int, int], int, Divergence] | None = None
    loaded_target = load(target, "the first story")
    for index, candidate in enumerate(candidates):
        loaded = load(candidate, "the second story")
        divergence = _compare(loaded_target, loaded, names, context, outcomes=outcomes)
        rank = (divergence.closeness, divergence.shared, -index)
        if best is None or rank > best[0]:
            best = (rank, index, divergence)
    return None if best is None else (best[1], best[2])
