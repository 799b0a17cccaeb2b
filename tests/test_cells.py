"""Call sites in IPython's cells read as IPython's tracebacks write them: ``Cell In[6], line 4``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser import find_browser
from chrono import _logpoints, export
from chrono._cells import cell_file, cell_name, host_task
from chrono._sites import reader_path, site_column, site_text
from helpers import run_python
from ipython_shell import run, shell_fixture  # noqa: F401  (the fixture "shell")


def story_text(shell: Any, cell: str) -> str:
    """The text of the story ``cell`` records as ``s``."""
    run(shell, "import chrono\nfrom chrono import tp")
    run(shell, cell)
    return str(shell.user_ns["s"].text())


class TestCellSites:
    def test_a_cell_is_its_execution_count_and_line(self, shell: Any) -> None:
        """An event recorded in a cell's own code reads ``Cell In[n], line m``, no function."""
        text = story_text(shell, "with chrono.story('s') as s:\n    y = 5\n    tp(y + 1)\n")
        assert "Cell In[2], line 3  " in text
        assert "ipython-input" not in text

    def test_a_function_of_a_cell_is_named(self, shell: Any) -> None:
        """An event in a function defined in a cell also names the function."""
        run(shell, "from chrono import tp\ndef half(n):\n    return tp(n // 2)\n")
        text = story_text(shell, "with chrono.story('s') as s:\n    half(9)\n")
        assert "Cell In[1], line 3 in half" in text

    def test_the_file_is_kept_in_the_event(self, shell: Any) -> None:
        """The event keeps IPython's own file name; only the views write the cell."""
        story_text(shell, "with chrono.story('s') as s:\n    tp(1)\n")
        event = shell.user_ns["s"].events[0]
        assert cell_name(event.file) == "Cell In[2]"
        assert reader_path(event.file) == "Cell In[2]"
        assert site_text("Cell In[2]", 4, "<module>") == "Cell In[2], line 4"

    def test_the_compiler_map_names_any_cell_file(self, shell: Any) -> None:
        """A file in the compiler's map (ipykernel's temporary files) reads as its cell, and
        the cell names its file back."""
        shell.compile._filename_map["/tmp/ipykernel_1/3821971755.py"] = 6
        assert cell_name("/tmp/ipykernel_1/3821971755.py") == "Cell In[6]"
        assert cell_file("In[6]") == "/tmp/ipykernel_1/3821971755.py"
        assert cell_file("Cell In[6]") == "/tmp/ipykernel_1/3821971755.py"
        assert cell_file("In[99]") is None

    def test_a_narrow_column_keeps_the_cell_whole(self, shell: Any) -> None:
        """Where the site column is narrow, a cell's site is not cut to a path's tail."""
        shell.compile._filename_map["/tmp/ipykernel_1/1.py"] = 12
        shown = site_column(
            [("/tmp/ipykernel_1/1.py", 3, "<module>"), ("/tmp/ipykernel_1/1.py", 4, "a.b.c.fn")],
            30,
        )
        assert shown == ["Cell In[12], line 3", "Cell In[12], line 4 in a.b….fn"]

    def test_outside_a_shell_nothing_is_a_cell(self) -> None:
        """Without a running shell, a file is a file."""
        assert cell_name("/tmp/ipykernel_1/3821971755.py") is None
        assert cell_file("In[6]") is None


class TestCellLogpoints:
    def test_a_logpoint_names_a_cell(self, shell: Any) -> None:
        """``In[n]:line:expr`` records at that line of the cell, shown under the cell."""
        run(shell, "def double(n):\n    m = n * 2\n    return m\n")
        logpoint = _logpoints.parse_spec("In[1]:3:m")
        _logpoints.add([logpoint])
        try:
            text = story_text(shell, "with chrono.story('s') as s:\n    double(4)\n")
        finally:
            _logpoints.remove([logpoint])
        assert "Cell In[1], line 3 in double (logpoint)" in text
        assert "m=8" in text

    def test_a_line_past_the_cell_is_refused(self, shell: Any) -> None:
        """A line the cell does not have is an error naming the spec."""
        run(shell, "x = 1\n")
        with pytest.raises(_logpoints.LogpointError, match=r"'In\[1\]:7'.*past the end"):
            _logpoints.parse_spec("In[1]:7")


class TestNamesOnOneLine:
    def test_two_calls_on_one_line_of_a_cell_are_named(self, shell: Any) -> None:
        """``tp(a); tp(b)`` on one line of a cell names both values, as in a file."""
        text = story_text(shell, "y = 5\nwith chrono.story('s') as s:\n    tp(y - 1); tp(y * 3)\n")
        assert "y - 1=4" in text
        assert "y * 3=15" in text

    def test_the_statements_of_a_line_at_the_top_of_a_cell(
        self, shell: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Top-level statements on one line, the last displayed, an assignment, a label, and
        two inside one ``if``: every value is named."""
        run(shell, "from chrono import tp\ny = 5")
        run(shell, "tp(y - 1); z = tp(y * 3); tp('lab', y)\nif y: tp(y + 2); tp(y + 3)")
        err = capsys.readouterr().err
        assert "<?>" not in err
        for named in ("y - 1=4", "y * 3=15", "lab  y=5", "y + 2=7", "y + 3=8"):
            assert named in err

    def test_the_same_statement_in_two_cells_is_named_in_both(
        self, shell: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A cell that runs the statement another cell ran, at another line, is named too (on
        3.10 their code objects compare equal, their lines apart)."""
        run(shell, "from chrono import tp\ny = 5")
        run(shell, "tp(y * 3)")
        run(shell, "# the same, a line lower\ntp(y * 3)")
        err = capsys.readouterr().err
        assert "Cell In[2], line 1  y * 3=15" in err
        assert "Cell In[3], line 2  y * 3=15" in err

    def test_ipython_minus_c_names_its_values(self, tmp_path: Path) -> None:
        """``ipython -c "…; tp(y + 1); tp(y - 1)"`` names both values."""
        result = run_python(
            "-m",
            "IPython",
            "--quick",
            "-c",
            "from chrono import tp; y = 5; tp(y + 1); tp(y - 1)",
            cwd=tmp_path,
        )
        assert "Cell In[1], line 1  y + 1=6" in result.stderr, result.stderr
        assert "Cell In[1], line 1  y - 1=4" in result.stderr


class TestCellExports:
    def test_the_exports_write_the_cell(self, shell: Any, tmp_path: Path) -> None:
        """The Chrome trace and the HTML page write a cell's sites as the cell; the page, read
        in Chromium, shows ``Cell In[n], line m``."""
        story_text(shell, "with chrono.story('s') as s:\n    tp(1)\n")
        story = shell.user_ns["s"]
        trace = export.story_to_chrome_trace(story)
        sites = [entry["args"]["site"] for entry in trace["traceEvents"] if "site" in entry["args"]]
        assert sites == ["Cell In[2], line 2"]
        page = tmp_path / "report.html"
        page.write_text(export.html_report([story]), encoding="utf-8")
        browser = find_browser()
        if browser is None:
            pytest.skip("no Chromium installed (apt-get install chromium)")
        assert "Cell In[2], line 2" in browser.dom(page.as_uri())


class TestHostTasks:
    def test_ipython_and_ipykernel_tasks_are_the_hosts(self) -> None:
        """A task running IPython's or ipykernel's own coroutine is the host's; one running
        the program's coroutine, or of a class without coroutines, is not."""
        import asyncio
        import os

        import IPython

        async def programs() -> None:
            pass

        # A coroutine whose code is compiled as a file of IPython's folder, as its own are.
        folder = os.path.dirname(IPython.__file__)
        hosts_code = compile("async def run_cell(): pass", os.path.join(folder, "x.py"), "exec")
        namespace: dict[str, Any] = {}
        exec(hosts_code, namespace)

        class Plain:
            pass

        async def check() -> tuple[bool, bool, bool]:
            own = asyncio.ensure_future(programs())
            hosts = asyncio.ensure_future(namespace["run_cell"]())
            result = (host_task(own), host_task(hosts), host_task(Plain()))
            await asyncio.gather(own, hosts)
            return result

        assert asyncio.run(check()) == (False, True, False)
