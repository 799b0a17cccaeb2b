"""chrono's own time: the spans noted on the slow paths, and the clock that leaves them out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import chrono
from chrono import _own_time
from chrono._own_time import MAX_SPANS, ProgramClock, merged, note_since, spans_between
from helpers import import_source, large_module_source


@pytest.fixture
def no_spans() -> Iterator[None]:
    """Start from no noted spans, and leave none behind."""
    _own_time.forget()
    yield
    _own_time.forget()


class TestProgramClock:
    def test_leaves_out_the_spans_that_ended_before(self) -> None:
        """An event after a span shows its time less the span; one before it, its own time."""
        clock = ProgramClock(1_000, [(2_000, 2_500)])
        assert clock.elapsed(1_500) == 500
        assert clock.elapsed(3_000) == 1_500
        assert clock.own_ns == 500

    def test_an_event_during_a_span_shows_at_its_start(self) -> None:
        """Another thread's event during chrono's lookup shows when the lookup began."""
        clock = ProgramClock(0, [(100, 300)])
        assert clock.elapsed(100) == clock.elapsed(200) == clock.elapsed(300) == 100
        assert clock.elapsed(350) == 150

    def test_overlapping_spans_count_once(self) -> None:
        """Two threads' lookups at once are one span of chrono's time, not two."""
        clock = ProgramClock(0, [(20, 40), (10, 30), (50, 60)])
        assert clock.own_ns == 40
        assert clock.elapsed(100) == 60

    def test_counts_only_what_lies_inside_the_story(self) -> None:
        """Of a span that began before the story, only the part after its start counts."""
        clock = ProgramClock(100, [(0, 150), (10, 20)])
        assert clock.own_ns == 50
        assert clock.elapsed(200) == 50

    def test_never_negative(self) -> None:
        """A moment before the story's start shows as its start."""
        assert ProgramClock(100, []).elapsed(50) == 0


class TestNotedSpans:
    def test_a_new_call_site_notes_its_lookup(self, tmp_path: Path, no_spans: None) -> None:
        """The first tp at a call site notes a span after its event; the next call, none."""
        ledger = import_source(tmp_path, "ledger", large_module_source(methods=10)).Ledger()
        with chrono.story() as story:
            ledger.back_to_back()
        first, second = story.events
        ((start, end),) = story.chrono_spans[:1]
        assert first.monotonic_ns <= start < end <= second.monotonic_ns
        with chrono.story() as again:
            ledger.back_to_back()
        assert again.chrono_spans == []

    def test_spans_between_clips_and_joins(self, no_spans: None) -> None:
        """Only the spans inside the window count, cut at its edges, overlaps joined."""
        for start, end in [(0, 10), (5, 30), (40, 50), (90, 120)]:
            _own_time._spans.append((start, end))
        assert spans_between(8, 100) == [(8, 30), (40, 50), (90, 100)]
        assert merged([(3, 3), (1, 2)]) == [(1, 2)]

    def test_memory_stays_bounded(self, no_spans: None) -> None:
        """Past the bound, the oldest spans are forgotten."""
        now = time.monotonic_ns()
        for _ in range(MAX_SPANS + 1):
            note_since(now)
        assert len(_own_time._spans) <= MAX_SPANS
