"""The pytest plugin's stories: one per test, told when it fails, in every way pytest reports.

Each test runs an inner pytest through pytester (see ``pytest_plugin_runs``): in-process, as a
subprocess, and for the core scenarios under ``-n 2``.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ElementTree

import pytest

import chrono
from chrono import tp
from helpers import large_module_source
from pytest_plugin_runs import (
    ALL,
    BOTH,
    IN_PROCESS,
    PYTEST_9,
    QUIET_PLUGINS,
    SUBPROCESS,
    Runner,
    SharedRun,
    make_runner,
    only_section,
    run_once,
    sections,
    seq,
    story_of,
)

CART = """
import logging
import threading

import pytest
from chrono import tp

log = logging.getLogger("shop.cart")


@pytest.fixture
def cart():
    tp("cart ready")
    items = []
    yield items
    tp("cart closed", len(items))


def test_a_passes():
    only_in_a = "from test a"
    tp(only_in_a)


def test_b_fails(cart):
    x = 3
    tp(x)
    cart.append(x)
    log.warning("cart has %d items", len(cart))
    worker = threading.Thread(target=lambda: tp("in worker", x * 2), name="worker-1")
    worker.start()
    worker.join()
    assert sum(cart) == 4
"""

ERRORS = """
import pytest
from chrono import tp


@pytest.fixture
def broken_setup():
    tp("opening", 41)
    raise RuntimeError("setup broke")


@pytest.fixture
def broken_teardown():
    yield
    tp("closing", 42)
    raise RuntimeError("teardown broke")


@pytest.fixture
def quiet_teardown():
    yield
    tp("after the call", 43)


def test_setup_error(broken_setup):
    pass


def test_teardown_error(broken_teardown):
    tp("body", 1)


def test_call_fails(quiet_teardown):
    tp("in the call", 2)
    assert False
"""

UNITTEST = """
import unittest
from chrono import tp


class TestCart(unittest.TestCase):
    def setUp(self):
        tp("setUp ran")

    def tearDown(self):
        tp("tearDown ran")

    def test_total(self):
        total = 7
        tp(total)
        self.assertEqual(total, 8)
"""


AFTER_THE_FAILURE = "chrono story (after the failure, through teardown)"


@pytest.fixture
def runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str) -> Runner:
    return make_runner(pytester, monkeypatch, mode)


def _report_run(runner: Runner) -> SharedRun:
    """The cart, the errors and the unittest case, run once per mode, without colour."""
    files = {
        "test_pp_cart": CART,
        "test_pp_errors": ERRORS,
        "test_pp_unit": UNITTEST,
    }
    return run_once(runner, "report", files, "--color=no")


def _junit_run(runner: Runner) -> SharedRun:
    """The cart and the errors, run once per mode, coloured, writing JUnit XML."""
    files = {"test_pp_cart": CART, "test_pp_errors": ERRORS}
    return run_once(runner, "junit", files, "--junitxml=junit.xml", "--color=yes")


@pytest.mark.parametrize("mode", ALL)
class TestFailureReport:
    """A failing test's report carries its story: setup, call, logs, threads, then teardown."""

    def test_outcomes_are_unchanged(self, runner: Runner) -> None:
        """The plugin changes no outcome and no exit code."""
        result = _report_run(runner).result
        result.assert_outcomes(passed=2, failed=3, errors=2)
        assert result.ret == pytest.ExitCode.TESTS_FAILED

    def test_call_failure_tells_the_story_in_order(self, runner: Runner) -> None:
        """The failure shows setup's and the call's events, a log record and a thread's event."""
        result = _report_run(runner).result
        result.stdout.fnmatch_lines(
            [
                "*_ test_b_fails _*",
                "*assert 3 == 4*",
                "*- chrono story -*",
                "chrono story '*test_pp_cart.py::test_b_fails' — 4 events over *",
                "*test_pp_cart.py:12 in cart * cart ready",
                "*test_pp_cart.py:25 in test_b_fails * x=3",
                "*test_pp_cart.py:27 in test_b_fails * WARNING shop.cart: cart has 1 items",
                "*test_pp_cart.py:28 in *<lambda> *worker-1 * in worker  x * 2=6",
                "*- chrono story (after the failure, through teardown) -*",
                "chrono story '*test_pp_cart.py::test_b_fails' — 1 event over *",
                "*test_pp_cart.py:15 in cart * cart closed  len(items)=1",
            ]
        )

    def test_later_test_has_none_of_an_earlier_tests_events(self, runner: Runner) -> None:
        """Test B's story starts empty: test A's event is in no story that B shows."""
        story = story_of(_report_run(runner).result, "test_b_fails")
        assert "from test a" not in story
        assert "only_in_a" not in story
        # In a fresh process test A's event took #1, so B's first is #2.
        first_row = story.splitlines()[1]
        assert re.match(rf"\s+{seq(runner, 2)}\s", first_row), first_row

    def test_setup_and_teardown_errors_show_the_story_so_far(self, runner: Runner) -> None:
        """An error in setup or teardown gets a story section named after its phase."""
        result = _report_run(runner).result
        setup = only_section(result, "chrono story (setup)")
        assert re.search(r" test_pp_errors\.py:7 in \S+ +opening  41$", setup, re.M)
        teardown = only_section(result, "chrono story (teardown)")
        assert teardown.index("body  1") < teardown.index("closing  42")
        call = story_of(result, "test_call_fails")
        assert "in the call  2" in call
        assert "after the call" not in call
        rest = story_of(
            result, "test_call_fails", "chrono story (after the failure, through teardown)"
        )
        assert "after the call  43" in rest
        assert "in the call" not in rest

    def test_unittest_testcase_gets_a_story(self, runner: Runner) -> None:
        """A unittest.TestCase run by pytest tells setUp's, the test's and tearDown's events."""
        _report_run(runner).result.stdout.fnmatch_lines(
            [
                "*AssertionError: 7 != 8*",
                "*- chrono story -*",
                "chrono story '*test_pp_unit.py::TestCart::test_total' — 3 events*",
                "* in *setUp * setUp ran",
                "* in *test_total * total=7",
                "* in *tearDown * tearDown ran",
            ]
        )


@pytest.mark.parametrize("mode", ALL)
class TestJUnitXml:
    """Failing tests' stories reach JUnit XML as plain text."""

    def test_failure_and_error_text_carry_the_plain_story(self, runner: Runner) -> None:
        """Even with --color=yes, the XML failure and error texts hold the story with no escapes."""
        shared = _junit_run(runner)
        assert shared.result.ret == pytest.ExitCode.TESTS_FAILED
        tree = ElementTree.parse(shared.path / "junit.xml")
        cases = {case.get("name"): case for case in tree.iter("testcase")}
        failure = cases["test_b_fails"].find("failure")
        assert failure is not None
        text = failure.text or ""
        assert "-- chrono story --" in text
        assert "x=3" in text
        assert "WARNING shop.cart: cart has 1 items" in text
        assert "\x1b" not in text
        error = cases["test_setup_error"].find("error")
        assert error is not None
        assert "opening  41" in (error.text or "")


@pytest.mark.parametrize("mode", ALL)
class TestColour:
    """Colour follows pytest's --color, under xdist too."""

    def test_coloured_with_color_yes(self, runner: Runner) -> None:
        """--color=yes: the story's title is bold and its names are styled."""
        output = _junit_run(runner).result.stdout.str()
        assert "\x1b[1mchrono story '" in output
        assert "\x1b[1mx\x1b[0m\x1b[2m=\x1b[0m3" in output

    def test_no_colour_codes_with_color_no(self, runner: Runner) -> None:
        """--color=no leaves the story, and the whole output, free of ANSI escapes."""
        result = _report_run(runner).result
        assert "x=3" in story_of(result, "test_b_fails")
        assert "\x1b" not in result.stdout.str()


@pytest.mark.parametrize(
    ("mode", "style"),
    [(IN_PROCESS, style) for style in ("auto", "long", "short", "native")]
    + [(SUBPROCESS, "short"), (SUBPROCESS, "native")],
)
class TestTracebackStyles:
    """The story is printed with the failure under every --tb style that shows sections."""

    def test_story_shown_quiet_and_without_captured_sections(
        self, pytester: pytest.Pytester, runner: Runner, style: str
    ) -> None:
        """With -q and --show-capture=no, every phase's failure still shows its story."""
        pytester.makepyfile(test_pp_cart=CART, test_pp_errors=ERRORS)
        result = runner("-q", f"--tb={style}", "--show-capture=no")
        result.assert_outcomes(passed=2, failed=2, errors=2)
        assert "x=3" in story_of(result, "test_b_fails")
        assert "opening  41" in only_section(result, "chrono story (setup)")
        assert "closing  42" in only_section(result, "chrono story (teardown)")
        # What pytest prints under --show-capture is hidden, as pytest hides captured output.
        assert "Captured log" not in result.stdout.str()


THREADS = """
import threading
from chrono import tp

go = threading.Event()
done = threading.Event()
# Keeps the old thread alive while the new one runs: a thread that has ended may hand its
# identifier on to the next one.
release = threading.Event()


def linger():
    go.wait(30)
    tp("from the old thread")
    done.set()
    release.wait(30)


def test_1_starts_a_thread():
    threading.Thread(target=linger, name="lingering", daemon=True).start()


def test_2_fails():
    go.set()
    done.wait(30)
    fresh = threading.Thread(target=lambda: tp("from a new thread"), name="fresh")
    fresh.start()
    fresh.join()
    release.set()
    assert False
"""


@pytest.mark.parametrize("mode", BOTH)
class TestThreads:
    """Events from other threads land in the running test's story, tagged when they predate it."""

    def test_thread_from_an_earlier_test_is_tagged(
        self, pytester: pytest.Pytester, runner: Runner
    ) -> None:
        """The test's own thread is shown plainly; an earlier test's thread is tagged."""
        pytester.makepyfile(test_pp_threads=THREADS)
        result = runner()
        result.assert_outcomes(passed=1, failed=1)
        story = only_section(result, "chrono story")
        assert re.search(
            r" lingering \(started before this story\) +from the old thread$", story, re.M
        )
        fresh = [line for line in story.splitlines() if "from a new thread" in line]
        assert len(fresh) == 1
        assert " fresh " in fresh[0]
        assert "started before" not in fresh[0]


LARGE_MODULE_TEST = f"""
{large_module_source()}

def test_back_to_back_in_a_large_module():
    Ledger().back_to_back()
    assert False
"""


@pytest.mark.parametrize("mode", BOTH)
class TestProgramTime:
    """A story's times are the program's: chrono's first look at a call site is not in them."""

    def test_back_to_back_calls_show_back_to_back(
        self, pytester: pytest.Pytester, runner: Runner
    ) -> None:
        """Two tp calls in a row in a 4,500-line test module show under 1 ms apart, with no
        gap marker, and a footnote says how long chrono's own lookups took."""
        pytester.makepyfile(test_pp_large=LARGE_MODULE_TEST)
        result = runner()
        result.assert_outcomes(failed=1)
        story = only_section(result, "chrono story")
        assert "later" not in story
        times = [
            float(match.group(1))
            for match in re.finditer(r"^\s+#\d+\s+([\d.]+)ms\s.*amount", story, re.M)
        ]
        assert len(times) == 2
        assert times[1] - times[0] < 1
        assert re.search(
            r"^\s+chrono's own source lookups, [\d.]+m?s, are not counted in these times$",
            story,
            re.M,
        )


NESTED = f"""
import chrono
from chrono import tp

QUIET_PLUGINS = {QUIET_PLUGINS!r}

INNERMOST = '''
from chrono import tp

def test_pp_innermost():
    tp("innermost")
'''


def test_outer(pytester):
    pytester.makepyfile(test_pp_innermost=INNERMOST)
    own = chrono.current_story()
    tp("before")
    result = pytester.runpytest_inprocess(*QUIET_PLUGINS)
    result.assert_outcomes(passed=1)
    assert chrono.current_story() is own
    tp("after")
    assert False, "show the story"
"""

INNER = """
from chrono import tp


def test_pp_inner():
    tp("inner")
"""


class TestNesting:
    """pytest inside pytest: the inner run's stories nest in the running test's story."""

    @pytest.mark.parametrize("mode", BOTH)
    def test_outer_story_restored_after_an_inner_run(
        self, pytester: pytest.Pytester, runner: Runner
    ) -> None:
        """After an inner pytest run the outer test's story is current again and still records."""
        pytester.makepyfile(test_pp_nested=NESTED)
        result = runner("-p", "pytester")
        result.assert_outcomes(failed=1)
        story = only_section(result, "chrono story")
        labels = re.findall(r"  (before|innermost|after)$", story, re.M)
        assert labels == ["before", "innermost", "after"]

    @pytest.mark.parametrize("mode", [IN_PROCESS])
    def test_story_active_around_an_in_process_run_is_restored(
        self, pytester: pytest.Pytester, runner: Runner
    ) -> None:
        """A story active around an in-process run is current again after it, and saw it all."""
        pytester.makepyfile(test_pp_inner=INNER)
        with chrono.story("outer") as outer:
            tp("before")
            runner().assert_outcomes(passed=1)
            assert chrono.current_story() is outer
            tp("after")
        assert [event.label for event in outer.events if event.kind == "tp"] == [
            "before",
            "inner",
            "after",
        ]


FIXTURE = """
from chrono import tp


def test_story(chrono_story, request):
    x = 3
    tp(x)
    tp(x + 1)
    assert chrono_story.values("x") == ["3"]
    assert chrono_story.values("x + 1") == ["4"]
    assert chrono_story.name == request.node.nodeid
    assert chrono_story.active
"""


@pytest.mark.parametrize("mode", BOTH)
class TestChronoStoryFixture:
    """The ``chrono_story`` fixture is the running test's story."""

    def test_fixture_sees_what_the_test_recorded(
        self, pytester: pytest.Pytester, runner: Runner
    ) -> None:
        """The fixture's values() returns the reprs tp recorded, and its name is the node id."""
        pytester.makepyfile(test_pp_fixture=FIXTURE)
        runner().assert_outcomes(passed=1)

    def test_fixture_skips_when_chrono_is_off(
        self, pytester: pytest.Pytester, runner: Runner, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With chrono off there is no story, and a test asking for one is skipped, not failed."""
        pytester.makepyfile(test_pp_fixture=FIXTURE)
        _switch_chrono_off(runner, monkeypatch)
        result = runner("-rs")
        result.assert_outcomes(skipped=1)
        result.stdout.fnmatch_lines(["SKIPPED*chrono is off*there is no story*"])


def _switch_chrono_off(runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    """CHRONO=off for a fresh interpreter; in-process, chrono is already imported: disable it."""
    if runner.mode == IN_PROCESS:
        chrono.disable()  # the suite's autouse fixture turns it back on
    else:
        monkeypatch.setenv("CHRONO", "off")


@pytest.mark.parametrize("mode", BOTH)
class TestSwitchedOff:
    """Turned off, chrono adds nothing to reports and breaks nothing."""

    def test_chrono_off_shows_no_story(
        self, pytester: pytest.Pytester, runner: Runner, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """CHRONO=off: failures are reported as usual, with no story section."""
        pytester.makepyfile(test_pp_cart=CART, test_pp_errors=ERRORS)
        _switch_chrono_off(runner, monkeypatch)
        result = runner()
        result.assert_outcomes(passed=2, failed=2, errors=2)
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert "chrono story" not in result.stdout.str()

    def test_disabled_plugin_shows_no_story(
        self, pytester: pytest.Pytester, runner: Runner
    ) -> None:
        """-p no:chrono: the plugin is not loaded, so there is no section and no option."""
        pytester.makepyfile(test_pp_cart=CART)
        result = runner("-p", "no:chrono")
        result.assert_outcomes(passed=1, failed=1)
        assert "chrono story" not in result.stdout.str()
        assert "chrono" not in runner("-p", "no:chrono", "--help").stdout.str()


QUIET = """
import pytest
from chrono import tp


@pytest.fixture
def quiet_teardown():
    yield
    raise RuntimeError("teardown broke, quietly")


def test_fails_quietly():
    assert 1 == 2


def test_passes_quietly():
    pass


def test_errors_in_teardown_quietly(quiet_teardown):
    pass


def test_fails_with_an_event():
    tp("the one event")
    assert False
"""


@pytest.mark.parametrize("mode", BOTH)
class TestEmptyStories:
    """A story with no events adds no section: not to the terminal, JUnit XML or exports."""

    def test_only_the_test_with_an_event_gets_a_section(
        self, pytester: pytest.Pytester, runner: Runner
    ) -> None:
        """Failures, errors and passes without events show no story, even under show=all -rA."""
        pytester.makepyfile(test_pp_quiet=QUIET)
        result = runner("--chrono-show=all", "-rA", "--junitxml=junit.xml", "--chrono-json=stories")
        result.assert_outcomes(passed=2, failed=2, errors=1)
        output = result.stdout.str()
        assert "0 events" not in output
        assert output.count("chrono story") == 2  # the section's separator and its title
        story = only_section(result, "chrono story")
        assert story.splitlines()[0].startswith(
            "chrono story 'test_pp_quiet.py::test_fails_with_an_event' — 1 event over "
        )
        tree = ElementTree.parse(pytester.path / "junit.xml")
        texts = {case.get("name"): "".join(case.itertext()) for case in tree.iter("testcase")}
        assert "chrono" not in texts["test_fails_quietly"]
        assert "chrono" not in texts["test_errors_in_teardown_quietly"]
        assert "the one event" in texts["test_fails_with_an_event"]
        exported = [path.name for path in (pytester.path / "stories").iterdir()]
        assert len(exported) == 1
        assert exported[0].startswith("test_pp_quiet.py__test_fails_with_an_event-")


TITLES = r"""
import pytest
from chrono import tp


@pytest.mark.parametrize("text", ["a\\slash", "it's", 'say "hi"'])
def test_escaping(text):
    tp(text)
    assert False
"""


@pytest.mark.parametrize("mode", BOTH)
class TestTitles:
    """A story's title shows the test id exactly as pytest prints it."""

    def test_title_id_is_the_one_pytest_prints(
        self, pytester: pytest.Pytester, runner: Runner
    ) -> None:
        """Backslashes are not doubled and quotes do not change the quoting: ids paste back."""
        pytester.makepyfile(test_pp_titles=TITLES)
        result = runner("-rf")
        result.assert_outcomes(failed=3)
        printed = re.findall(r"^FAILED (\S+\[.*\]) - assert False$", result.stdout.str(), re.M)
        assert printed == [
            "test_pp_titles.py::test_escaping[a\\\\slash]",
            "test_pp_titles.py::test_escaping[it's]",
            'test_pp_titles.py::test_escaping[say "hi"]',
        ]
        titles = [story.splitlines()[0] for story in sections(result, "chrono story")]
        assert [title.split(" — ")[0] for title in titles] == [
            f"chrono story '{test_id}'" for test_id in printed
        ]


SUBTESTS = """
import unittest
import pytest
from chrono import tp


@pytest.fixture
def resource():
    tp("set up")
    yield
    tp("torn down")


def test_with_subtests(subtests, resource):
    tp("before the subtests")
    for i in range(4):
        with subtests.test(i=i):
            tp(i)
            assert i % 2 == 0
    tp("after the subtests")


class TestCase(unittest.TestCase):
    def tearDown(self):
        tp("tearDown ran")

    def test_with_subtests(self):
        for n in range(3):
            with self.subTest(n=n):
                tp(n)
                self.assertNotEqual(n, 1)
"""


def _contents(section: str) -> list[str]:
    """What each row of a story section says, after its columns (the title line, gap markers
    and the footnotes on chrono's own time and on the failure's marks left out)."""
    rows = [line.strip() for line in section.splitlines()[1:]]
    return [
        re.split(r"\s{2,}", row)[-1]
        for row in rows
        if not row.startswith(("⋮", "chrono's own source lookups", "> marks the events"))
    ]


@pytest.mark.skipif(not PYTEST_9, reason="pytest reports each subtest from version 9")
@pytest.mark.parametrize("mode", ALL)
class TestSubtests:
    """Each failing subtest tells the events no section told before, up to its own end."""

    def test_each_failing_subtest_shows_its_own_part_once(self, runner: Runner) -> None:
        """pytest's subtests: no event is in two sections, and each subtest's end is marked."""
        result = run_once(runner, "subtests", {"test_pp_subtests": SUBTESTS}).result
        after = "chrono story (after the failing subtest (i=3), through teardown)"
        stories = [
            story
            for story in sections(result, "chrono story")
            if ".py::test_with_subtests' " in story.splitlines()[0]
        ]
        assert [_contents(story) for story in stories] == [
            [
                "set up",
                "before the subtests",
                "i=0",
                "subtest (i=0) passed",
                "i=1",
                "subtest (i=1) failed",
            ],
            ["i=2", "subtest (i=2) passed", "i=3", "subtest (i=3) failed"],
        ]
        assert (
            stories[0]
            .splitlines()[0]
            .startswith("chrono story 'test_pp_subtests.py::test_with_subtests' — 4 events over ")
        )
        # pytest prints the teardown's sections under every failure of the test: one section,
        # whose title says which failure it follows, three times.
        rest = sections(result, after)
        assert len(rest) == 3
        assert {tuple(_contents(story)) for story in rest} == {("after the subtests", "torn down")}
        # (pytest-xdist's controller quotes the values again: i='1'.)
        result.stdout.fnmatch_lines(["SUBFAILED(i=*1*) *", "SUBFAILED(i=*3*) *"])

    def test_unittest_subtests_are_told_the_same_way(self, runner: Runner) -> None:
        """unittest's subTest under pytest: the failing subtest, then the rest with tearDown."""
        result = run_once(runner, "subtests", {"test_pp_subtests": SUBTESTS}).result
        story = story_of(result, "TestCase::test_with_subtests")
        after = "chrono story (after the failing subtest (n=1), through teardown)"
        if sys.version_info >= (3, 11):
            assert _contents(story) == [
                "n=0",
                "subtest (n=0) passed",
                "n=1",
                "subtest (n=1) failed",
            ]
            rest = story_of(result, "TestCase::test_with_subtests", after)
            assert _contents(rest) == ["n=2", "subtest (n=2) passed", "tearDown ran"]
        else:
            # Before Python 3.11, unittest hands subtest outcomes to the result only when the
            # test method and tearDown have run: every event comes before the first mark, and
            # what is left after the failing subtest is a mark alone, which is no story.
            assert _contents(story) == [
                "n=0",
                "n=1",
                "n=2",
                "tearDown ran",
                "subtest (n=0) passed",
                "subtest (n=1) failed",
            ]
            assert sections(result, after) == []


LOTS = """
from chrono import tp


def test_many_events():
    for i in range(200_000):
        tp(i)
    assert False
"""


@pytest.mark.parametrize("mode", BOTH)
class TestBoundedReport:
    """A test that records far more events than the bound still gets a small report."""

    def test_two_hundred_thousand_events(self, pytester: pytest.Pytester, runner: Runner) -> None:
        """The report stays under 3 MB, keeps the most recent events and counts the dropped
        (shown whole: by default the failure's output is cut further, to its budget)."""
        pytester.makepyfile(test_pp_lots=LOTS)
        result = runner("--chrono-full")
        result.assert_outcomes(failed=1)
        size = len("\n".join(result.outlines + result.errlines).encode())
        assert size < 3_000_000, size
        story = only_section(result, "chrono story")
        lines = story.splitlines()
        assert re.fullmatch(r"chrono story '.*' — 10,000 events over .*, 190,000 dropped", lines[0])
        rows = [line for line in lines if re.match(r"\s+#\d+ ", line)]
        assert len(rows) == 10_000
        assert re.search(r" i=0$", rows[0])
        assert re.search(r" i=199998$", rows[-2])
        assert re.search(r" i=199999$", rows[-1])
        marker = rf"⋯ 190,000 events dropped here, between {seq(runner, 2000)} and "
        marker += rf"{seq(runner, 192001)} ⋯"
        assert len([line for line in lines if re.search(marker, line)]) == 1


INVOICES = """
from chrono import tp


def line_total(quantity, price):
    return tp(quantity * price)
"""

TEST_INVOICES = """
from acme.billing.services.invoices import line_total


def test_line_total():
    assert line_total(3, 5) == 16
"""


@pytest.mark.parametrize("mode", BOTH)
class TestCallSiteColumn:
    """In a src/ layout the call site keeps its file name, at the width pytest reports."""

    @pytest.mark.parametrize(
        ("columns", "site"),
        [
            ("60", "invoices.py:5 in line_total"),
            ("200", "src/acme/billing/services/invoices.py:5 in line_total"),
        ],
    )
    def test_site_follows_columns(
        self, runner: Runner, monkeypatch: pytest.MonkeyPatch, columns: str, site: str
    ) -> None:
        """COLUMNS=60 shows the file by its name and line, 200 by its whole path from where
        pytest runs."""
        runner.pytester.makepyfile(
            **{"src/acme/billing/services/invoices": INVOICES, "tests/test_invoices": TEST_INVOICES}
        )
        runner.pytester.makeini("[pytest]\npythonpath = src\n")
        monkeypatch.setenv("COLUMNS", columns)
        result = runner("--color=no")
        result.assert_outcomes(failed=1)
        (row,) = only_section(result, "chrono story").splitlines()[1:]
        row_pattern = rf"\s+#\d+ +\d+\.\d{{3}}ms  {re.escape(site)}  quantity \* price=15"
        assert re.fullmatch(row_pattern, row), row


@pytest.mark.parametrize(
    ("test_source", "color", "registered"),
    [
        ("def test_plain():\n    tp(1)\n", "no", set()),
        ("def test_plain():\n    tp(1)\n", "yes", {"chrono-reports-logged"}),
        (
            "def test_sub(subtests):\n    with subtests.test(n=1):\n        tp(1)\n",
            "no",
            {"chrono-subtest-reports"},
        ),
    ],
    ids=["plain", "colour", "subtests"],
)
def test_report_hooks_only_where_they_have_work(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    test_source: str,
    color: str,
    registered: set[str],
) -> None:
    """Every test pays for a hook on every report: the one that marks subtests comes with the
    first subtest, the one that swaps in coloured sections only for a terminal with colour."""
    if "subtests" in test_source and not PYTEST_9:
        pytest.skip("pytest has subtests from version 9")
    make_runner(pytester, monkeypatch, SUBPROCESS)
    pytester.makepyfile(test_hooks="from chrono import tp\n\n" + test_source)
    pytester.makeconftest(
        """
        from pathlib import Path

        def pytest_sessionfinish(session):
            plugins = session.config.pluginmanager
            names = ["chrono-reports-logged", "chrono-subtest-reports"]
            Path("hooks.txt").write_text(",".join(n for n in names if plugins.has_plugin(n)))
        """
    )
    result = pytester.runpytest_subprocess(*QUIET_PLUGINS, f"--color={color}", timeout=120)
    result.assert_outcomes(passed=1)
    written = (pytester.path / "hooks.txt").read_text()
    assert set(filter(None, written.split(","))) == registered


PASSING_SUITE = """
import logging
import threading

import pytest
from chrono import tp


class Item:
    pass


@pytest.fixture
def item():
    created = tp(Item())
    yield created
    tp("teardown", created)


@pytest.mark.parametrize("n", [1, 2])
def test_counts(n, item):
    for step in range(n):
        tp(step)
    logging.getLogger("app").warning("counted %s", n)
    print("printed", n)


def test_in_a_thread():
    worker = threading.Thread(target=lambda: tp("from a thread"))
    worker.start()
    worker.join()


class TestQuiet:
    def test_without_events(self):
        assert True
"""

#: What differs between two runs of one suite by the clock and the allocator alone.
_RUN_TIME = re.compile(r"\bin \d+\.\d+s( \(\d+:\d\d:\d\d\))?")
_ADDRESS = re.compile(r"0x[0-9a-f]+")
_CHRONO_PLUGIN = re.compile(r"chrono-tp-[^,\s]+(, )?")


def _normalised(lines: list[str]) -> list[str]:
    """A run's lines with its times and addresses made alike."""
    return [_ADDRESS.sub("0x…", _RUN_TIME.sub("in …s", line)) for line in lines]


class TestPassingRunOutput:
    """The one line chrono adds to a passing run is pytest's ``plugins: chrono-tp-…``
    header."""

    @pytest.mark.parametrize(
        "options", [(), ("-v",), ("-q",), ("-n", "2")], ids=["default", "-v", "-q", "xdist"]
    )
    def test_only_the_plugins_header_differs_from_a_run_without_chrono(
        self,
        pytester: pytest.Pytester,
        monkeypatch: pytest.MonkeyPatch,
        options: tuple[str, ...],
    ) -> None:
        """A passing suite with tp calls, logs, prints, fixtures and a thread prints the same
        lines with the plugin as with ``-p no:chrono``, but for the plugins line, which names
        chrono-tp."""
        make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(test_passing_suite=PASSING_SUITE)
        arguments = (*QUIET_PLUGINS, *options)
        with_chrono = pytester.runpytest_subprocess(*arguments, timeout=120)
        without = pytester.runpytest_subprocess(*arguments, "-p", "no:chrono", timeout=120)
        with_chrono.assert_outcomes(passed=4)
        without.assert_outcomes(passed=4)
        lines = _normalised(with_chrono.outlines)
        if "-q" not in options:  # pytest -q prints no header
            (header,) = [line for line in lines if line.startswith("plugins: ")]
            assert re.search(r"\bchrono-tp-\d", header)
        # The header without chrono-tp: where it was the only plugin, no header at all.
        lines = [
            _CHRONO_PLUGIN.sub("", line).rstrip(", ") if line.startswith("plugins: ") else line
            for line in lines
        ]
        assert [line for line in lines if line != "plugins:"] == _normalised(without.outlines)
        assert with_chrono.errlines == without.errlines == []
