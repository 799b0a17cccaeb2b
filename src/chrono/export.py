"""Stories kept as files: JSON (the ``chrono.story/2`` schema), Chrome trace events, an HTML page.

Every function takes a story's plain data (``Story.to_dict()``) or a ``Story``, so the pytest
plugin can write files on the pytest-xdist controller from the data its workers send. Nothing
here imports rich: the files are data and a page, not terminal output.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Union

from chrono._cells import cell_name
from chrono._files import NotWritten, write_whole
from chrono._own_time import ProgramClock, spans_from_data
from chrono._sites import distinct_tails, reader_path, site_text
from chrono._story import STORY_SCHEMA, Story
from chrono._text import content_text
from chrono._values import counted

__all__ = [
    "STORY_SCHEMA",
    "StoryFiles",
    "html_report",
    "story_file_stem",
    "story_schema",
    "story_to_chrome_trace",
]

#: A story, or its ``to_dict()`` data (possibly with a ``test`` object from the pytest plugin).
StoryData = Union[Story, Mapping[str, Any]]

_TRACE_NAME_LIMIT = 120
_PROCESS_ID = 1
_STORY_TRACK = 0


def story_schema() -> dict[str, Any]:
    """The JSON Schema of ``chrono.story/2``, as shipped in ``chrono/schema/story-2.json``."""
    text = resources.files("chrono").joinpath("schema").joinpath("story-2.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _plain(story: StoryData) -> Mapping[str, Any]:
    return story.to_dict() if isinstance(story, Story) else story


# -- Chrome trace events --------------------------------------------------------------------------


def story_to_chrome_trace(story: StoryData) -> dict[str, Any]:
    """The story in Chrome's Trace Event format, for Perfetto and ``chrome://tracing``.

    One track per thread and per asyncio task, named by metadata events; each ``tp`` call is
    an instant event whose ``args`` are its items, each log record an instant event in the
    ``log`` category. Timestamps are microseconds since the story began, as the story shows
    them: without chrono's own work (``chrono_spans``).
    """
    data = _plain(story)
    started_ns: int = data["started_ns"]
    clock = ProgramClock(started_ns, spans_from_data(data.get("chrono_spans")))
    test = data.get("test")
    name = data.get("name") or "chrono story"
    trace: list[dict[str, Any]] = [
        _metadata("process_name", _STORY_TRACK, name),
        _metadata("thread_name", _STORY_TRACK, "story"),
        _metadata("thread_sort_index", _STORY_TRACK, -1, key="sort_index"),
    ]
    tracks: dict[tuple[object, str | None], int] = {}
    events: list[Mapping[str, Any]] = data["events"]
    for index, event in enumerate(events):
        key = (event["thread_id"] or event["thread"], event["task"])
        track = tracks.get(key)
        if track is None:
            track = tracks[key] = len(tracks) + 1
            label = f"{event['thread']} / {event['task']}" if event["task"] else event["thread"]
            trace.append(_metadata("thread_name", track, label))
            trace.append(_metadata("thread_sort_index", track, track, key="sort_index"))
        timestamp = _microseconds(clock.elapsed(event["monotonic_ns"]))
        if index == data.get("dropped_at") and data["dropped"]:
            trace.append(_dropped_marker(data["dropped"], timestamp))
        trace.append(_instant(event, track, timestamp))
    ended_ns = data.get("ended_ns")
    if ended_ns is None:
        ended_ns = events[-1]["monotonic_ns"] if events else started_ns
    trace.append(
        {
            "name": name,
            "cat": "story",
            "ph": "X",
            "ts": 0,
            "dur": _microseconds(clock.elapsed(ended_ns)),
            "pid": _PROCESS_ID,
            "tid": _STORY_TRACK,
            "args": {
                "events": len(events),
                "dropped": data["dropped"],
                "chrono_own_us": _microseconds(clock.own_ns),
            },
        }
    )
    other: dict[str, Any] = {"schema": data["schema"], "story": data.get("name")}
    if test is not None:
        other["test"] = test
    return {"traceEvents": trace, "displayTimeUnit": "ms", "otherData": other}


def _metadata(kind: str, track: int, value: object, *, key: str = "name") -> dict[str, Any]:
    return {"name": kind, "ph": "M", "pid": _PROCESS_ID, "tid": track, "args": {key: value}}


def _microseconds(nanoseconds: int) -> float:
    return round(nanoseconds / 1000, 3)


def _instant(event: Mapping[str, Any], track: int, timestamp: float) -> dict[str, Any]:
    # A file is written whole, as the trace's reader may be anywhere; a cell as its notebook
    # knows it (Cell In[6]).
    file = event["file"]
    site = site_text(cell_name(file) or file, event["line"], event["function"])
    args: dict[str, Any] = {"seq": event["seq"], "site": site}
    items: list[list[str]] = event["items"]
    if event["kind"] == "log":
        (logger, message), *_ = items or [["", ""]]
        args.update(level=event["label"], logger=logger, message=message)
        title = f"{event['label']} {logger}: {message}"
    else:
        if event["label"] is not None:
            args["label"] = event["label"]
        for text, value in items:
            key = text
            number = 1
            while key in args:  # tp(x, x), or an argument written "seq"
                number += 1
                key = f"{text} ({number})"
            args[key] = value
        title = content_text(event["label"], items)
    if len(title) > _TRACE_NAME_LIMIT:
        title = title[: _TRACE_NAME_LIMIT - 1] + "…"
    return {
        "name": title,
        "cat": event["kind"],
        "ph": "i",
        "s": "t",
        "ts": timestamp,
        "pid": _PROCESS_ID,
        "tid": track,
        "args": args,
    }


def _dropped_marker(dropped: int, timestamp: float) -> dict[str, Any]:
    return {
        "name": f"⋯ {counted(dropped, 'event')} dropped",
        "cat": "chrono",
        "ph": "i",
        "s": "p",
        "ts": timestamp,
        "pid": _PROCESS_ID,
        "tid": _STORY_TRACK,
        "args": {"dropped": dropped},
    }


# -- the HTML page --------------------------------------------------------------------------------


def html_report(
    stories: Iterable[StoryData],
    *,
    title: str = "chrono stories",
    root: str | None = None,
    empty_because: str | None = None,
) -> str:
    """One self-contained HTML page (no network) with a searchable timeline of the stories.

    The stories travel as JSON in a ``<script type="application/json">`` block and the page
    builds its DOM with ``textContent``, so a value such as ``<script>`` shows as text. Files
    are shown as the terminal story shows them: relative to ``root`` (default: the working
    directory) or to the import path they were found on, with only the directories that tell
    the page's files apart. ``empty_because`` is what a page with no story says in place of
    "no failing tests" (chrono was off, so none was recorded).
    """
    plain = [_plain(story) for story in stories]
    root = os.getcwd() if root is None else str(root)
    page = {
        "title": title,
        "root": root,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
        "paths": _display_paths(plain, root),
        "stories": plain,
    }
    if empty_because is not None:
        page["empty"] = empty_because
    folder = resources.files("chrono").joinpath("_page")
    style = folder.joinpath("report.css").read_text("utf-8")
    script = folder.joinpath("report.js").read_text("utf-8")
    # Only this exact script may run: an injected inline script or handler would be refused
    # even if escaping failed somewhere; and nothing may be fetched from anywhere.
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>\n{style}</style>\n</head>\n<body>\n"
        '<noscript><p class="note">This page draws its timeline with JavaScript; the stories'
        " are also in the page source as JSON.</p></noscript>\n"
        f'<script type="application/json" id="chrono-data">{_script_safe_json(page)}</script>\n'
        f"<script>{script}</script>\n"
        "</body>\n</html>\n"
    )


def _display_paths(stories: list[Mapping[str, Any]], root: str) -> dict[str, str]:
    """Each event's file as the terminal story shows it: relative to ``root`` or to its import
    path, then cut to the directories that tell the page's files apart (the cell's tooltip
    holds the whole path)."""
    files = {event["file"] for story in stories for event in story["events"]}
    files.update(_divergence_files(stories))
    shown = {file: reader_path(file, root) for file in files}
    tails = distinct_tails(shown.values())
    return {file: tails[path] for file, path in shown.items()}


def _divergence_files(stories: list[Mapping[str, Any]]) -> Iterable[str]:
    """The files of the events and call sites that the stories' divergences show (a sibling's
    or a last pass's may be files the story itself never ran)."""
    for story in stories:
        for comparison in story.get("divergences") or ():
            divergence = comparison["divergence"]
            for pair in [divergence["first"] or {}, *divergence["context"]]:
                yield from (pair[side]["file"] for side in "ab" if pair.get(side))
            for site in [*divergence["only_in_a"], *divergence["only_in_b"]]:
                yield site["file"]


def _script_safe_json(data: object) -> str:
    """JSON that cannot end its ``<script>`` block or open a comment: ``<``, ``>`` and ``&``
    become ``\\u`` escapes, which JSON.parse turns back into the same characters."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for character in "<>&\u2028\u2029":
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text


# -- files ----------------------------------------------------------------------------------------


def story_file_stem(test_id: str) -> str:
    """A file name (without suffix) for a test's story: readable, and unique per test id."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", test_id.replace("::", "__")).strip("._")
    digest = hashlib.sha1(test_id.encode("utf-8")).hexdigest()[:8]
    return f"{readable[:100]}-{digest}"


class StoryFiles:
    """Writes stories as they arrive: a JSON file and a trace file each, the HTML page at the end.

    Each target is optional. Directories are made when the first story arrives, so a run
    without failures leaves no empty directory behind.
    """

    def __init__(
        self,
        *,
        json_directory: Path | None = None,
        trace_directory: Path | None = None,
        html_file: Path | None = None,
        root: str | None = None,
    ) -> None:
        self.json_directory = json_directory
        self.trace_directory = trace_directory
        self.html_file = html_file
        self.root = root
        #: The stories kept for the HTML page (only when there is one to write).
        self.stories: list[Mapping[str, Any]] = []
        #: How many stories arrived, and how many were written as JSON and as traces.
        self.count = 0
        self.written = {"JSON": 0, "Chrome traces": 0}
        #: Whether the HTML page was written (``finish``).
        self.page_written = False

    def add(self, story: StoryData) -> None:
        """Write one story's JSON and trace files now, and keep it for the HTML page.

        Raises ``NotWritten`` (an ``OSError``) when a file cannot be written: that file is as
        it was, and the story is still kept for the page.
        """
        data = _plain(story)
        self.count += 1
        if self.html_file is not None:
            self.stories.append(data)
        test = data.get("test") or {}
        stem = story_file_stem(str(test.get("id") or data.get("name") or "story"))
        if self.json_directory is not None:
            _write(self.json_directory / f"{stem}.json", json.dumps(data, ensure_ascii=False))
            self.written["JSON"] += 1
        if self.trace_directory is not None:
            trace = story_to_chrome_trace(data)
            _write(self.trace_directory / f"{stem}.trace.json", json.dumps(trace))
            self.written["Chrome traces"] += 1

    def finish(self, *, title: str = "chrono stories", empty_because: str | None = None) -> None:
        """Write the HTML page, if one was asked for (also when no story arrived, saying
        ``empty_because`` when there is a reason other than no failure)."""
        if self.html_file is not None:
            page = html_report(
                self.stories, title=title, root=self.root, empty_because=empty_because
            )
            _write(self.html_file, page)
            self.page_written = True

    def summary(self) -> list[str]:
        """One line per target: what was written where (a file not written says so itself)."""
        lines = []
        for directory, what in (
            (self.json_directory, "JSON"),
            (self.trace_directory, "Chrome traces"),
        ):
            written = self.written[what]
            if directory is not None and written:
                lines.append(
                    f"chrono: {counted(written, 'story', 'stories')} as {what} in {directory}"
                )
            elif directory is not None and not self.count:
                lines.append(f"chrono: no story to write as {what} in {directory}")
        if self.page_written:
            stories = counted(self.count, "story", "stories")
            lines.append(f"chrono: {stories} in the HTML page {self.html_file}")
        return lines


def _write(path: Path, text: str) -> None:
    """Write a file whole, or raise ``NotWritten`` (an ``OSError``) and leave it as it was."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NotWritten(path, f"cannot make its folder ({error.strerror or error})") from None
    # A lone surrogate (from a thread name, a file path) is escaped rather than lost with the
    # whole file.
    write_whole(path, text.encode("utf-8", errors="backslashreplace"), durable=False)
