"""The ``chrono`` command's own parsing, and the demo a newcomer runs first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import chrono
from chrono.cli import main


def story_section(output: str) -> str:
    """The part of a pytest run's output between the failures header and the summary."""
    return output.split("= FAILURES =", 1)[-1].split("short test summary info", 1)[0]


def run_chrono(*arguments: str, cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chrono", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **environment},
        timeout=120,
    )


def install_like_a_wheel(site: Path) -> Path:
    """A copy of chrono laid out as a wheel installs it: the package, and a dist-info whose
    RECORD lists its files and whose entry point registers the plugin. (The editable install
    the tests run from lists no package files, so pytest never marks chrono for rewriting.)"""
    package = site / "chrono"
    shutil.copytree(
        Path(chrono.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    dist_info = site / f"chrono-{chrono.__version__}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: chrono\nVersion: {chrono.__version__}\n"
    )
    (dist_info / "entry_points.txt").write_text("[pytest11]\nchrono = chrono.pytest_plugin\n")
    files = sorted(path.relative_to(site).as_posix() for path in package.rglob("*.py"))
    (dist_info / "RECORD").write_text("".join(f"{name},,\n" for name in files))
    return package


class TestDemo:
    def test_demo_from_an_installed_chrono_shows_no_warning(self, tmp_path: Path) -> None:
        """Run from a wheel-like install, the demo's output carries no pytest warning."""
        package = install_like_a_wheel(tmp_path / "site")
        result = run_chrono("demo", cwd=tmp_path, PYTHONPATH=str(tmp_path / "site"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert str(package / "_demo" / "shop.py") in result.stdout  # the copy ran
        output = result.stdout + result.stderr
        assert "Warning" not in output
        assert "1 failed, 1 passed in" in result.stdout

    def test_demo_fails_its_test_and_tells_the_story(self, tmp_path: Path) -> None:
        """The demo exits 0 and its failure report carries the story that explains the bug."""
        result = run_chrono("demo", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        story = story_section(result.stdout)
        assert "chrono story" in story
        assert story.count("line >= code.minimum=False") == 3
        assert "total=Decimal('120.00')" in story
        assert "1 failed, 1 passed" in result.stdout

    def test_demo_passes_pytest_options_on(self, tmp_path: Path) -> None:
        """Options the demo does not know, before or after ``--``, reach pytest and the plugin."""
        result = run_chrono(
            "demo", "--", "-q", f"--chrono-json={tmp_path / 'stories'}", cwd=tmp_path
        )
        assert result.returncode == 0, result.stdout + result.stderr
        written = list((tmp_path / "stories").glob("*.json"))
        assert len(written) == 1
        assert "test_code_applies_to_a_cart_over_the_minimum" in written[0].name

    def test_demo_with_chrono_off_tells_no_story(self, tmp_path: Path) -> None:
        """With CHRONO=off the demo's test still fails, and no story is recorded or shown."""
        result = run_chrono("demo", cwd=tmp_path, CHRONO="off")
        assert "1 failed, 1 passed" in result.stdout
        story = story_section(result.stdout)
        assert "AssertionError" in story
        assert "chrono story" not in story
        assert "line >= code.minimum" not in story


class TestParsing:
    def test_unknown_option_outside_the_demo_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``chrono check --bogus`` exits 2 and names the option it did not understand."""
        with pytest.raises(SystemExit) as exit_info:
            main(["check", "--bogus"])
        assert exit_info.value.code == 2
        assert "unrecognized arguments: --bogus" in capsys.readouterr().err

    def test_a_command_is_required(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``chrono`` with no command exits 2 and lists the commands."""
        with pytest.raises(SystemExit) as exit_info:
            main([])
        assert exit_info.value.code == 2
        assert "COMMAND" in capsys.readouterr().err

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``chrono --version`` prints the version and exits 0, with no command needed."""
        with pytest.raises(SystemExit) as exit_info:
            main(["--version"])
        assert exit_info.value.code == 0
        assert capsys.readouterr().out == f"chrono {chrono.__version__}\n"

    def test_version_through_python_m(self, tmp_path: Path) -> None:
        """``python -m chrono --version`` prints the same line and exits 0."""
        result = run_chrono("--version", cwd=tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (
            0,
            f"chrono {chrono.__version__}\n",
            "",
        )
