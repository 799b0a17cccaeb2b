"""The IPython extension, in IPython's own shell: ``%load_ext chrono``, ``%%chrono``,
``%chrono on|off|live``; and a real notebook run by a real kernel."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

import chrono
import chrono.ipython
from ipython_shell import run, shell_fixture  # noqa: F401  (the fixture "shell")


@pytest.fixture
def loaded(shell: Any) -> Any:
    """A shell with the extension loaded and ``tp`` imported."""
    run(shell, "%load_ext chrono\nfrom chrono import tp")
    return shell


class TestCellMagic:
    def test_the_cell_is_a_story_shown_below_it(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``%%chrono`` shows the cell's story after the cell ran, its sites as the cell's."""
        run(loaded, "%%chrono\nprint('ran')\nx = 4\ntp(x + 1)\n")
        out = capsys.readouterr().out
        assert out.index("ran") < out.index("chrono story 'In[2]' — 1 event")
        assert "Cell In[2], line 4  x + 1=5" in out

    def test_a_name_names_the_story(self, loaded: Any, capsys: pytest.CaptureFixture[str]) -> None:
        """``%%chrono NAME`` calls the story NAME."""
        run(loaded, "%%chrono checkout\ntp(1)\n")
        assert "chrono story 'checkout' — 1 event" in capsys.readouterr().out

    def test_a_raising_cell_shows_its_story_after_the_traceback(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """When the cell raises, IPython's traceback comes first, then the story."""
        run(loaded, "%%chrono\ntotal = 3\ntp(total)\ntotal / 0\n")
        out = capsys.readouterr().out
        assert "ZeroDivisionError" in out
        assert out.index("ZeroDivisionError") < out.index("Cell In[2], line 3  total=3")
        assert "showtraceback" not in vars(loaded)  # the shell's own method again

    def test_the_story_ends_before_the_traceback_is_formatted(self, loaded: Any) -> None:
        """A raising cell's story ends when its code does, not after IPython has formatted
        the traceback (which can take longer than the cell ran)."""
        import time

        def slow_traceback(*arguments: Any, **keywords: Any) -> None:
            time.sleep(0.5)

        loaded.showtraceback = slow_traceback
        try:
            loaded.run_cell("%%chrono slow\ntp(1)\n1 / 0\n", store_history=True)
        finally:
            del loaded.showtraceback
        story = chrono.ipython._sessions[id(loaded)].previous["slow"][0]
        assert story.ended_ns - story.started_ns < 400_000_000

    def test_a_cell_run_again_shows_where_it_diverged(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The second run of a cell is compared with its first, and the divergence shown."""
        run(loaded, "%%chrono pricing\nprice = 10\ntp(price)\n")
        capsys.readouterr()
        run(loaded, "%%chrono pricing\nprice = 12\ntp(price)\n")
        out = capsys.readouterr().out
        assert "the previous run" in out
        assert "price=10" in out
        assert "price=12" in out

    def test_a_cell_run_alike_shows_no_divergence(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A cell that ran as before shows its story and nothing more."""
        run(loaded, "%%chrono same\ntp(7)\n")
        capsys.readouterr()
        run(loaded, "%%chrono same\ntp(7)\n")
        assert "previous run" not in capsys.readouterr().out

    def test_the_display_is_html_in_a_notebook(self, loaded: Any) -> None:
        """The story is displayed as an object with an HTML form, which notebooks show."""
        from IPython.utils.capture import capture_output

        with capture_output() as captured:
            run(loaded, "%%chrono\ntp(2)\n")
        (output,) = captured.outputs
        assert "text/html" in output.data
        assert "Cell In[2], line 2" in output.data["text/html"]


class TestLineMagic:
    def test_off_and_on_switch_chrono(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``%chrono off`` turns chrono off (a cell story records nothing), ``on`` back on."""
        run(loaded, "%chrono off")
        assert not chrono.is_enabled()
        run(loaded, "%%chrono\ntp(1)\n")
        assert "chrono story" not in capsys.readouterr().out
        run(loaded, "%chrono on")
        assert chrono.is_enabled()
        assert capsys.readouterr().out == "chrono is on\n"

    def test_live_prints_each_event_as_it_happens(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """After ``%chrono live``, a cell's events are printed as they happen, plain, on
        stdout, before the story."""
        run(loaded, "%chrono live")
        run(loaded, "%%chrono\ntp(5)\nprint('after')\n")
        out = capsys.readouterr().out
        assert out.index("Cell In[3], line 2  5") < out.index("after") < out.index("chrono story")
        assert "\x1b[" not in out

    def test_alone_it_says_the_state(self, loaded: Any, capsys: pytest.CaptureFixture[str]) -> None:
        """``%chrono`` alone says whether chrono is on and live."""
        run(loaded, "%chrono")
        assert capsys.readouterr().out == "chrono is on\n"

    def test_a_word_it_does_not_know_is_named_with_the_usage(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``%chrono loud`` says what it takes, on stderr."""
        run(loaded, "%chrono loud")
        usage = "'loud' is not understood: %chrono on|off|live|quiet, %chrono at"
        assert usage in capsys.readouterr().err

    def test_unloading_takes_the_magics_away(self, loaded: Any) -> None:
        """``%unload_ext chrono`` removes ``%chrono`` and ``%%chrono``."""
        run(loaded, "%unload_ext chrono")
        assert "chrono" not in loaded.magics_manager.magics["line"]
        assert "chrono" not in loaded.magics_manager.magics["cell"]


# -- a real notebook, in a real kernel -------------------------------------------------------------

NOTEBOOK_CELLS = [
    "%load_ext chrono\nfrom chrono import tp\nimport asyncio, threading",
    "y = 5\ntp(y + 1)\ntp(y - 1); tp(y * 3)",
    "%%chrono\ntp(y)\ndef double(a):\n    return tp(a * 2)\ndouble(3)",
    "%%chrono boom\ntp(y)\n1 / 0",
    "async def later():\n    await asyncio.sleep(0)\n    tp('in a task', y)\n"
    "await later()\nawait asyncio.create_task(later(), name='fetch')",
    "import chrono\nwith chrono.story('nb') as story:\n    tp(y)\nstory",
    "%%chrono\nfor n in range(2):\n    tp(n)",
    "%%chrono\nfor n in range(3):\n    tp(n)",
    "%chrono live",
    "%%chrono\ntp(y * 3)",
]


@pytest.mark.skipif(sys.platform == "win32", reason="the kernel's temporary files are POSIX here")
def test_a_notebook_run_by_a_kernel() -> None:
    """Ten cells executed by nbclient in a real ipykernel: every site reads ``Cell In[n], line
    m``, every value is named, no task and no escape code is shown, nothing goes to stderr, and
    the stories are HTML."""
    nbformat = pytest.importorskip("nbformat", reason="install nbclient, nbformat, ipykernel")
    nbclient = pytest.importorskip("nbclient", reason="install nbclient, nbformat, ipykernel")
    pytest.importorskip("ipykernel", reason="install nbclient, nbformat, ipykernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    environment.pop("CHRONO", None)
    nbclient.NotebookClient(notebook, timeout=120, allow_errors=True).execute(env=environment)
    texts = []
    html = []
    for cell in notebook.cells:
        for output in cell.outputs:
            assert output.get("name") != "stderr", output
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type in ("display_data", "execute_result"):
                texts.append(output.data.get("text/plain", ""))
                html.append(output.data.get("text/html", ""))
    text = "\n".join(texts)
    assert "#1 " in text
    assert "Cell In[2], line 2  y + 1=6" in text
    assert "Cell In[2], line 3  y - 1=4" in text
    assert "Cell In[2], line 3  y * 3=15" in text
    assert "<?>" not in text
    assert "Cell In[3], line 4 in double  a * 2=6" in text
    assert "Cell In[4], line 2  y=5" in text
    # The cell's own task is not shown; a task the cell started is.
    assert "Cell In[5], line 3 in later  in a task  y=5" in text
    assert "Cell In[5], line 3 in later [MainThread / fetch]  in a task  y=5" in text
    assert "Cell In[10], line 2  y * 3=15" in text
    assert "Task-" not in text
    assert text.count("MainThread") == text.count("MainThread / fetch")
    assert "\x1b[" not in text
    assert "the previous run" not in text  # cells 7 and 8 are two cells, not one run again
    assert sum("chrono story" in fragment for fragment in html) == 6


class TestLogpoints:
    def test_a_logpoint_in_a_cell_records_there(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``%chrono at In[2]:3:m`` records ``m`` at that line of cell 2 when it runs again, in
        the next ``%%chrono`` cell's story; ``%chrono at`` lists it with its runs."""
        run(loaded, "def double(n):\n    m = n * 2\n    return m\n")
        run(loaded, "%chrono at In[2]:3:m")
        run(loaded, "%%chrono\ndouble(4)\n")
        run(loaded, "%chrono at")
        out = capsys.readouterr().out
        assert "chrono: logpoint In[2]:3:m" in out
        assert "Cell In[2], line 3 in double (logpoint)  m=8" in out
        assert "In[2]:3:m  ran 1 time" in out

    def test_clear_takes_the_logpoints_away(
        self, loaded: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``%chrono clear`` takes the session's logpoints away: the line records nothing."""
        run(loaded, "def triple(n):\n    return n * 3\n")
        run(loaded, "%chrono at In[2]:2:n")
        run(loaded, "%chrono clear")
        run(loaded, "%%chrono\ntriple(2)\n")
        out = capsys.readouterr().out
        assert "chrono: 1 logpoint taken away" in out
        assert "(logpoint)" not in out

    def test_a_bad_spec_is_named(self, loaded: Any, capsys: pytest.CaptureFixture[str]) -> None:
        """A spec that cannot be a logpoint is named, with what is wrong, on stderr."""
        run(loaded, "%chrono at In[1]:99")
        assert "logpoint 'In[1]:99': line 99 is past the end" in capsys.readouterr().err
