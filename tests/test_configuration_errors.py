"""Bad configuration: every setting with a bad value gets one clear message naming the setting
and what it accepts, and nothing crashes.

Each table below is checked against the settings chrono actually has (the parameters of
``configure``, the plugin's options and ini keys in ``pytest --help``), so a setting added
later without a check here fails the inventory test.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import chrono
from chrono import tp
from helpers import environment, run_python

#: The inner pytest runs need none of the other installed plugins.
QUIET = (
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:django",
    "-p",
    "no:benchmark",
)


class TestEnvironmentVariable:
    @pytest.mark.parametrize("value", ["maybe", "2", "enabled", "of", "offf"])
    def test_bad_value_warns_once_at_import_and_stays_off(self, value: str) -> None:
        """CHRONO=<typo>: import succeeds, one warning line names CHRONO and its values, off."""
        result = run_python(
            "-c",
            "import chrono; from chrono import tp; print(chrono.is_enabled(), tp(5))",
            env=environment(CHRONO=value),
        )
        assert result.returncode == 0
        assert result.stdout == "False 5\n"
        (line,) = result.stderr.splitlines()
        assert f"CHRONO={value!r}" in line
        for allowed in ("on", "1", "true", "yes", "off", "0", "false", "no"):
            assert re.search(rf"\b{allowed}\b", line)

    def test_bad_value_under_pytest_warns_once_and_runs_the_tests(self, tmp_path: Path) -> None:
        """CHRONO=<typo> with the plugin loaded: one warning, the tests run, no story is kept."""
        (tmp_path / "test_typo.py").write_text(
            "from chrono import tp\n\ndef test_one():\n    assert tp(1) == 1\n"
        )
        result = run_python(
            "-m", "pytest", *QUIET, "-q", str(tmp_path), env=environment(CHRONO="maybe")
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 passed" in result.stdout
        warnings = [line for line in result.stderr.splitlines() if "CHRONO=" in line]
        assert len(warnings) == 1


#: configure(): (arguments, exception, what the message must say besides the argument's name).
BAD_CONFIGURE_VALUES: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"repr_limit": "100"}, TypeError, "whole number of characters"),
    ({"repr_limit": 2.5}, TypeError, "whole number of characters"),
    ({"repr_limit": True}, TypeError, "whole number of characters"),
    ({"repr_limit": 0}, ValueError, ">= 20"),
    ({"repr_limit": -5}, ValueError, ">= 20"),
    ({"secret_names": 3}, TypeError, "regular expression"),
    ({"secret_names": b"token"}, TypeError, "regular expression"),
    ({"secret_names": "(unclosed"}, ValueError, "regular expression"),
    ({"secret_forms": "yes"}, TypeError, "True or False"),
    ({"secret_forms": 1}, TypeError, "True or False"),
    ({"secret_values": 3}, TypeError, "regular expression"),
    ({"secret_values": "(unclosed"}, ValueError, "regular expression"),
    ({"secret_values": "(?i)corp_"}, ValueError, "(?i:...)"),
    ({"output": 42}, TypeError, "'stderr', 'stdout', 'logging'"),
    ({"output": object()}, TypeError, "'stderr', 'stdout', 'logging'"),
    ({"output": "/no/such/directory/chrono.log"}, ValueError, "'stderr', 'stdout', 'logging'"),
    ({"output": Path("/no/such/directory/chrono.log")}, ValueError, "cannot be written"),
    ({"output": "."}, ValueError, "cannot be written"),
    ({"flight": 42}, TypeError, "flight must be a file path or False"),
    ({"flight": "/no/such/directory/flight"}, ValueError, "its folder does not exist"),
]


class TestConfigure:
    def test_every_argument_has_a_bad_value_checked(self) -> None:
        """The table below covers every argument configure() takes."""
        arguments = set(inspect.signature(chrono.configure).parameters)
        assert {name for case, _, _ in BAD_CONFIGURE_VALUES for name in case} == arguments

    @pytest.mark.parametrize(("arguments", "error", "allowed"), BAD_CONFIGURE_VALUES)
    def test_bad_value_raises_naming_the_argument_and_what_it_takes(
        self, arguments: dict[str, Any], error: type[Exception], allowed: str
    ) -> None:
        """A bad value raises at once, naming configure, the argument and what it accepts."""
        (name,) = arguments
        with pytest.raises(error) as raised:
            chrono.configure(**arguments)
        message = str(raised.value)
        assert message.startswith("chrono.configure: ")
        assert name in message
        assert allowed in message

    def test_bad_value_leaves_the_settings_and_tp_working(self) -> None:
        """After a refused configure(), tp records exactly as before."""
        for arguments, error, _ in BAD_CONFIGURE_VALUES:
            with pytest.raises(error):
                chrono.configure(**arguments)
        password = "x" * 30
        with chrono.story() as story:
            tp(password, "y" * 2_000)
        ((_, masked), (_, long_value)) = story.events[0].items
        assert masked == "<masked>"
        assert long_value.endswith("(2,000 characters in all)")


#: Options: (option with a bad value, what the message must say). Flags take no value at all.
BAD_OPTIONS = {
    "--chrono-show": ("--chrono-show=sometimes", r"choose from '?failed'?, '?all'?, '?never'?"),
    "--chrono-max-events": ("--chrono-max-events=0", "expected a whole number >= 1"),
    "--chrono-compare": (
        "--chrono-compare=always",
        r"choose from '?auto'?, '?siblings'?, '?last-pass'?, '?off'?",
    ),
    "--chrono-live": ("--chrono-live=yes", "ignored explicit argument 'yes'"),
    "--chrono-no-logs": ("--chrono-no-logs=yes", "ignored explicit argument 'yes'"),
    "--chrono-export-passing": (
        "--chrono-export-passing=yes",
        "ignored explicit argument 'yes'",
    ),
    "--chrono-json": ("--chrono-json=a_file", "is a file; expected a directory"),
    "--chrono-trace": ("--chrono-trace=a_file", "is a file; expected a directory"),
    "--chrono-html": ("--chrono-html=a_directory", "is a directory; expected a file"),
    "--chrono-at": ("--chrono-at=test_one.py", "is not understood: write FILE:LINE or"),
    "--chrono-suspects": (
        "--chrono-suspects=best",
        r"choose from '?ochiai'?, '?dstar'?, '?off'?",
    ),
    "--chrono-full": ("--chrono-full=yes", "ignored explicit argument 'yes'"),
    "--chrono-why": ("--chrono-why=yes", "ignored explicit argument 'yes'"),
    "--chrono-flight": ("--chrono-flight=sometimes", r"choose from '?auto'?, '?on'?, '?off'?"),
    "--chrono-signal": ("--chrono-signal=TERM", "use one of USR1, USR2, off"),
}
#: Ini keys: (bad value, what the message must say).
BAD_INI_VALUES = {
    "chrono_show": ("sometimes", "use one of failed, all, never"),
    "chrono_max_events": ("many", "use a whole number >= 1"),
    "chrono_compare": ("always", "use one of auto, siblings, last-pass, off"),
    "chrono_live": ("maybe", "use true or false"),
    "chrono_logs": ("maybe", "use true or false"),
    "chrono_export_passing": ("maybe", "use true or false"),
    "chrono_json": ("a_file", "is a file; expected a directory"),
    "chrono_trace": ("a_file", "is a file; expected a directory"),
    "chrono_html": ("a_directory", "is a directory; expected a file"),
    "chrono_at": ("test_one.py:9", "line 9 is past the end of"),
    "chrono_suspects": ("best", "use one of ochiai, dstar, off"),
    "chrono_full": ("maybe", "use true or false"),
    "chrono_why": ("maybe", "use true or false"),
    "chrono_flight": ("sometimes", "use one of auto, on, off"),
    "chrono_signal": ("TERM", "use one of USR1, USR2, off"),
}
BAD_MARKERS = ['"abc"', "0", "-3", "True", "2.5"]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A directory with one passing test, a file and a directory to point options at."""
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    (pytester.path / "a_file").write_text("not a directory")
    (pytester.path / "a_directory").mkdir()
    return pytester


def assert_usage_error(result: pytest.RunResult, setting: str, allowed: str) -> None:
    """Exit code 4 before any test ran, one message naming the setting and what it takes."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert "INTERNALERROR" not in errors
    assert "Traceback" not in errors
    lines = [line for line in errors.splitlines() if setting in line]
    assert len(lines) == 1, errors
    assert re.search(allowed, lines[0]), lines[0]


class TestPytestSettings:
    def test_every_option_and_ini_key_has_a_bad_value_checked(
        self, pytester: pytest.Pytester
    ) -> None:
        """The tables cover every --chrono-* option and chrono_* ini key pytest --help lists."""
        output = pytester.runpytest_inprocess(*QUIET, "--help").stdout.str()
        assert set(re.findall(r"--chrono-[a-z-]+", output)) == set(BAD_OPTIONS)
        assert set(re.findall(r"^  (chrono_\w+)", output, re.MULTILINE)) == set(BAD_INI_VALUES)

    @pytest.mark.parametrize("option", sorted(BAD_OPTIONS))
    def test_bad_option_is_a_usage_error(self, project: pytest.Pytester, option: str) -> None:
        """A bad command-line value stops the run with a message naming the option."""
        argument, allowed = BAD_OPTIONS[option]
        result = project.runpytest_inprocess(*QUIET, argument)
        assert_usage_error(result, option, allowed)

    @pytest.mark.parametrize("key", sorted(BAD_INI_VALUES))
    def test_bad_ini_value_is_a_usage_error(self, project: pytest.Pytester, key: str) -> None:
        """A bad ini value stops the run with a message naming the ini key."""
        value, allowed = BAD_INI_VALUES[key]
        project.makeini(f"[pytest]\n{key} = {value}\n")
        result = project.runpytest_inprocess(*QUIET)
        assert_usage_error(result, key, allowed)

    @pytest.mark.parametrize("bad", BAD_MARKERS)
    def test_bad_marker_is_a_usage_error(self, pytester: pytest.Pytester, bad: str) -> None:
        """@pytest.mark.chrono_max_events(<bad>) is a usage error naming the test and marker,
        not an internal error that stops pytest with a traceback."""
        pytester.makepyfile(
            test_marked=f"""
            import pytest

            @pytest.mark.chrono_max_events({bad})
            def test_marked():
                pass
            """
        )
        result = pytester.runpytest_inprocess(*QUIET)
        assert_usage_error(result, "test_marked.py::test_marked", "use a whole number >= 1")
