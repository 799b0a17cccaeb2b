"""The flight recorder's file: what it keeps of a followed story, how it is bounded and kept
private, and how it is read back."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

import chrono
from chrono import _flight
from chrono._flight import FlightRecorder, FlightUnavailable
from chrono._flight_reader import read_flight
from helpers import run_command, run_script

#: Short, so that a test waits for a few intervals in a fraction of a second.
INTERVAL = 0.01


def _wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(INTERVAL)
    raise AssertionError("the recorder did not write in time")


class TestRecorder:
    def test_followed_story_read_back(self, tmp_path: Path) -> None:
        """Events of the followed story reach the file within an interval, and reading it
        rebuilds them, naming the test, with chrono's own time to leave out."""
        path = tmp_path / "flight"
        recorder = FlightRecorder(path, interval=INTERVAL)
        try:
            with chrono.story("a story") as story:
                recorder.follow(story, "tests/test_x.py::test_y")
                chrono.tp("label", value=41 + 1)
                _wait_for(lambda: "label" in path.read_text())
                flight = read_flight(path)
        finally:
            recorder.close(remove=False)
        assert flight.test == "tests/test_x.py::test_y"
        assert flight.pid == os.getpid()
        assert not flight.ended
        assert flight.story is not None
        (event,) = flight.story.events
        assert (event.label, event.items) == ("label", (("value", "42"),))
        # The call site's first lookup, chrono's own time, is left out as a report leaves it.
        assert flight.story.chrono_spans

    def test_ended_story(self, tmp_path: Path) -> None:
        """After ``unfollow`` the file says the process was between stories."""
        path = tmp_path / "flight"
        recorder = FlightRecorder(path, interval=3600)  # written by hand below
        with chrono.story("done") as story:
            recorder.follow(story, "t")
            recorder.write_now()
        recorder.unfollow()
        recorder.close(remove=False)
        assert read_flight(path).ended

    def test_runner_calls_write_nothing(self, tmp_path: Path) -> None:
        """``follow`` and ``unfollow`` do no file work: a story that began and ended between
        two writes never reaches the file, which still names the story before it."""
        path = tmp_path / "flight"
        recorder = FlightRecorder(path, interval=3600)
        with chrono.story("first") as first:
            recorder.follow(first, "test_first")
            recorder.write_now()
        recorder.unfollow()
        size = path.stat().st_size
        with chrono.story("brief") as brief:
            recorder.follow(brief, "test_brief")
            chrono.tp("gone")
        recorder.unfollow()
        assert path.stat().st_size == size
        recorder.close(remove=False)
        flight = read_flight(path)
        assert (flight.test, flight.ended) == ("test_first", True)

    def test_newest_kept_and_the_rest_counted(self, tmp_path: Path) -> None:
        """Past what one write takes, the newest events are kept and the file says exactly how
        many older ones it left out."""
        path = tmp_path / "flight"
        recorder = FlightRecorder(path, interval=3600)  # written by hand below
        total = _flight.NEWEST_PER_WRITE * 3
        with chrono.story("busy") as story:
            recorder.follow(story, "t")
            for number in range(total):
                chrono.tp(number)
            recorder.write_now()
        recorder.close(remove=False)
        flight = read_flight(path)
        assert flight.story is not None
        kept = flight.story.events
        assert len(kept) == _flight.NEWEST_PER_WRITE
        assert kept[-1].items == (("number", str(total - 1)),)
        assert flight.story.dropped == total - _flight.NEWEST_PER_WRITE

    def test_file_bounded(self, tmp_path: Path) -> None:
        """However many stories and events pass through, the file stays near its bound."""
        path = tmp_path / "flight"
        recorder = FlightRecorder(path, interval=3600)
        for round_number in range(40):
            with chrono.story("long") as story:
                recorder.follow(story, f"test_{round_number}")
                for number in range(_flight.NEWEST_PER_WRITE):
                    chrono.tp(f"{number:0>200}")
                recorder.write_now()
            recorder.unfollow()
        recorder.close(remove=False)
        assert path.stat().st_size < 2 * _flight.MAX_FILE_BYTES
        assert read_flight(path).test == "test_39"

    def test_private_and_removed(self, tmp_path: Path) -> None:
        """The file is the user's alone while it lives, and a normal end removes it."""
        path = tmp_path / "flight"
        recorder = FlightRecorder(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        recorder.close()
        assert not path.exists()

    def test_torn_last_line(self, tmp_path: Path) -> None:
        """A line cut short by the process's death is passed over; the lines before it count."""
        path = tmp_path / "flight"
        recorder = FlightRecorder(path, interval=3600)
        with chrono.story("torn") as story:
            recorder.follow(story, "t")
            chrono.tp("whole")
            recorder.write_now()
        recorder.close(remove=False)
        with path.open("a") as file:
            file.write('{"seq": 99, "monot')
        flight = read_flight(path)
        assert flight.story is not None
        assert [event.label for event in flight.story.events] == ["whole"]


class TestPrivacy:
    def test_directory_made_private(self, tmp_path: Path) -> None:
        """The directory is made readable by its owner alone."""
        directory = _flight.private_directory(str(tmp_path))
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700

    @pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
    def test_open_directory_refused(self, tmp_path: Path) -> None:
        """A directory that others may enter (made by someone else first) is not used."""
        directory = _flight.private_directory(str(tmp_path))
        directory.chmod(0o777)
        with pytest.raises(FlightUnavailable, match="not the user's own private directory"):
            _flight.private_directory(str(tmp_path))

    @pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="no O_NOFOLLOW")
    def test_link_refused(self, tmp_path: Path) -> None:
        """A flight file that is a link (to someone's file) is not read."""
        target = tmp_path / "target"
        target.write_text("{}")
        link = tmp_path / "link"
        link.symlink_to(target)
        with pytest.raises(FlightUnavailable):
            read_flight(link)

    def test_not_a_flight_file(self, tmp_path: Path) -> None:
        """A file of something else is refused, not read as an empty story."""
        other = tmp_path / "other"
        other.write_text("hello\n")
        with pytest.raises(FlightUnavailable, match="not a chrono flight file"):
            read_flight(other)


class TestNewestRecords:
    def test_only_after_and_newest(self) -> None:
        """``Story.newest_records`` gives the newest records past a sequence number, how many
        more there were, and how many the story received."""
        with chrono.story("s") as story:
            for number in range(10):
                chrono.tp(number)
        first = story.events[0].seq
        records, more, received = story.newest_records(first + 2, 4)
        assert [record[0] for record in records] == [first + 6, first + 7, first + 8, first + 9]
        assert (more, received) == (3, 10)


DIES_INSIDE_A_STORY = """
import os
import time

import chrono
from chrono import tp

chrono.configure(flight="last.flight")
with chrono.story("nightly import"):
    for row in range(3):
        tp(row)
    time.sleep(0.6)
    os._exit(1)
"""


class TestConfiguredAndShown:
    def test_dead_script_shown(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A script that dies inside ``chrono.story()`` with ``configure(flight=...)`` leaves
        a private file, and ``chrono show`` prints the story in it."""
        result = run_script(tmp_path, DIES_INSIDE_A_STORY)
        assert result.returncode == 1
        left = tmp_path / "last.flight"
        assert stat.S_IMODE(left.stat().st_mode) == 0o600
        code, out, err = run_command(capsys, "show", str(left), "--width", "100")
        assert (code, err) == (0, "")
        assert "was inside nightly import" in out
        assert "script.py:11 in <module> ×3  row=2" in out

    def test_normal_exit_removes_the_file(self, tmp_path: Path) -> None:
        """A process that ends normally takes its flight file with it."""
        source = DIES_INSIDE_A_STORY.replace("os._exit(1)", "pass")
        assert run_script(tmp_path, source).returncode == 0
        assert not (tmp_path / "last.flight").exists()

    def test_not_a_flight_file_shown(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``chrono show`` on a file of something else exits 2 and says why."""
        other = tmp_path / "notes.txt"
        other.write_text("shopping list\n")
        code, out, err = run_command(capsys, "show", str(other))
        assert (code, out) == (2, "")
        assert "is not a chrono flight file" in err

    def test_flight_setting_checked(self, tmp_path: Path) -> None:
        """``configure(flight=...)`` takes a file path in an existing folder, or False."""
        with pytest.raises(TypeError, match="flight must be a file path or False"):
            chrono.configure(flight=3)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="its folder does not exist"):
            chrono.configure(flight=str(tmp_path / "missing" / "f"))
        chrono.configure(flight=str(tmp_path / "f"))
        chrono.configure(flight=False)

    def test_nested_stories_followed(self, tmp_path: Path) -> None:
        """With ``configure(flight=...)`` the recorder follows the newest open story, and the
        enclosing one again when the inner one ends."""
        path = tmp_path / "nested.flight"
        chrono.configure(flight=str(path))
        try:
            with chrono.story("outer"):
                chrono.tp("in outer")
                with chrono.story("inner"):
                    chrono.tp("in inner")
                    recorder = _flight._configured.recorder  # type: ignore[union-attr]
                    assert recorder is not None
                    recorder.write_now()
                    inner = read_flight(path)
                recorder.write_now()
                outer = read_flight(path)
        finally:
            chrono.configure(flight=False)
            with chrono.story("after"):  # a story that starts notices the new settings
                pass
        assert inner.story is not None
        assert (inner.story.name, [e.label for e in inner.story.events]) == ("inner", ["in inner"])
        assert outer.story is not None
        assert outer.story.name == "outer"
        assert [event.label for event in outer.story.events] == ["in outer", "in inner"]
        assert not path.exists()  # turned off: the file goes, as at a normal exit
