"""Live output: where an event goes when no story collects it, one whole line at a time."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import chrono
from chrono import Event, tp
from helpers import environment

#: A live line: number, clock time, call site, optional [thread], items.
LIVE_LINE = re.compile(
    r"#(?P<seq>\d+) \d\d:\d\d:\d\d\.\d{3} (?P<site>\S+:\d+ in \S+)"
    r"(?: \[(?P<thread>[^\]]+)\])?(?:  (?P<content>.*))?"
)


class TestLiveLine:
    def test_outside_a_story_one_line_goes_to_stderr(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A tp call outside any story prints exactly one line to stderr, and nothing to stdout."""
        value = [1, 2]
        line = sys._getframe().f_lineno + 1
        tp(value)
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1
        match = LIVE_LINE.fullmatch(err.rstrip("\n"))
        assert match is not None, err
        assert match["site"].endswith(
            f"test_output.py:{line} in TestLiveLine.test_outside_a_story_one_line_goes_to_stderr"
        )
        assert match["thread"] is None
        assert match["content"] == "value=[1, 2]"

    def test_inside_a_story_nothing_is_printed(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Events collected by a story are buffered, not printed."""
        with chrono.story():
            tp("quiet")
        assert capsys.readouterr() == ("", "")

    def test_thread_is_named_outside_the_main_thread(self) -> None:
        """A live line from another thread names the thread."""
        output = io.StringIO()
        chrono.configure(output=output)
        worker = threading.Thread(target=lambda: tp("hello"), name="mover")
        worker.start()
        worker.join()
        match = LIVE_LINE.fullmatch(output.getvalue().rstrip("\n"))
        assert match is not None
        assert match["thread"] == "mover"
        assert match["content"] == "hello"

    def test_multi_line_repr_still_prints_one_line(self) -> None:
        """A value whose repr spans lines (a data frame, say) is still printed as one line."""

        class Table:
            def __repr__(self) -> str:
                return "   a  b\n0  1  2\n1  3  4"

        output = io.StringIO()
        chrono.configure(output=output)
        table = Table()
        tp(table)
        tp("two\nlines")
        lines = output.getvalue().splitlines()
        assert len(lines) == 2
        assert "a  b" in lines[0]
        assert "1  3  4" in lines[0]
        assert "two" in lines[1]
        assert "lines" in lines[1]
        with chrono.story() as story:
            tp(table)
        assert len(story.text().splitlines()) == 2


class TestSinks:
    def test_stdout(self, capsys: pytest.CaptureFixture[str]) -> None:
        """output="stdout" sends live lines to stdout instead of stderr."""
        chrono.configure(output="stdout")
        value = 1
        tp(value)
        out, err = capsys.readouterr()
        assert err == ""
        assert out.endswith("value=1\n")

    def test_text_stream(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An open text stream receives the lines; stderr stays empty."""
        output = io.StringIO()
        chrono.configure(output=output)
        value = 2
        tp(value)
        assert output.getvalue().endswith("value=2\n")
        assert capsys.readouterr().err == ""

    def test_file_path(self, tmp_path: Path) -> None:
        """A file path is opened for appending and receives one line per event."""
        path = tmp_path / "live.log"
        path.write_text("earlier\n")
        chrono.configure(output=str(path))
        for value in range(3):
            tp(value)
        chrono.configure(output="stderr")
        lines = path.read_text().splitlines()
        assert lines[0] == "earlier"
        assert [line.rsplit("  ", 1)[1] for line in lines[1:]] == ["value=0", "value=1", "value=2"]

    def test_path_object(self, tmp_path: Path) -> None:
        """A pathlib.Path works like a string path."""
        path = tmp_path / "live.log"
        chrono.configure(output=path)
        tp("via path")
        chrono.configure(output="stderr")
        assert path.read_text().endswith("via path\n")

    def test_logging_keyword(self, caplog: pytest.LogCaptureFixture) -> None:
        """output="logging" logs each event at INFO on the chrono logger, with the Event."""
        chrono.configure(output="logging")
        with caplog.at_level(logging.INFO, logger="chrono"):
            value = 3
            tp(value)
        (record,) = [record for record in caplog.records if record.name == "chrono"]
        assert record.levelno == logging.INFO
        assert record.getMessage().endswith("value=3")
        event = record.chrono_event  # type: ignore[attr-defined]
        assert isinstance(event, Event)
        assert event.items == (("value", "3"),)

    def test_logging_respects_the_level(self, caplog: pytest.LogCaptureFixture) -> None:
        """With the chrono logger above INFO, nothing is logged."""
        chrono.configure(output="logging")
        with caplog.at_level(logging.WARNING, logger="chrono"):
            tp("hidden")
        assert [record for record in caplog.records if record.name == "chrono"] == []

    def test_logger_object(self) -> None:
        """A Logger given as output receives the events as INFO records."""
        received: list[logging.LogRecord] = []

        class Collect(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                received.append(record)

        logger = logging.getLogger("chrono_test_output.custom")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        handler = Collect()
        logger.addHandler(handler)
        try:
            chrono.configure(output=logger)
            tp("to my logger")
        finally:
            logger.removeHandler(handler)
        (record,) = received
        assert record.getMessage().endswith("to my logger")

    def test_callable(self) -> None:
        """A callable receives each Event itself, nothing formatted."""
        received: list[Event] = []
        chrono.configure(output=received.append)
        value = 4
        tp(value)
        (event,) = received
        assert event.items == (("value", "4"),)
        assert event.kind == "tp"

    def test_reconfiguring_takes_effect_at_once(self) -> None:
        """After configure(output=...) the next event goes to the new target."""
        first, second = io.StringIO(), io.StringIO()
        chrono.configure(output=first)
        tp("one")
        chrono.configure(output=second)
        tp("two")
        assert first.getvalue().endswith("one\n")
        assert second.getvalue().endswith("two\n")
        assert "two" not in first.getvalue()

    def test_story_echo_prints_while_buffering(self) -> None:
        """A story with an echo callback still collects each event and also passes it on."""
        echoed: list[Event] = []
        with chrono.Story(echo=echoed.append) as story:
            tp("both")
        assert echoed == story.events


class TestConcurrentWrites:
    @pytest.mark.parametrize(
        "kind", ["string", "file", "line-buffered file", "python stream", "file subclass"]
    )
    def test_lines_are_never_torn(self, kind: str, tmp_path: Path) -> None:
        """8 threads x 2,000 live events into one stream: every line is whole and parses,
        whether chrono's lock guards the writes (streams written in Python, subclasses) or
        the stream's own C write does (the standard library's text streams)."""
        path = tmp_path / "live.log"
        output: Any
        if kind == "string":
            output = io.StringIO()
        elif kind == "file":
            output = path.open("w", encoding="utf-8")
        elif kind == "line-buffered file":
            output = path.open("w", encoding="utf-8", buffering=1)
        elif kind == "python stream":
            output = _PythonStream()
        else:
            output = _TextFile(path.open("wb"), encoding="utf-8")
        chrono.configure(output=output)
        per_thread = 2_000

        def worker() -> None:
            for value in range(per_thread):
                tp(value)

        threads = [threading.Thread(target=worker, name=f"writer-{index}") for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if isinstance(output, (io.StringIO, _PythonStream)):
            text = output.getvalue()
        else:
            output.close()
            text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert len(lines) == 8 * per_thread
        numbers = set()
        for line in lines:
            match = LIVE_LINE.fullmatch(line)
            assert match is not None, line
            assert match["thread"].startswith("writer-")
            assert re.fullmatch(r"value=\d+", match["content"])
            numbers.add(int(match["seq"]))
        assert len(numbers) == len(lines)


class _TextFile(io.TextIOWrapper):
    """A text file of a subclass: chrono cannot vouch for its write, so it takes its lock."""


class _PythonStream:
    """A stream written in Python whose write yields to other threads mid-line: only chrono's
    lock keeps lines whole."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        for character in text:
            self._parts.append(character)
            if character == " ":
                time.sleep(0)
        return len(text)

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        return "".join(self._parts)


class _ClosesAfter:
    """A text stream whose reader goes away after ``lines`` lines, counting the writes tried."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.tried = 0

    def write(self, text: str) -> int:
        self.tried += 1
        if self.tried > self.lines:
            raise BrokenPipeError(32, "Broken pipe")
        return len(text)

    def flush(self) -> None:
        pass


class TestReaderGone:
    def test_no_write_after_the_pipe_broke(self) -> None:
        """Once a write finds the reader gone, tp goes on returning its values and writes no
        more: each later event would only fail again at the closed pipe."""
        stream = _ClosesAfter(lines=2)
        chrono.configure(output=stream)
        assert [tp(number) for number in range(10)] == list(range(10))
        assert stream.tried == 3

    def test_a_program_whose_stderr_reader_goes_runs_on(self, tmp_path: Path) -> None:
        """A program printing live events into a pipe that closes after one line runs to its
        end, quietly: its own output is whole and nothing is printed about the pipe."""
        script = tmp_path / "events.py"
        script.write_text(
            "from chrono import tp\n"
            "total = sum(tp(number) for number in range(20_000))\n"
            "print('total', total)\n",
            encoding="utf-8",
        )
        read_end, write_end = os.pipe()
        process = subprocess.Popen(
            [sys.executable, str(script)],
            stdout=subprocess.PIPE,
            stderr=write_end,
            env=environment(),
        )
        os.close(write_end)
        with os.fdopen(read_end, encoding="utf-8") as reader:
            first = reader.readline()
        assert process.stdout is not None
        out = process.stdout.read().decode()
        process.stdout.close()
        assert process.wait(timeout=120) == 0
        assert first.startswith("#1 ")
        assert out == f"total {sum(range(20_000))}\n"
