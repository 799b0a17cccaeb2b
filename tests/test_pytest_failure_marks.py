"""The failing assertion points into the story: the events it is about are marked.

Each test runs an inner pytest through pytester (see ``pytest_plugin_runs``), in-process and as
a subprocess, and for the core scenario under ``-n 2``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest

from pytest_plugin_runs import (
    ALL,
    BOTH,
    PYTEST_9,
    SUBPROCESS,
    Runner,
    make_runner,
    run_once,
    sections,
    story_of,
)

MARKS = """
import logging
import unittest

from chrono import tp


class Order:
    def __init__(self, total):
        self.total = total

    def __repr__(self):
        return f"Order({self.total})"


def check_total(order, expected):
    assert order.total == expected


def test_plain_name():
    total = 7
    other = "unrelated"
    tp(total)
    tp(other)
    logging.getLogger("total").warning("total is %s", total)
    tp(total=total + 1)
    tp("a label")
    assert total == 8


def test_attribute():
    order = Order(2)
    unrelated = Order(5)
    tp(order.total)
    tp(unrelated.total)
    tp(order)
    tp(len([order]))
    assert order.total == 3


def test_in_a_helper():
    order = Order(2)
    expected = 3
    tp(order.total)
    tp(expected)
    tp("checking")
    check_total(order, expected)


def test_not_an_assertion():
    prices = {"apple": 3}
    wanted = "pear"
    tp(wanted)
    tp(prices)
    tp(sorted(prices))
    prices[wanted]


def test_nothing_matches():
    seen = 3
    tp(seen)
    tp("only a label")
    assert 1 + 1 == 3


class TestCart(unittest.TestCase):
    def setUp(self):
        self.items = [3, 4]
        tp(self.items)

    def test_total(self):
        total = sum(self.items)
        tp(total)
        self.assertEqual(total, 8)
"""

#: The marker at the start of a row the failure is about, and its footnote's start.
MARKER = ">"
FOOTNOTE = "> marks the events about "


@pytest.fixture
def runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str) -> Runner:
    return make_runner(pytester, monkeypatch, mode)


def _marks_run(runner: Runner, assert_mode: str = "rewrite") -> pytest.RunResult:
    """The marks scenario, run once per mode and assertion mode, without colour."""
    args = ["--color=no", "-p", "no:faulthandler"]
    if assert_mode != "rewrite":
        args.append(f"--assert={assert_mode}")
    files = {"test_pm_marks": MARKS}
    return run_once(runner, f"marks-{assert_mode}", files, *args).result


def _rows(story: str) -> list[tuple[bool, str]]:
    """Each event row of a story section: whether it is marked, and what it says."""
    rows = []
    for line in story.splitlines()[1:]:
        match = re.match(r"^(>| ) +#\d+ ", line)
        if match:
            rows.append((match.group(1) == MARKER, re.split(r"\s{2,}", line.strip())[-1]))
    return rows


def _marked(story: str) -> list[str]:
    return [content for marked, content in _rows(story) if marked]


def _footnotes(story: str) -> list[str]:
    return [line.strip() for line in story.splitlines() if line.strip().startswith(FOOTNOTE)]


def _line_of(needle: str) -> int:
    """The line of the scenario file that holds ``needle`` (pytester drops its first, blank,
    line)."""
    lines = MARKS.lstrip("\n").splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if line.strip() == needle]
    return number


@pytest.mark.parametrize("assert_mode", ["rewrite", "plain"])
@pytest.mark.parametrize("mode", ALL)
class TestMarkedEvents:
    """The events whose recorded names the failing code reads are marked, and no others, with
    pytest's assertion rewriting on and off."""

    def test_an_assert_on_a_name_marks_its_events(self, runner: Runner, assert_mode: str) -> None:
        """``assert total == 8`` marks the events recorded as ``total`` (a keyword too), not
        another name's, a label's, or a log record from a logger named ``total``."""
        story = story_of(_marks_run(runner, assert_mode), "test_plain_name")
        assert _rows(story) == [
            (True, "total=7"),
            (False, "other='unrelated'"),
            (False, "WARNING total: total is 7"),
            (True, "total=8"),
            (False, "a label"),
        ]
        line = _line_of("assert total == 8")
        assert _footnotes(story) == [
            f"{FOOTNOTE}the failing assertion: assert total == 8 "
            f"(test_pm_marks.py:{line} in test_plain_name)"
        ]

    def test_an_assert_on_an_attribute_marks_it_and_its_object(
        self, runner: Runner, assert_mode: str
    ) -> None:
        """``assert order.total == 3`` marks ``order.total`` and ``order``, not another object's
        ``total``, nor a call of a function the assertion does not call."""
        story = story_of(_marks_run(runner, assert_mode), "test_attribute")
        assert _rows(story) == [
            (True, "order.total=2"),
            (False, "unrelated.total=5"),
            (True, "order=Order(2)"),
            (False, "len([order])=1"),
        ]

    def test_an_assert_in_a_helper_is_read_where_it_failed(
        self, runner: Runner, assert_mode: str
    ) -> None:
        """The assertion inside ``check_total(order, expected)`` reads ``order.total`` and
        ``expected``: the test's events under those names are marked."""
        story = story_of(_marks_run(runner, assert_mode), "test_in_a_helper")
        assert _rows(story) == [(True, "order.total=2"), (True, "expected=3"), (False, "checking")]
        line = _line_of("assert order.total == expected")
        assert _footnotes(story) == [
            f"{FOOTNOTE}the failing assertion: assert order.total == expected "
            f"(test_pm_marks.py:{line} in check_total)"
        ]

    def test_a_failure_that_is_no_assertion_marks_the_frames_locals(
        self, runner: Runner, assert_mode: str
    ) -> None:
        """A KeyError marks the events named after the failing frame's local variables."""
        story = story_of(_marks_run(runner, assert_mode), "test_not_an_assertion")
        assert _rows(story) == [
            (True, "wanted='pear'"),
            (True, "prices={'apple': 3}"),
            (False, "sorted(prices)=['apple']"),
        ]
        line = _line_of("prices[wanted]")
        assert _footnotes(story) == [
            f"{FOOTNOTE}the failure: names of the local variables where KeyError was raised "
            f"(test_pm_marks.py:{line} in test_not_an_assertion)"
        ]

    def test_nothing_recorded_matches(self, runner: Runner, assert_mode: str) -> None:
        """An assertion whose names nothing recorded: no mark and no footnote."""
        story = story_of(_marks_run(runner, assert_mode), "test_nothing_matches")
        assert _rows(story) == [(False, "seen=3"), (False, "only a label")]
        assert _footnotes(story) == []

    def test_an_assertion_method_marks_its_arguments(
        self, runner: Runner, assert_mode: str
    ) -> None:
        """``self.assertEqual(total, 8)`` in a unittest case marks ``total``, not ``self.items``."""
        story = story_of(_marks_run(runner, assert_mode), "TestCart::test_total")
        assert _rows(story) == [(False, "self.items=[3, 4]"), (True, "total=7")]
        line = _line_of("self.assertEqual(total, 8)")
        assert _footnotes(story) == [
            f"{FOOTNOTE}the failing assertion: self.assertEqual(total, 8) "
            f"(test_pm_marks.py:{line} in TestCart.test_total)"
        ]


@pytest.mark.parametrize("mode", ALL)
class TestWhereTheMarksGo:
    """The marks are in every place the story is: coloured terminal, JUnit XML's plain text."""

    def test_coloured_terminal_and_junit_xml(self, runner: Runner) -> None:
        """With --color=yes the marked row starts with a red marker; the XML has plain marks."""
        files = {"test_pm_marks": MARKS}
        shared = run_once(runner, "marks-junit", files, "--color=yes", "--junitxml=junit.xml")
        output = shared.result.stdout.str()
        marker = f"\x1b[1;31m{MARKER} \x1b[0m"
        assert re.search(re.escape(marker) + r"\x1b\[1;34m#\d+ .*total", output)
        assert f"{marker}\x1b[2;3mmarks the events about the failing assertion: " in output
        tree = ElementTree.parse(shared.path / "junit.xml")
        cases = {case.get("name"): case for case in tree.iter("testcase")}
        failure = cases["test_plain_name"].find("failure")
        assert failure is not None
        text = failure.text or ""
        assert "\x1b" not in text
        story = text[text.index("chrono story '") :]
        assert _marked(story) == ["total=7", "total=8"]
        assert _footnotes(story)[0].startswith(f"{FOOTNOTE}the failing assertion: assert total")


SUBTESTS = """
from chrono import tp


def test_squares(subtests):
    for i in range(3):
        with subtests.test(i=i):
            square = i * i
            tp(square)
            tp(i)
            assert square != 1
"""


@pytest.mark.skipif(not PYTEST_9, reason="pytest reports each subtest from version 9")
@pytest.mark.parametrize("mode", BOTH)
class TestSubtestMarks:
    """A failing subtest's part of the story is marked by its own failing assertion."""

    def test_failing_subtest_marks_what_its_assertion_reads(self, runner: Runner) -> None:
        """``assert square != 1`` marks the events recorded as ``square``, not those as ``i``."""
        runner.pytester.makepyfile(test_pm_subtests=SUBTESTS)
        result = runner("--color=no")
        (story,) = [
            section
            for section in sections(result, "chrono story")
            if "::test_squares' " in section.splitlines()[0]
        ]
        assert _rows(story) == [
            (True, "square=0"),
            (False, "i=0"),
            (False, "subtest (i=0) passed"),
            (True, "square=1"),
            (False, "i=1"),
            (False, "subtest (i=1) failed"),
        ]
        assert _footnotes(story) == [
            f"{FOOTNOTE}the failing assertion: assert square != 1 "
            "(test_pm_subtests.py:10 in test_squares)"
        ]


SOURCE_GONE = """
import os

import pytest
from chrono import tp

LIMIT = 10


@pytest.fixture(autouse=True)
def _source_gone():
    # After collection, which checks the file that it imported.
    if os.path.exists(__file__):
        os.remove(__file__)


def test_source_gone():
    total = 7
    tp(LIMIT)
    tp(total)
    assert total == LIMIT


def test_nothing_local_recorded():
    tp(LIMIT)
    assert LIMIT == 11
"""


@pytest.mark.parametrize("mode", BOTH)
class TestSourceUnreadable:
    """With the test file deleted after import, the story is still told, and nothing fails."""

    def test_falls_back_to_the_frames_locals(self, runner: Runner) -> None:
        """The assertion cannot be read: the events named after the frame's locals are marked,
        the others not, and the report has no error of chrono's."""
        runner.pytester.makepyfile(test_pm_gone=SOURCE_GONE)
        result = runner("--color=no")
        result.assert_outcomes(failed=2)
        assert "chrono failed" not in result.stdout.str()
        story = story_of(result, "test_source_gone")
        assert _rows(story) == [(False, "LIMIT=10"), (True, "total=7")]
        assert _footnotes(story) == [
            f"{FOOTNOTE}the failure: names of the local variables where AssertionError was "
            "raised (test_pm_gone.py:20 in test_source_gone)"
        ]
        unmarked = story_of(result, "test_nothing_local_recorded")
        assert _rows(unmarked) == [(False, "LIMIT=10")]
        assert _footnotes(unmarked) == []


PASSING = """
import sys

from chrono import tp


def test_passes():
    total = 1
    tp(total)
    assert total == 1


def test_runs_after_a_passing_test():
    assert "chrono._failure" not in sys.modules
"""


class TestCost:
    """Only a failure pays for reading what it is about."""

    @pytest.mark.parametrize("mode", [SUBPROCESS])
    def test_passing_tests_read_nothing(self, runner: Runner) -> None:
        """A run of passing tests with events never loads the module that reads failures."""
        runner.pytester.makepyfile(test_pm_passing=PASSING)
        runner().assert_outcomes(passed=2)


INVENTORY = """
import threading

from chrono import tp


def restock(sku, qty):
    tp(sku, qty)


def reserve(sku, qty, avail):
    tp(sku, qty)
    if qty > avail:
        raise ValueError(f"only {avail} of {sku}")
    return qty


def test_reserve_more_than_there_is():
    worker = threading.Thread(target=restock, args=("nut", 5))
    worker.start()
    worker.join()
    restock("bolt", 9)
    reserve("bolt", 3, 2)
"""


@pytest.mark.parametrize("mode", BOTH)
class TestMarksStayInTheFailingFrame:
    """The failing frame's local names mark only its own events and its callers', in its
    thread (issue 25's inventory project)."""

    def test_another_functions_and_threads_locals_are_not_marked(self, runner: Runner) -> None:
        """The ValueError in reserve marks reserve's ``sku, qty`` event only: not restock's,
        in the main thread or in another one, though they record the same names."""
        runner.pytester.makepyfile(test_pm_inventory=INVENTORY)
        result = runner("--color=no", "-p", "no:faulthandler")
        result.assert_outcomes(failed=1)
        story = story_of(result, "test_reserve_more_than_there_is")
        assert _marked(story) == ["sku='bolt', qty=3"], story
