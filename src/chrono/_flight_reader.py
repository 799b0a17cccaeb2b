"""Reading what a flight recorder (``_flight``) left: the story a dead process was telling,
rebuilt from its file for ``chrono show`` and for the pytest plugin's crash reports.

Apart from the recorder so that the recorder, which a story loads when it starts with
``configure(flight=...)``, imports no ``Story``: reading builds one, writing never does.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path
from typing import Any

from chrono._flight import FLIGHT_SCHEMA, MAX_FILE_BYTES, NO_FOLLOW, FlightUnavailable
from chrono._story import STORY_SCHEMA, Story

__all__ = ["Flight", "read_flight"]


@dataclasses.dataclass
class Flight:
    """What a flight file told: the story that was running (None: none had started), whether
    it had ended, the process, and when the file was last written."""

    story: Story | None
    test: str | None
    pid: int | None
    ended: bool
    written_at: float


def read_flight(path: Path) -> Flight:
    """Read a flight file (one of the user's own, not a link): the story it kept, rebuilt.
    Raises ``FlightUnavailable`` for a file that is not the user's, or not a flight file."""
    try:
        fd = os.open(path, os.O_RDONLY | NO_FOLLOW)
    except OSError as error:
        raise FlightUnavailable(f"{path}: {error.strerror or error}") from None
    with os.fdopen(fd, "rb") as file:
        found = os.fstat(file.fileno())
        if not stat.S_ISREG(found.st_mode):
            raise FlightUnavailable(f"{path} is not a file")
        if hasattr(os, "getuid") and found.st_uid != os.getuid():
            raise FlightUnavailable(f"{path} belongs to another user")
        text = file.read(4 * MAX_FILE_BYTES).decode("utf-8", "replace")
    header: dict[str, Any] | None = None
    events: list[dict[str, Any]] = []
    left_out = 0
    own_time: list[Any] = []
    ended = False
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the torn last line of a process that died while writing
        if not isinstance(entry, dict):
            continue
        kind = entry.get("kind")
        if kind == "story" and entry.get("schema") == FLIGHT_SCHEMA:
            header, events, left_out, own_time, ended = entry, [], 0, [], False
        elif kind == "left_out":
            left_out = int(entry.get("count") or 0)
        elif kind == "own_time":
            own_time = entry.get("spans") or []
        elif kind == "ended":
            ended = True
        elif "seq" in entry and header is not None:
            events.append(entry)
    if header is None:
        if text.strip():
            raise FlightUnavailable(f"{path} is not a chrono flight file")
        return Flight(None, None, None, False, found.st_mtime)
    data = {
        "schema": STORY_SCHEMA,
        "name": header.get("name"),
        "started_ns": header.get("started_ns") or 0,
        "ended_ns": None,
        "max_events": max(int(header.get("max_events") or 1), len(events), 1),
        "dropped": left_out,
        "dropped_at": 0 if left_out else None,
        "preexisting_thread_ids": header.get("preexisting_thread_ids") or [],
        "chrono_spans": own_time,
        "events": events,
    }
    story = Story.from_dict(data)
    pid = header.get("pid")
    return Flight(
        story, header.get("test"), pid if isinstance(pid, int) else None, ended, found.st_mtime
    )
