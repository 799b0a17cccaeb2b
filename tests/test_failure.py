"""What a failure is about: the names read where it was raised, and the events marked by them.

The failing code is real: functions in modules written to disk, raising real exceptions. The
AST differs between Python versions; run this file on each of 3.9 to 3.13.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

import chrono
from chrono import tp
from chrono._failure import EventMarks, FailureFocus, event_marks, failure_focus
from chrono._sites import reader_path
from helpers import forget_call_sites, import_source

FAILING = """
import json


class Order:
    def __init__(self, total, lines=()):
        self.total = total
        self.lines = list(lines)


class Checkout:
    def __init__(self):
        self.cart = Order(3)

    def check(self):
        assert self.cart.total == 4


def plain_names():
    total, expected = 7, 8
    assert total == expected


def attributes_subscripts_and_calls():
    order, items, cart = Order(2), [1], [1, 2]
    assert order.total == items[0] + len(cart)


def comprehension_and_lambda():
    order = Order(1, [-1])
    assert all(line > 0 for line in order.lines) and (lambda each: each)(order)


def multi_line():
    total = 7
    assert (
        total
        == 8
    ), "a message"


def check_total(order, expected):
    assert order.total == expected


def calls_a_helper():
    order = Order(2)
    check_total(order, 3)


def hidden_helper(amount):
    __tracebackhide__ = True
    assert amount == 2


def calls_a_hidden_helper():
    amount = 1
    hidden_helper(amount)


def two_on_one_line():
    first, second = 1, 2
    assert first == 1; assert second == 1


def nested_on_one_line():
    total = 7
    if total: assert total == 8


def not_an_assertion():
    prices = {"apple": 3}
    wanted = "pear"
    return prices[wanted]


def raised_in_the_standard_library():
    document = "{"
    return json.loads(document)


def assertion_method(case):
    total = 7
    case.assertEqual(total, 8)
"""


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return import_source(tmp_path_factory.mktemp("failing"), "failing", FAILING)


def focus_of(function: Callable[[], object]) -> FailureFocus:
    """What the failure raised by calling ``function`` is about."""
    try:
        function()
    except BaseException as error:
        focus = failure_focus(error, error.__traceback__)
        assert focus is not None
        return focus
    raise AssertionError(f"{function.__name__} did not fail")


def where(module: ModuleType, needle: str, function: str) -> str:
    """The call site of the line of ``module`` that holds ``needle``, as a story writes it."""
    lines = FAILING.splitlines()
    (number,) = [index for index, line in enumerate(lines, 1) if line.strip() == needle]
    return f"{reader_path(module.__file__ or '')}:{number} in {function}"


class TestAssertExpression:
    """A failing assert statement: the sub-expressions it reads, and the names they hang from."""

    def test_plain_names(self, failing: ModuleType) -> None:
        """``assert total == expected`` reads the two names."""
        focus = focus_of(failing.plain_names)
        assert focus.expressions == {"total", "expected"}
        assert focus.names == {"total", "expected"}
        line = where(failing, "assert total == expected", "plain_names")
        assert focus.about == f"the failing assertion: assert total == expected ({line})"

    def test_attributes_subscripts_and_calls(self, failing: ModuleType) -> None:
        """Each dotted, subscripted and called sub-expression is read; a called function's
        name is not a name it hangs from."""
        focus = focus_of(failing.attributes_subscripts_and_calls)
        assert focus.expressions == {
            "order.total",
            "order",
            "items[0]",
            "items",
            "len(cart)",
            "len",
            "cart",
        }
        assert focus.names == {"order", "items", "cart"}

    def test_comprehension_and_lambda_variables_are_left_out(self, failing: ModuleType) -> None:
        """The names a comprehension or a lambda binds for itself are not the program's."""
        focus = focus_of(failing.comprehension_and_lambda)
        assert focus.names == {"order"}
        assert "line" not in focus.expressions
        assert "each" not in focus.expressions
        assert "order.lines" in focus.expressions

    def test_self_attribute_is_the_root(self, failing: ModuleType) -> None:
        """In a method, ``self.cart.total`` hangs from ``self.cart``, not from ``self``."""
        focus = focus_of(failing.Checkout().check)
        assert focus.names == {"self.cart", "self"}
        assert {"self.cart.total", "self.cart"} <= focus.expressions

    def test_multi_line_assert_is_quoted_on_one_line(self, failing: ModuleType) -> None:
        """An assert written over several lines is read whole and quoted folded."""
        focus = focus_of(failing.multi_line)
        assert focus.expressions == {"total"}
        assert focus.about.startswith("the failing assertion: assert total == 8 (")
        assert focus.about.endswith(" in multi_line)")

    def test_assertion_in_a_helper_is_read_in_the_helper(self, failing: ModuleType) -> None:
        """The frame that raised is the helper's: its assertion is the one read."""
        focus = focus_of(failing.calls_a_helper)
        assert focus.names == {"order", "expected"}
        line = where(failing, "assert order.total == expected", "check_total")
        assert focus.about.endswith(f" ({line})")

    def test_a_hidden_helper_is_read_in_its_caller(self, failing: ModuleType) -> None:
        """A helper with ``__tracebackhide__`` asks for its caller: the call there is read."""
        focus = focus_of(failing.calls_a_hidden_helper)
        assert focus.names == {"amount"}
        assert focus.about.startswith("the failing assertion: hidden_helper(amount) (")

    def test_two_statements_on_the_line_fall_back_to_locals(self, failing: ModuleType) -> None:
        """``assert a; assert b`` on one line: which failed is not told, so the locals are."""
        focus = focus_of(failing.two_on_one_line)
        assert focus.names == {"first", "second"}
        assert focus.about.startswith("the failure: names of the local variables where ")

    def test_statement_nested_on_the_line_is_the_one_read(self, failing: ModuleType) -> None:
        """``if total: assert total == 8`` on one line: the assert, inside the if, is read."""
        focus = focus_of(failing.nested_on_one_line)
        assert focus.about.startswith("the failing assertion: assert total == 8 (")

    def test_assertion_method_reads_its_arguments(self, failing: ModuleType) -> None:
        """unittest's ``assertEqual(total, 8)`` raises in unittest: the caller's call is read."""
        import unittest

        class Case(unittest.TestCase):
            def runTest(self) -> None:
                pass

        focus = focus_of(lambda: failing.assertion_method(Case()))
        assert focus.expressions == {"total"}
        assert focus.about.startswith("the failing assertion: case.assertEqual(total, 8) (")


class TestOtherFailures:
    """Any other failure: the names of the local variables of the frame that raised it."""

    def test_key_error_gives_the_frames_locals(self, failing: ModuleType) -> None:
        """A KeyError in ``prices[wanted]`` is about ``prices`` and ``wanted``."""
        focus = focus_of(failing.not_an_assertion)
        assert focus.names == focus.expressions == {"prices", "wanted"}
        line = where(failing, "return prices[wanted]", "not_an_assertion")
        assert focus.about == (
            f"the failure: names of the local variables where KeyError was raised ({line})"
        )

    def test_library_frames_are_passed_over(self, failing: ModuleType) -> None:
        """An error raised inside the standard library is read in the program's frame that
        called it."""
        focus = focus_of(failing.raised_in_the_standard_library)
        assert focus.names == {"document"}
        assert "JSONDecodeError was raised" in focus.about
        assert " in raised_in_the_standard_library)" in focus.about

    def test_source_edited_after_import_is_not_trusted(self, tmp_path: Path) -> None:
        """A file whose assert line now says something else: the locals, not the new text."""
        module = import_source(
            tmp_path, "edited", "def check():\n    total = 7\n    assert total == 8\n"
        )
        (tmp_path / "edited.py").write_text(
            "def check():\n    total = 7\n    assert other.value == 8\n", encoding="utf-8"
        )
        import linecache

        linecache.checkcache(str(tmp_path / "edited.py"))
        focus = focus_of(module.check)
        assert focus.names == {"total"}
        assert "other" not in focus.expressions
        assert focus.about.startswith("the failure: names of the local variables where ")

    def test_library_frames_alone_tell_nothing(self, failing: ModuleType) -> None:
        """A traceback with no frame of the program's own (only json's here) marks nothing."""
        with pytest.raises(json.JSONDecodeError) as caught:
            failing.raised_in_the_standard_library()
        own_frame = caught.tb.tb_next  # after this test's own frame
        assert own_frame is not None
        assert failure_focus(caught.value, own_frame.tb_next) is None

    def test_no_traceback_tells_nothing(self) -> None:
        """An exception that was never raised has no frame to read: no focus."""
        assert failure_focus(KeyError("never raised"), None) is None


class TestEventMarks:
    """Which events of a story a failure is about."""

    def test_expression_and_root_matches(self, tmp_path: Path) -> None:
        """Events recorded as a read expression (written any way) or under a name hanging from
        a read name are marked; other names, labels and log records are not."""
        import logging

        focus = FailureFocus(
            frozenset({"items[0]", "order.total", "len(cart)", "order", "items", "cart"}),
            frozenset({"order", "items", "cart"}),
            "the failing assertion: …",
        )
        order = type("Order", (), {"total": 3, "count": 1})()
        items, cart, other = [1], [2], 4
        with chrono.story() as story:
            tp(items[ 0 ])  # fmt: skip
            tp(order.count)
            tp(len(cart))
            tp(other)
            tp(len([other]))
            tp("order")
            logging.getLogger("order").warning("order")
            tp(order=other)
        seqs = [event.seq for event in story.events]
        marks = event_marks(story.events, focus)
        assert marks == EventMarks(
            frozenset({seqs[0], seqs[1], seqs[2], seqs[7]}), "the failing assertion: …"
        )

    def test_nothing_matches(self) -> None:
        """No event about the failure: no marks at all."""
        focus = FailureFocus(frozenset({"total"}), frozenset({"total"}), "…")
        other = 1
        with chrono.story() as story:
            tp(other)
        assert event_marks(story.events, focus) is None

    def test_placeholder_names_are_not_matched(self, tmp_path: Path) -> None:
        """An item whose name could not be read (a placeholder) is about nothing."""
        focus = FailureFocus(frozenset({"total"}), frozenset({"total"}), "…")
        forget_call_sites()
        total = 3
        with chrono.story() as story:
            exec("tp(total + 0)", {"tp": tp, "total": total})
        (event,) = story.events
        assert not event.items[0][0].startswith("total")
        assert event_marks(story.events, focus) is None


INVENTORY = """
import threading

from chrono import tp


def restock(sku, qty):
    tp(sku, qty)


def reserve(sku, qty, avail):
    tp(sku, qty)
    assert qty <= avail


def order(sku, qty):
    tp(qty)
    reserve(sku, qty, 2)


def run():
    restock("nut", 9)
    worker = threading.Thread(target=reserve, args=("bolt", 1, 5))
    worker.start()
    worker.join()
    order("nut", 3)
"""


class TestMarksFollowTheFailingFrame:
    """Marks go to the failing function and its callers, in the failing thread, only."""

    def test_another_function_or_thread_is_not_marked(self, tmp_path: Path) -> None:
        """``assert qty <= avail`` in reserve marks reserve's and its caller order's ``qty``
        events in the failing thread; not restock's ``qty`` (another function), nor the
        ``qty`` reserve recorded in another thread."""
        module = import_source(tmp_path, "inventory", INVENTORY)
        with chrono.story() as story:
            focus = focus_of(module.run)
        by_function = {(event.function, event.thread): event.seq for event in story.events}
        marks = event_marks(story.events, focus)
        assert marks is not None
        assert marks.seqs == {
            by_function["reserve", "MainThread"],
            by_function["order", "MainThread"],
        }
        assert len(story.events) == 4
