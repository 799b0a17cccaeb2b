"""What chrono sets up it takes down: the builtin ``install`` made, the file its output opened,
the plugins pytest_configure registered."""

from __future__ import annotations

import builtins
import subprocess
import sys
from pathlib import Path

import pytest

import chrono
from chrono import _output
from helpers import environment
from pytest_plugin_runs import QUIET_PLUGINS


class TestUninstall:
    def test_uninstall_takes_back_the_builtin(self) -> None:
        """install() makes tp a builtin under the name given; uninstall() of that name
        removes it."""
        chrono.install("chrono_lifecycle_tp")
        try:
            assert builtins.chrono_lifecycle_tp is chrono.tp  # type: ignore[attr-defined]
        finally:
            chrono.uninstall("chrono_lifecycle_tp")
        assert not hasattr(builtins, "chrono_lifecycle_tp")

    def test_a_builtin_that_is_not_tp_is_left_alone(self) -> None:
        """uninstall() of a name the program bound to something else, or never bound, changes
        nothing and raises nothing."""
        builtins.chrono_lifecycle_other = print  # type: ignore[attr-defined]
        try:
            chrono.uninstall("chrono_lifecycle_other")
            assert builtins.chrono_lifecycle_other is print  # type: ignore[attr-defined]
        finally:
            del builtins.chrono_lifecycle_other  # type: ignore[attr-defined]
        chrono.uninstall("chrono_lifecycle_never_bound")


class TestOutputFile:
    def test_no_resource_warning_when_the_output_changes_or_at_exit(self, tmp_path: Path) -> None:
        """Under -X dev, a file output replaced by another, settings changed around the same
        file, and the process's exit leave no ResourceWarning, and every line is written."""
        script = tmp_path / "program.py"
        script.write_text(
            "import chrono\n"
            "chrono.configure(output='first.log')\n"
            "chrono.tp(1)\n"
            "chrono.configure(output='second.log')\n"
            "chrono.tp(2)\n"
            "chrono.configure(repr_limit=50)\n"
            "chrono.tp(3)\n",
            encoding="utf-8",
        )
        run = subprocess.run(
            [sys.executable, "-X", "dev", str(script)],
            cwd=tmp_path,
            env=environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        assert run.stderr == ""
        assert (tmp_path / "first.log").read_text(encoding="utf-8").count("\n") == 1
        assert (tmp_path / "second.log").read_text(encoding="utf-8").count("\n") == 2

    def test_a_line_after_the_file_is_closed_is_dropped_quietly(self, tmp_path: Path) -> None:
        """Once chrono has closed its file (at exit), a late event (a __del__) is dropped:
        nothing raised, even under the test switch."""
        log = tmp_path / "out.log"
        chrono.configure(output=str(log))
        chrono.tp("written")
        _output._close_opened()
        assert chrono.tp("late") == "late"
        lines = log.read_text(encoding="utf-8").splitlines()
        assert [line.split()[-1] for line in lines] == ["written"]


class TestPluginLifecycle:
    def test_unconfigure_unregisters_what_configure_registered(
        self, pytester: pytest.Pytester
    ) -> None:
        """After a run, no plugin object of chrono is left registered on its config."""
        pytester.makepyfile(
            "from chrono import tp\n\ndef test_fails():\n    tp(1)\n    assert False\n"
        )
        recorded = pytester.inline_run(*QUIET_PLUGINS)
        recorded.assertoutcome(failed=1)
        config = recorded.getcall("pytest_unconfigure").config
        names = [name for name, _ in config.pluginmanager.list_name_plugin()]
        assert "chrono" in names  # the entry point itself, which pytest owns
        assert [name for name in names if str(name).startswith("chrono-")] == []

    def test_the_fixture_is_the_plugins_public_story_of_the_test(
        self, pytester: pytest.Pytester
    ) -> None:
        """chrono_story is what the plugin's story_of(item) gives for the running test, and
        story_of gives None for any other item."""
        pytester.makepyfile(
            """
            def test_one(chrono_story, request):
                plugin = request.config.pluginmanager.get_plugin("chrono-plugin")
                assert plugin.story_of(request.node) is chrono_story
                other = request.session.items[1]
                assert plugin.story_of(other) is None

            def test_two():
                pass
            """
        )
        pytester.runpytest_inprocess(*QUIET_PLUGINS).assert_outcomes(passed=2)
