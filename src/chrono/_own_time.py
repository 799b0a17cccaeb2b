"""chrono's own time: the spans it spends on one-time work between events, left out of stories.

The first ``tp`` at a call site reads the clock, then finds the call in its source, which can
take milliseconds in a large module (and the first time, importing executing and asttokens).
That work lands between the event and the next one, and a story that showed it would blame the
program for it. So the slow paths note each span of such work here, and a story's displayed
times (``ProgramClock``) leave out the spans inside it, while every event keeps the true clock.

The spans are few (one per call site's first call), so the cost is paid on the slow path only;
the buffered hot path never touches this module.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable, Sequence

#: A span of chrono's own work: ``(start, end)`` on the monotonic clock, in nanoseconds.
Span = tuple[int, int]

_monotonic_ns = time.monotonic_ns
#: Every span noted, in the order they ended (threads may finish out of order).
_spans: list[Span] = []
#: Past this many spans (a program that ``exec``s new code in a loop makes one per call), the
#: oldest half is forgotten: a story that began before them shows that time as the program's
#: again, as if it were never noted; memory stays bounded.
MAX_SPANS = 10_000


def note_since(started_ns: int) -> None:
    """Note that chrono has been busy with its own work from ``started_ns`` until now."""
    spans = _spans
    # An append and a slice deletion are single C calls: atomic under the GIL, no lock.
    spans.append((started_ns, _monotonic_ns()))
    if len(spans) > MAX_SPANS:
        del spans[: MAX_SPANS // 2]


def spans_between(start_ns: int, end_ns: int) -> list[Span]:
    """chrono's own work between ``start_ns`` and ``end_ns``: merged, clipped, in order."""
    inside = [
        (max(start, start_ns), min(end, end_ns))
        for start, end in _spans.copy()
        if end > start_ns and start < end_ns
    ]
    return merged(inside)


def merged(spans: Iterable[Span]) -> list[Span]:
    """The spans sorted, with overlapping ones joined: two threads' lookups at once are one."""
    joined: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if joined and start <= joined[-1][1]:
            if end > joined[-1][1]:
                joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def spans_from_data(raw: Iterable[Sequence[int]] | None) -> list[Span]:
    """Spans read back from a story's plain data (its ``chrono_spans``; absent in older files)."""
    return [(int(start), int(end)) for start, end in raw or ()]


def forget() -> None:
    """Forget every span noted (for tests)."""
    _spans.clear()


class ProgramClock:
    """A story's time as the program lived it: nanoseconds since the story began, less the
    spans chrono spent on its own work before that moment.

    One clock for every thread: chrono's lookups run Python code that holds the GIL most of the
    time, so they delay the whole program, not only the thread that made them. An event another
    thread recorded during a lookup shows at the moment the lookup began.
    """

    def __init__(self, started_ns: int, spans: Iterable[Span]) -> None:
        self.started_ns = started_ns
        kept = merged((max(start, started_ns), end) for start, end in spans)
        self._starts = [start for start, _ in kept]
        self._ends = [end for _, end in kept]
        # The own time of all the spans before each one.
        self._own_before = [0]
        for start, end in kept:
            self._own_before.append(self._own_before[-1] + end - start)

    @property
    def own_ns(self) -> int:
        """How much of the story's time was chrono's own work (left out of ``elapsed``)."""
        return self._own_before[-1]

    def elapsed(self, monotonic_ns: int) -> int:
        """The program's time from the story's start to ``monotonic_ns``, never negative."""
        ended = bisect.bisect_right(self._ends, monotonic_ns)
        own = self._own_before[ended]
        if ended < len(self._starts) and self._starts[ended] < monotonic_ns:
            own += monotonic_ns - self._starts[ended]  # during a span: its part so far
        return max(monotonic_ns - self.started_ns - own, 0)
