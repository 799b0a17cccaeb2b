"""The pytest plugin's options, their ini twins, and how log records join the story.

Precedence is command line, then ini, then default; a bad value is a usage error (exit code 4)
that names the option and what it accepts.
"""

from __future__ import annotations

import re

import pytest

from pytest_plugin_runs import (
    BOTH,
    IN_PROCESS,
    SUBPROCESS,
    Runner,
    make_runner,
    only_section,
    sections,
)

PASS_AND_FAIL = """
from chrono import tp


def test_passes():
    shown_when_passing = 1
    tp(shown_when_passing)


def test_fails():
    shown_when_failing = 2
    tp(shown_when_failing)
    assert False
"""

TWENTY_EVENTS = """
import pytest
from chrono import tp


def test_twenty():
    for i in range(20):
        tp(i)
    assert False


@pytest.mark.chrono_max_events(5)
def test_twenty_marked():
    for i in range(20):
        tp(i)
    assert False
"""

MARKED_AT_EVERY_LEVEL = """
import pytest
from chrono import tp

pytestmark = pytest.mark.chrono_max_events(5)


def twenty():
    for i in range(20):
        tp(i)


def test_module_mark():
    twenty()
    assert False


@pytest.mark.chrono_max_events(2)
def test_own_mark():
    twenty()
    assert False


@pytest.mark.chrono_max_events(3)
class TestMarked:
    def test_class_mark(self):
        twenty()
        assert False

    def test_class_mark_again(self):
        twenty()
        assert False
"""

LIVE = """
from chrono import tp


def test_pp_live():
    x = 3
    tp(x)
    print("printed by the test")
    assert False
"""

LIVE_TOO = """
from chrono import tp


def test_pp_live_too():
    y = 4
    tp(y)
"""

LIVE_AMONG_PRINTS = """
from chrono import tp


def test_pp_live():
    print("printed before")
    x = 3
    tp(x)
    print("printed after")
    assert False
"""

LOGS = """
import logging
from chrono import tp

log = logging.getLogger("app.orders")


def test_pp_logs():
    tp("start")
    log.debug("debug detail")
    log.info("order %s placed", 7)
    log.warning("stock low")
    tp("end")
    assert False
"""


@pytest.fixture
def runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str) -> Runner:
    return make_runner(pytester, monkeypatch, mode)


def _ini(pytester: pytest.Pytester, **settings: str) -> None:
    lines = [f"{name} = {value}" for name, value in settings.items()]
    pytester.makeini("\n".join(["[pytest]", *lines]) + "\n")


class TestShowOption:
    """--chrono-show / chrono_show: which tests' stories are shown."""

    @pytest.mark.parametrize(
        ("mode", "report_flag"), [(IN_PROCESS, "-rP"), (IN_PROCESS, "-rA"), (SUBPROCESS, "-rP")]
    )
    def test_all_shows_passing_stories_where_pytest_shows_passes(
        self, pytester: pytest.Pytester, runner: Runner, report_flag: str
    ) -> None:
        """--chrono-show=all with -rP or -rA: the passing test's story is under PASSES."""
        pytester.makepyfile(test_pp_show=PASS_AND_FAIL)
        result = runner("--chrono-show=all", report_flag)
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(
            [
                "*= PASSES =*",
                "*_ test_passes _*",
                "*- chrono story -*",
                "chrono story '*test_pp_show.py::test_passes' — 1 event*",
                "* in test_passes * shown_when_passing=1",
            ]
        )
        assert "shown_when_failing=2" in sections(result, "chrono story")[0]

    @pytest.mark.parametrize("mode", BOTH)
    def test_all_without_report_flag_shows_passing_stories_at_the_end(self, runner: Runner) -> None:
        """--chrono-show=all alone: passing tests' stories come in a section of their own."""
        runner.pytester.makepyfile(test_pp_show=PASS_AND_FAIL)
        result = runner("--chrono-show=all")
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines(
            [
                "*= FAILURES =*",
                "*= chrono stories of passing tests =*",
                "*_ test_passes _*",
                "*- chrono story -*",
                "chrono story 'test_pp_show.py::test_passes' — 1 event*",
                "* in test_passes * shown_when_passing=1",
                "*= short test summary info =*",
            ]
        )
        assert result.stdout.str().count("shown_when_passing=1") == 1
        assert "shown_when_failing=2" in sections(result, "chrono story")[0]

    @pytest.mark.parametrize("mode", [IN_PROCESS])
    @pytest.mark.parametrize("report_flag", ["-rP", "-rA"])
    def test_all_with_report_flag_shows_each_passing_story_once(
        self, runner: Runner, report_flag: str
    ) -> None:
        """Where pytest shows passes itself, chrono adds no section of its own."""
        runner.pytester.makepyfile(test_pp_show=PASS_AND_FAIL)
        result = runner("--chrono-show=all", report_flag)
        assert "chrono stories of passing tests" not in result.stdout.str()
        assert result.stdout.str().count("shown_when_passing=1") == 1

    @pytest.mark.parametrize("mode", BOTH)
    def test_never_shows_no_story(self, runner: Runner) -> None:
        """--chrono-show=never: a failing test's report has no story section."""
        runner.pytester.makepyfile(test_pp_show=PASS_AND_FAIL)
        result = runner("--chrono-show=never", "-rA")
        result.assert_outcomes(passed=1, failed=1)
        assert "chrono story" not in result.stdout.str()
        # With no story to collect them, tp prints its events as it does outside a test.
        assert "shown_when_failing=2" in sections(result, "Captured stderr call")[0]

    @pytest.mark.parametrize("mode", [IN_PROCESS])
    @pytest.mark.parametrize(
        ("ini_value", "arguments", "passing_shown", "failing_shown"),
        [
            ("all", ["-rP"], True, True),
            ("never", [], False, False),
            ("never", ["--chrono-show=failed"], False, True),
            ("all", ["--chrono-show=failed", "-rP"], False, True),
            ("failed", ["--chrono-show=never"], False, False),
        ],
    )
    def test_ini_twin_and_command_line_precedence(
        self,
        runner: Runner,
        ini_value: str,
        arguments: list[str],
        passing_shown: bool,
        failing_shown: bool,
    ) -> None:
        """chrono_show in the ini applies unless --chrono-show says otherwise."""
        runner.pytester.makepyfile(test_pp_show=PASS_AND_FAIL)
        _ini(runner.pytester, chrono_show=ini_value)
        stories = "\n".join(sections(runner(*arguments), "chrono story"))
        assert ("shown_when_passing=1" in stories) is passing_shown
        assert ("shown_when_failing=2" in stories) is failing_shown


class TestMaxEventsOption:
    """--chrono-max-events / chrono_max_events / the chrono_max_events mark bound each story."""

    @pytest.mark.parametrize(
        ("mode", "arguments", "ini_value", "dropped"),
        [
            (IN_PROCESS, ["--chrono-max-events=5"], None, 15),
            (SUBPROCESS, ["--chrono-max-events=5"], None, 15),
            (IN_PROCESS, [], "5", 15),
            (IN_PROCESS, ["--chrono-max-events=10"], "5", 10),
        ],
    )
    def test_bound_keeps_first_and_latest_and_counts_the_rest(
        self, runner: Runner, arguments: list[str], ini_value: str | None, dropped: int
    ) -> None:
        """Past the bound a story keeps the first and the latest events, and counts the rest."""
        runner.pytester.makepyfile(test_pp_bound=TWENTY_EVENTS)
        if ini_value is not None:
            _ini(runner.pytester, chrono_max_events=ini_value)
        result = runner(*arguments, "-k", "not marked")
        result.assert_outcomes(failed=1)
        story = only_section(result, "chrono story")
        kept = 20 - dropped
        title = story.splitlines()[0]
        assert re.fullmatch(rf"chrono story '.*' — {kept} events over .*, {dropped} dropped", title)
        values = re.findall(r" i=(\d+)$", story, re.M)
        head = kept // 5
        expected = list(range(head)) + list(range(20 - (kept - head), 20))
        assert values == [str(number) for number in expected]
        assert re.search(rf"⋯ {dropped} events dropped here, between #\d+ and #\d+ ⋯", story)

    @pytest.mark.parametrize("mode", [IN_PROCESS])
    def test_bound_of_one_names_only_events_that_exist(self, runner: Runner) -> None:
        """--chrono-max-events=1 keeps no event before the gap: the marker names the one after."""
        runner.pytester.makepyfile(test_pp_bound=TWENTY_EVENTS)
        result = runner("--chrono-max-events=1", "-k", "not marked")
        result.assert_outcomes(failed=1)
        # After the two rows, a footnote may give chrono's own lookup time.
        marker, row = only_section(result, "chrono story").splitlines()[1:3]
        kept = re.match(r"\s+(#\d+)  .* i=19$", row)
        assert kept, row
        assert marker.strip() == f"⋯ 19 events dropped here, before {kept[1]} ⋯"

    @pytest.mark.parametrize("mode", [IN_PROCESS])
    def test_mark_sets_the_bound_for_one_test(self, runner: Runner) -> None:
        """@pytest.mark.chrono_max_events(5) bounds that test's story only."""
        runner.pytester.makepyfile(test_pp_bound=TWENTY_EVENTS)
        result = runner("--strict-markers")
        result.assert_outcomes(failed=2)
        unmarked, marked = sections(result, "chrono story")
        assert "— 20 events over" in unmarked.splitlines()[0]
        assert marked.splitlines()[0].endswith(", 15 dropped")

    @pytest.mark.parametrize("mode", [IN_PROCESS])
    def test_closest_mark_wins_at_every_level(self, runner: Runner) -> None:
        """A mark on the module, the class or the test bounds its tests: the closest wins,
        and tests of one class or module share their parent's."""
        runner.pytester.makepyfile(test_levels=MARKED_AT_EVERY_LEVEL)
        result = runner("--strict-markers")
        result.assert_outcomes(failed=4)
        firsts = [section.splitlines()[0] for section in sections(result, "chrono story")]
        assert [first.rsplit(", ", 1)[-1] for first in firsts] == [
            "15 dropped",  # the module's 5
            "18 dropped",  # its own 2
            "17 dropped",  # the class's 3
            "17 dropped",  # the class's 3 again
        ]


_LIVE_LINE = r"#\d+ \d\d:\d\d:\d\d\.\d{3} test_pp_live\.py:6 in test_pp_live  x=3"
_LIVE_AMONG_PRINTS_LINE = _LIVE_LINE.replace(":6 ", ":7 ")


class TestLiveOption:
    """--chrono-live / chrono_live: events are printed as they happen, past pytest's capture."""

    @pytest.mark.parametrize(
        ("mode", "arguments", "ini_value"),
        [
            (IN_PROCESS, ["--chrono-live"], None),
            (SUBPROCESS, ["--chrono-live"], None),
            (IN_PROCESS, [], "true"),
            (IN_PROCESS, ["-v", "--chrono-live"], "false"),
        ],
    )
    def test_events_printed_live_while_output_is_captured(
        self, runner: Runner, arguments: list[str], ini_value: str | None
    ) -> None:
        """The live line reaches the terminal before the failures, not the captured output."""
        runner.pytester.makepyfile(test_pp_live=LIVE)
        if ini_value is not None:
            _ini(runner.pytester, chrono_live=ini_value)
        result = runner(*arguments)
        result.assert_outcomes(failed=1)
        lines = result.stdout.lines
        live = [index for index, line in enumerate(lines) if re.fullmatch(_LIVE_LINE, line)]
        failures = lines.index(next(line for line in lines if " FAILURES " in line))
        assert len(live) == 1
        assert live[0] < failures
        captured = only_section(result, "Captured stdout call")
        assert captured.strip() == "printed by the test"
        assert "x=3" in only_section(result, "chrono story")

    @pytest.mark.parametrize(
        ("mode", "capture"),
        [(IN_PROCESS, "-s"), (SUBPROCESS, "-s"), (SUBPROCESS, "--capture=no")],
    )
    def test_capture_off_prints_events_live(self, runner: Runner, capture: str) -> None:
        """With capture off, the event is printed where it happens, between the test's own
        prints, and the failure still tells the story."""
        runner.pytester.makepyfile(test_pp_live=LIVE_AMONG_PRINTS)
        result = runner(capture)
        result.assert_outcomes(failed=1)
        # The test's own print follows pytest's progress on its line ("test_pp_live.py ").
        lines = [line for line in result.stdout.lines if line]
        first = next(index for index, line in enumerate(lines) if line.endswith("printed before"))
        assert re.fullmatch(_LIVE_AMONG_PRINTS_LINE, lines[first + 1]), lines[first + 1]
        assert lines[first + 2] == "printed after"
        assert "x=3" in only_section(result, "chrono story")

    @pytest.mark.parametrize("mode", [SUBPROCESS])
    def test_live_lines_reach_the_terminal_from_xdist_workers(self, runner: Runner) -> None:
        """Under -n 2 each worker's live lines reach the terminal (the workers' stderr)."""
        runner.pytester.makepyfile(test_pp_live=LIVE, test_pp_live_too=LIVE_TOO)
        result = runner("-n", "2", "--chrono-live")
        result.assert_outcomes(failed=1, passed=1)
        live = [line for line in result.errlines if line.startswith("#")]
        assert len(live) == 2, result.errlines
        assert any(re.fullmatch(_LIVE_LINE, line) for line in live), live
        assert any(line.endswith(" in test_pp_live_too  y=4") for line in live), live
        assert "x=3" in only_section(result, "chrono story")

    @pytest.mark.parametrize("mode", [IN_PROCESS])
    def test_no_live_lines_by_default(self, runner: Runner) -> None:
        """Without the option or its ini twin, events are only told in the story."""
        runner.pytester.makepyfile(test_pp_live=LIVE)
        _ini(runner.pytester, chrono_live="false")
        result = runner()
        assert not [line for line in result.stdout.lines if re.fullmatch(_LIVE_LINE, line)]


class TestLogRecords:
    """Log records join the story in their place, as pytest's log level lets them through."""

    @pytest.mark.parametrize(
        ("mode", "arguments", "ini", "levels"),
        [
            (IN_PROCESS, [], {}, ["WARNING"]),
            (SUBPROCESS, ["--log-level=INFO"], {}, ["INFO", "WARNING"]),
            (IN_PROCESS, [], {"log_level": "DEBUG"}, ["DEBUG", "INFO", "WARNING"]),
            (SUBPROCESS, ["--chrono-no-logs", "--log-level=DEBUG"], {}, []),
            (IN_PROCESS, ["--log-level=DEBUG"], {"chrono_logs": "false"}, []),
            (IN_PROCESS, ["--chrono-no-logs"], {"chrono_logs": "true", "log_level": "DEBUG"}, []),
        ],
    )
    def test_records_in_order_at_the_configured_level(
        self, runner: Runner, arguments: list[str], ini: dict[str, str], levels: list[str]
    ) -> None:
        """Each record shows level, logger and message, between the tp events around it."""
        runner.pytester.makepyfile(test_pp_logs=LOGS)
        if ini:
            _ini(runner.pytester, **ini)
        result = runner(*arguments)
        result.assert_outcomes(failed=1)
        story = only_section(result, "chrono story")
        expected = {
            "DEBUG": "DEBUG app.orders: debug detail",
            "INFO": "INFO app.orders: order 7 placed",
            "WARNING": "WARNING app.orders: stock low",
        }
        # What follows the call site (file:line in function) is the event's content.
        rows = [re.split(r" test_pp_logs\.py:\d+ in \S+ +", line)[1] for line in _rows(story)]
        assert rows == ["start", *(expected[level] for level in levels), "end"]


def _rows(story: str) -> list[str]:
    """The story's event rows, without its title and the gap markers between rows."""
    return [line for line in story.splitlines() if re.match(r"\s+#\d+ ", line)]


_BAD_VALUES = [
    (
        ["--chrono-show=sometimes"],
        {},
        r".*--chrono-show: invalid choice: '?sometimes'? "
        r"\(choose from '?failed'?, '?all'?, '?never'?\)",
    ),
    (
        ["--chrono-max-events=0"],
        {},
        r".*--chrono-max-events: expected a whole number >= 1, got '0'",
    ),
    (
        ["--chrono-max-events=many"],
        {},
        r".*--chrono-max-events: expected a whole number >= 1, got 'many'",
    ),
    (
        [],
        {"chrono_show": "sometimes"},
        r"ERROR: chrono_show = 'sometimes' is not understood; use one of failed, all, never",
    ),
    (
        [],
        {"chrono_max_events": "many"},
        r"ERROR: chrono_max_events = 'many' is not understood; use a whole number >= 1",
    ),
    (
        [],
        {"chrono_max_events": "0"},
        r"ERROR: chrono_max_events = '0' is not understood; use a whole number >= 1",
    ),
    (
        [],
        {"chrono_live": "maybe"},
        r"ERROR: chrono_live: invalid truth value 'maybe'; use true or false",
    ),
    (
        [],
        {"chrono_logs": "maybe"},
        r"ERROR: chrono_logs: invalid truth value 'maybe'; use true or false",
    ),
    (
        [],
        {"chrono_export_passing": "maybe"},
        r"ERROR: chrono_export_passing: invalid truth value 'maybe'; use true or false",
    ),
]


class TestUsageErrors:
    """A bad option or ini value stops the run with a usage error that says what is allowed."""

    @pytest.mark.parametrize(
        ("mode", "arguments", "ini", "message"),
        [(IN_PROCESS, *bad) for bad in _BAD_VALUES]
        + [(SUBPROCESS, *bad) for bad in (_BAD_VALUES[0], _BAD_VALUES[6])],
    )
    def test_bad_value_is_a_usage_error(
        self, runner: Runner, arguments: list[str], ini: dict[str, str], message: str
    ) -> None:
        """Exit code 4 before any test runs, and a message naming the option and its values."""
        runner.pytester.makepyfile(test_pp_show=PASS_AND_FAIL)
        if ini:
            _ini(runner.pytester, **ini)
        result = runner(*arguments)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.re_match_lines([message])
        assert "INTERNALERROR" not in result.stderr.str()
        assert "test_pp_show.py" not in result.stdout.str()
