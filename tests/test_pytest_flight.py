"""A test whose process dies still tells its story: real inner pytest runs whose tests kill
their own process (SIGKILL, ``os._exit``, a segfault), under ``-n 2`` and in one process.

Each run gets a temporary directory of its own (``TMPDIR``), so that its flight files are
its own to look at.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import pytest

from pytest_plugin_runs import QUIET_PLUGINS, make_runner, sections

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and files")

CRASHES = """
import ctypes
import os
import signal
import time

from chrono import tp


def test_before():
    tp("fine")


def test_sigkill():
    for step in range(3):
        tp(step)
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)


def test_exit():
    tp("leaving", code=3)
    time.sleep(0.5)
    os._exit(3)


def test_segfault():
    tp("reading", address=0)
    time.sleep(0.5)
    ctypes.string_at(0)
"""

SECTION = "chrono story (possibly incomplete: the process died)"


@pytest.fixture
def temporary(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The inner runs' own temporary directory, where their flight files go."""
    directory = pytester.path / "tmp"
    directory.mkdir()
    monkeypatch.setenv("TMPDIR", str(directory))
    make_runner(pytester, monkeypatch, "subprocess")  # the known environment
    pytester.makepyfile(test_crashes=CRASHES)
    return directory


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # faulthandler's dump of the segfault would fill the output: the story is what is read.
    arguments = (*QUIET_PLUGINS, "-p", "no:faulthandler", *args)
    return pytester.runpytest_subprocess(*arguments, timeout=120)


def _flight_files(temporary: Path) -> list[Path]:
    return sorted(temporary.glob("chrono-flight-*/*"))


class TestUnderXdist:
    def test_each_crash_tells_its_story(self, pytester: pytest.Pytester, temporary: Path) -> None:
        """Each crashed worker's report carries the crashed test's story: SIGKILL, os._exit
        and a segfault alike, and no flight file is left behind."""
        result = _run(pytester, "-n", "2")
        stories = sections(result, SECTION)
        assert len(stories) == 3, result.stdout.str()
        by_test = {story.split("'")[1]: story for story in stories}
        assert "step=2" in by_test["test_crashes.py::test_sigkill"]
        assert "leaving  code=3" in by_test["test_crashes.py::test_exit"]
        assert "reading  address=0" in by_test["test_crashes.py::test_segfault"]
        for story in stories:
            assert "may be missing" in story
        result.stdout.fnmatch_lines(["*worker 'gw*' crashed while running*"])
        assert _flight_files(temporary) == []

    def test_off(self, pytester: pytest.Pytester, temporary: Path) -> None:
        """With --chrono-flight=off, a crash report is xdist's one line, as without chrono."""
        result = _run(pytester, "-n", "2", "--chrono-flight=off", "-k", "exit")
        assert sections(result, SECTION) == []
        result.stdout.fnmatch_lines(["*worker 'gw*' crashed while running*test_exit*"])


class TestNextRun:
    def test_last_run_tells_the_next(self, pytester: pytest.Pytester, temporary: Path) -> None:
        """A single process that died leaves its story; the next run here tells it once, and
        removes the file."""
        died = _run(pytester, "--chrono-flight=on", "-k", "before or exit")
        assert died.ret == 3
        assert len(_flight_files(temporary)) == 1
        following = _run(pytester, "-k", "before")
        following.stdout.fnmatch_lines(
            [
                "chrono: the last run ended inside test_crashes.py::test_exit; its story:",
                "chrono story 'test_crashes.py::test_exit' *",
                "*test_crashes.py:* in test_exit  leaving  code=3",
            ]
        )
        assert _flight_files(temporary) == []
        third = _run(pytester, "-k", "before")
        assert "the last run ended" not in third.stdout.str()

    def test_normal_end_leaves_nothing(self, pytester: pytest.Pytester, temporary: Path) -> None:
        """A run that ends normally removes its file."""
        _run(pytester, "--chrono-flight=on", "-k", "before").assert_outcomes(passed=1)
        assert _flight_files(temporary) == []

    def test_a_single_process_records_only_when_asked(
        self, pytester: pytest.Pytester, temporary: Path
    ) -> None:
        """By default a single process starts no recorder: a test that lists the process's
        threads sees none of chrono's, and a death leaves no file."""
        pytester.makepyfile(
            test_threads="""
            import threading

            def test_alone():
                assert [t.name for t in threading.enumerate() if "chrono" in t.name] == []
            """
        )
        _run(pytester, "test_threads.py").assert_outcomes(passed=1)
        died = _run(pytester, "test_crashes.py", "-k", "before or exit")
        assert died.ret == 3
        assert _flight_files(temporary) == []
        failed = _run(pytester, "--chrono-flight=on", "test_threads.py")
        failed.assert_outcomes(failed=1)
        assert "chrono flight recorder" in failed.stdout.str()

    def test_live_process_file_not_read(self, pytester: pytest.Pytester, temporary: Path) -> None:
        """The file of a process that still runs (another run here) is neither read nor
        removed."""
        died = _run(pytester, "--chrono-flight=on", "-k", "before or exit")
        assert died.ret == 3
        (left,) = _flight_files(temporary)
        root = hashlib.sha256(str(pytester.path).encode()).hexdigest()[:16]
        assert left.name.startswith(f"serial-{root}-")
        alive = left.with_name(f"serial-{root}-{os.getpid()}{left.suffix}")
        left.rename(alive)
        following = _run(pytester, "-k", "before")
        assert "the last run ended" not in following.stdout.str()
        assert alive.exists()

    def test_forgotten_files_removed(self, pytester: pytest.Pytester, temporary: Path) -> None:
        """A dead process's file of another rootdir is kept for its own next run, and removed
        by any run once a week passed unread."""
        directory = temporary / f"chrono-flight-{os.getuid()}"
        directory.mkdir(mode=0o700)
        recent = directory / "serial-0123456789abcdef-999999999.chrono-flight"
        forgotten = directory / "serial-fedcba9876543210-999999998.chrono-flight"
        for path in (recent, forgotten):
            path.write_text("")
        week_and_a_day_ago = time.time() - 8 * 24 * 3600
        os.utime(forgotten, (week_and_a_day_ago, week_and_a_day_ago))
        _run(pytester, "-k", "before").assert_outcomes(passed=1)
        assert recent.exists()
        assert not forgotten.exists()
