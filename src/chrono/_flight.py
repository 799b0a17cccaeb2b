"""The flight recorder: the newest events of the running story, kept in a file that outlives
the process, so that a process that dies (a segfault, ``os._exit``, a kill) still tells what
it was doing.

``tp`` is not touched: a background thread wakes every ``INTERVAL_SECONDS``, takes the records
the followed story received since it last looked (at most ``NEWEST_PER_WRITE``, the newest),
and appends them to the file as JSON lines. What a process did in its last interval before it
died may be missing; the reader says so. The cheap points of a test runner (a story starts,
ends) cost a test runner no I/O: the thread writes them too, so a story that began or ended
within the last interval may not be in the file yet.

The file is bounded (``MAX_FILE_BYTES``: past it, it is written anew with the newest events
only), private (mode 0600, in a directory of the user's that only the user can enter, checked
each time), and removed when the process ends normally. Its lines:

- ``{"kind": "story", ...}``: a story starts (name, test id, pid, clock origin);
- ``{"kind": "left_out", "count": N}``: N older events of the story are not in the file;
- ``{"kind": "own_time", "spans": [[start, end], ...]}``: chrono's own work while the story
  ran (its first look at each call site), which the times shown leave out;
- an event, as in a story's JSON form (``Story.to_dict``);
- ``{"kind": "ended"}``: the story ended; the process was between stories.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from chrono import _config, _events
from chrono._collecting import collecting
from chrono._errors import swallowed
from chrono._events import event_of

if TYPE_CHECKING:
    from chrono._story import Story

FLIGHT_SCHEMA = "chrono.flight/1"
#: How often the recorder writes what the followed story received: the most a dead
#: process's file can lack.
INTERVAL_SECONDS = 0.05
#: At most this many of the newest events are written per interval: a test that records a
#: million events a second costs the recorder no more than one that records two thousand.
NEWEST_PER_WRITE = 100
#: At most this many of the newest events are kept when the file is written anew.
NEWEST_KEPT = 1000
#: Past this size, the file is written anew with the newest events only.
MAX_FILE_BYTES = 1 << 20
#: The file name's ending.
SUFFIX = ".chrono-flight"

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


class FlightUnavailable(OSError):
    """The recorder's directory or file cannot be used safely (its message says why)."""


def private_directory(base: str | None = None) -> Path:
    """The user's own directory for flight files (made if needed): under ``base`` (default:
    the temporary directory), readable and writable by the user alone, not a link. Raises
    ``FlightUnavailable`` when the directory found is not that."""
    base = base or tempfile.gettempdir()
    uid = os.getuid() if hasattr(os, "getuid") else None
    directory = Path(base) / (f"chrono-flight-{uid}" if uid is not None else "chrono-flight")
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        found = os.lstat(directory)
    except OSError as error:
        raise FlightUnavailable(f"{directory}: {error.strerror or error}") from None
    if not stat.S_ISDIR(found.st_mode):
        raise FlightUnavailable(f"{directory} is not a directory")
    if uid is not None and (found.st_uid != uid or found.st_mode & 0o077):
        raise FlightUnavailable(f"{directory} is not the user's own private directory")
    return directory


def _event_line(event: _events.Event) -> str:
    data = {**event._asdict(), "items": [list(item) for item in event.items]}
    return json.dumps(data, ensure_ascii=False)


class FlightRecorder:
    """Keeps the newest events of the story it follows in ``path``."""

    def __init__(self, path: Path, *, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | NO_FOLLOW
        self._fd: int | None = os.open(path, flags, 0o600)
        os.chmod(path, 0o600)  # a file left by an earlier process of the same pid
        self._lock = threading.Lock()
        self._story: Story | None = None
        self._test_id: str | None = None
        #: The followed story's first line, once written ("": not yet); whether the file must
        #: still say that the story it names ended.
        self._header = ""
        self._ended_pending = False
        #: The last line of chrono's own time written for this story, and how many spans.
        self._spans_line = ""
        self._spans_written = 0
        #: The last sequence number written, and the newest lines written for this story.
        self._after = 0
        self._newest: collections.deque[str] = collections.deque(maxlen=NEWEST_KEPT)
        #: How many events the followed story had received at the last write, and the file's
        #: size.
        self._seen = 0
        self._size = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what a runner calls, for every test: no file work, which the thread does -------------

    def follow(self, story: Story, test_id: str | None = None) -> None:
        """Start keeping ``story`` (one that has started): the thread's next write names it
        in the file. Costs a runner no I/O: a story that ends within an interval is never
        written (nothing it recorded would have been either)."""
        with self._lock:
            self._story = story
            self._test_id = test_id
            self._header = ""
            self._after = 0
            self._newest.clear()
            self._seen = 0
            self._spans_line = ""
            self._spans_written = 0
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="chrono flight recorder", daemon=True
            )
            self._thread.start()

    def unfollow(self) -> None:
        """The followed story ended: the thread's next write says the process is between
        stories (when the file named the story at all)."""
        with self._lock:
            if self._story is not None:
                self._story = None
                self._ended_pending = self._ended_pending or bool(self._header)

    # -- the thread's work -------------------------------------------------------------------

    def write_now(self) -> None:
        """Write what changed since the last write: a story that ended, a story that began,
        the followed story's new events."""
        with self._lock:
            if self._fd is None:
                return
            if self._ended_pending:
                self._ended_pending = False
                self._append(['{"kind": "ended"}'])
            story = self._story
            if story is None:
                return
            if not self._header:
                self._header = self._header_of(story)
                if self._size > MAX_FILE_BYTES:
                    self._rewrite([])
                else:
                    # Appended: the reader takes the last story the file names.
                    self._append([self._header])
            records, more, received = story.newest_records(self._after, NEWEST_PER_WRITE)
            if not records:
                return
            self._after = max(self._after, records[-1][0])
            self._seen = received
            wall = _events.wall_anchor
            lines = [_event_line(event_of(record, wall)) for record in records]
            if more:
                # Events between the last write and these were skipped: what was written
                # before is no longer next to these, and the file keeps these alone.
                self._newest.clear()
            self._newest.extend(lines)
            spans = story.chrono_spans
            if len(spans) != self._spans_written:
                # chrono's own first looks at call sites: the reader leaves them out of the
                # times, as a test's report does.
                self._spans_line = json.dumps({"kind": "own_time", "spans": spans})
                self._spans_written = len(spans)
                lines.append(self._spans_line)
            if more or self._size > MAX_FILE_BYTES:
                # Older events gave way: the file anew, with the newest only.
                self._rewrite(list(self._newest))
            else:
                self._append(lines)

    def _header_of(self, story: Story) -> str:
        header = {
            "kind": "story",
            "schema": FLIGHT_SCHEMA,
            "name": story.name,
            "test": self._test_id,
            "pid": os.getpid(),
            "started_ns": story.started_ns,
            "max_events": story.max_events,
            "preexisting_thread_ids": sorted(story.preexisting_threads),
        }
        return json.dumps(header, ensure_ascii=False)

    def close(self, *, remove: bool = True) -> None:
        """Stop recording; remove the file (a normal end) unless told to keep it (then it is
        brought up to date first)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        if not remove:
            self.write_now()
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None:
                os.close(fd)
            if remove:
                self.path.unlink(missing_ok=True)

    # -- the file ---------------------------------------------------------------------------

    def _rewrite(self, lines: list[str]) -> None:
        """The file anew: the header, what is left out, ``lines`` (the lock is held)."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        os.lseek(self._fd, 0, os.SEEK_SET)
        self._size = 0
        head = [self._header] if self._header else []
        left_out = self._seen - len(self._newest)
        if left_out > 0:
            head.append(json.dumps({"kind": "left_out", "count": left_out}))
        if self._spans_line and lines:
            lines = [*lines, self._spans_line]
        self._append(head + lines)

    def _append(self, lines: list[str]) -> None:
        if self._fd is None or not lines:
            return
        data = ("\n".join(lines) + "\n").encode("utf-8", "replace")
        # One write per batch: a process killed meanwhile leaves at most one torn last line.
        os.write(self._fd, data)
        self._size += len(data)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.write_now()
            except Exception as error:
                if not swallowed(error):
                    raise
                return  # a file that cannot be written stays as it was


class ConfiguredFlight:
    """The observer that ``configure(flight=path)`` stands for: the recorder follows the
    newest open story (a nested or concurrent one ends: the newest left), and notices new
    settings by identity when a story starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: _config.Settings | None = None
        self.recorder: FlightRecorder | None = None
        self._open: list[Story] = []

    def story_started(self, story: Story) -> None:
        with self._lock:
            self._match_settings()
            if self.recorder is None:
                return
            self._open.append(story)
            self.recorder.follow(story, story.test_id)

    def story_stopped(self, story: Story, error: BaseException | None) -> None:
        del error
        with self._lock:
            self._open = [other for other in self._open if other is not story]
            if self.recorder is None:
                return
            if self._open:
                self.recorder.follow(self._open[-1], self._open[-1].test_id)
            else:
                self.recorder.unfollow()

    def _match_settings(self) -> None:
        settings = _config.settings
        if settings is self._settings:
            return
        self._settings = settings
        path = settings.flight
        recorder = self.recorder
        if recorder is not None and (path is None or str(recorder.path) != path):
            recorder.close(remove=True)
            self.recorder = None
        if path is not None and self.recorder is None:
            try:
                self.recorder = FlightRecorder(Path(path))
            except OSError as error:
                sys.stderr.write(f"chrono: no flight recorder: {path}: {error}\n")
                return
            atexit.register(self.recorder.close)

    def close(self) -> None:
        """Stop: the file is removed, as at a normal exit."""
        with self._lock:
            if self.recorder is not None:
                self.recorder.close(remove=True)
                self.recorder = None
            self._settings = None


_configured: ConfiguredFlight | None = None


def observe_configured() -> None:
    """Register the observer of ``configure(flight=...)`` (once)."""
    global _configured
    if _configured is None:
        _configured = ConfiguredFlight()
        collecting.observe(_configured)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs now (one of another user counts as running)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return False  # never asked there: flight files are named per run, not per process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
