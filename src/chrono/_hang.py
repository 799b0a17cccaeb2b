"""Where a running story stood at a moment someone asked: a timeout, a watchdog, a signal.

Plain data and plain text: each thread's innermost frames (``Standing``), and the last event
the story's own thread recorded, which the thread is "still running after". The pytest side
(``_pytest_hangs``) decides when to ask; a story draws itself as ever.
"""

from __future__ import annotations

import dataclasses
import linecache
import sys
import threading
from collections.abc import Collection, Mapping, Sequence
from types import FrameType, TracebackType

from chrono._events import Event
from chrono._sites import reader_path, site_text
from chrono._text import for_terminal
from chrono._values import counted

#: How many frames of each thread are shown, innermost first.
FRAMES_SHOWN = 3

#: How chrono's own threads are named (the flight recorder, the watchdog): where threads
#: stood, they are left out.
OWN_THREAD_PREFIX = "chrono "

#: (file, line, function, source line) of one frame.
FrameLine = tuple[str, int, str, str]


@dataclasses.dataclass(frozen=True)
class Standing:
    """Where one thread stood: its name, its id, and its innermost frames (innermost first)."""

    thread: str
    ident: int
    frames: tuple[FrameLine, ...]


def innermost_frames(frame: FrameType | None, depth: int = FRAMES_SHOWN) -> tuple[FrameLine, ...]:
    """The ``depth`` innermost frames from ``frame`` outwards, chrono's own left out."""
    lines: list[FrameLine] = []
    while frame is not None and len(lines) < depth:
        code = frame.f_code
        if not frame.f_globals.get("__name__", "").startswith("chrono."):
            line = frame.f_lineno or 0
            source = linecache.getline(code.co_filename, line).strip()
            lines.append((code.co_filename, line, code.co_name, source))
        frame = frame.f_back
    return tuple(lines)


def traceback_frames(
    tb: TracebackType | None, stop_at_module: str, depth: int = FRAMES_SHOWN
) -> tuple[FrameLine, ...]:
    """The ``depth`` innermost frames of a traceback, up to the first frame of the module
    ``stop_at_module`` (the signal handler that raised), innermost first, chrono's own left
    out. Lines are the traceback's: the frames themselves ran on (their ``finally`` blocks)
    while the exception went up."""
    entries: list[FrameLine] = []
    while tb is not None:
        frame = tb.tb_frame
        module = frame.f_globals.get("__name__", "")
        if module == stop_at_module:
            break
        if not module.startswith("chrono."):
            code = frame.f_code
            line = tb.tb_lineno or 0
            source = linecache.getline(code.co_filename, line).strip()
            entries.append((code.co_filename, line, code.co_name, source))
        tb = tb.tb_next
    return tuple(reversed(entries[-depth:]))


def standings(
    *,
    leave_out: Collection[int] = (),
    known: Mapping[int, tuple[FrameLine, ...]] | None = None,
) -> list[Standing]:
    """Where each thread of the process stands now, the main thread first, the threads in
    ``leave_out`` (the one asking) left out; for the threads in ``known``, the frames given."""
    frames = sys._current_frames()
    known = known or {}
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    main = threading.main_thread().ident
    found = [
        Standing(
            names.get(ident, f"thread {ident}"),
            ident,
            known[ident] if ident in known else innermost_frames(frame),
        )
        for ident, frame in frames.items()
        if ident not in leave_out and not names.get(ident, "").startswith(OWN_THREAD_PREFIX)
    ]
    found.sort(key=lambda standing: (standing.ident != main, standing.thread))
    return found


def last_event_of_thread(events: Sequence[Event], thread_id: int) -> Event | None:
    """The last event the thread recorded (a log record counts), None if it recorded none."""
    for event in reversed(events):
        if event.thread_id == thread_id:
            return event
    return None


def still_running_text(event: Event | None, now_ns: int) -> str:
    """``still running after #N file:line in function, S s ago``, or that nothing was
    recorded."""
    if event is None:
        return "its thread recorded no event before this moment"
    seconds = max(now_ns - event.monotonic_ns, 0) / 1e9
    site = site_text(reader_path(event.file), event.line, event.function)
    return f"still running after #{event.seq} {site}, {seconds:.2f} s ago"


def standings_text(found: Sequence[Standing], own_thread: int | None = None) -> str:
    """Each thread's innermost frames, one line each, innermost first."""
    lines = [f"where each thread stood ({counted(len(found), 'thread')}, innermost frame first):"]
    for standing in found:
        own = " (the test's own thread)" if standing.ident == own_thread else ""
        lines.append(f"  {for_terminal(standing.thread)}{own}")
        if not standing.frames:
            lines.append("    (no Python frame)")
        for file, line, function, source in standing.frames:
            where = site_text(reader_path(file), line, function)
            lines.append(f"    {where}: {for_terminal(source)}" if source else f"    {where}")
    return "\n".join(lines)


def hang_text(
    events: Sequence[Event],
    own_thread: int,
    now_ns: int,
    found: Sequence[Standing],
) -> str:
    """The two facts a hang needs beside its story: what the story's own thread did last, and
    where every thread stood."""
    last = last_event_of_thread(events, own_thread)
    return f"{still_running_text(last, now_ns)}\n{standings_text(found, own_thread)}"
