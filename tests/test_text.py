"""Plain-text helpers: one rule for what an event says, shared by the terminal and the files."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import chrono
from chrono import _config, tp
from chrono._logs import log_event
from chrono._text import content_text, item_name, item_text, labelled, line_breaks_marked
from chrono._values import safe_repr, truncated
from chrono.export import story_to_chrome_trace
from chrono.render import live_line

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
        assert message == truncated(long_text, limit, len(long_text), "characters")
        assert message.endswith(f"… ({limit + 50:,} characters in all)")
        assert safe_repr(10 ** (limit + 49), limit, None) == truncated(
            str(10 ** (limit + 49)), limit, limit + 50, "characters"
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
        """Only ``wall_at_zero`` reads the wall clock; every wall time derives from it."""
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
        assert readers == ["_events.py"]
        assert re.search(r"def wall_at_zero\(", (SOURCE / "_events.py").read_text("utf-8"))
