"""What a tp call records: names, labels, markers, call sites, and what it returns."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

import chrono
from chrono import tp
from helpers import items


class TestNames:
    def test_one_argument_records_its_source_text_and_repr(self) -> None:
        """tp(x) records the item x=<repr of x>."""
        x = [1, "two"]
        with chrono.story() as story:
            tp(x)
        assert items(story) == [(("x", "[1, 'two']"),)]

    def test_several_arguments_record_one_item_each(self) -> None:
        """tp(a, b + 1) records a=<repr> and b + 1=<repr>, as written."""
        a, b = 1, 2
        with chrono.story() as story:
            tp(a, b + 1)
        assert items(story) == [(("a", "1"), ("b + 1", "3"))]

    def test_no_argument_is_a_location_marker(self) -> None:
        """tp() records an event with no items and no label, at the line it was called."""
        with chrono.story() as story:
            line = sys._getframe().f_lineno + 1
            tp()
        (event,) = story.events
        assert event.items == ()
        assert event.label is None
        assert event.line == line
        assert event.file == __file__
        assert event.function.endswith("test_no_argument_is_a_location_marker")
        assert event.kind == "tp"

    def test_leading_string_literal_is_a_label(self) -> None:
        """tp("HERE") records the label HERE and no items."""
        with chrono.story() as story:
            tp("HERE")
        (event,) = story.events
        assert event.label == "HERE"
        assert event.items == ()

    def test_label_followed_by_values(self) -> None:
        """tp("saved", obj.pk) records the label saved and the item obj.pk=<repr>."""
        obj = SimpleNamespace(pk=42)
        with chrono.story() as story:
            tp("saved", obj.pk)
        (event,) = story.events
        assert event.label == "saved"
        assert event.items == (("obj.pk", "42"),)

    def test_string_variable_is_not_a_label(self) -> None:
        """Only a string literal is a label: a variable holding a string is an item."""
        name = "HERE"
        with chrono.story() as story:
            tp(name)
        (event,) = story.events
        assert event.label is None
        assert event.items == (("name", "'HERE'"),)

    def test_literal_arguments_show_their_value_alone(self) -> None:
        """A literal that is not a leading label is shown as its value: text equals repr."""
        x = 1
        with chrono.story() as story:
            tp(x, 42, -3, "later", None)
        assert items(story) == [
            (("x", "1"), ("42", "42"), ("-3", "-3"), ("'later'", "'later'"), ("None", "None"))
        ]

    def test_multi_line_argument_is_folded_to_one_line(self) -> None:
        """An argument written over several lines is one line, runs of whitespace collapsed."""
        first, second = 1, 2
        with chrono.story() as story:
            tp(
                first + second,
                [
                    first,
                    second,
                ],
            )
        assert items(story) == [(("first + second", "3"), ("[ first, second, ]", "[1, 2]"))]

    def test_repr_is_taken_at_call_time(self) -> None:
        """Mutating a value after tp does not change what the story shows."""
        values = [1, 2]
        with chrono.story() as story:
            tp(values)
            values.append(3)
            tp(values)
        assert story.values("values") == ["[1, 2]", "[1, 2, 3]"]

    def test_values_lists_reprs_for_one_argument_text(self) -> None:
        """Story.values(text) gives the reprs recorded for that text, in order, and no others."""
        with chrono.story() as story:
            for index in range(3):
                tp(index, index * 10)
        assert story.values("index") == ["0", "1", "2"]
        assert story.values("index * 10") == ["0", "10", "20"]
        assert story.values("missing") == []


class TestReturnValues:
    def test_no_argument_returns_none(self) -> None:
        """tp() returns None."""
        with chrono.story():
            assert tp() is None

    def test_one_argument_returns_it_unchanged(self) -> None:
        """tp(x) returns the very object x."""
        x = object()
        with chrono.story():
            assert tp(x) is x

    def test_none_returns_none(self) -> None:
        """tp(None) returns None and records it as a value."""
        with chrono.story() as story:
            returned = tp(None)
        assert returned is None
        assert items(story) == [(("None", "None"),)]

    def test_none_and_nothing_are_told_apart(self) -> None:
        """tp() is a marker with no items; tp(None) and a variable holding None are values."""
        nothing = None
        with chrono.story() as story:
            tp()
            tp(None)
            tp(nothing)
        assert items(story) == [(), (("None", "None"),), (("nothing", "None"),)]

    def test_several_arguments_return_a_tuple(self) -> None:
        """tp(a, b) returns the tuple (a, b) of the very objects given."""
        a, b = object(), object()
        with chrono.story():
            returned = tp(a, b)
        assert type(returned) is tuple
        assert returned[0] is a
        assert returned[1] is b

    def test_label_returns_the_label(self) -> None:
        """tp("HERE") returns "HERE"; tp("saved", v) returns ("saved", v)."""
        with chrono.story():
            assert tp("HERE") == "HERE"
            assert tp("saved", 5) == ("saved", 5)

    def test_tp_works_inside_expressions(self) -> None:
        """Because tp returns its argument, it can wrap any sub-expression in place."""
        total = 0
        with chrono.story() as story:
            for step in range(3):
                total += tp(step * 2)
        assert total == 6
        assert story.values("step * 2") == ["0", "2", "4"]

    def test_returns_outside_a_story_too(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Outside a story the value is printed and still returned unchanged."""
        x = object()
        returned = tp(x)
        assert returned is x
        assert "x=<object object at" in capsys.readouterr().err


class TestKeywords:
    def test_keyword_names_its_value(self) -> None:
        """tp(total=sum(xs)) returns the sum and records total=<repr>."""
        xs = [1, 2, 3]
        with chrono.story() as story:
            returned = tp(total=sum(xs))
        assert returned == 6
        (event,) = story.events
        assert event.items == (("total", "6"),)
        assert event.label is None

    def test_positional_values_then_keywords(self) -> None:
        """tp(a, n=len(a)) returns (a, len(a)) and records a, then n."""
        a = [4, 5]
        with chrono.story() as story:
            returned = tp(a, n=len(a))
        assert type(returned) is tuple
        assert returned[0] is a
        assert returned[1] == 2
        assert items(story) == [(("a", "[4, 5]"), ("n", "2"))]

    def test_keywords_keep_the_order_of_the_call(self) -> None:
        """Several keywords are recorded and returned in the order the call wrote them."""
        with chrono.story() as story:
            returned = tp(zeta=1, alpha=2, first=3)
        assert returned == (1, 2, 3)
        assert items(story) == [(("zeta", "1"), ("alpha", "2"), ("first", "3"))]

    def test_label_with_keyword(self) -> None:
        """tp("saved", pk=obj.pk) keeps the label and records pk=<repr>."""
        obj = SimpleNamespace(pk=42)
        with chrono.story() as story:
            returned = tp("saved", pk=obj.pk)
        assert returned == ("saved", 42)
        (event,) = story.events
        assert event.label == "saved"
        assert event.items == (("pk", "42"),)

    def test_none_before_a_keyword_is_a_value(self) -> None:
        """tp(None, n=1) returns (None, 1): a None given is told from no value given."""
        with chrono.story() as story:
            several = tp(None, n=1)
            one = tp(n=None)
        assert several == (None, 1)
        assert one is None
        assert items(story) == [(("None", "None"), ("n", "1")), (("n", "None"),)]

    def test_unpacked_mapping_names_its_values(self) -> None:
        """tp(**fields) names each value by its key, whatever the call's source says."""
        fields = {"width": 3, "height": 4}
        with chrono.story() as story:
            returned = tp(**fields)
        assert returned == (3, 4)
        assert items(story) == [(("width", "3"), ("height", "4"))]

    def test_secret_keyword_is_masked(self) -> None:
        """A keyword whose name, or whose value's text, names a secret is masked."""
        key = "sk-live-123"
        user = SimpleNamespace(api_key="sk-live-456")
        with chrono.story() as story:
            tp(api_key=key, owner="ada")
            tp(current=user.api_key)
        assert items(story) == [
            (("api_key", "<masked>"), ("owner", "'ada'")),
            (("current", "<masked>"),),
        ]

    def test_keyword_is_printed_live(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Outside a story a keyword call prints its named value and returns it."""
        assert tp(total=7) == 7
        assert capsys.readouterr().err.rstrip().endswith("total=7")


class TestCallSite:
    def test_names_file_line_function(self) -> None:
        """An event carries the caller's file, line and qualified function name."""

        def inner() -> tuple[int, int]:
            return tp(5), sys._getframe().f_lineno

        with chrono.story() as story:
            _, line = inner()
        (event,) = story.events
        assert event.file == __file__
        assert event.line == line
        # On every Python: before 3.11, read from the source.
        assert event.function == "TestCallSite.test_names_file_line_function.<locals>.inner"

    def test_same_call_site_in_a_loop_keeps_its_names(self) -> None:
        """A call site resolved once is reused, and each event still has its own value."""
        with chrono.story() as story:
            for number in range(50):
                tp(number)
        assert story.values("number") == [str(number) for number in range(50)]
        assert {event.line for event in story.events} == {story.events[0].line}

    def test_reentrant_tp_from_a_repr_is_not_recorded(self) -> None:
        """A tp call made by a __repr__ that tp is taking does not recurse or record twice."""

        class Chatty:
            def __repr__(self) -> str:
                tp("inside repr")
                return "Chatty()"

        chatty = Chatty()
        with chrono.story() as story:
            returned = tp(chatty)
        assert returned is chatty
        assert items(story) == [(("chatty", "Chatty()"),)]

    def test_reentrant_int_at_a_known_call_site_is_not_recorded(self) -> None:
        """A tp(n) at a call site already read, made by a __repr__ that tp is taking, is let
        through unrecorded too: the int's short way takes no mark, but the repr's work does."""

        def count(n: int) -> None:
            tp(n)

        class Counting:
            def __repr__(self) -> str:
                count(7)
                return "Counting()"

        counting = Counting()
        with chrono.story() as story:
            count(1)  # the call site is read here, and known from then on
            assert tp(counting) is counting
        assert story.values("n") == ["1"]
        assert story.values("counting") == ["Counting()"]
