"""Rendering: a story's plain text, its rich rendering, and the colour of live lines."""

from __future__ import annotations

import io
import os
import re
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

import chrono
from chrono import tp
from chrono._failure import EventMarks
from chrono._own_time import ProgramClock
from chrono.render import StoryView, coloured_story, live_line, story_text, stream_colour_system
from helpers import environment, import_source, large_module_source, run_script

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def event_row(story: chrono.Story, event: chrono.Event) -> str:
    """The row of ``story.text()`` that shows ``event``."""
    (row,) = [
        line for line in story.text().splitlines() if line.lstrip().startswith(f"#{event.seq} ")
    ]
    return row


def line_of(text: str, needle: str) -> str:
    """The one line of ``text`` containing ``needle``."""
    (line,) = [line for line in text.splitlines() if needle in line]
    return line


class TestPlainText:
    def test_plain_text_has_numbers_items_and_call_sites(self) -> None:
        """text() shows each event's #N, its call site as file:line in function, and x=<repr>."""
        x = {"key": 1}
        with chrono.story("plain") as story:
            line = sys._getframe().f_lineno + 1
            tp(x)
        text = story.text()
        assert "\x1b" not in text
        (event,) = story.events
        row = line_of(text, f"#{event.seq}")
        assert f"test_render.py:{line} in " in row
        assert event.function.endswith("test_plain_text_has_numbers_items_and_call_sites")
        assert row.endswith("x={'key': 1}")
        assert text.splitlines()[0].startswith("chrono story 'plain' — 1 event")

    def test_labels_markers_and_literals(self) -> None:
        """A label is shown as itself, a bare tp() as a marker, a literal as its value alone."""
        with chrono.story() as story:
            tp("checkpoint")
            tp()
            tp(42)
        label, marker, literal = (event_row(story, event) for event in story.events)
        assert label.endswith("checkpoint")
        assert marker.endswith("reached")
        assert literal.endswith("42")
        assert "=42" not in literal

    def test_hit_counter_for_a_loop(self) -> None:
        """A call site reached several times shows its hit count (x1, x2) on its rows."""
        with chrono.story() as story:
            for index in range(2):
                tp(index)
            tp("once")
        rows = [event_row(story, event) for event in story.events]
        assert "×1" in rows[0]
        assert "index=0" in rows[0]
        assert "×2" in rows[1]
        assert "index=1" in rows[1]
        assert "×" not in rows[2]

    def test_two_calls_on_one_line_count_their_own_runs(self, tmp_path: Path) -> None:
        """tp(a) + tp(b) on one line, run twice: a and b each show their own count (x1, x2)."""
        source = "from chrono import tp\n\n\ndef add(a, b):\n    return tp(a) + tp(b)\n"
        module = import_source(tmp_path, "sums", source)
        with chrono.story() as story:
            module.add(1, 2)
            module.add(3, 4)
        counts = [
            (row.rsplit("  ", 1)[-1], re.search(r"×\d+", row).group())  # type: ignore[union-attr]
            for row in (event_row(story, event) for event in story.events)
        ]
        assert counts == [("a=1", "×1"), ("b=2", "×1"), ("a=3", "×2"), ("b=4", "×2")]

    def test_hit_counters_across_dropped_events_count_each_call_of_a_line(self) -> None:
        """After the bound drops events, two calls on one line still count their own runs."""
        with chrono.story(max_events=10) as story:
            for number in range(50):
                tp(number), tp(-number)
        last_two = [event_row(story, event) for event in story.events[-2:]]
        assert ["×50" in row for row in last_two] == [True, True]

    def test_hit_counter_counts_dropped_events(self) -> None:
        """After the bound drops events, a site's hit count still counts every time it ran."""
        with chrono.story(max_events=10) as story:
            for number in range(100):
                tp(number)
        last = event_row(story, story.events[-1])
        assert "number=99" in last
        assert "×100" in last

    def test_thread_column_only_with_several_threads(self) -> None:
        """The thread is shown only when events come from more than one thread."""
        with chrono.story() as alone:
            tp("main only")
        assert "MainThread" not in alone.text()

        with chrono.story() as shared:
            tp("main")
            worker = threading.Thread(target=lambda: tp("worker"), name="helper-thread")
            worker.start()
            worker.join()
        text = shared.text()
        assert "MainThread" in line_of(text, "main")
        assert "helper-thread" in line_of(text, "worker")

    def test_thread_started_before_the_story_is_tagged(self) -> None:
        """Events from a thread that was already running are marked as such."""
        go = threading.Event()
        done = threading.Event()

        def early() -> None:
            go.wait(10)
            tp("from early thread")
            done.set()

        thread = threading.Thread(target=early, name="early")
        thread.start()
        with chrono.story() as story:
            go.set()
            done.wait(10)
        thread.join()
        assert "early (started before this story)" in story.text()

    def test_dropped_marker_says_how_many_and_where(self) -> None:
        """The text says exactly how many events were dropped, between which numbers."""
        with chrono.story(max_events=10) as story:
            for number in range(100):
                tp(number)
        head, dropped, tail = story.parts()
        assert dropped == 90
        text = story.text()
        assert "90 dropped" in text.splitlines()[0]
        marker = line_of(text, "events dropped")
        assert f"90 events dropped here, between #{head[-1].seq} and #{tail[0].seq}" in marker
        lines = text.splitlines()
        before, after = event_row(story, head[-1]), event_row(story, tail[0])
        assert lines.index(before) < lines.index(marker) < lines.index(after)

    def test_dropped_marker_with_nothing_kept_before_the_gap(self) -> None:
        """With no event kept before the gap, the marker names only the first event after it."""
        with chrono.story(max_events=1) as story:
            for number in range(4):
                tp(number)
        head, dropped, tail = story.parts()
        assert (head, dropped) == ([], 3)
        marker = line_of(story.text(), "events dropped")
        assert marker.strip() == f"⋯ 3 events dropped here, before #{tail[0].seq} ⋯"

    def test_dropped_marker_with_nothing_kept_after_the_gap(self) -> None:
        """A story whose kept events all came before the gap (as its JSON may say) still marks
        the gap, after the last kept event, and names no event that does not exist."""
        with chrono.story(max_events=10) as story:
            for number in range(3):
                tp(number)
        data = story.to_dict()
        data.update(dropped=1, dropped_at=len(data["events"]))
        text = chrono.Story.from_dict(data).text()
        last = story.events[-1].seq
        lines = [line.strip() for line in text.splitlines()]
        marker = lines.index(f"⋯ 1 event dropped here, after #{last} ⋯")
        assert lines[marker - 1].startswith(f"#{last} ")

    def test_gap_marker_shows_a_pause(self) -> None:
        """A long pause between two events is shown as a marker line between them."""
        with chrono.story() as story:
            tp("first")
            tp("second")
            time.sleep(0.2)
            tp("third")
        lines = story.text().splitlines()
        second = lines.index(line_of(story.text(), "second"))
        assert "later" in lines[second + 1]
        assert "⋮" in lines[second + 1]
        assert "third" in lines[second + 2]

    def test_long_content_stays_on_one_line(self) -> None:
        """Plain text never wraps: one line per event, so it can be searched with grep."""
        long_value = "word " * 100
        with chrono.story() as story:
            tp(long_value)
        assert len(story.text().splitlines()) == 2

    def test_empty_story(self) -> None:
        """A story with no events renders a title saying so."""
        with chrono.story("quiet") as story:
            pass
        assert story.text() == "chrono story 'quiet' — 0 events"


def story_at(*sites: tuple[str, int, str]) -> chrono.Story:
    """A closed story with one event ``x=1`` per ``(file, line, function)``, 0.1 ms apart;
    each file relative to the working directory."""
    events = [
        {
            "seq": number,
            "monotonic_ns": number * 100_000,
            "wall": 0.0,
            "thread": "MainThread",
            "task": None,
            "file": os.path.join(os.getcwd(), *file.split("/")),
            "line": line,
            "function": function,
            "label": None,
            "items": [["x", "1"]],
            "kind": "tp",
        }
        for number, (file, line, function) in enumerate(sites, start=1)
    ]
    return chrono.Story.from_dict(
        {
            "schema": "chrono.story/1",
            "name": "sites",
            "started_ns": 0,
            "ended_ns": len(events) * 100_000,
            "max_events": 10_000,
            "dropped": 0,
            "events": events,
        }
    )


def rendered(story: chrono.Story, width: int) -> str:
    """The story as rich draws it on a console ``width`` columns wide, without colour."""
    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    console.print(story)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


INVOICES = ("src/acme/billing/services/invoices.py", 5, "InvoiceService.compute_line_total")


class TestSiteColumn:
    """The call site keeps its file name and line whole, and shortens to fit the terminal."""

    def test_deep_src_layout_shows_the_file_name(self) -> None:
        """A lone file deep in src/ shows as its name, its function's qualified name whole."""
        story = story_at(INVOICES)
        expected = [
            "chrono story 'sites' — 1 event over 0.100ms",
            "  #1  0.100ms  invoices.py:5 in InvoiceService.compute_line_total  x=1",
        ]
        assert story.text(width=100).splitlines() == expected
        assert rendered(story, 100).splitlines() == expected

    def test_same_named_files_stay_apart(self) -> None:
        """Two models.py in different directories keep the directory that tells them apart;
        a third file, alone of its name, shows its name only."""
        story = story_at(
            ("src/shop/orders/models.py", 3, "Order.save"),
            ("src/shop/billing/models.py", 12, "Invoice.save"),
            ("src/shop/billing/invoices.py", 40, "issue"),
        )
        assert story.text(width=80).splitlines()[1:] == [
            "  #1  0.100ms  orders/models.py:3 in Order.save      x=1",
            "  #2  0.200ms  billing/models.py:12 in Invoice.save  x=1",
            "  #3  0.300ms  invoices.py:40 in issue               x=1",
        ]

    def test_long_qualified_name_at_a_narrow_width(self) -> None:
        """Narrow, the qualified name is cut in its middle: its start, then its own name."""
        story = story_at(INVOICES, ("src/acme/app.py", 9, "Outer.<locals>.Inner.method"))
        expected = [
            "chrono story 'sites' — 2 events over 0.200ms",
            "  #1  0.100ms  invoices.py:5 in Inv….compute_line_total  x=1",
            "  #2  0.200ms  app.py:9 in Outer.<locals>.Inner.method   x=1",
        ]
        assert story.text(width=60).splitlines() == expected
        assert rendered(story, 60).splitlines() == expected

    def test_own_name_stays_whole_when_nothing_else_fits(self) -> None:
        """However narrow, the function's own name is kept whole after an ellipsis."""
        story = story_at(("src/acme/app.py", 7, "Handler.a_function_with_a_very_long_name_indeed"))
        (row,) = story.text(width=40).splitlines()[1:]
        assert row == "  #1  0.100ms  app.py:7 in ….a_function_with_a_very_long_name_indeed  x=1"

    def test_wide_terminal_shows_the_whole_path(self) -> None:
        """With room, the site is whole: the path from the working directory, and the name."""
        story = story_at(INVOICES)
        row = "  #1  0.100ms  src/acme/billing/services/invoices.py:5 in "
        row += "InvoiceService.compute_line_total  x=1"
        assert story.text(width=200).splitlines()[1] == row
        assert rendered(story, 200).splitlines()[1] == row

    def test_text_follows_columns(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without a width, text() takes the terminal's, which COLUMNS sets."""
        story = story_at(INVOICES)
        monkeypatch.setenv("COLUMNS", "200")
        assert "src/acme/billing/services/invoices.py:5 in" in story.text()
        monkeypatch.setenv("COLUMNS", "60")
        assert " invoices.py:5 in Inv….compute_line_total  x=1" in story.text()


class TestRichRendering:
    def record(self, story: chrono.Story, **options: object) -> str:
        console = Console(file=io.StringIO(), record=True, **options)  # type: ignore[arg-type]
        console.print(story)
        return console.export_text(styles=bool(options.get("force_terminal")))

    def test_narrow_console_wraps_without_losing_text(self) -> None:
        """At 60 columns long content wraps, no line is wider, and every word is kept."""
        sentence = " ".join(f"word{index}" for index in range(60))
        with chrono.story() as story:
            tp(sentence)
        output = self.record(story, width=60, color_system=None)
        assert "\x1b" not in output
        assert max(len(line) for line in output.splitlines()) <= 60
        assert len(output.splitlines()) > 2
        flattened = "".join(output.split())
        assert "".join(repr(sentence).split()) in flattened

    def test_wide_console_matches_plain_text(self) -> None:
        """With room to spare, the rich rendering says what text() says, line for line."""
        with chrono.story("same") as story:
            tp("one")
            value = 2
            tp(value)
        output = self.record(story, width=200, color_system=None)
        rendered = [line.rstrip() for line in output.splitlines()]
        assert rendered == story.text(width=200).splitlines()

    def test_forced_colour_has_ansi_codes(self) -> None:
        """Rendered to a terminal with colour, the story is styled."""
        with chrono.story() as story:
            value = 1
            tp(value)
        output = self.record(story, width=100, force_terminal=True, color_system="standard")
        assert ANSI.search(output)
        assert "value=1" in ANSI.sub("", output)


class TestFailureMarks:
    """The events a failure is about start with a marker, and a footnote says what they are."""

    ABOUT = "the failing assertion: assert x == 2 (a.py:9 in f)"

    def test_marked_rows_and_footnote(self) -> None:
        """The marked row starts with ``>``, the footnote follows the rows; plain text and rich
        say the same."""
        story = story_at(("a.py", 1, "f"), ("a.py", 2, "f"))
        marks = EventMarks(frozenset({2}), self.ABOUT)
        expected = [
            "chrono story 'sites' — 2 events over 0.200ms",
            "  #1  0.100ms  a.py:1 in f  x=1",
            "> #2  0.200ms  a.py:2 in f  x=1",
            f"    > marks the events about {self.ABOUT}",
        ]
        assert story_text(story, 100, marks).splitlines() == expected
        console = Console(file=io.StringIO(), width=100, color_system=None, record=True)
        console.print(StoryView(story, marks))
        assert [line.rstrip() for line in console.export_text().splitlines()] == expected

    def test_coloured_marker(self) -> None:
        """In colour, the marker is bold red at the start of the row and of the footnote."""
        story = story_at(("a.py", 1, "f"))
        coloured = coloured_story(story, 100, EventMarks(frozenset({1}), self.ABOUT))
        row, footnote = coloured.splitlines()[1:]
        assert row.startswith("\x1b[1;31m> \x1b[0m\x1b[1;34m#1")
        assert footnote.startswith("    \x1b[1;31m> \x1b[0m\x1b[2;3mmarks the events about ")

    def test_no_marked_event_shown_changes_nothing(self) -> None:
        """Marks for events not in the story (another part's) leave it as it is: no footnote."""
        story = story_at(("a.py", 1, "f"))
        unmarked = story_text(story, 100)
        assert story_text(story, 100, EventMarks(frozenset({7}), self.ABOUT)) == unmarked
        assert unmarked == story.text(width=100)
        assert ">" not in unmarked


class TestLiveColour:
    def test_string_stream_gets_no_colour(self) -> None:
        """A StringIO is not a terminal: live lines written to it are plain."""
        assert stream_colour_system(io.StringIO()) is None
        output = io.StringIO()
        chrono.configure(output=output)
        value = 3
        tp(value)
        assert "\x1b" not in output.getvalue()
        assert output.getvalue().endswith("value=3\n")

    def test_colour_system_styles_a_live_line(self) -> None:
        """Given a colour system, a live line carries ANSI codes around the same text."""
        output: list[chrono.Event] = []
        chrono.configure(output=output.append)
        value = 4
        tp(value)
        (event,) = output
        from rich.color import ColorSystem

        coloured = live_line(event, colour=ColorSystem.STANDARD)
        assert ANSI.search(coloured)
        assert ANSI.sub("", coloured) == live_line(event)

    @pytest.mark.parametrize(
        ("variables", "coloured"),
        [
            ({}, False),
            ({"FORCE_COLOR": "1"}, True),
            ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
            ({"NO_COLOR": "1"}, False),
        ],
        ids=["pipe", "force", "force-and-no-colour", "no-colour"],
    )
    def test_environment_decides_colour_of_live_lines(
        self, tmp_path: Path, variables: dict[str, str], coloured: bool
    ) -> None:
        """Into a pipe lines are plain; FORCE_COLOR colours them; NO_COLOR always wins."""
        result = run_script(
            tmp_path,
            "from chrono import tp\nvalue = 5\ntp(value)\n",
            env=environment(TERM="xterm-256color", **variables),
        )
        assert result.returncode == 0, result.stderr
        assert bool(ANSI.search(result.stderr)) is coloured
        assert ANSI.sub("", result.stderr).endswith("value=5\n")


class _Rows:
    """A value whose repr runs over several lines."""

    def __repr__(self) -> str:
        return "first row\nsecond row\r\nthird row"


class TestPlainLiveLine:
    """Plain live lines are written straight from a tp record, with no event and no pieces:
    they must say exactly what the pieces say."""

    def records_and_events(self) -> tuple[list[object], list[chrono.Event]]:
        def in_a_thread() -> None:
            count = 2
            tp(count)
            tp("from the worker")

        async def in_a_task() -> None:
            tp("in a task", 7)

        with chrono.story() as story:
            x, b, password = 1, 2, "hunter2"
            tp(x)
            tp(-1)
            tp(1)
            tp("HERE")
            tp("HERE", x)
            tp()
            tp(x, b + 1)
            tp(_Rows())
            tp("label\nacross lines", _Rows())
            tp(password)
            exec("tp(x)", {"tp": tp, "x": x})
            worker = threading.Thread(target=in_a_thread, name="worker")
            worker.start()
            worker.join()
            import asyncio

            asyncio.run(in_a_task())
        head, _, tail = story.parts()
        records = sorted(story._records, key=lambda record: record[0])
        return records, head + tail

    def test_plain_line_is_the_pieces_text(self) -> None:
        """For labels, literals, markers, several values, multi-line reprs, unknown names,
        masked secrets, threads and tasks, the shortcut gives live_line's text."""
        from chrono.render import plain_live_line

        records, events = self.records_and_events()
        assert len(records) == len(events) == 14
        for record, event in zip(records, events):
            assert plain_live_line(record, event.wall) == live_line(event)

    def test_live_clock_is_the_wall_time_to_the_millisecond(self) -> None:
        """Without a wall time, the line's clock comes from the record's monotonic time."""
        from chrono.render import plain_live_line

        records, events = self.records_and_events()
        for record, event in zip(records, events):
            shown = plain_live_line(record).split()[1]
            expected = {
                live_line(event._replace(wall=event.wall + shift)).split()[1]
                for shift in (-0.001, 0.0, 0.001)
            }
            assert shown in expected


class TestLiveFlush:
    def test_block_buffered_stream_is_flushed_at_each_line(self, tmp_path: Path) -> None:
        """A stream that buffers whole blocks shows each line at once all the same."""
        path = tmp_path / "live.log"
        with path.open("w", encoding="utf-8") as stream:
            assert not stream.line_buffering
            chrono.configure(output=stream)
            value = 6
            tp(value)
            assert path.read_text(encoding="utf-8").endswith("value=6\n")
            tp(value)
            assert path.read_text(encoding="utf-8").count("value=6") == 2

    def test_line_buffered_stream_shows_each_line(self, tmp_path: Path) -> None:
        """A line-buffered stream is not flushed again, and still shows each line at once."""
        path = tmp_path / "live.log"
        with path.open("w", encoding="utf-8", buffering=1) as stream:
            chrono.configure(output=stream)
            value = 7
            tp(value)
            assert path.read_text(encoding="utf-8").endswith("value=7\n")


def shown_milliseconds(row: str) -> float:
    """The time a story row shows after its #N, in milliseconds."""
    match = re.search(r"#\d+\s+([\d.]+)(ms|s)\s", row)
    assert match is not None, row
    return float(match.group(1)) * (1 if match.group(2) == "ms" else 1000)


class TestProgramTime:
    def test_back_to_back_calls_in_a_large_module_show_back_to_back(self, tmp_path: Path) -> None:
        """Two tp calls in a row in a 4,500-line module show the program's time between them,
        though chrono's first look at each call site put far more than that between them on
        the clock. (Asserted against the story's own clock readings, not a duration: a busy
        machine stretches both.)"""
        ledger = import_source(tmp_path, "ledger", large_module_source()).Ledger()
        with chrono.story() as story:
            ledger.back_to_back()
        first, second = story.events
        true_gap_ms = (second.monotonic_ns - first.monotonic_ns) / 1e6
        shown_gap_ms = shown_milliseconds(event_row(story, second)) - shown_milliseconds(
            event_row(story, first)
        )
        clock = ProgramClock(story.started_ns, story.chrono_spans)
        program_gap_ms = (
            clock.elapsed(second.monotonic_ns) - clock.elapsed(first.monotonic_ns)
        ) / 1e6
        assert true_gap_ms >= 1  # reading the module's source
        assert shown_gap_ms == pytest.approx(program_gap_ms, abs=0.002)
        assert true_gap_ms > shown_gap_ms
        assert "later" not in story.text()

    def test_the_total_and_a_footnote_leave_chrono_out(self, tmp_path: Path) -> None:
        """The title's total is the program's time, and a footnote says how long chrono's own
        lookups took."""
        ledger = import_source(tmp_path, "ledger", large_module_source()).Ledger()
        with chrono.story() as story:
            ledger.back_to_back()
        lines = story.text().splitlines()
        total = re.fullmatch(r"chrono story — 2 events over ([\d.]+)ms", lines[0])
        assert total is not None, lines[0]
        assert story.ended_ns is not None
        true_total_ms = (story.ended_ns - story.started_ns) / 1e6
        # The two calls take microseconds; the lookups, hundreds of milliseconds.
        assert float(total.group(1)) < true_total_ms / 2
        footnote = re.fullmatch(
            r"\s+chrono's own source lookups, ([\d.]+)(ms|s), are not counted in these times",
            lines[-1],
        )
        assert footnote is not None, lines[-1]
        assert footnote.group(2) == "s" or float(footnote.group(1)) >= 1

    def test_work_after_the_last_event_changes_no_row(self, tmp_path: Path) -> None:
        """chrono's look at the last call site comes after its event: the total leaves it out,
        and no footnote is needed, since no row's time would have shown it."""
        ledger = import_source(tmp_path, "ledger", large_module_source()).Ledger()
        with chrono.story() as story:
            ledger.once()
        assert story.ended_ns is not None
        assert (story.ended_ns - story.started_ns) / 1e6 >= 1
        lines = story.text().splitlines()
        assert len(lines) == 2
        assert re.fullmatch(r"chrono story — 1 event over 0\.\d+ms", lines[0]), lines[0]

    def test_a_story_filled_from_another_s_start_shows_the_same_times(self, tmp_path: Path) -> None:
        """A story given another's start and events (the pytest plugin's part after a
        failure) leaves out the same spans, so its rows show the same times."""
        ledger = import_source(tmp_path, "ledger", large_module_source()).Ledger()
        with chrono.story() as story:
            ledger.back_to_back()
        rest = chrono.Story(capture_logs=False)
        rest.started_ns = story.started_ns
        later = story.events[-1]
        rest.add(later)
        assert rest.chrono_spans == story.chrono_spans
        assert shown_milliseconds(event_row(rest, later)) == shown_milliseconds(
            event_row(story, later)
        )

    def test_the_first_story_of_a_script_starts_on_time(self, tmp_path: Path) -> None:
        """In a fresh script, the first story's first event shows under 1 ms after its start:
        setting the story up the first time (importing the log bridge) is chrono's time."""
        result = run_script(
            tmp_path,
            """
            import chrono
            from chrono import tp

            def step():
                tp("step")

            step()  # its call site is known before the story
            with chrono.story() as story:
                step()
            print(story.text())
            """,
        )
        assert result.returncode == 0, result.stderr
        assert shown_milliseconds(line_of(result.stdout, "step")) < 1

    def test_known_call_sites_show_the_true_clock(self, tmp_path: Path) -> None:
        """Once its call sites are known, a story has nothing to leave out: no footnote, and
        its times are the clock's own."""
        ledger = import_source(tmp_path, "ledger", large_module_source(methods=10)).Ledger()
        ledger.back_to_back()
        with chrono.story() as story:
            ledger.back_to_back()
        assert story.chrono_spans == []
        assert "not counted" not in story.text()
        first, second = story.events
        shown_gap_ms = shown_milliseconds(event_row(story, second)) - shown_milliseconds(
            event_row(story, first)
        )
        assert shown_gap_ms == pytest.approx(
            (second.monotonic_ns - first.monotonic_ns) / 1e6, abs=0.002
        )


class TestSuspectsDrawn:
    """The suspects' lines, their ranks beside their events, and a story cut to its room."""

    def test_ranks_marked_and_cuts_counted(self) -> None:
        """Rank 1 beside #3, the stretches left out each one row saying how many events."""
        from chrono.render import story_text

        story = story_at(*[("src/app.py", line, "f") for line in range(10, 20)])
        text = story_text(story, 80, suspects={3: 1}, kept={2, 3, 4, 9})
        assert text.splitlines()[1:] == [
            "      … 2 events …",
            " 1  #3  0.300ms  src/app.py:12 in f  x=1",
            "    #4  0.400ms  src/app.py:13 in f  x=1",
            "    #5  0.500ms  src/app.py:14 in f  x=1",
            "      … 4 events …",
            "   #10  1.000ms  src/app.py:19 in f  x=1",
            "      1 marks the suspect above",
        ]

    def test_suspect_lines(self) -> None:
        """One line per suspect: where to look, what held, the counts, the score, a tie."""
        from chrono._suspects import Suspect
        from chrono.render import suspects_text

        suspect = Suspect(
            rank=1,
            seq=19,
            seqs=(19,),
            file=os.path.join(os.getcwd(), "src", "cache.py"),
            line=85,
            function="Cache.set",
            predicate="size >= maxsize=True",
            kind="value",
            score=0.8452,
            formula="ochiai",
            failing=5,
            failing_total=5,
            passing=2,
            passing_total=41,
            increase=0.5,
            tied=True,
        )
        assert suspects_text([suspect]) == (
            "1 look first at #19 src/cache.py:85 in Cache.set — size >= maxsize=True: "
            "in 5 of 5 failing tests, 2 of 41 passing (ochiai 0.85, tied)"
        )
