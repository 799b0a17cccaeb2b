"""Plain-text helpers: one rule for what an event says, shared by the terminal and the files."""

from __future__ import annotations

import ast
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

import chrono
from chrono import _config, tp
from chrono._logpoints import LogpointError, parse_spec
from chrono._logs import log_event
from chrono._text import (
    content_text,
    counted,
    item_name,
    item_text,
    labelled,
    line_breaks_marked,
)
from chrono._values import safe_repr, truncated
from chrono.export import StoryFiles, story_to_chrome_trace
from chrono.render import live_line
from helpers import import_source, run_command
from pytest_plugin_runs import QUIET_PLUGINS

SOURCE = Path(chrono.__file__).parent


def modules_containing(pattern: str) -> list[str]:
    """The modules of chrono whose source matches the regular expression ``pattern``."""
    return sorted(
        path.name
        for path in SOURCE.glob("*.py")
        if re.search(pattern, path.read_text(encoding="utf-8"))
    )


class TestLineBreaksMarked:
    def test_every_kind_of_line_break_becomes_one_mark(self) -> None:
        """\\n, \\r\\n and \\r each become a single ⏎, so an event stays on one line."""
        assert line_breaks_marked("a\nb\r\nc\rd") == "a⏎b⏎c⏎d"

    def test_text_without_line_breaks_is_the_same_object(self) -> None:
        """A one-line text is returned as is: the common case builds no new string."""
        text = "plain"
        assert line_breaks_marked(text) is text


class TestItemText:
    def test_a_named_value_reads_text_equals_value(self) -> None:
        """An argument written as an expression shows as ``text=value``."""
        assert item_text("order.total", "42") == "order.total=42"
        assert item_name("order.total", "42") == "order.total"

    def test_a_literal_shows_its_value_alone(self) -> None:
        """An argument written as its own repr, or with no text at all, has no name."""
        assert item_text("42", "42") == "42"
        assert item_text(None, "'x'") == "'x'"
        assert item_name(None, "'x'") is None

    def test_a_multi_line_value_stays_on_one_line(self) -> None:
        """The value's line breaks are marked; the text is compared with the value as recorded."""
        assert item_text("frame", "a\nb") == "frame=a⏎b"
        assert item_text("a\nb", "a\nb") == "a⏎b"


class TestContentText:
    def test_label_then_two_spaces_then_items(self) -> None:
        """A label is set off from the items by two spaces; items are joined by commas."""
        assert content_text("saved", [("pk", "3"), ("'ok'", "'ok'")]) == "saved  pk=3, 'ok'"

    def test_nothing_recorded_reads_reached(self) -> None:
        """tp() with no label and no argument says the line was reached."""
        assert content_text(None, []) == "reached"
        assert labelled(None, "") == "reached"

    def test_a_label_alone(self) -> None:
        """A label without items is the whole line, its line breaks marked."""
        assert content_text("two\nlines", []) == "two⏎lines"


class TestOneRuleEverywhere:
    def test_trace_titles_say_what_the_terminal_says(self) -> None:
        """A Chrome trace event's title is the content of the event's live line."""
        with chrono.story() as story:
            answer = 42
            tp("saved", answer, "two\nlines")
            tp()
        trace = story_to_chrome_trace(story)
        titles = [event["name"] for event in trace["traceEvents"] if event.get("cat") == "tp"]
        contents = [live_line(event).split("  ", 1)[1] for event in story.events]
        assert titles == contents == ["saved  answer=42, 'two\\nlines'", "reached"]

    def test_log_messages_and_values_are_cut_with_the_same_suffix(self) -> None:
        """A long log message ends as a long value does: ``… (N characters in all)``."""
        limit = _config.settings.repr_limit
        long_text = "x" * (limit + 50)
        record = logging.LogRecord("shop", logging.INFO, __file__, 1, long_text, None, None)
        message = log_event(record).items[0][1]
        assert message == truncated(long_text, limit, len(long_text), "character")
        assert message.endswith(f"… ({limit + 50:,} characters in all)")
        assert safe_repr(10 ** (limit + 49), limit, None) == truncated(
            str(10 ** (limit + 49)), limit, limit + 50, "character"
        )


class TestOneHome:
    def test_each_piece_of_shared_wording_is_written_once(self) -> None:
        """The line-break mark, the "reached" marker, the truncation suffix and the call site's
        wording each live in one module, which every view uses."""
        assert modules_containing("⏎") == ["_text.py"]
        assert modules_containing('"reached"') == ["_text.py"]
        assert modules_containing(r"in all\)") == ["_values.py"]
        # A call site: ``{file}:{line} in {function}``.
        assert modules_containing(r"\}:\{[^}]*\} in \{") == ["_sites.py"]

    def test_the_wall_clock_is_read_in_one_place(self) -> None:
        """Only ``wall_at_zero`` reads the wall clock for events; every event's wall time
        derives from it."""
        readers = []
        for path in SOURCE.glob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "time"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "time"
                ):
                    readers.append(path.name)
        # And the flight recorder, for how old a file is: against its mtime, not for an event.
        assert sorted(readers) == ["_events.py", "_pytest_flight.py"]
        assert re.search(r"def wall_at_zero\(", (SOURCE / "_events.py").read_text("utf-8"))


class TestCounted:
    def test_one_is_singular_and_every_other_number_plural(self) -> None:
        """counted() writes 1 event, 0 events, 2 events, and separates thousands."""
        assert [counted(n, "event") for n in (0, 1, 2, 2_500)] == [
            "0 events",
            "1 event",
            "2 events",
            "2,500 events",
        ]

    def test_an_irregular_plural_is_given(self) -> None:
        """A plural that is not the noun and an s is passed in: 1 story, 2 stories."""
        assert [counted(n, "story", "stories") for n in (0, 1, 2)] == [
            "0 stories",
            "1 story",
            "2 stories",
        ]


#: How a number could be put before a plural noun by hand, in chrono's messages.
COUNT_BEFORE_PLURAL = re.compile(
    r"\{[^{}]+\} (more )?(call )?(events|tests|stories|calls|items|lines|logpoints|sites"
    r"|characters|files|records|values|threads|passes|failures)\b"
)
HAND_MADE_PLURAL = re.compile(
    r"""['"]s['"] if|['"]y['"] if|[!=]= 1 else ['"]|=== 1 \? ['"]|\w \+ ['"](s|ies)['"]"""
)


def _story_with(count: int) -> chrono.Story:
    with chrono.story("counting") as story:
        for number in range(count):
            tp(number)
    return story


def _dropping(dropped: int) -> chrono.Story:
    """A story whose bound (5 events) dropped exactly ``dropped``."""
    with chrono.story("bounded", max_events=5) as story:
        for number in range(5 + dropped):
            tp(number)
    assert story.dropped == dropped
    return story


class TestEveryCountedMessage:
    """Each message of chrono that counts something says 1 thing and 0 or 2 things (issue 24
    item 9): rendered here with each count, and no message counts by hand."""

    def test_no_module_counts_by_hand(self) -> None:
        """No f-string puts a count before a plural noun, and no module makes a plural itself:
        every count goes through counted() (report.js: its count())."""
        sources = {path.name: path.read_text(encoding="utf-8") for path in SOURCE.glob("*.py")}
        sources["report.js"] = (SOURCE / "_page" / "report.js").read_text(encoding="utf-8")
        by_hand = {
            f"{name}: {line.strip()}"
            for name, text in sources.items()
            for line in text.splitlines()
            if COUNT_BEFORE_PLURAL.search(line) or HAND_MADE_PLURAL.search(line)
        }
        # counted() itself, report.js's count(), and "share their first event" (not "first 1
        # event").
        assert by_hand == {
            "_values.py: return f\"{number:,} {plural or noun + 's'}\"",
            'report.js: return number.toLocaleString("en") + " " + (number === 1 ? noun : '
            'plural || noun + "s");',
            'report.js: var shared = divergence.shared === 1 ? "event" : '
            'count(divergence.shared, "event");',
        }

    @pytest.mark.parametrize("count", [0, 1, 2])
    def test_a_storys_repr_and_title(self, count: int) -> None:
        """<chrono.Story 'counting' closed, 1 event, 0 dropped>, and its title likewise."""
        story = _story_with(count)
        assert f", {counted(count, 'event')}, 0 dropped>" in repr(story)
        title = story.text().splitlines()[0]
        assert title.startswith(f"chrono story 'counting' — {counted(count, 'event')}")
        assert "1 events" not in title

    @pytest.mark.parametrize("dropped", [1, 2])
    def test_the_dropped_marker_in_the_story_and_the_trace(self, dropped: int) -> None:
        """⋯ 1 event dropped here… ⋯ in the text, and as the Chrome trace's marker."""
        story = _dropping(dropped)
        assert f"⋯ {counted(dropped, 'event')} dropped here" in story.text()
        markers = [
            event["name"]
            for event in story_to_chrome_trace(story)["traceEvents"]
            if "dropped" in str(event.get("name"))
        ]
        assert markers == [f"⋯ {counted(dropped, 'event')} dropped"]

    @pytest.mark.parametrize("count", [1, 2])
    def test_stories_that_ran_alike(self, count: int) -> None:
        """a and b ran alike: 1 event, the same call sites and values."""
        story = _story_with(count)
        text = chrono.compare(story, story, names=("a", "b")).text(width=200)
        assert text.startswith(f"a and b ran alike: {counted(count, 'event')}, the same")

    @pytest.mark.parametrize(("shared", "said"), [(1, "event"), (2, "2 events")])
    def test_what_two_stories_share(self, shared: int, said: str) -> None:
        """share their first event, share their first 2 events."""
        data = _story_with(shared + 1).to_dict()
        other = json.loads(json.dumps(data))
        other["events"][-1]["items"] = [["number", "changed"]]
        text = chrono.compare(data, other, names=("a", "b")).text(width=200)
        assert text.startswith(f"a and b share their first {said} (of")

    @pytest.mark.parametrize("dropped", [1, 2])
    def test_what_a_comparison_did_not_keep(self, dropped: int) -> None:
        """Not kept, so not compared: a 1 event (or 2 events)."""
        story = _dropping(dropped)
        text = chrono.compare(story, _story_with(3), names=("a", "b")).text(width=200)
        assert f"Not kept, so not compared: a {counted(dropped, 'event')};" in text

    @pytest.mark.parametrize("more", [1, 2])
    def test_call_sites_past_the_listed_ones(self, tmp_path: Path, more: int) -> None:
        """ran only in a: … and 1 more call site (2 more call sites)."""
        listed = 8  # how many "ran only in" lines a comparison lists
        # f0 runs on both sides; the others on one.
        functions = "".join(f"def f{n}():\n    tp({n})\n\n\n" for n in range(1 + listed + more))
        module = import_source(tmp_path, f"sites_{more}", f"from chrono import tp\n\n\n{functions}")
        with chrono.story("b") as shorter:
            module.f0()
        with chrono.story("a") as longer:
            for n in range(1 + listed + more):
                getattr(module, f"f{n}")()
        text = chrono.compare(longer, shorter).text(width=200)
        assert f"ran only in a: and {counted(more, 'more call site')}" in text

    @pytest.mark.parametrize("count", [0, 1, 2])
    def test_what_the_exports_wrote(self, tmp_path: Path, count: int) -> None:
        """chrono: 1 story as JSON in …, 2 stories in the HTML page …"""
        files = StoryFiles(json_directory=tmp_path / "json", html_file=tmp_path / "page.html")
        for _ in range(count):
            files.add(_story_with(1))
        files.finish()  # the page is written when the run ends; the summary says what was
        lines = files.summary()
        stories = counted(count, "story", "stories")
        if count:
            assert lines[0] == f"chrono: {stories} as JSON in {tmp_path / 'json'}"
        assert lines[-1] == f"chrono: {stories} in the HTML page {tmp_path / 'page.html'}"

    @pytest.mark.parametrize("total", [1, 2])
    def test_a_value_cut_short(self, total: int) -> None:
        """… (1 character in all), … (2 characters in all)."""
        assert truncated("ab"[:total], 0, total, "character").endswith(
            f"({counted(total, 'character')} in all)"
        )

    @pytest.mark.parametrize("lines", [1, 2])
    def test_a_logpoint_past_the_end_of_its_file(self, tmp_path: Path, lines: int) -> None:
        """logpoint …: line 9 is past the end of … (1 line)."""
        path = tmp_path / f"short_{lines}.py"
        path.write_text("x = 1\n" * lines, encoding="utf-8")
        with pytest.raises(LogpointError) as raised:
            parse_spec(f"{path}:9")
        assert str(raised.value).endswith(f"({counted(lines, 'line')})")

    @pytest.mark.parametrize("never", [1, 2])
    def test_logpoints_that_never_ran(self, pytester: pytest.Pytester, never: int) -> None:
        """chrono: 1 logpoint never ran: …, chrono: 2 logpoints never ran: …"""
        pytester.makepyfile(never_called="def f():\n    return 1\n\n\ndef g():\n    return 2\n")
        pytester.makepyfile(test_never="def test_nothing():\n    pass\n")
        specs = [f"--chrono-at=never_called.py:{line}" for line in (2, 6)[:never]]
        result = pytester.runpytest_inprocess(*QUIET_PLUGINS, *specs)
        result.stdout.fnmatch_lines([f"chrono: {counted(never, 'logpoint')} never ran: *"])

    @pytest.mark.parametrize("calls", [1, 2])
    def test_what_strip_removed(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], calls: int
    ) -> None:
        """path: stripped 1 call, path: stripped 2 calls."""
        path = tmp_path / "leftover.py"
        path.write_text("from chrono import tp\n" + "tp(1)\n" * calls, encoding="utf-8")
        code, out, _ = run_command(capsys, "strip", str(path))
        assert (code, out) == (0, f"{path}: stripped {counted(calls, 'call')}\n")

    @pytest.mark.parametrize("stories", [0, 2])
    def test_a_list_of_stories_given_to_compare(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], stories: int
    ) -> None:
        """… holds 0 stories in a list (2 stories); a list of one is that story."""
        path = tmp_path / "stories.json"
        data: list[Any] = [_story_with(1).to_dict() for _ in range(stories)]
        path.write_text(json.dumps(data), encoding="utf-8")
        code, _, err = run_command(capsys, "compare", str(path), str(path))
        assert code == 2
        assert f"holds {counted(stories, 'story', 'stories')} in a list" in err
