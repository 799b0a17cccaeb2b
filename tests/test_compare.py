"""Comparing two stories: alignment by what ran, the divergence's data, its compact form, and
its plain and rich rendering."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from difflib import SequenceMatcher
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import chrono
from chrono import _compare
from chrono._compare import ALIGNMENT_WINDOW, COMPACT_LIMIT_BYTES, closest, compact, compare
from chrono._events import marker_event
from helpers import import_source, run_python

CHECKOUT = """\
import logging

from chrono import tp


class Item:
    def __init__(self, name):
        self.name = name


def total(prices, discount_from=100):
    running = 0
    for price in prices:
        tp(price)
        if price >= discount_from:
            tp("discount", price)
            price = price * 9 // 10
        else:
            tp("full price")
        running += price
        tp(running)
    logging.getLogger("shop").warning("total %s", running)
    return running


def make(name):
    return tp(Item(name))


def one_site(count):
    for _ in range(count):
        tp(1)


def pattern(count, alternating):
    for number in range(count):
        if (number % 2 if alternating else number >= count // 2):
            tp(1)
        else:
            tp(2)
"""


@pytest.fixture
def checkout(workdir: Path) -> ModuleType:
    """The module above, written to the working directory (so call sites read checkout.py)."""
    return import_source(workdir, "checkout", CHECKOUT)


def record(function: Any, *arguments: Any, name: str = "story", **options: Any) -> chrono.Story:
    """The story of one call of ``function``, recorded by real tp calls."""
    with chrono.story(name, **options) as story:
        function(*arguments)
    return story


def renumbered(story: chrono.Story, first: int) -> chrono.Story:
    """``story`` with its events numbered from ``first``, so that its text can be held to an
    exact string (sequence numbers are the process's)."""
    data = story.to_dict()
    for offset, event in enumerate(data["events"]):
        event["seq"] = first + offset
    return chrono.Story.from_dict(data)


def values(pair: _compare.AlignedPair) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The reprs on each side of an aligned pair (None where a side has no event)."""
    return (
        None if pair.a is None else tuple(value for _, value in pair.a.items),
        None if pair.b is None else tuple(value for _, value in pair.b.items),
    )


class TestAlignment:
    def test_identical_stories_run_alike(self, checkout: ModuleType) -> None:
        """Two runs with the same values share every event, and nothing ran on one side only."""
        a = record(checkout.total, [10, 20])
        b = record(checkout.total, [10, 20])
        divergence = compare(a, b)
        assert divergence.same
        assert (divergence.shared, divergence.first, divergence.context) == (7, None, ())
        assert (divergence.only_in_a, divergence.only_in_b) == ((), ())
        assert divergence.closeness == 1.0
        assert divergence.kind is None

    def test_data_divergence_is_the_same_call_site_with_other_values(
        self, checkout: ModuleType
    ) -> None:
        """Another price makes the third event differ in value only: a data divergence, with
        the aligned events after it as context."""
        divergence = compare(
            record(checkout.total, [10, 20, 30]), record(checkout.total, [10, 21, 30])
        )
        assert divergence.shared == 3
        first = divergence.first
        assert first is not None
        assert (first.kind, first.differing, first.differing_names) == ("data", (0,), ("price",))
        assert values(first) == (("20",), ("21",))
        assert [pair.kind for pair in divergence.context] == ["same", "data", "same"]
        assert values(divergence.context[1]) == (("30",), ("31",))
        assert (divergence.only_in_a, divergence.only_in_b) == ((), ())

    def test_past_a_difference_of_input_the_first_that_matters(self, checkout: ModuleType) -> None:
        """Another price is the test's input: the divergence also names the first difference
        past it that is not input (here another call site), and its context follows that."""
        divergence = compare(
            record(checkout.total, [10, 20, 30]), record(checkout.total, [10, 120, 30])
        )
        first, after = divergence.first, divergence.after_input
        assert first is not None
        assert after is not None
        assert _compare.is_input(first)
        assert values(first) == (("20",), ("120",))
        assert after.kind == "control"
        assert (after.a and after.a.label, after.b and after.b.label) == ("full price", "discount")
        assert not divergence.only_input
        assert values(divergence.context[0]) == (("30",), ("118",))
        text = divergence.text(width=80)
        assert "They differ first by input: same call site, other values (price)." in text
        assert "Past the input, the control flow diverged: another call site." in text
        assert divergence.to_dict()["after_input"]["kind"] == "control"

    def test_a_condition_is_never_input(self, checkout: ModuleType) -> None:
        """A differing True or False is an outcome: the first difference, with no search past
        it; and a lone value that differs with nothing after it is no input either."""
        failing = record(checkout.one_site, 2).to_dict()
        passing = record(checkout.one_site, 2).to_dict()
        for story, (one, other) in ((failing, ("True", "5")), (passing, ("False", "6"))):
            story["events"][0]["items"] = [["x > limit", one]]
            story["events"][1]["items"] = [["x", other]]
        conditions = compare(failing, passing)
        assert conditions.first is not None
        assert not _compare.is_input(conditions.first)
        assert conditions.after_input is None
        failing = record(checkout.one_site, 1).to_dict()
        passing = record(checkout.one_site, 1).to_dict()
        passing["events"][0]["items"] = [["1", "2"]]
        lone = compare(failing, passing)
        assert lone.kind == "data"
        assert (lone.after_input, lone.only_input) == (None, False)
        assert "The data diverged" in lone.text(width=80)

    def test_an_outcome_is_never_input(self) -> None:
        """A value the failure is known to turn on (the top suspect's item) is no input, though
        it is no condition: the first difference is told as it is."""

        def story(name: str, year: str, p: str) -> dict[str, Any]:
            rows = [
                ["tp", 0, 87, "easter", None, [["year", year], ["p", p]], 1, "T"],
                ["tp", 0, 89, "easter", None, [["d", str(int(p) + 10)]], 2, "T"],
            ]
            return {"schema": "chrono.compact/1", "name": name, "files": ["e.py"], "events": rows}

        failing, passing = story("a", "1991", "3"), story("b", "1990", "18")
        assert compare(failing, passing).only_input
        found = closest(failing, [passing], outcomes={("e.py", 87, "p")})
        assert found is not None
        divergence = found[1]
        assert (divergence.only_input, divergence.after_input) == (False, None)
        assert "The data diverged: same call site, other values (year, p)." in divergence.text(
            width=80
        )

    def test_control_divergence_is_another_call_site(self, checkout: ModuleType) -> None:
        """A price over the discount threshold takes the other branch: a control divergence
        pairing the two branches' events, and each branch ran only on its side."""
        divergence = compare(
            record(checkout.total, [10, 50], 40), record(checkout.total, [10, 50], 100)
        )
        assert divergence.shared == 4
        first = divergence.first
        assert first is not None
        assert first.kind == "control"
        assert first.a is not None
        assert first.b is not None
        assert (first.a.label, first.b.label) == ("discount", "full price")
        assert divergence.ended is None
        assert [(site.line, site.function, site.count) for site in divergence.only_in_a] == [
            (16, "total", 1)
        ]
        assert [(site.line, site.count) for site in divergence.only_in_b] == [(19, 1)]

    def test_a_loop_that_ran_once_more_is_one_insertion(self, checkout: ModuleType) -> None:
        """An extra pass of the loop is reported as events only the longer side ran; the log
        record after the loop stays aligned with its counterpart, not shifted."""
        a = record(checkout.total, [10, 20, 30])
        b = record(checkout.total, [10, 20, 30, 0])
        divergence = compare(a, b, names=("failing", "passing"))
        assert divergence.shared == 9
        first = divergence.first
        assert first is not None
        assert (first.kind, first.a) == ("control", None)
        assert values(first) == (None, ("0",))
        assert [(pair.a is None, pair.kind) for pair in divergence.context] == [
            (True, "control"),
            (True, "control"),
            (False, "same"),
        ]
        last = divergence.context[-1]
        assert last.a is not None
        assert last.a.kind == "log"
        assert divergence.only_in_a == ()
        assert [(site.line, site.count) for site in divergence.only_in_b] == [
            (14, 1),
            (19, 1),
            (21, 1),
        ]
        assert divergence.ended is None
        assert "The control flow diverged: passing ran more here." in divergence.text(width=80)

    def test_one_side_empty(self, checkout: ModuleType) -> None:
        """Against a story with no events, the other differs from its first event and the
        empty side is the one that ended."""
        empty = record(lambda: None)
        full = record(checkout.total, [10])
        divergence = compare(empty, full, names=("failing", "passing"))
        assert (divergence.shared, divergence.ended) == (0, "failing")
        first = divergence.first
        assert first is not None
        assert (first.a, first.kind) == (None, "control")
        assert divergence.b.events == 4
        text = divergence.text(width=80)
        assert "failing and passing differ from their first event (of 0 and 4)." in text
        assert "failing ended here, passing ran on" in text
        assert compare(empty, record(lambda: None)).same

    def test_dropped_events_are_noted(self, checkout: ModuleType) -> None:
        """When a story's bound dropped events, the divergence says so, and that what they share
        is counted over the events kept."""
        a = record(checkout.total, list(range(40)), max_events=20)
        b = record(checkout.total, list(range(40)), max_events=20)
        divergence = compare(a, b)
        assert divergence.same
        assert divergence.dropped
        assert (divergence.a.dropped, divergence.a.events) == (a.dropped, 20)
        assert "counts kept events only" in divergence.text(width=80)

    def test_events_after_a_gap_are_not_taken_for_their_namesakes(
        self, checkout: ModuleType
    ) -> None:
        """Where one story dropped its middle, its first event after the gap is not paired with
        the other story's event that happens to have run as often: the control flow diverged
        there, and the text says that events were dropped just before it."""
        prices = list(range(40))
        bounded = record(checkout.total, prices, max_events=20)
        whole = record(checkout.total, prices)
        divergence = compare(bounded, whole, names=("bounded", "whole"))
        assert divergence.a.gaps == (4,)
        assert divergence.shared == 4
        first = divergence.first
        assert first is not None
        assert first.kind == "control"
        assert "Just before it, bounded dropped events." in " ".join(divergence.text().split())
        assert divergence.only_in_a == ()

    def test_log_records_are_compared_by_logger_level_and_message(
        self, checkout: ModuleType
    ) -> None:
        """A log record's message is its value: the same record with another total is a data
        divergence on the message."""
        a = record(checkout.total, [10, 20, 30])
        b = record(checkout.total, [10, 20, 30])
        b_data = b.to_dict()
        log = b_data["events"][-1]
        assert (log["kind"], log["items"]) == ("log", [["shop", "total 60"]])
        log["items"] = [["shop", "total 61"]]
        divergence = compare(a, b_data)
        first = divergence.first
        assert first is not None
        assert (first.kind, first.differing, divergence.shared) == ("data", (0,), 9)
        assert "other values (message)" in divergence.text(width=80)

    def test_subtest_markers_are_left_out(self, checkout: ModuleType) -> None:
        """A subtest's marker in one story only does not make the stories differ."""
        with chrono.story() as a:
            checkout.total([10])
            a.add(marker_event("subtest one", "test_x.py", 3, "test_x"))
            checkout.total([20])
        with chrono.story() as b:
            checkout.total([10])
            checkout.total([20])
        divergence = compare(a, b)
        assert divergence.same
        assert divergence.a.events == 8

    def test_memory_addresses_are_masked(self, checkout: ModuleType) -> None:
        """Two runs' default reprs differ only by address: the same value."""
        kept: list[object] = []  # both items alive at once, so their addresses differ
        a = record(lambda: kept.append(checkout.make("tea")))
        b = record(lambda: kept.append(checkout.make("tea")))
        (event_a,), (event_b,) = a.events, b.events
        assert " at 0x" in event_a.items[0][1]
        assert event_a.items[0][1] != event_b.items[0][1]
        assert compare(a, b).same

    def test_values_that_differ_by_nature_are_the_same(self, tmp_path: Path) -> None:
        """A log message with an id(), a temporary path and a time differs in every run: two
        runs whose messages differ only there ran alike; another word still differs."""

        def logged(data: object, word: str) -> chrono.Story:
            with chrono.story("run") as story:
                path = tmp_path / f"run-{id(data)}" / "data.txt"
                message = "%s saved %s to %s at %s"
                logging.getLogger("store").warning(message, word, id(data), path, time.ctime())
            return story

        first, second = object(), object()
        assert compare(logged(first, "Alice"), logged(second, "Alice")).same
        assert compare(logged(first, "Alice"), logged(second, "Bob")).kind == "data"

    def test_a_story_and_its_plain_data_compare_alike(self, checkout: ModuleType) -> None:
        """Either side may be a Story, its to_dict() data, its JSON loaded, or its compact form."""
        a = record(checkout.total, [10, 20])
        b = record(checkout.total, [10, 25])
        expected = compare(a, b)
        for side_a in (a.to_dict(), json.loads(a.to_json()), compact(a)):
            divergence = compare(side_a, b)
            assert (divergence.shared, divergence.kind) == (expected.shared, expected.kind)
            assert divergence.first is not None
            assert expected.first is not None
            assert values(divergence.first) == values(expected.first)

    def test_default_names_are_the_stories_names(self, checkout: ModuleType) -> None:
        """Two stories of other names are called by them; stories of one name are first and
        second."""
        a = record(checkout.total, [10], name="test_total[10]")
        b = record(checkout.total, [20], name="test_total[20]")
        assert (compare(a, b).a.name, compare(a, b).b.name) == ("test_total[10]", "test_total[20]")
        assert (compare(a, a).a.name, compare(a, a).b.name) == ("first", "second")

    def test_wrong_input_is_one_clear_value_error(self, checkout: ModuleType) -> None:
        """Anything but a story, its data or its compact form is a ValueError naming what was
        expected; a story's data with missing keys is one too."""
        story = record(checkout.total, [10])
        with pytest.raises(
            ValueError, match=r"chrono.compare: the first story must be a chrono Story"
        ):
            compare(42, story)
        with pytest.raises(
            ValueError, match=r"the second story must be .* not a mapping with schema 'x/1'"
        ):
            compare(story, {"schema": "x/1"})
        with pytest.raises(ValueError, match=r"the second story is not a valid story \(KeyError"):
            compare(story, {"schema": "chrono.story/1"})


def validate_divergence(data: dict[str, Any]) -> None:
    """Hold ``data`` to the divergence's definition in the shipped story schema."""
    import jsonschema

    from chrono.export import story_schema

    schema = story_schema()
    definition = {"$ref": "#/$defs/divergence", "$defs": schema["$defs"]}
    jsonschema.Draft202012Validator(definition).validate(data)


class TestToDict:
    def test_control_divergence_as_plain_data(self, checkout: ModuleType) -> None:
        """to_dict() survives JSON and holds both sides, the first pair's events (seq, call
        site, label, items), the context, what ran on one side only and the closeness."""
        failing = record(checkout.total, [10, 50], 40, name="failing")
        passing = record(checkout.total, [10, 50], 100, name="passing")
        divergence = compare(failing, passing)
        data = json.loads(json.dumps(divergence.to_dict()))
        validate_divergence(data)
        assert data["schema"] == "chrono.divergence/1"
        assert data["a"] == {
            "name": "failing",
            "events": divergence.a.events,
            "dropped": 0,
            "wall": divergence.a.wall,
            "gaps": [],
        }
        assert data["b"]["name"] == "passing"
        assert (data["same"], data["shared"], data["kind"], data["ended"]) == (
            False,
            4,
            "control",
            None,
        )
        first = data["first"]
        assert first is not None
        assert divergence.first is not None
        assert divergence.first.a is not None
        assert (first["kind"], first["differing"]) == ("control", [])
        assert first["a"] == {
            "seq": divergence.first.a.seq,
            "kind": "tp",
            "file": divergence.first.a.file,
            "line": 16,
            "function": "total",
            "label": "discount",
            "items": [["price", "50"]],
            "thread": "MainThread",
        }
        assert first["b"]["label"] == "full price"
        assert [pair["kind"] for pair in data["context"]] == [
            pair.kind for pair in divergence.context
        ]
        assert data["only_in_a"] == [
            {"file": divergence.first.a.file, "line": 16, "function": "total", "count": 1}
        ]
        assert [site["line"] for site in data["only_in_b"]] == [19]
        assert data["closeness"] == divergence.closeness

    def test_data_divergence_names_the_differing_items(self, checkout: ModuleType) -> None:
        """A data divergence's pairs carry the indexes of the items whose values differ."""
        divergence = compare(
            record(checkout.total, [10, 20, 30]), record(checkout.total, [10, 21, 30])
        )
        data = divergence.to_dict()
        validate_divergence(data)
        assert data["first"]["differing"] == [0]
        assert (data["first"]["a"]["items"], data["first"]["b"]["items"]) == (
            [["price", "20"]],
            [["price", "21"]],
        )
        assert [(pair["kind"], pair["differing"]) for pair in data["context"]] == [
            ("same", []),
            ("data", [0]),
            ("same", []),
        ]

    def test_a_side_with_nothing_here_is_null(self, checkout: ModuleType) -> None:
        """Where one side's story ended, its event is null and ended names that side."""
        divergence = compare(
            record(lambda: None), record(checkout.total, [10]), names=("failing", "passing")
        )
        data = divergence.to_dict()
        validate_divergence(data)
        assert (data["first"]["a"], data["ended"], data["a"]["events"]) == (None, "failing", 0)

    def test_stories_that_ran_alike(self, checkout: ModuleType) -> None:
        """Two stories that ran alike: same, no first pair, no context."""
        data = compare(record(checkout.total, [1]), record(checkout.total, [1])).to_dict()
        validate_divergence(data)
        assert (data["same"], data["first"], data["context"], data["kind"]) == (
            True,
            None,
            [],
            None,
        )
        assert data["closeness"] == 1.0


class TestBoundedWork:
    def test_ten_thousand_events_align_in_a_bounded_window(
        self, checkout: ModuleType, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two 10,000-event stories, a loop's and a pathological pair that makes difflib
        quadratic when unbounded (over ten seconds), are aligned by matchers that never see
        more than ALIGNMENT_WINDOW events a side. (Their time is benchmarks/bench_compare.py's.)"""
        seen: list[tuple[int, int]] = []

        class CountingMatcher(SequenceMatcher):  # type: ignore[type-arg]
            def set_seqs(self, a: Any, b: Any) -> None:
                seen.append((len(a), len(b)))
                super().set_seqs(a, b)

        monkeypatch.setattr(_compare, "SequenceMatcher", CountingMatcher)
        a = record(checkout.total, list(range(3333)), max_events=20_000)
        b = record(checkout.total, [*range(1000), 5000, *range(1000, 3333)], max_events=20_000)
        assert compare(a, b).shared == 3000
        one = record(checkout.pattern, 10_000, True, max_events=20_000)
        other = record(checkout.pattern, 10_000, False, max_events=20_000)
        assert len(one.events) == len(other.events) == 10_000
        compare(one, other)
        assert seen
        assert max(max(sides) for sides in seen) <= ALIGNMENT_WINDOW


class TestClosest:
    def test_the_closest_candidate_wins(self, checkout: ModuleType) -> None:
        """Of three passing runs, the one that differs from the failing run in one value is
        chosen over one that took another branch and one that ran a different loop."""
        failing = record(checkout.total, [10, 20, 30, 40])
        candidates = [
            record(checkout.total, [10, 200, 30, 40]),
            record(checkout.total, [10, 20, 30, 41]),
            record(checkout.one_site, 8),
        ]
        found = closest(failing, candidates, names=("failing", "passing"))
        assert found is not None
        index, divergence = found
        assert index == 1
        assert divergence.b.name == "passing"
        assert divergence.shared == 9
        assert closest(failing, []) is None

    def test_closeness_orders_by_how_much_ran_alike(self, checkout: ModuleType) -> None:
        """Closeness is 1 for the same run, lower for other values, lower still for other
        call sites, and 0 for nothing in common."""
        base = record(checkout.total, [10, 20, 30])
        same = compare(base, record(checkout.total, [10, 20, 30])).closeness
        other_values = compare(base, record(checkout.total, [10, 20, 31])).closeness
        other_branch = compare(base, record(checkout.total, [10, 200, 30])).closeness
        nothing = compare(base, record(checkout.one_site, 3)).closeness
        assert same == 1.0 > other_values > other_branch > nothing == 0.0

    def test_order_counts(self) -> None:
        """The same calls with the same values in another order are not as close as the
        same order."""
        forward = hand_built([(0, 0, "1"), (1, 0, "1")])
        backward = hand_built([(1, 0, "1"), (0, 0, "1")])
        divergence = compare(forward, backward)
        assert not divergence.same
        assert divergence.closeness < 1.0


class TestCompact:
    def test_round_trip_through_json(self, checkout: ModuleType) -> None:
        """The compact form survives JSON unchanged and compares as the story does."""
        story = record(checkout.total, [10, 20], name="test_total")
        data = compact(story)
        assert json.loads(json.dumps(data)) == data
        assert data["schema"] == "chrono.compact/1"
        first = dict(zip(_compare.COMPACT_EVENT_FIELDS, data["events"][0]))
        assert first["items"] == [["price", "10"]]
        assert data["files"][first["file"]] == story.events[0].file
        assert (data["name"], data["dropped"], data["cut"]) == ("test_total", 0, 0)
        assert abs(data["wall"] - story.events[0].wall) < 1.0
        assert compare(data, story).same
        assert compact(data) == data

    def test_a_lone_surrogate_is_escaped(self) -> None:
        """A label holding a lone surrogate (reprs never do) becomes writable UTF-8, and the
        story still compares alike with its compact form."""
        price = 10
        with chrono.story() as story:
            chrono.tp("bad \ud800 label", price)
        data = compact(story)
        json.dumps(data, ensure_ascii=False).encode("utf-8")
        assert data["events"][0][4] == "bad \\ud800 label"
        assert compare(data, story).same

    def test_long_reprs_are_cut_to_the_bound(self, checkout: ModuleType) -> None:
        """Reprs are kept up to the fixed bound; values that differ only past it compare alike."""
        a = record(checkout.total, [10**300])
        b = record(checkout.total, [10**300 + 1])
        data = compact(a)
        kept = data["events"][0][5][0][1]
        assert len(kept) == _compare.COMPACT_REPR_LIMIT + 1
        assert kept.endswith("…")
        assert compare(a, b).same

    def test_bounded_to_64_kb_keeping_first_and_last(self, checkout: ModuleType) -> None:
        """A story too big for the bound keeps its first and last events, says how many were
        cut, and is at most 64 KB as pytest's cache writes it."""
        story = record(checkout.total, [10**150 + n for n in range(2000)], max_events=20_000)
        data = compact(story)
        # As pytest's cache writes it: the file in .pytest_cache is no bigger.
        size = len(json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
        assert size == _compare.compact_size(data) <= COMPACT_LIMIT_BYTES
        assert size > COMPACT_LIMIT_BYTES * 0.9
        events = story.events
        assert data["cut"] == len(events) - len(data["events"]) > 0
        assert data["events"][0][6] == events[0].seq
        assert data["events"][-1][6] == events[-1].seq
        head = data["cut_at"]
        assert data["events"][head][6] == events[head + data["cut"]].seq
        divergence = compare(data, story)
        assert divergence.a.dropped == data["cut"]
        assert divergence.a.gaps == (head,)
        assert divergence.shared == head
        assert divergence.kind == "control"


class TestText:
    def data_divergence(self, checkout: ModuleType) -> _compare.Divergence:
        a = renumbered(record(checkout.total, [10, 20, 30]), 1)
        b = renumbered(record(checkout.total, [10, 21, 30]), 101)
        return compare(a, b, names=("failing", "passing"))

    def test_eighty_columns(self, checkout: ModuleType) -> None:
        """At 80 columns the pair and its context sit side by side, each call site above what
        the event says. Another price, and only the values computed from it, is input only."""
        assert self.data_divergence(checkout).text(width=80) == (
            "failing and passing share their first 3 events (of 10 and 10).\n"
            "They differ first by input: same call site, other values (price).\n"
            "  failing                               │ passing\n"
            "  #4 checkout.py:14 in total            │ #104 checkout.py:14 in total\n"
            "    price=20                            │   price=21\n"
            "After it they differ only by input: the same calls ran, and no condition (True\n"
            "or False) went the other way.\n"
            "then:\n"
            "  #5 checkout.py:19 in total            │ #105 checkout.py:19 in total\n"
            "    full price                          │   full price\n"
            "  #6 checkout.py:21 in total            │ #106 checkout.py:21 in total\n"
            "    running=30                          │   running=31\n"
            "  #7 checkout.py:14 in total            │ #107 checkout.py:14 in total\n"
            "    price=30                            │   price=30"
        )

    def test_one_hundred_twenty_columns_and_only_in(self, checkout: ModuleType) -> None:
        """At 120 columns, a control divergence: the side that ran more, then the call sites
        that ran on one side only, with counts."""
        a = renumbered(record(checkout.total, [10]), 1)
        b = renumbered(record(checkout.total, [10, 0]), 11)
        text = compare(a, b, names=("failing", "passing"), context=1).text(width=120)
        # At 120 columns each side's cell is 57 wide: two spaces, the cell, " │ ", the cell.
        assert text.splitlines() == [
            "failing and passing share their first 3 events (of 4 and 7).",
            "The control flow diverged: passing ran more here.",
            f"  {'failing':57} │ passing",
            f"  {'(nothing here)':57} │ #14 checkout.py:14 in total",
            f"  {'':57} │   price=0",
            "then:",
            f"  {'(nothing here)':57} │ #15 checkout.py:19 in total",
            f"  {'':57} │   full price",
            "ran only in passing: checkout.py:14 in total ×1",
            "ran only in passing: checkout.py:19 in total ×1",
            "ran only in passing: checkout.py:21 in total ×1",
        ]

    def test_a_file_reads_the_same_beside_and_below(self, workdir: Path) -> None:
        """A file whose path is too long for the side-by-side cells but not for the lines of
        call sites that ran on one side only is shortened the same way in both."""
        folder = workdir / "shop_code_v2"
        folder.mkdir()
        module = import_source(folder, "checkout", CHECKOUT)
        a = renumbered(record(module.total, [10]), 1)
        b = renumbered(record(module.total, [10, 0]), 11)
        lines = compare(a, b, names=("failing", "passing"), context=1).text(width=80).splitlines()
        assert "  (nothing here)                        │ #14 checkout.py:14 in total" in lines
        assert [line for line in lines if line.startswith("ran only in")] == [
            "ran only in passing: checkout.py:14 in total ×1",
            "ran only in passing: checkout.py:19 in total ×1",
            "ran only in passing: checkout.py:21 in total ×1",
        ]

    def test_narrow_lines_put_one_side_above_the_other(self, checkout: ModuleType) -> None:
        """Below the width two columns need, each side's cell is labelled with its name and
        stacked, and no line is wider than asked (the summary wraps)."""
        text = self.data_divergence(checkout).text(width=60)
        assert "│" not in text
        assert "  failing  #4 checkout.py:14 in total\n             price=20\n" in text
        assert "  passing  #104 checkout.py:14 in total\n             price=21\n" in text
        assert max(len(line) for line in text.splitlines()) <= 60

    def test_long_names_keep_their_end_in_the_column_heads(self, checkout: ModuleType) -> None:
        """A test id too long for its column keeps its end, where its parameters are."""
        a = record(checkout.total, [10], name="tests/test_checkout.py::test_total[ten pounds]")
        b = record(checkout.total, [11], name="tests/test_checkout.py::test_total[eleven pounds]")
        heads = next(line for line in compare(a, b).text(width=80).splitlines() if "│" in line)
        assert (
            heads
            == "  …_checkout.py::test_total[ten pounds] │ …eckout.py::test_total[eleven pounds]"
        )

    @staticmethod
    def logpoint_story(name: str, value: str) -> dict[str, Any]:
        """A one-event story (compact form) at a logpoint of a long qualified name, with a
        long value after the one that differs."""
        sentence = "the quick brown fox jumps over the lazy dog and keeps running past the end"
        items = [["qty >= avail", value], ["note", sentence]]
        function = "LongishClassName.long_method_name (logpoint)"
        return {
            "schema": "chrono.compact/1",
            "name": name,
            "files": ["/project/inventory/stock_levels.py"],
            "events": [["tp", 0, 12, function, None, items, 1, "MainThread"]],
        }

    def test_a_long_call_site_keeps_the_columns_aligned(self) -> None:
        """A call site longer than its cell (a logpoint's) is folded inside it, so the column
        rule stays in one place on every line, and values break between words."""
        divergence = compare(
            self.logpoint_story("failing", "True"), self.logpoint_story("passing", "False")
        )
        lines = divergence.text(width=80).splitlines()
        assert lines[2:] == [
            "  failing                               │ passing",
            "  #1 stock_levels.py:12 in              │ #1 stock_levels.py:12 in",
            "  ….long_method_name (logpoint)         │ ….long_method_name (logpoint)",
            "    qty >= avail=True, note=the quick   │   qty >= avail=False, note=the quick",
            "    brown fox jumps over the lazy dog   │   brown fox jumps over the lazy dog",
            "    and keeps running past the end      │   and keeps running past the end",
        ]

    def test_a_narrow_line_stacks_and_wraps_between_words(self) -> None:
        """At 50 columns the sides are stacked, no line is wider than 50, and no word is cut."""
        divergence = compare(
            self.logpoint_story("failing", "True"), self.logpoint_story("passing", "False")
        )
        lines = divergence.text(width=50).splitlines()
        assert "│" not in "".join(lines)
        assert max(len(line) for line in lines) <= 50
        words = {"quick", "brown", "fox", "jumps", "over", "lazy", "keeps", "running", "past"}
        assert words <= {word for line in lines for word in line.split()}

    def test_a_word_longer_than_half_the_line_is_cut_where_the_line_ends(self) -> None:
        """A word with no room to break before it is cut at the cell's edge; the next breaks
        at its space, which is left out, and each piece keeps its style."""
        from chrono.render import _fold

        assert _fold([("x" * 25, None), (" short", "name")], 10) == [
            [("x" * 10, None)],
            [("x" * 10, None)],
            [("xxxxx", None)],
            [("short", "name")],
        ]

    def test_same_stories_say_so_in_one_line(self, checkout: ModuleType) -> None:
        """Stories that ran alike are told in one line."""
        a = record(checkout.total, [10])
        assert compare(a, a, names=("failing", "passing")).text(width=80) == (
            "failing and passing ran alike: 4 events, the same call sites and values."
        )

    def test_rich_rendering_highlights_the_differing_value(self, checkout: ModuleType) -> None:
        """Through rich, the text is the same and the differing values stand out in bold red."""
        divergence = self.data_divergence(checkout)
        plain = io.StringIO()
        Console(file=plain, width=80, color_system=None).print(divergence)
        assert plain.getvalue().rstrip("\n") == divergence.text(width=80)
        coloured = io.StringIO()
        Console(file=coloured, width=80, color_system="standard", force_terminal=True).print(
            divergence
        )
        assert re.search(r"\x1b\[1;31m20 *\x1b\[0m", coloured.getvalue())
        assert re.search(r"\x1b\[1;31m21 *\x1b\[0m", coloured.getvalue())


class TestPublicName:
    def test_compare_is_public_and_loaded_on_first_use(self, tmp_path: Path) -> None:
        """chrono.compare and chrono.Divergence are listed in __all__, and importing chrono
        does not import the comparison until it is used."""
        assert {"compare", "Divergence"} <= set(chrono.__all__)
        assert chrono.compare is compare
        result = run_python(
            "-c",
            "import sys, chrono; print('chrono._compare' in sys.modules);"
            " chrono.compare; print('chrono._compare' in sys.modules)",
            cwd=tmp_path,
        )
        assert result.stdout.split() == ["False", "True"]


SITES = [("shop.py", 10, "total"), ("shop.py", 12, "total"), ("cart.py", 3, "Cart.add")]


def hand_built(steps: list[tuple[int, int, str]]) -> dict[str, Any]:
    """A story's plain data from ``(site, kind, value)`` steps: kind 0 a tp call, 1 a log
    record, 2 a subtest marker."""
    kinds = ["tp", "log", "subtest"]
    events = []
    for seq, (site, kind, value) in enumerate(steps, 1):
        file, line, function = SITES[site]
        items = [["shop", value]] if kind == 1 else [["x", value]] if kind == 0 else []
        events.append(
            {
                "seq": seq,
                "file": file,
                "line": line,
                "function": function,
                "label": "WARNING" if kind == 1 else None,
                "items": items,
                "kind": kinds[kind],
            }
        )
    return {"schema": "chrono.story/1", "name": None, "dropped": 0, "events": events}


STEPS = st.lists(
    st.tuples(
        st.integers(0, len(SITES) - 1),
        st.integers(0, 2),
        st.sampled_from(["1", "2", "<A object at 0x7f00aa00bb00>", "é\u2028", "x" * 300]),
    ),
    max_size=30,
)


class TestProperties:
    @settings(max_examples=150, deadline=None)
    @given(STEPS, STEPS, st.integers(0, 200))
    def test_never_raises_and_agrees_with_itself(
        self, steps_a: list[tuple[int, int, str]], steps_b: list[tuple[int, int, str]], width: int
    ) -> None:
        """Any two valid stories compare without raising and render at any width; a story is
        the same as itself; what they share never exceeds either; the compact form compares
        as the story does."""
        a, b = hand_built(steps_a), hand_built(steps_b)
        divergence = compare(a, b)
        assert divergence.shared <= min(divergence.a.events, divergence.b.events)
        assert 0.0 <= divergence.closeness <= 1.0
        assert divergence.same == (divergence.closeness == 1.0)
        divergence.text(width=width)
        assert compare(a, a).same
        again = compare(compact(a), compact(b))
        assert (again.same, again.shared, again.kind) == (
            divergence.same,
            divergence.shared,
            divergence.kind,
        )


# -- call sites an edit moved ---------------------------------------------------------------------


def _story_at(name: str, *sites: tuple[int, str, str]) -> dict[str, Any]:
    """A compact story of ``tp`` calls in app.py's ``run``: (line, argument text, value)."""
    rows = tuple(
        ("tp", 0, line, "run", None, ((text, value),), seq, "MainThread")
        for seq, (line, text, value) in enumerate(sites, 1)
    )
    return _compare.compact_of_rows(name, (("app.py",), rows))


def _source(lines: dict[int, str]) -> Any:
    """``moved_sites``' reader of the source as it is now: app.py's lines by number."""
    return lambda file, line: lines.get(line, "") if file == "app.py" else ""


def _moves(now: dict[str, Any], before: dict[str, Any], source: Any) -> dict[Any, int]:
    return _compare.moved_sites(
        _compare.load(now, "now").events, _compare.load(before, "before").events, source
    )


class TestMovedSites:
    """A call site that an edit moved (a line added above it) is the same site in the last pass
    as in this run; a second call alike that still stands at its line is not."""

    # Now: a line was added above both calls, so tp(total) went from 10 to 11, tp(n) from 12
    # to 13; the source now has other code at 10 and 12.
    NOW: ClassVar[dict[int, str]] = {
        10: "    items = load()",
        11: "    tp(total)",
        12: "    n = len(items)",
        13: "    tp(n)",
    }

    def test_moved_calls_are_paired_by_line(self) -> None:
        before = _story_at("before", (10, "total", "3"), (12, "n", "2"))
        now = _story_at("now", (11, "total", "4"), (13, "n", "2"))
        divergence, moved = _compare.compare_moved(now, before, _source(self.NOW))
        assert moved == {("app.py", 10): 11, ("app.py", 12): 13}
        assert divergence.shared == 0
        assert divergence.kind == "data"
        assert divergence.first is not None
        assert divergence.first.a is not None
        assert divergence.first.b is not None
        # Each side keeps its own line; only the alignment takes them for one site.
        assert (divergence.first.a.line, divergence.first.b.line) == (11, 10)
        assert divergence.only_in_a == divergence.only_in_b == ()

    def test_without_the_moves_it_reads_as_other_call_sites(self) -> None:
        before = _story_at("before", (10, "total", "3"), (12, "n", "2"))
        now = _story_at("now", (11, "total", "4"), (13, "n", "2"))
        divergence = compare(now, before)
        assert divergence.kind == "control"
        assert len(divergence.only_in_a) == len(divergence.only_in_b) == 2

    def test_a_call_still_at_its_line_is_another_site(self) -> None:
        """tp(total) at 10 and again at 20: the last pass ran the first, this run the second,
        and the source still has tp(total) at 10. That is control flow, not a move."""
        source = _source({10: "    tp(total)", 20: "        tp(total)"})
        before = _story_at("before", (10, "total", "3"))
        now = _story_at("now", (20, "total", "3"))
        assert _moves(now, before, source) == {}

    def test_unequal_counts_are_not_paired(self) -> None:
        before = _story_at("before", (10, "total", "3"))
        now = _story_at("now", (11, "total", "3"), (13, "total", "4"))
        assert _moves(now, before, _source(self.NOW)) == {}

    def test_source_that_cannot_be_read_moves_nothing(self) -> None:
        before = _story_at("before", (10, "total", "3"))
        now = _story_at("now", (11, "total", "3"))
        assert _moves(now, before, lambda file, line: "") == {}

    def test_other_argument_texts_are_other_calls(self) -> None:
        before = _story_at("before", (10, "total", "3"))
        now = _story_at("now", (11, "subtotal", "3"))
        assert _moves(now, before, _source(self.NOW)) == {}
