"""The smaller edges of reliability: text that would drive the terminal, events that were lost
at interpreter shutdown or near the recursion limit, ``CHRONO_AT`` under ``python -E``/``-I``
(in test_logpoints.py, beside the other startup hook tests), and a ``__repr__`` that never
returns.

Each scenario that needs a fresh interpreter (shutdown, the recursion limit, a real pytest or
unittest run) runs in one, with a timeout.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import signal
import sys
import threading
from pathlib import Path

import pytest
from rich.console import Console

import chrono
from chrono import tp
from chrono._text import for_terminal, plain_live_line
from chrono.render import live_line
from helpers import run_python, run_script

#: What the program may hand chrono, each a way to drive a terminal: clear the screen, set
#: the window's title (OSC, ended by BEL), NUL, a C1 CSI, DEL, and the bidirectional overrides
#: and isolates that reorder what follows.
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x00\x9b31m\x7f\u202eexe.txt\u2066\u2067\u2068\u2069\u200f"
#: What a terminal must never receive raw: every C0 control but the line feed that ends a line
#: (a line break inside a value is shown as ⏎), DEL, C1, the bidi controls.
_RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
#: The colour codes chrono's coloured output writes itself (SGR: ESC [ … m).
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def raw_controls(text: str, *, coloured: bool = False) -> list[str]:
    """The characters of ``text`` a terminal would act on (chrono's own colours aside)."""
    if coloured:
        text = _COLOUR.sub("", text)
    return _RAW.findall(text)


class Hostile:
    """A value whose repr is made to drive the terminal."""

    def __repr__(self) -> str:
        return f"Hostile({HOSTILE})"


def hostile_story() -> chrono.Story:
    """A story whose every piece of text the program chose holds HOSTILE (or some of it): its
    name, an item's text and value, a label, a keyword's value, a log message and a logger's
    name, a file name given to ``compile``, a thread's name and a task's name."""
    with chrono.story(f"story {HOSTILE}") as story:
        tp(f"item {HOSTILE}", Hostile())
        tp("\x1b]0;label\x07\u202e", 3)
        tp(text=HOSTILE)
        logging.getLogger(f"app{HOSTILE}").warning("message %s", HOSTILE)
        code = compile("tp(value)", f"file{HOSTILE.replace(chr(0), '')}.py", "exec")
        exec(code, {"tp": tp, "value": HOSTILE})
        worker = threading.Thread(target=tp, args=(1,), name=f"worker{HOSTILE}")
        worker.start()
        worker.join()

        async def in_a_task() -> None:
            tp(2)

        async def main() -> None:
            await asyncio.create_task(in_a_task(), name=f"task{HOSTILE}")

        asyncio.run(main())
    assert len(story.events) == 7
    return story


class TestForTerminal:
    def test_every_control_is_escaped_as_repr_writes_it(self) -> None:
        """C0, DEL, C1 and the bidi controls come out as ``\\x..`` and ``\\u....``."""
        assert for_terminal("a\x1b[2Jb\x07\x00\x7f\x9b\u202ec\u2066") == (
            "a\\x1b[2Jb\\x07\\x00\\x7f\\x9b\\u202ec\\u2066"
        )

    def test_line_breaks_are_marked_and_tabs_escaped(self) -> None:
        """A line break still becomes ⏎ (one line per event); a tab is a control too."""
        assert for_terminal("a\r\nb\nc\rd\te") == "a⏎b⏎c⏎d\\te"

    def test_clean_text_is_the_same_object(self) -> None:
        """Text with nothing to escape is returned as is, after one check."""
        text = "price=12.5 naïve 東京"
        assert for_terminal(text) is text

    def test_other_unprintable_characters_are_kept(self) -> None:
        """What a terminal shows rather than acts on stays: an emoji's zero-width joiner, a
        no-break space."""
        family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 a\u00a0b"
        assert for_terminal(family) == family


class TestNothingRawReachesTheTerminal:
    def test_story_text(self) -> None:
        """``story.text()`` holds no raw control from any field, and shows them escaped."""
        text = hostile_story().text(width=200)
        assert raw_controls(text) == []
        assert "\\x1b[2J\\x1b]0;owned\\x07\\x00\\x9b31m\\x7f\\u202eexe.txt" in text
        for where in ("story ", "'item ", "Hostile(", "message ", "app", "file", "worker", "task"):
            assert f"{where}\\x1b[2J" in text, where
        assert "\\x1b]0;label\\x07\\u202e  3" in text

    def test_rich_rendering(self) -> None:
        """The coloured story holds chrono's colour codes and nothing else a terminal acts
        on, at a width that wraps its rows too."""
        story = hostile_story()
        for width in (200, 60):
            buffer = io.StringIO()
            Console(file=buffer, width=width, force_terminal=True, color_system="standard").print(
                story
            )
            assert _COLOUR.search(buffer.getvalue())
            assert raw_controls(buffer.getvalue(), coloured=True) == []

    def test_live_lines(self) -> None:
        """Live lines, plain and coloured, and the plain line written straight from the record,
        hold no raw control, and say the same."""
        story = hostile_story()
        records = {record[0]: record for record in story._records}
        tp_events = [event for event in story.events if event.kind == "tp"]
        assert len(tp_events) == 6
        for event in tp_events:
            record = records[event.seq]
            plain = live_line(event)
            assert raw_controls(plain) == []
            assert plain_live_line(record, event.wall) == plain
            from rich.color import ColorSystem

            coloured = live_line(event, colour=ColorSystem.STANDARD)
            assert raw_controls(coloured, coloured=True) == []
        log = next(event for event in story.events if event.kind == "log")
        assert raw_controls(live_line(log)) == []

    def test_live_output_to_a_stream(self) -> None:
        """Printed live (no story), a hostile repr, label and thread name reach the stream
        escaped."""
        stream = io.StringIO()
        chrono.configure(output=stream)
        tp(f"label {HOSTILE}", Hostile())
        worker = threading.Thread(target=tp, args=(HOSTILE,), name=f"worker{HOSTILE}")
        worker.start()
        worker.join()
        printed = stream.getvalue()
        assert printed.count("\n") == 2
        assert raw_controls(printed) == []
        assert printed.count("\\x1b[2J") == 4

    def test_exception_note(self) -> None:
        """The story a failing ``chrono.story()`` puts on its exception holds no raw control."""

        def failing() -> None:
            with chrono.story("failing"):
                tp(Hostile())
                raise ValueError("boom")

        with pytest.raises(ValueError, match="boom") as caught:
            failing()
        if sys.version_info >= (3, 11):
            (note,) = caught.value.__notes__
        else:
            note = caught.value.__chrono_note__  # type: ignore[attr-defined]
        assert "Hostile(\\x1b[2J" in note
        assert raw_controls(note) == []

    def test_divergence(self) -> None:
        """Where two stories diverged, drawn as text, holds no raw control from their names,
        sites or values."""
        with chrono.story(f"a{HOSTILE}") as first:
            tp(HOSTILE)
        with chrono.story(f"b{HOSTILE}") as second:
            tp(HOSTILE + "!")
        text = chrono.compare(first, second).text(width=100)
        assert "\\x1b[2J" in text
        assert raw_controls(text) == []

    def test_a_failing_tests_report_section(self, pytester: pytest.Pytester) -> None:
        """A real pytest run's chrono section escapes what the test recorded."""
        pytester.makepyfile(
            f"""
            from chrono import tp

            def test_fails():
                tp("{HOSTILE.encode("unicode_escape").decode()}")
                tp(x="{HOSTILE.encode("unicode_escape").decode()}")
                assert False
            """
        )
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
        result.assert_outcomes(failed=1)
        output = result.stdout.str()
        section = output[output.index("chrono story") :]
        assert section.count("\\x1b[2J") == 2
        assert raw_controls(section) == []

    def test_unittest_runner(self, tmp_path: Path) -> None:
        """``python -m chrono.unittest`` shows the failing test's story escaped."""
        (tmp_path / "test_sample.py").write_text(
            "import unittest\n"
            "from chrono import tp\n\n"
            "class Sample(unittest.TestCase):\n"
            "    def test_fails(self):\n"
            f"        tp({HOSTILE.encode('unicode_escape').decode()!r})\n"
            "        self.fail('boom')\n",
            encoding="utf-8",
        )
        result = run_python("-m", "chrono.unittest", "test_sample", cwd=tmp_path)
        assert result.returncode == 1
        assert "\\x1b[2J" in result.stderr
        assert raw_controls(result.stderr) == []

    def test_chrono_check_output(self, tmp_path: Path) -> None:
        """``chrono check`` lists a leftover whose source holds a raw escape and a bidi
        override (a Trojan Source string) escaped, in both output formats."""
        from chrono.cli import run_check

        path = tmp_path / "trojan.py"
        path.write_text(f'from chrono import tp\ntp("{HOSTILE.replace(chr(0), "")}")\n')
        for output_format in ("text", "github"):
            out = io.StringIO()
            assert run_check([str(path)], output_format=output_format, out=out) == 1
            assert "\\x1b[2J" in out.getvalue()
            assert raw_controls(out.getvalue()) == []


class TestEventsNotLost:
    def test_tp_in_a_finalizer_at_interpreter_shutdown(self, tmp_path: Path) -> None:
        """A module-level object's ``__del__`` that calls ``tp`` at call sites never used
        before, with live output never used before, prints its values to stderr."""
        result = run_script(
            tmp_path,
            """
            from chrono import tp

            class Closer:
                def __del__(self):
                    amount = 12345
                    tp(amount)
                    tp("closing", 678)

            closer = Closer()
            """,
        )
        assert result.returncode == 0
        lines = result.stderr.splitlines()
        assert len(lines) == 2, result.stderr
        # The name comes from the bytecode: the source cannot be read once imports are gone.
        assert lines[0].endswith("__del__  amount=12345")
        assert lines[1].endswith("__del__  closing  678")

    @pytest.mark.parametrize("margin", [60, 50, 40, 30])
    def test_a_call_site_first_used_near_the_recursion_limit(
        self, tmp_path: Path, margin: int
    ) -> None:
        """A ``tp`` whose call site is first used ``margin`` frames below the recursion limit
        records its value (named by the bytecode if the source cannot be read), and the
        program sees no RecursionError."""
        result = run_script(
            tmp_path,
            f"""
            import sys
            import chrono
            from chrono import tp

            def frames():
                count, frame = 0, sys._getframe(1)
                while frame is not None:
                    count, frame = count + 1, frame.f_back
                return count

            def deep(remaining):
                if remaining > 0:
                    return deep(remaining - 1)
                value = {margin}
                return tp(value)

            with chrono.story() as story:
                returned = deep(sys.getrecursionlimit() - frames() - {margin})
            print(returned, [event.items for event in story.events])
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{margin} [(('value', '{margin}'),)]\n"

    @pytest.mark.parametrize("margin", [5, 3])
    def test_tp_raises_nothing_a_few_frames_from_the_limit(
        self, tmp_path: Path, margin: int
    ) -> None:
        """``margin`` frames below the recursion limit, with too few frames left even to judge
        its own error, ``tp`` returns its value and lets no RecursionError reach the
        program."""
        result = run_script(
            tmp_path,
            f"""
            import sys
            import chrono
            from chrono import tp

            def frames():
                count, frame = 0, sys._getframe(1)
                while frame is not None:
                    count, frame = count + 1, frame.f_back
                return count

            def deep(remaining):
                if remaining > 0:
                    return deep(remaining - 1)
                return tp({margin})

            with chrono.story():
                try:
                    print(deep(sys.getrecursionlimit() - frames() - {margin}))
                except RecursionError:
                    print("RecursionError")
            """,
        )
        assert (result.returncode, result.stdout) == (0, f"{margin}\n"), result.stderr

    @pytest.mark.parametrize("margin", [80, 40])
    def test_a_first_live_line_near_the_recursion_limit(self, tmp_path: Path, margin: int) -> None:
        """The first live line of a process, printed ``margin`` frames below the recursion
        limit (too few to import rich, which only decides colour), still reaches stderr."""
        result = run_script(
            tmp_path,
            f"""
            import sys
            from chrono import tp

            def frames():
                count, frame = 0, sys._getframe(1)
                while frame is not None:
                    count, frame = count + 1, frame.f_back
                return count

            def deep(remaining):
                if remaining > 0:
                    return deep(remaining - 1)
                value = {margin}
                return tp(value)

            print(deep(sys.getrecursionlimit() - frames() - {margin}))
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{margin}\n"
        assert result.stderr.endswith(f" in deep  value={margin}\n"), result.stderr

    def test_when_nothing_can_be_read_values_stay_under_the_placeholder(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Where neither the source nor the bytecode can be read, each value is recorded under
        ``<?>``, all masked if the function names a secret anywhere, and the site is not
        cached: the next call there reads its names."""
        from chrono import _callsite, _errors

        def fails(*arguments: object) -> None:
            raise RecursionError("maximum recursion depth exceeded")

        def plain(first: int, second: int) -> None:
            tp(first, second)

        def secretive(first: int, password: str) -> None:
            tp(first, password[:0])

        monkeypatch.setattr(_errors, "RAISE_INTERNAL_ERRORS", False)
        with monkeypatch.context() as patched:
            patched.setattr(_callsite, "_resolve", fails)
            patched.setattr(_callsite, "_from_bytecode", fails)
            with chrono.story() as unread:
                plain(1, 2)
                secretive(3, "hunter2")
        with chrono.story() as read:
            plain(1, 2)
        assert [event.items for event in unread.events] == [
            (("<?>", "1"), ("<?>", "2")),
            (("<?>", "<masked>"), ("<?>", "<masked>")),
        ]
        assert unread.events[0].function.endswith("plain")
        assert read.events[0].items == (("first", "1"), ("second", "2"))


class TestAHungRepr:
    def test_no_thread_and_no_signal_handler_around_a_repr(self) -> None:
        """chrono bounds no repr by a timer: while a ``__repr__`` runs inside ``tp`` there is no
        other thread and the SIGALRM disposition is the program's (docs/reliability.md says
        why)."""
        seen = []

        class Watched:
            def __repr__(self) -> str:
                seen.append((threading.active_count(), signal.getsignal(signal.SIGALRM)))
                return "Watched()"

        before = (threading.active_count(), signal.getsignal(signal.SIGALRM))
        with chrono.story():
            tp(Watched())
        assert seen == [before]

    def test_faulthandler_shows_where_a_repr_hangs(self, tmp_path: Path) -> None:
        """A ``__repr__`` that never returns hangs the program inside ``tp``, as it hangs
        ``print``; faulthandler's dump names the ``__repr__`` and the ``tp`` call's line."""
        result = run_script(
            tmp_path,
            """
            import faulthandler
            import time
            from chrono import tp

            class Stuck:
                def __repr__(self):
                    while True:
                        time.sleep(0.01)

            faulthandler.dump_traceback_later(2, exit=True)
            tp(Stuck())
            """,
        )
        assert result.returncode == 1
        assert "Timeout" in result.stderr
        assert re.search(r'script\.py", line 9 in __repr__', result.stderr), result.stderr
        assert re.search(r'script\.py", line 12 in <module>', result.stderr), result.stderr
