"""How events and stories look: plain text, coloured terminal lines, and a rich renderable.

The only module that imports rich. Every line is first laid out as plain ``(text, style)``
pieces; plain text joins the texts, the terminal and rich render the styles. So the colour
and the plain versions of a story can never disagree about what it says. One exception, for
speed: a plain live line for a tp call is written straight out (``_text.plain_live_line``,
which needs no rich), and the tests hold it to the pieces' text.

Whatever the program chose (a repr, a label, a log message, a name) goes through
``_text.for_terminal`` on its way into a piece, so no view writes a control sequence of the
program's to a terminal.
"""

from __future__ import annotations

import shutil
import textwrap
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Literal, NamedTuple, Optional

from rich.console import COLOR_SYSTEMS, Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from chrono._events import SUBTEST_KIND, HitKey
from chrono._own_time import ProgramClock
from chrono._sites import reader_path, site_column, site_text
from chrono._text import (
    NOTHING_RECORDED,
    clock_time,
    counted,
    for_terminal,
    item_name,
    plain_live_line,
)

if TYPE_CHECKING:
    from rich.color import ColorSystem

    from chrono._compare import AlignedPair, Divergence, OnlyIn
    from chrono._events import Event
    from chrono._failure import EventMarks
    from chrono._story import Story
    from chrono._suspects import Suspect

__all__ = [
    "DivergenceView",
    "StoryView",
    "divergence_html",
    "divergence_text",
    "live_line",
    "plain_live_line",
    "story_html",
    "story_text",
    "stream_colour_system",
    "suspects_text",
]

#: A piece of a line: its text and the name of its style (None: unstyled).
Piece = tuple[str, Optional[str]]

_STYLES = {
    "title": "bold",
    "seq": "bold blue",
    "time": "dim",
    "gap": "dim italic",
    "footnote": "dim italic",
    "failure mark": "bold red",
    "suspect mark": "bold magenta",
    "suspect": "bold",
    "cut": "dim italic",
    "site": "cyan",
    "hits": "magenta",
    "thread": "yellow",
    "label": "bold black on yellow",
    "name": "bold",
    "equals": "dim",
    "marker": "dim italic",
    "dropped": "bold red",
    "log.DEBUG": "dim",
    "log.INFO": "blue",
    "log.WARNING": "yellow",
    "log.ERROR": "bold red",
    "log.CRITICAL": "bold white on red",
    "logger": "dim",
    "changed": "bold red",
    "rule": "dim",
}
#: chrono's own time left out of a story's rows is told in a footnote from this much: less
#: could not have shown as a gap of its own (see ``_StoryLayout.rows``).
_FOOTNOTE_FROM_NS = 1_000_000
#: Narrower than this, content wrapped beside the columns is hard to read: it goes below them.
_MIN_CONTENT_WIDTH = 30
#: The call site column may always take this much, however narrow the terminal: its file name
#: and line are whole anyway, and content that finds no room beside it goes below.
_MIN_SITE_WIDTH = 40
#: What starts the row of an event that a failure is about: plain ASCII, so that it reads the
#: same in a CI log, and where pytest's tracebacks mark the failing line too.
FAILURE_MARK = ">"


# -- one event, live ----------------------------------------------------------------------------


def live_line(event: Event, *, colour: ColorSystem | None = None) -> str:
    """One event as a single line for live output: number, clock time, call site, items."""
    pieces: list[Piece] = [
        (f"#{event.seq}", "seq"),
        (" ", None),
        (clock_time(event.wall), "time"),
        (" ", None),
        (for_terminal(site_text(reader_path(event.file), event.line, event.function)), "site"),
    ]
    where = _thread_text(event) if event.thread != "MainThread" or event.task else ""
    if where:
        pieces += [(" ", None), (f"[{where}]", "thread")]
    content = _content(event)
    if content:
        pieces.append(("  ", None))
        pieces += content
    if colour is None:
        return "".join(text for text, _ in pieces)
    return "".join(_style(style).render(text, color_system=colour) for text, style in pieces)


def stream_colour_system(stream: IO[str]) -> ColorSystem | None:
    """The colours a stream takes: None for pipes and files, when NO_COLOR is set, and in a
    notebook, whose output area shows escape codes as they are."""
    console = Console(file=stream)
    name = console.color_system
    if console.no_color or name is None or console.is_jupyter:
        return None
    return COLOR_SYSTEMS[name]


# -- a whole story --------------------------------------------------------------------------------


def _hit_key(event: Event) -> HitKey:
    """The call site whose runs an event's hit counter counts, as ``Story.dropped_hits`` keys it:
    a logpoint on a tp's line (its function marked) and two tp calls on one line (their
    first arguments) each count their own."""
    first = item_name(*event.items[0]) if event.items else None
    return (event.file, event.line, event.function, first)


class _Row(NamedTuple):
    columns: list[Piece]
    content: list[Piece]


class _StoryLayout:
    """The columns of a story: widths and what to show are decided from all its events, and
    the call sites from the width of the line (a terminal's)."""

    def __init__(
        self,
        story: Story,
        width: int,
        marks: EventMarks | None = None,
        suspects: Mapping[int, int] | None = None,
        kept: Collection[int] | None = None,
    ) -> None:
        self.story = story
        #: The events a failure is about, marked at the start of their rows.
        self.marks = marks
        #: The suspects' events, by sequence number, with the suspect's rank: marked beside.
        self.suspects = suspects or {}
        #: The indexes of the events shown (None: all); a stretch left out takes one row.
        self.kept = kept
        #: The marks' column: the failure's mark, then a suspect's rank where there are any.
        self.mark_width = 3 if self.suspects else 2
        self.head, self.dropped, self.tail = story.parts()
        events = self.head + self.tail
        self.events = events
        hit_totals = Counter(_hit_key(event) for event in events if event.kind == "tp")
        hit_totals.update(story.dropped_hits)
        self.repeated = {key for key, total in hit_totals.items() if total > 1}
        self.hits_width = len(f"×{max(hit_totals.values(), default=1)}") if self.repeated else 0
        places = {(event.thread, event.task) for event in events}
        self.show_threads = (
            len(places) > 1
            or any(thread != "MainThread" or task for thread, task in places)
            or any(event.thread_id in story.preexisting_threads for event in events)
        )
        self.places = [self._place(event) for event in events] if self.show_threads else []
        self.place_width = max((len(place) for place in self.places), default=0)
        last = events[-1].seq if events else 0
        self.seq_width = len(f"#{last}")
        # Times as the program lived them: chrono's own work in between is left out.
        clock = ProgramClock(story.started_ns, story.chrono_spans)
        self.elapsed = [clock.elapsed(event.monotonic_ns) for event in events]
        # What the rows leave out: chrono's work after the last event (the last call site's
        # lookup) changes no row, only the total.
        latest = max((event.monotonic_ns for event in events), default=story.started_ns)
        self.left_out_ns = latest - story.started_ns - clock.elapsed(latest)
        self.times = [_duration(elapsed) for elapsed in self.elapsed]
        self.time_width = max((len(text) for text in self.times), default=0)
        end = story.ended_ns
        if end is None:
            end = events[-1].monotonic_ns if events else story.started_ns
        self.span_ns = clock.elapsed(end)
        sites = [(event.file, event.line, event.function) for event in events]
        self.sites = _site_column(sites, max(width - self._width_beside_sites(), _MIN_SITE_WIDTH))
        self.site_width = max((len(site) for site in self.sites), default=0)

    def _width_beside_sites(self) -> int:
        """What a row needs besides its call site: the other columns, and room for content."""
        # Two spaces before the number, the time, the site and the content.
        width = 3 * len("  ") + self.mark_width + self.seq_width + self.time_width
        width += _MIN_CONTENT_WIDTH
        if self.hits_width:
            width += len(" ") + self.hits_width
        if self.show_threads:
            width += len("  ") + self.place_width
        return width

    def _place(self, event: Event) -> str:
        place = _thread_text(event)
        if event.thread_id in self.story.preexisting_threads:
            place += " (started before this story)"
        return place

    def title(self) -> list[Piece]:
        story = self.story
        # The name as given, not its repr: a test id must read as pytest prints it, so that it
        # can be pasted back into pytest (repr doubles backslashes and changes quotes).
        name = f" '{for_terminal(story.name)}'" if story.name else ""
        # A subtest's mark is not something the program did.
        count = sum(1 for event in self.events if event.kind != SUBTEST_KIND)
        summary = counted(count, "event")
        if count:
            summary += f" over {_duration(self.span_ns).strip()}"
        pieces: list[Piece] = [(f"chrono story{name}", "title"), (f" — {summary}", None)]
        if self.dropped:
            pieces.append((f", {self.dropped:,} dropped", "dropped"))
        return pieces

    def rows(self) -> Iterator[_Row | list[Piece]]:
        """Each event's row, with the gap markers and the dropped marker between them, and a
        footnote for chrono's own time."""
        hits: Counter[HitKey] = Counter()
        previous_ns = 0
        gap_threshold = max(1_000_000, self.span_ns // 10)
        kept = self.kept
        left_out = 0
        for index, event in enumerate(self.events):
            if index == len(self.head) and self.dropped:
                if left_out:
                    yield self._left_out_marker(left_out)
                    left_out = 0
                yield self._dropped_marker(index)
                hits.update(self.story.dropped_hits)
            if kept is not None and index not in kept:
                # Counted still, so that a later row's hit count says which pass it is.
                if self.hits_width and event.kind == "tp":
                    hits[_hit_key(event)] += 1
                left_out += 1
                previous_ns = self.elapsed[index]
                continue
            if left_out:
                yield self._left_out_marker(left_out)
                left_out = 0
            gap = self.elapsed[index] - previous_ns
            if index and gap >= gap_threshold and len(self.events) > 2:
                yield [(self._indent(), None), (f"⋮ {_duration(gap)} later", "gap")]
            previous_ns = self.elapsed[index]
            yield self._row(index, event, hits)
        if left_out:
            yield self._left_out_marker(left_out)
        if self.dropped and not self.tail:
            # Every kept event came before the gap (a story rebuilt from such JSON).
            yield self._dropped_marker(len(self.events))
        marks = self.marks
        if marks is not None and any(event.seq in marks.seqs for event in self.events):
            yield [
                (self._indent(), None),
                (f"{FAILURE_MARK} ", "failure mark"),
                (f"marks the events about {for_terminal(marks.about)}", "footnote"),
            ]
        if self.suspects and any(event.seq in self.suspects for event in self.events):
            ranks = ", ".join(str(rank) for rank in sorted(set(self.suspects.values())))
            yield [
                (self._indent(), None),
                (f"{ranks} ", "suspect mark"),
                (
                    "mark the suspects above" if "," in ranks else "marks the suspect above",
                    "footnote",
                ),
            ]
        if self.left_out_ns >= _FOOTNOTE_FROM_NS:
            note = f"chrono's own source lookups, {_duration(self.left_out_ns)}, are not counted"
            yield [(self._indent(), None), (f"{note} in these times", "footnote")]

    def _row(self, index: int, event: Event, hits: Counter[HitKey]) -> _Row:
        marked = self.marks is not None and event.seq in self.marks.seqs
        columns: list[Piece] = [(FAILURE_MARK, "failure mark") if marked else (" ", None)]
        if self.suspects:
            suspect = self.suspects.get(event.seq)
            columns.append((str(suspect), "suspect mark") if suspect else (" ", None))
        columns += [
            (" ", None),
            (f"#{event.seq}".rjust(self.seq_width), "seq"),
            ("  ", None),
            (self.times[index].rjust(self.time_width), "time"),
            ("  ", None),
            (self.sites[index].ljust(self.site_width), "site"),
        ]
        if self.hits_width:
            key = _hit_key(event)
            hit = ""
            if key in self.repeated and event.kind == "tp":
                hits[key] += 1
                hit = f"×{hits[key]}"
            columns += [(" ", None), (hit.ljust(self.hits_width), "hits")]
        if self.show_threads:
            columns += [("  ", None), (self.places[index].ljust(self.place_width), "thread")]
        columns.append(("  ", None))
        return _Row(columns, _content(event))

    def _dropped_marker(self, index: int) -> list[Piece]:
        # Name only the kept events beside the gap: a bound of 1 keeps none before it.
        before = f"#{self.events[index - 1].seq}" if index else None
        after = f"#{self.events[index].seq}" if index < len(self.events) else None
        if before and after:
            where = f" here, between {before} and {after}"
        elif before or after:
            where = f" here, after {before}" if before else f" here, before {after}"
        else:
            where = ""
        count = counted(self.dropped, "event")
        return [(self._indent(), None), (f"⋯ {count} dropped{where} ⋯", "dropped")]

    def _left_out_marker(self, count: int) -> list[Piece]:
        return [(self._indent(), None), (f"… {counted(count, 'event')} …", "cut")]

    def _indent(self) -> str:
        return " " * (self.seq_width + self.mark_width)

    def content_indent(self, width: int) -> str:
        """Where content starts when it goes under its row's columns."""
        return " " * min(self.seq_width + 4, max(width // 4, 0))


def story_text(
    story: Story,
    width: int | None = None,
    marks: EventMarks | None = None,
    suspects: Mapping[int, int] | None = None,
    kept: Collection[int] | None = None,
) -> str:
    """The story as plain text: no colour codes, one line per event, never wrapped, so that it
    can be searched with grep. Its call sites are shortened as far as a line ``width`` wide
    needs (by default the terminal's, which ``COLUMNS`` sets). The events in ``marks`` are
    marked, and a footnote says what they are about; the ``suspects``' events (by sequence
    number) get their rank beside. ``kept``: the indexes of the events shown (None: all)."""
    if width is None:
        width = shutil.get_terminal_size().columns
    layout = _StoryLayout(story, width, marks, suspects, kept)
    lines = ["".join(text for text, _ in layout.title())]
    for row in layout.rows():
        pieces = row.columns + row.content if isinstance(row, _Row) else row
        lines.append("".join(text for text, _ in pieces).rstrip())
    return "\n".join(lines)


class StoryView:
    """A rich renderable for a story: coloured, and wrapped under its content column; the
    events in ``marks`` marked."""

    def __init__(
        self,
        story: Story,
        marks: EventMarks | None = None,
        suspects: Mapping[int, int] | None = None,
        kept: Collection[int] | None = None,
    ) -> None:
        self.story = story
        self.marks = marks
        self.suspects = suspects
        self.kept = kept

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        layout = _StoryLayout(self.story, width, self.marks, self.suspects, self.kept)
        newline = Segment.line()
        for line in _wrap(console, layout.title(), width):
            yield from line.render(console)
            yield newline
        for row in layout.rows():
            if not isinstance(row, _Row):
                yield from _segments(row)
                yield newline
                continue
            indent = sum(len(text) for text, _ in row.columns)
            content_width = sum(len(text) for text, _ in row.content)
            if indent + content_width <= width:
                yield from _segments(row.columns + row.content)
                yield newline
            elif width - indent >= _MIN_CONTENT_WIDTH:
                # Too long for the line: wrap the content and hang it under its own column.
                yield from _segments(row.columns)
                for number, line in enumerate(_wrap(console, row.content, width - indent)):
                    if number:
                        yield Segment(" " * indent)
                    yield from line.render(console)
                    yield newline
            else:
                # Too little room beside the columns: the content goes underneath them.
                yield from _segments(row.columns)
                yield newline
                under = layout.content_indent(width)
                for line in _wrap(console, row.content, width - len(under)):
                    yield Segment(under)
                    yield from line.render(console)
                    yield newline


def coloured_story(
    story: Story,
    width: int,
    marks: EventMarks | None = None,
    suspects: Mapping[int, int] | None = None,
    kept: Collection[int] | None = None,
) -> str:
    """The story in the eight standard colours, wrapped at ``width`` columns: for a terminal
    whose writer (pytest's) has already decided that it shows colour. ``marks``, ``suspects``
    and ``kept`` as for ``story_text``."""
    return _coloured(StoryView(story, marks, suspects, kept), width)


# -- suspects -------------------------------------------------------------------------------------


def _suspect_lines(suspects: Sequence[Suspect]) -> Iterator[list[Piece]]:
    for suspect in suspects:
        lead = "     then at" if suspect.rank > 1 else "look first at"
        site = site_text(reader_path(suspect.file), suspect.line, suspect.function)
        counts = (
            f": in {suspect.failing} of {counted(suspect.failing_total, 'failing test')}, "
            f"{suspect.passing} of {suspect.passing_total} passing"
        )
        score = f" ({suspect.formula} {suspect.score:.2f}{', tied' if suspect.tied else ''})"
        yield [
            (str(suspect.rank), "suspect mark"),
            (f" {lead} ", None),
            (f"#{suspect.seq}", "seq"),
            (" ", None),
            (site, "site"),
            (" — ", None),
            (for_terminal(suspect.predicate), "suspect"),
            (counts, None),
            (score, "footnote"),
        ]


def suspects_text(suspects: Sequence[Suspect], *, coloured: bool = False) -> str:
    """The suspects, one line each, best first: what the reader looks at first. In the eight
    standard colours when ``coloured`` (for a terminal pytest already colours)."""
    lines = list(_suspect_lines(suspects))
    if not coloured:
        return "\n".join("".join(text for text, _ in line) for line in lines)
    return "\n".join(
        "".join(
            segment.text if segment.style is None else _ansi(segment) for segment in _segments(line)
        )
        for line in lines
    )


def _ansi(segment: Segment) -> str:
    assert segment.style is not None
    from rich.color import ColorSystem

    return segment.style.render(segment.text, color_system=ColorSystem.STANDARD)


# -- HTML, for notebooks --------------------------------------------------------------------------

#: How wide a story is laid out for a notebook's output area, in characters.
HTML_WIDTH = 110
#: A story of more lines than this shows folded in a notebook, its title saying what it holds.
HTML_FOLDED_FROM_LINES = 40

#: The terminal's colours on the terminal theme's own background, so that a story reads the
#: same in a dark notebook theme.
_HTML_PRE = (
    '<pre style="white-space: pre-wrap; line-height: 1.35; margin: 0; padding: 4px 6px; '
    "color: {foreground}; background-color: {background}; "
    "font-family: Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 12px\">"
    "{code}</pre>"
)


def story_html(story: Story, width: int = HTML_WIDTH) -> str:
    """The story as a notebook shows it: the terminal's story, coloured, as an HTML fragment
    (inline styles, no script); folded under its title when it is long."""
    layout = _StoryLayout(story, width)
    title = "".join(text for text, _ in layout.title())
    return _html(StoryView(story), width, title)


def divergence_html(divergence: Divergence, width: int = HTML_WIDTH) -> str:
    """The divergence as ``story_html`` shows a story."""
    return _html(DivergenceView(divergence), width, None)


def _html(view: StoryView | DivergenceView, width: int, title: str | None) -> str:
    import html
    import io

    console = _printed(view, width, "truecolor", io.StringIO(), record=True)
    body = console.export_html(inline_styles=True, code_format=_HTML_PRE)
    if title is None or body.count("\n") <= HTML_FOLDED_FROM_LINES:
        return f'<div class="chrono">{body}</div>'
    return (
        f'<details class="chrono"><summary style="cursor: pointer">{html.escape(title)}'
        f"</summary>{body}</details>"
    )


def coloured_divergence(divergence: Divergence, width: int) -> str:
    """The divergence as ``coloured_story`` draws a story."""
    return _coloured(DivergenceView(divergence), width)


def _coloured(view: StoryView | DivergenceView, width: int) -> str:
    import io

    buffer = io.StringIO()
    _printed(view, width, "standard", buffer)
    return buffer.getvalue().rstrip("\n")


def _printed(
    view: StoryView | DivergenceView,
    width: int,
    colours: Literal["standard", "truecolor"],
    buffer: IO[str],
    *,
    record: bool = False,
) -> Console:
    """A console that has printed ``view`` into ``buffer``, ``width`` wide, whatever the
    program's own terminal (or notebook) is."""
    console = Console(
        file=buffer,
        width=width,
        color_system=colours,
        force_terminal=True,
        force_jupyter=False,
        record=record,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    console.print(view, end="", soft_wrap=False)
    return console


def terminal_live_line(event: Event, *, coloured: bool) -> str:
    """``live_line`` in the eight standard colours, or plain: for pytest's terminal writer."""
    from rich.color import ColorSystem

    return live_line(event, colour=ColorSystem.STANDARD if coloured else None)


def _wrap(console: Console, pieces: list[Piece], width: int) -> list[Text]:
    text = Text.assemble(*((piece, _style(style)) for piece, style in pieces))
    return list(text.wrap(console, width, overflow="fold"))


# -- where two stories diverged -------------------------------------------------------------------

#: Two columns side by side need this much each; narrower, one side goes above the other.
_MIN_SIDE_WIDTH = 36
#: How many "ran only in" call sites are listed per side before the rest are counted.
_MAX_ONLY_IN = 8
_COLUMN_RULE = " │ "


class _DivergenceLayout:
    """The lines of a divergence, as pieces: a summary, the first differing pair side by side
    (or one above the other when the line is narrow), its context, and the call sites that ran
    on one side only."""

    def __init__(self, divergence: Divergence, width: int) -> None:
        self.divergence = divergence
        self.width = width
        self.side_by_side = (width - 2 - len(_COLUMN_RULE)) // 2 >= _MIN_SIDE_WIDTH
        if self.side_by_side:
            self.cell_width = (width - 2 - len(_COLUMN_RULE)) // 2
        else:
            self.name_width = min(
                max(len(divergence.a.name), len(divergence.b.name)), max(width // 4, 8)
            )
            self.cell_width = max(width - 2 - self.name_width - 2, _MIN_CONTENT_WIDTH)
        pairs = self._pairs()
        events = [event for pair in pairs for event in (pair.a, pair.b) if event is not None]
        seq_width = max((len(f"#{event.seq} ") for event in events), default=0)
        sites = [(event.file, event.line, event.function) for event in events]
        # The call sites that ran on one side only are written by the same rule as the pairs'
        # and in one column with them, so that a file reads the same on every line.
        only_in = [
            (site.file, site.line, site.function)
            for side in (divergence.only_in_a, divergence.only_in_b)
            for site in side[:_MAX_ONLY_IN]
        ]
        head = max(
            len(self._only_in_head(divergence.a.name)), len(self._only_in_head(divergence.b.name))
        )
        room = self.cell_width - seq_width
        if only_in:
            room = min(room, width - head - len(" ×0000"))
        shown = _site_column([*sites, *only_in], room)
        self.sites = dict(zip([*sites, *only_in], shown))

    def _pairs(self) -> list[AlignedPair]:
        divergence = self.divergence
        if divergence.first is None:
            return []
        after_input = [] if divergence.after_input is None else [divergence.after_input]
        return [divergence.first, *after_input, *divergence.context]

    def lines(self) -> Iterator[list[Piece]]:
        """The divergence's lines, safe for a terminal: the sides' names are the stories'
        (a test id can hold anything), and are written in many places."""
        for line in self._lines():
            yield [(for_terminal(text), style) for text, style in line]

    def _lines(self) -> Iterator[list[Piece]]:
        divergence = self.divergence
        yield from self._prose(self._summary(), "title")
        if divergence.dropped:
            yield from self._prose(self._dropped_note(), "footnote")
        first = divergence.first
        if first is None:
            return
        yield from self._prose(self._kind_text(first), None)
        if self.side_by_side:
            yield self._side_by_side(
                [[(_shortened(divergence.a.name, self.cell_width), "title")]],
                [[(_shortened(divergence.b.name, self.cell_width), "title")]],
            )[0]
        yield from self._pair_lines(first)
        if divergence.after_input is not None:
            after = divergence.after_input
            words = self._kind_words(after, ended=False)
            yield from self._prose(f"Past the input, {words[0].lower()}{words[1:]}", None)
            yield from self._pair_lines(after)
        elif divergence.only_input:
            yield from self._prose(
                "After it they differ only by input: the same calls ran, and no condition "
                "(True or False) went the other way.",
                None,
            )
        if divergence.context:
            yield [("then:", "rule")]
            for pair in divergence.context:
                yield from self._pair_lines(pair)
        for side, only_in in (
            (divergence.a, divergence.only_in_a),
            (divergence.b, divergence.only_in_b),
        ):
            yield from self._only_in_lines(side.name, only_in)

    def _prose(self, text: str, style: str | None) -> Iterator[list[Piece]]:
        for line in textwrap.wrap(text, max(self.width, _MIN_CONTENT_WIDTH)):
            yield [(line, style)]

    def _summary(self) -> str:
        divergence = self.divergence
        a, b = divergence.a, divergence.b
        both = f"{a.name} and {b.name}"
        if divergence.same:
            return (
                f"{both} ran alike: {counted(a.events, 'event')}, the same call sites and values."
            )
        totals = f"(of {a.events:,} and {b.events:,})"
        if not divergence.shared:
            return f"{both} differ from their first event {totals}."
        # "their first event", not "their first 1 event".
        shared = "event" if divergence.shared == 1 else counted(divergence.shared, "event")
        return f"{both} share their first {shared} {totals}."

    def _dropped_note(self) -> str:
        sides = [side for side in (self.divergence.a, self.divergence.b) if side.dropped]
        dropped = " and ".join(f"{side.name} {counted(side.dropped, 'event')}" for side in sides)
        return f"Not kept, so not compared: {dropped}; what they share counts kept events only."

    def _kind_text(self, first: AlignedPair) -> str:
        if self.divergence.after_input is not None or self.divergence.only_input:
            names = _differing_names(first)
            text = f"They differ first by input: same call site, other values ({names})."
        else:
            text = self._kind_words(first)
        at_gap = [
            side.name
            for side in (self.divergence.a, self.divergence.b)
            if self.divergence.shared in side.gaps
        ]
        if at_gap:
            text += f" Just before it, {' and '.join(at_gap)} dropped events."
        return text

    def _kind_words(self, first: AlignedPair, *, ended: bool = True) -> str:
        """What kind of difference ``first`` is; ``ended``: whether the divergence's ``ended``
        speaks of this pair (it does of the first difference)."""
        divergence = self.divergence
        if first.kind == "data":
            return f"The data diverged: same call site, other values ({_differing_names(first)})."
        if first.a is not None and first.b is not None:
            return "The control flow diverged: another call site."
        ran_on = divergence.b.name if first.a is None else divergence.a.name
        if ended and divergence.ended is not None:
            return f"The control flow diverged: {divergence.ended} ended here, {ran_on} ran on."
        return f"The control flow diverged: {ran_on} ran more here."

    def _pair_lines(self, pair: AlignedPair) -> list[list[Piece]]:
        ended = self.divergence.ended
        left = self._cell(pair.a, pair, ended=ended == self.divergence.a.name)
        right = self._cell(pair.b, pair, ended=ended == self.divergence.b.name)
        if self.side_by_side:
            return self._side_by_side(left, right)
        lines = []
        for name, cell in ((self.divergence.a.name, left), (self.divergence.b.name, right)):
            for number, line in enumerate(cell):
                label = _shortened(name, self.name_width) if not number else ""
                lines.append(
                    [("  ", None), (label.ljust(self.name_width), "thread"), ("  ", None), *line]
                )
        return lines

    def _side_by_side(self, left: list[list[Piece]], right: list[list[Piece]]) -> list[list[Piece]]:
        lines = []
        for number in range(max(len(left), len(right))):
            left_line = left[number] if number < len(left) else []
            right_line = right[number] if number < len(right) else []
            padding = self.cell_width - sum(len(text) for text, _ in left_line)
            lines.append(
                [
                    ("  ", None),
                    *left_line,
                    (" " * padding, None),
                    (_COLUMN_RULE, "rule"),
                    *right_line,
                ]
            )
        return lines

    def _cell(self, event: Event | None, pair: AlignedPair, *, ended: bool) -> list[list[Piece]]:
        """One side of a pair: ``#seq call site``, then what the event says, folded to the
        cell's width; or a note where that side has nothing."""
        if event is None:
            return [[("(ended)" if ended else "(nothing here)", "marker")]]
        site = self.sites[event.file, event.line, event.function]
        # A call site too long for its cell (a logpoint's "(logpoint)", a long qualified name)
        # is folded too: nothing may push the column rule out of line.
        head: list[Piece] = [(f"#{event.seq}", "seq"), (" ", None), (site, "site")]
        lines = _fold(head, self.cell_width)
        indent = "  "
        for line in _fold(_content(event, pair.differing), self.cell_width - len(indent)):
            lines.append([(indent, None), *line])
        return lines

    @staticmethod
    def _only_in_head(name: str) -> str:
        return f"ran only in {name}: "

    def _only_in_lines(self, name: str, only_in: tuple[OnlyIn, ...]) -> Iterator[list[Piece]]:
        if not only_in:
            return
        head = self._only_in_head(name)
        for site in only_in[:_MAX_ONLY_IN]:
            text = self.sites[site.file, site.line, site.function]
            yield [(head, None), (text, "site"), (f" ×{site.count:,}", "hits")]
        if len(only_in) > _MAX_ONLY_IN:
            more = len(only_in) - _MAX_ONLY_IN
            yield [
                (head, None),
                (f"and {counted(more, 'more call site')}", "footnote"),
            ]


def _differing_names(pair: AlignedPair) -> str:
    """The names of a pair's differing items: argument texts, or a log record's message."""
    return ", ".join(
        "message" if pair.a is not None and pair.a.kind == "log" else name
        for name in pair.differing_names
    )


def _shortened(name: str, width: int) -> str:
    """A side's name in ``width`` characters: its end kept, where a test id's parameters are
    (what tells two cases of one test apart)."""
    return name if len(name) <= width else "…" + name[len(name) - max(width - 1, 0) :]


#: A line is broken at a space only when that leaves it at least this share of its width;
#: past it, a word longer than that is cut where the line ends.
_WORD_BREAK_SHARE = 0.5


def _fold(pieces: list[Piece], width: int) -> list[list[Piece]]:
    """Pieces cut into lines of at most ``width`` characters, each piece keeping its style:
    at the last space that fits (the space itself left out), or, where a word is longer than
    half the line, inside it."""
    width = max(width, 1)
    text = "".join(piece for piece, _ in pieces)
    spans = []
    start = 0
    while len(text) - start > width:
        end = start + width
        space = text.rfind(" ", start, end + 1)
        if space - start >= max(width * _WORD_BREAK_SHARE, 1):
            spans.append((start, space))
            start = space + 1
        else:
            spans.append((start, end))
            start = end
    spans.append((start, len(text)))
    lines: list[list[Piece]] = []
    for low, high in spans:
        line: list[Piece] = []
        offset = 0
        for piece, style in pieces:
            part = piece[max(low - offset, 0) : max(high - offset, 0)]
            if part:
                line.append((part, style))
            offset += len(piece)
        lines.append(line)
    return lines


def divergence_text(divergence: Divergence, width: int | None = None) -> str:
    """Where two stories diverged, as plain text with no colour codes, laid out for a line
    ``width`` wide (by default the terminal's)."""
    if width is None:
        width = shutil.get_terminal_size().columns
    layout = _DivergenceLayout(divergence, width)
    return "\n".join("".join(text for text, _ in line).rstrip() for line in layout.lines())


class DivergenceView:
    """A rich renderable for a divergence: the plain text's lines, coloured."""

    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        newline = Segment.line()
        for line in _DivergenceLayout(self.divergence, options.max_width).lines():
            yield from _segments(line)
            yield newline


# -- shared pieces --------------------------------------------------------------------------------


def _content(event: Event, changed: tuple[int, ...] = ()) -> list[Piece]:
    """What an event says, in pieces; the values of the items at ``changed`` stand out (a
    comparison's differing values)."""
    if event.kind == "log":
        level = event.label or "LOG"
        pieces: list[Piece] = [(level, f"log.{level}")]
        for index, (logger, message) in enumerate(event.items):
            pieces += [
                (" ", None),
                (for_terminal(logger), "logger"),
                (": ", "logger"),
                (for_terminal(message), "changed" if index in changed else None),
            ]
        return pieces
    pieces = []
    if event.label is not None:
        pieces.append((for_terminal(event.label), "label"))
    for index, (text, value) in enumerate(event.items):
        if pieces:
            pieces.append((", " if index else "  ", None))
        name = item_name(text, value)
        if name is not None:
            pieces += [(for_terminal(name), "name"), ("=", "equals")]
        pieces.append((for_terminal(value), "changed" if index in changed else None))
    if not pieces:
        pieces.append((NOTHING_RECORDED, "marker"))
    return pieces


def _site_column(sites: Sequence[tuple[str, int, str]], width: int) -> list[str]:
    """``site_column``, safe for a terminal: a file's or a function's name can hold anything
    (``compile(source, name, "exec")``)."""
    return [for_terminal(text) for text in site_column(sites, width)]


def _thread_text(event: Event) -> str:
    return for_terminal(f"{event.thread} / {event.task}" if event.task else event.thread)


def _duration(nanoseconds: int) -> str:
    milliseconds = nanoseconds / 1_000_000
    if milliseconds < 1_000:
        return f"{milliseconds:.3f}ms"
    return f"{milliseconds / 1000:.3f}s"


_style_cache: dict[str | None, Style] = {}


def _style(name: str | None) -> Style:
    style = _style_cache.get(name)
    if style is None:
        style = Style.parse(_STYLES[name]) if name else Style.null()
        _style_cache[name] = style
    return style


def _segments(pieces: Iterable[Piece]) -> Iterator[Segment]:
    """Pieces as rich segments, as few as show the same thing.

    rich measures and crops every segment, so fewer segments render faster: a piece joins the
    one before it when it has the same style, or when it is unstyled blank space that the
    previous style would not colour (no background).
    """
    run_text = ""
    run_style: Style | None = None
    styles = _style_cache
    for text, name in pieces:
        style = (styles.get(name) or _style(name)) if name else None
        if run_text and (
            style is run_style
            or (style is None and not text.strip() and (run_style is None or not run_style.bgcolor))
        ):
            run_text += text
            continue
        if run_text:
            yield Segment(run_text, run_style)
        run_text, run_style = text, style
    if run_text:
        yield Segment(run_text, run_style)
