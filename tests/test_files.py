"""Files chrono writes are replaced whole or left untouched: ``chrono strip``, the exports, the
comparison's cache, under a real size limit, a folder that cannot be written, an interrupt."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from chrono._files import NotWritten, write_whole
from helpers import run_command, run_python

needs_size_limit = pytest.mark.skipif(
    sys.platform == "win32", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX"
)


def _permission_bits_bind() -> bool:
    """Whether this process is kept out of a folder without write permission (root, with its
    capability to override them, is not)."""
    if sys.platform == "win32":
        return False
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o555)
        try:
            os.close(os.open(os.path.join(folder, "probe"), os.O_CREAT | os.O_WRONLY, 0o666))
        except PermissionError:
            return True
        finally:
            os.chmod(folder, 0o755)
        return False


needs_permissions = pytest.mark.skipif(
    not _permission_bits_bind(), reason="permission bits do not bind this process"
)

#: Runs a module (``python -m``) with the size of any file it writes limited, as ``ulimit -f``
#: does; SIGXFSZ ignored, so that a write past the limit fails with EFBIG instead of killing
#: the process.
LIMITED = """\
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = sys.argv[2:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""
LIMIT = 8192


def littered_module(lines: int) -> bytes:
    """A module of ``lines`` statements, each with a tp() call to strip."""
    return "".join(f"value_{n} = tp({n}) + 1\n" for n in range(lines)).encode()


def folder_listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


class TestWriteWhole:
    """``write_whole`` replaces a file in one step, keeping what the file was, or raises."""

    def test_replaces_content_and_keeps_mode(self, tmp_path: Path) -> None:
        """The new bytes land under the old permission bits, and nothing else is left beside."""
        path = tmp_path / "script.py"
        path.write_bytes(b"old\n")
        path.chmod(0o751)
        write_whole(path, b"new\n")
        assert (path.read_bytes(), stat.S_IMODE(path.stat().st_mode)) == (b"new\n", 0o751)
        assert folder_listing(tmp_path) == ["script.py"]

    def test_new_file_gets_the_usual_mode(self, tmp_path: Path) -> None:
        """A file that did not exist gets the mode ``open()`` gives (0o666 less the umask)."""
        umask = os.umask(0o022)
        os.umask(umask)
        path = tmp_path / "new.json"
        write_whole(path, b"{}")
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask

    @pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
    def test_symbolic_link_stays_a_link(self, tmp_path: Path) -> None:
        """Writing through a link replaces the file it points to; the link itself stays."""
        (tmp_path / "real").mkdir()
        target = tmp_path / "real" / "module.py"
        target.write_bytes(b"old\n")
        link = tmp_path / "module.py"
        link.symlink_to(target)
        write_whole(link, b"new\n")
        assert (link.is_symlink(), target.read_bytes()) == (True, b"new\n")
        assert folder_listing(tmp_path / "real") == ["module.py"]

    def test_directory_is_refused(self, tmp_path: Path) -> None:
        """A directory where the file should be is named in one line, and left alone."""
        (tmp_path / "page.html").mkdir()
        with pytest.raises(NotWritten) as caught:
            write_whole(tmp_path / "page.html", b"<html>")
        assert str(caught.value) == f"cannot write {tmp_path / 'page.html'}: it is a directory"
        assert (tmp_path / "page.html").is_dir()

    def test_missing_folder(self, tmp_path: Path) -> None:
        """A folder that does not exist is told in one line naming the file; it is an OSError."""
        path = tmp_path / "absent" / "story.json"
        with pytest.raises(OSError, match="cannot write") as caught:
            write_whole(path, b"{}")
        message = str(caught.value)
        assert message == (
            f"cannot write {path}: cannot create a file in {path.parent} "
            "(No such file or directory)"
        )
        assert "\n" not in message

    def test_interrupt_leaves_the_file_and_nothing_beside(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An interrupt while the data reaches the disk goes on to the caller unchanged; the
        original stays and the temporary file goes."""
        path = tmp_path / "module.py"
        path.write_bytes(b"old\n")

        def interrupted(descriptor: int) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "fsync", interrupted)
        with pytest.raises(KeyboardInterrupt):
            write_whole(path, b"new\n")
        assert (path.read_bytes(), folder_listing(tmp_path)) == (b"old\n", ["module.py"])

    @needs_permissions
    def test_read_only_folder(self, tmp_path: Path) -> None:
        """In a folder that cannot be written, the file stays and the message says why."""
        path = tmp_path / "module.py"
        path.write_bytes(b"old\n")
        tmp_path.chmod(0o555)
        try:
            with pytest.raises(NotWritten, match="Permission denied"):
                write_whole(path, b"new\n")
        finally:
            tmp_path.chmod(0o755)
        assert (path.read_bytes(), folder_listing(tmp_path)) == (b"old\n", ["module.py"])

    @needs_permissions
    def test_read_only_file(self, tmp_path: Path) -> None:
        """A read-only file is left as ``open(path, "wb")`` would leave it."""
        path = tmp_path / "module.py"
        path.write_bytes(b"old\n")
        path.chmod(0o444)
        with pytest.raises(NotWritten, match="it is read-only"):
            write_whole(path, b"new\n")
        assert path.read_bytes() == b"old\n"


class TestStripWritesWhole:
    """``chrono strip`` replaces each file whole, or names it in one line and leaves it."""

    @needs_size_limit
    def test_size_limit(self, tmp_path: Path) -> None:
        """Under ``ulimit -f``, a large file stays byte for byte and the error is one line;
        a small file in the same run is stripped."""
        big, small = tmp_path / "big.py", tmp_path / "small.py"
        original = littered_module(3000)
        assert len(original) > 8 * LIMIT
        big.write_bytes(original)
        small.write_bytes(b"x = tp(1)\n")
        completed = run_python(
            "-c", LIMITED, str(LIMIT), "chrono", "strip", "big.py", "small.py", cwd=tmp_path
        )
        assert (completed.returncode, completed.stdout, completed.stderr) == (
            1,
            "small.py: stripped 1 call\n",
            "chrono strip: error: cannot write big.py: File too large; left unchanged\n",
        )
        assert (big.read_bytes(), small.read_bytes()) == (original, b"x = 1\n")
        assert folder_listing(tmp_path) == ["big.py", "small.py"]

    def test_mode_kept(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An executable script stays executable, with the same bits."""
        path = tmp_path / "script.py"
        path.write_bytes(b"#!/usr/bin/env python\nx = tp(1)\n")
        path.chmod(0o750)
        assert run_command(capsys, "strip", str(path))[0] == 0
        assert path.read_bytes() == b"#!/usr/bin/env python\nx = 1\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o750

    @needs_permissions
    def test_read_only_folder(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """In a folder that cannot be written, the file stays and the exit code says so."""
        path = tmp_path / "module.py"
        path.write_bytes(b"x = tp(1)\n")
        tmp_path.chmod(0o555)
        try:
            code, out, err = run_command(capsys, "strip", str(path))
        finally:
            tmp_path.chmod(0o755)
        assert (code, out, path.read_bytes()) == (1, "", b"x = tp(1)\n")
        assert err == (
            f"chrono strip: error: cannot write {path}: cannot create a file in {tmp_path} "
            "(Permission denied); left unchanged\n"
        )


FAILING_TEST = """
from chrono import tp

def test_fails():
    for n in range(20):
        tp(n)
    assert False
"""

PASSING_TEST = """
from chrono import tp

def test_passes():
    tp(1)
"""


class TestPytestFilesWritten:
    """The pytest plugin tells a file it could not write in one line, and the run goes on."""

    @needs_size_limit
    def test_export_under_a_size_limit(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An HTML page past ``ulimit -f`` leaves the old page byte for byte, and the run says
        so in one line."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(test_limited=FAILING_TEST)
        page = pytester.path / "report.html"
        page.write_bytes(b"<p>the last run's page</p>\n")
        result = pytester.run(
            sys.executable,
            "-c",
            LIMITED,
            str(LIMIT),
            "pytest",
            "-p",
            "no:cacheprovider",
            "--chrono-html=report.html",
            timeout=120,
        )
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        lines = [line for line in result.outlines if "report.html" in line]
        assert len(lines) == 1, result.stdout.str()
        assert f"chrono: cannot write {page}: File too large (the HTML page)" in lines[0]
        assert page.read_bytes() == b"<p>the last run's page</p>\n"
        beside = [path.name for path in pytester.path.iterdir() if "report.html" in path.name]
        assert beside == ["report.html"]  # no temporary file left

    def test_cache_not_written(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A last-passes file that cannot be replaced is one line in the summary; the run
        passes as it would."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(test_passing=PASSING_TEST)
        blocked = pytester.path / ".pytest_cache" / "d" / "chrono" / "last-passes.marshal"
        blocked.mkdir(parents=True)
        result = pytester.runpytest()
        assert result.ret == pytest.ExitCode.OK
        result.stdout.fnmatch_lines(
            [f"*chrono: cannot write {blocked}: it is a directory; this run's passes are not kept*"]
        )
        assert blocked.is_dir()

    def test_cache_folder_not_made(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A file where chrono's cache folder belongs is named in one line; the run passes."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(test_passing=PASSING_TEST)
        blocked = pytester.path / ".pytest_cache" / "d" / "chrono"
        blocked.parent.mkdir(parents=True)
        blocked.write_bytes(b"not a folder")
        result = pytester.runpytest()
        assert result.ret == pytest.ExitCode.OK
        result.stdout.fnmatch_lines(
            [
                "*chrono: cannot write chrono/last-passes.marshal in pytest's cache: "
                f"cannot make {blocked} (File exists); this run's passes are not kept*"
            ]
        )
        assert blocked.read_bytes() == b"not a folder"


class TestStoryFiles:
    """``chrono.export.StoryFiles`` says only what it wrote."""

    def test_story_not_written_as_json_still_reaches_the_page(self, tmp_path: Path) -> None:
        """A JSON file that cannot be written raises one line; the page still shows the story,
        and the summary counts only what was written."""
        from chrono.export import StoryFiles, story_file_stem

        files = StoryFiles(json_directory=tmp_path / "stories", html_file=tmp_path / "page.html")
        (tmp_path / "stories" / f"{story_file_stem('t')}.json").mkdir(parents=True)
        story = {"name": "t", "events": [], "test": {"id": "t"}}
        with pytest.raises(NotWritten, match="it is a directory"):
            files.add(story)
        files.finish()
        assert files.summary() == [f"chrono: 1 story in the HTML page {tmp_path / 'page.html'}"]
