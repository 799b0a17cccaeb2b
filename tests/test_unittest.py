"""chrono.unittest: ``python -m chrono.unittest``, ``ChronoTextTestRunner`` and the result mixin.

The command runs for real in a subprocess on a temporary test module, next to plain
``python -m unittest`` on the same module where the two must agree.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import subprocess
import sys
import unittest
from pathlib import Path

import pytest

from chrono import tp
from chrono.unittest import (
    ChronoResultMixin,
    ChronoTextTestResult,
    ChronoTextTestRunner,
    ExcInfoWithStory,
    with_stories,
)

SAMPLE_TESTS = """
import unittest

from chrono import tp


class Checkout(unittest.TestCase):
    def setUp(self):
        self.basket = tp(["tea", "mug"])
        self.addCleanup(tp, "cleaning up")

    def tearDown(self):
        tp("tearing down", len(self.basket))

    def test_total_is_wrong(self):
        total = sum(len(item) for item in self.basket)
        tp(total)
        self.assertEqual(total, 7)

    def test_lookup_errors(self):
        prices = tp({"tea": 3})
        prices["mug"]

    def test_passes(self):
        tp("passing marker")

    def test_quantities(self):
        for quantity in (1, 2, 3):
            with self.subTest(quantity=quantity):
                tp(quantity)
                self.assertLess(quantity, 2)

    def test_prints(self):
        print("printed by the test")
        tp("after printing")
        self.fail("printed, then failed")
"""

_TIMING = re.compile(r"^(Ran \d+ tests? in )[\d.]+s$", re.MULTILINE)


def _environment(**changes: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "CHRONO"}
    environment.update(changes)
    return environment


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    (tmp_path / "test_sample.py").write_text(SAMPLE_TESTS, encoding="utf-8")
    return tmp_path


def run_module(
    module: str, directory: Path, *arguments: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=directory,
        capture_output=True,
        text=True,
        env=_environment(**environment),
        timeout=120,
        check=False,
    )


def without_stories(output: str) -> str:
    """The output with each story block (title line to the blank line after it) removed."""
    kept: list[str] = []
    in_story = False
    for line in output.splitlines():
        if line.startswith("chrono story "):
            in_story = True
        elif in_story:
            in_story = line != ""
        else:
            kept.append(line)
    return _TIMING.sub(r"\g<1>…s", "\n".join(kept))


def report_of(output: str, test_name: str) -> str:
    """The text of the failure report whose header names ``test_name``."""
    header = re.compile(rf"^(FAIL|ERROR): {test_name} ", re.MULTILINE)
    matching = [report for report in output.split("=" * 70) if header.search(report)]
    assert len(matching) == 1, output
    return matching[0]


class TestChronoUnittestCommand:
    """``python -m chrono.unittest``."""

    def test_failing_test_report_ends_with_its_story(self, sample_dir: Path) -> None:
        """A failure's report shows the traceback, then the test's story with its values."""
        result = run_module("chrono.unittest", sample_dir, "-k", "test_total_is_wrong")

        report = report_of(result.stderr, "test_total_is_wrong")
        assert result.returncode == 1
        assert report.index("AssertionError: 6 != 7") < report.index(
            "chrono story 'test_sample.Checkout.test_total_is_wrong'"
        )
        assert "total=6" in report
        assert "['tea', 'mug']" in report

    def test_erroring_test_report_ends_with_its_story(self, sample_dir: Path) -> None:
        """An error's report (not only a failure's) carries the story."""
        result = run_module("chrono.unittest", sample_dir, "-k", "test_lookup_errors")

        report = report_of(result.stderr, "test_lookup_errors")
        assert "ERROR: test_lookup_errors" in report
        assert "KeyError: 'mug'" in report
        assert "{'tea': 3}" in report.split("chrono story", 1)[1]

    def test_each_failing_subtest_report_tells_its_own_part(self, sample_dir: Path) -> None:
        """Each failing subtest's report tells the events no earlier one told, marks included;
        the last one goes on through tearDown and cleanups."""
        result = run_module("chrono.unittest", sample_dir, "-k", "test_quantities")

        reports = [part for part in result.stderr.split("=" * 70) if "FAIL: " in part]
        assert len(reports) == 2
        title = "chrono story 'test_sample.Checkout.test_quantities'"
        contents = [
            [
                re.split(r"\s{2,}", line.strip())[-1]
                for line in report.split(title, 1)[1].split("\n\n")[0].splitlines()[1:]
                if not line.strip().startswith(
                    ("⋮", "chrono's own source lookups", "> marks the events")
                )
            ]
            for report in reports
            if title in report
        ]
        if sys.version_info >= (3, 11):
            assert contents[0] == [
                "[\"tea\", \"mug\"]=['tea', 'mug']",
                "quantity=1",
                "subtest (quantity=1) passed",
                "quantity=2",
                "subtest (quantity=2) failed",
            ]
            assert contents[1][:2] == ["quantity=3", "subtest (quantity=3) failed"]
            # tearDown's event, then the cleanup's (a call with no source to name its value).
            assert len(contents[1]) == 4
            assert contents[1][2].endswith("len(self.basket)=2")
            assert contents[1][3].endswith("'cleaning up'")
        else:
            # Before 3.11 unittest reports subtests after tearDown and cleanups: the first
            # report tells it all, and the second has only its mark left, so no story.
            assert len(contents) == 1
            assert contents[0][1:4] == ["quantity=1", "quantity=2", "quantity=3"]
            assert contents[0][-2:] == [
                "subtest (quantity=1) passed",
                "subtest (quantity=2) failed",
            ]

    def test_failure_with_no_event_gets_no_story(self, tmp_path: Path) -> None:
        """A test that recorded nothing fails as plain unittest reports it, with no story."""
        (tmp_path / "test_quiet.py").write_text(
            "import unittest\n\n\nclass Quiet(unittest.TestCase):\n"
            "    def test_fails(self):\n        self.fail('quietly')\n",
            encoding="utf-8",
        )
        ours = run_module("chrono.unittest", tmp_path)
        plain = run_module("unittest", tmp_path)

        assert ours.returncode == plain.returncode == 1
        assert "AssertionError: quietly" in ours.stderr
        assert "chrono" not in ours.stderr
        assert _TIMING.sub("", ours.stderr) == _TIMING.sub("", plain.stderr)

    def test_tear_down_and_cleanup_events_are_in_the_story(self, sample_dir: Path) -> None:
        """The story runs until stopTest: tearDown and cleanups come after the test's events."""
        result = run_module("chrono.unittest", sample_dir, "-k", "test_total_is_wrong")

        story = result.stderr.split("chrono story", 1)[1]
        order = [story.index(text) for text in ("total=6", "tearing down", "cleaning up")]
        assert order == sorted(order)

    def test_passing_test_shows_no_story(self, sample_dir: Path) -> None:
        """A passing test's events are kept to itself, and the run exits 0."""
        result = run_module("chrono.unittest", sample_dir, "-v", "-k", "test_passes")

        assert result.returncode == 0
        assert "chrono story" not in result.stderr
        assert "passing marker" not in result.stderr + result.stdout

    def test_buffered_output_and_story_are_both_in_the_report(self, sample_dir: Path) -> None:
        """With -b, the report keeps the captured stdout and adds the story after it."""
        result = run_module("chrono.unittest", sample_dir, "-b", "-k", "test_prints")

        report = report_of(result.stderr, "test_prints")
        assert report.index("printed by the test") < report.index("chrono story")
        assert "after printing" in report

    def test_failfast_stops_like_unittest(self, sample_dir: Path) -> None:
        """-f stops after the first failure, exactly as plain unittest does."""
        ours = run_module("chrono.unittest", sample_dir, "-f")
        plain = run_module("unittest", sample_dir, "-f", CHRONO="off")

        assert re.search(r"^Ran 1 test in", ours.stderr, re.MULTILINE)
        assert without_stories(ours.stderr) == without_stories(plain.stderr)

    @pytest.mark.parametrize(
        "arguments",
        [
            ["-v"],
            ["-q"],
            ["-k", "test_passes"],
            ["-k", "no_test_matches_this"],
            ["discover", "-s", ".", "-p", "test_*.py"],
            ["test_sample.Checkout.test_lookup_errors"],
            ["-b", "-v", "-k", "test_prints"],
        ],
    )
    def test_behaves_like_plain_unittest(self, sample_dir: Path, arguments: list[str]) -> None:
        """Apart from the stories, output and exit code are those of python -m unittest."""
        ours = run_module("chrono.unittest", sample_dir, *arguments)
        # Plain unittest with tp switched off: otherwise tp prints each event as it happens.
        plain = run_module("unittest", sample_dir, *arguments, CHRONO="off")

        assert ours.returncode == plain.returncode
        assert ours.stdout == plain.stdout
        assert without_stories(ours.stderr) == without_stories(plain.stderr)

    def test_help_names_the_command(self, sample_dir: Path) -> None:
        """--help shows unittest's options under the name python -m chrono.unittest."""
        result = run_module("chrono.unittest", sample_dir, "--help")

        assert result.returncode == 0
        assert re.match(r"usage: \S+ -m chrono\.unittest ", result.stdout)
        assert "-k TESTNAMEPATTERNS" in result.stdout

    def test_chrono_off_adds_nothing(self, sample_dir: Path) -> None:
        """With CHRONO=off no story is recorded, so the output is plain unittest's."""
        result = run_module("chrono.unittest", sample_dir, CHRONO="off")

        assert result.returncode == 1
        assert "chrono story" not in result.stderr


def _story_rows(report: str) -> list[tuple[bool, str]]:
    """The event rows of the story in a report: whether each is marked, and what it says."""
    story = report.split("chrono story ", 1)[1]
    rows = []
    for line in story.splitlines()[1:]:
        match = re.match(r"^(>| ) +#\d+ ", line)
        if match:
            rows.append((match.group(1) == ">", re.split(r"\s{2,}", line.strip())[-1]))
    return rows


def _sample_line(needle: str) -> int:
    lines = SAMPLE_TESTS.splitlines()
    (number,) = [index for index, line in enumerate(lines, 1) if line.strip() == needle]
    return number


class TestFailureMarks:
    """``python -m chrono.unittest`` marks the events a failure is about, as pytest does."""

    def test_assertion_method_marks_what_it_compares(self, sample_dir: Path) -> None:
        """``self.assertEqual(total, 7)`` marks ``total``, not the basket set up before it."""
        result = run_module("chrono.unittest", sample_dir, "-k", "test_total_is_wrong")

        report = report_of(result.stderr, "test_total_is_wrong")
        rows = _story_rows(report)
        assert [content for marked, content in rows if marked] == ["total=6"]
        assert len(rows) == 4
        line = _sample_line("self.assertEqual(total, 7)")
        assert (
            "    > marks the events about the failing assertion: self.assertEqual(total, 7) "
            f"(test_sample.py:{line} in Checkout.test_total_is_wrong)\n"
        ) in report

    def test_an_error_marks_the_frames_locals(self, tmp_path: Path) -> None:
        """A KeyError marks the events named after the local variables where it was raised."""
        (tmp_path / "test_prices.py").write_text(
            "import unittest\n"
            "from chrono import tp\n\n\n"
            "class Prices(unittest.TestCase):\n"
            "    def test_lookup(self):\n"
            "        prices, wanted = {'tea': 3}, 'mug'\n"
            "        tp(prices)\n"
            "        tp(wanted)\n"
            "        tp(len(prices))\n"
            "        prices[wanted]\n",
            encoding="utf-8",
        )
        result = run_module("chrono.unittest", tmp_path)

        assert _story_rows(report_of(result.stderr, "test_lookup")) == [
            (True, "prices={'tea': 3}"),
            (True, "wanted='mug'"),
            (False, "len(prices)=1"),
        ]
        assert (
            "> marks the events about the failure: names of the local variables where KeyError "
            "was raised (test_prices.py:11 in Prices.test_lookup)"
        ) in result.stderr


def _sample_case() -> type[unittest.TestCase]:
    # Built here, not at module level, so that pytest does not collect it.
    class Sample(unittest.TestCase):
        def test_fails(self) -> None:
            tp("in the test")
            self.addCleanup(tp, "in a cleanup")
            self.fail("on purpose")

        def test_passes(self) -> None:
            tp("passing")

    return Sample


def _run_sample(runner: unittest.TextTestRunner) -> unittest.TestResult:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(_sample_case())
    return runner.run(suite)


class TestChronoTextTestRunner:
    """``ChronoTextTestRunner``, for running tests from code."""

    def test_printed_failure_ends_with_the_story(self) -> None:
        """The report that printErrors writes holds the story, cleanup events included."""
        stream = io.StringIO()

        result = _run_sample(ChronoTextTestRunner(stream=stream))

        printed = stream.getvalue()
        assert not result.wasSuccessful()
        assert isinstance(result, ChronoTextTestResult)
        assert printed.index("AssertionError: on purpose") < printed.index("chrono story")
        assert printed.index("in the test") < printed.index("in a cleanup")
        assert "passing" not in printed

    def test_a_result_class_passed_in_gets_the_stories(self) -> None:
        """A resultclass given to the runner is kept, with ChronoResultMixin mixed in."""

        class CountingResult(unittest.TextTestResult):
            started = 0

            def startTest(self, test: unittest.TestCase) -> None:
                CountingResult.started += 1
                super().startTest(test)

        stream = io.StringIO()

        result = _run_sample(ChronoTextTestRunner(stream=stream, resultclass=CountingResult))

        assert isinstance(result, CountingResult)
        assert isinstance(result, ChronoResultMixin)
        assert CountingResult.started == 2
        assert "chrono story" in result.failures[0][1]


class TestWithStories:
    """``with_stories`` and ``ChronoResultMixin``, for result classes of one's own."""

    def test_mixes_in_once_per_class(self) -> None:
        """The mixed class is made once per result class, and a mixed class is left as it is."""
        mixed = with_stories(unittest.TextTestResult)

        assert with_stories(unittest.TextTestResult) is mixed
        assert with_stories(mixed) is mixed
        assert mixed.__mro__[1:3] == (ChronoResultMixin, unittest.TextTestResult)

    def test_extra_fields_of_report_entries_are_kept(self) -> None:
        """A result that stores more than (test, text) per report keeps its extra fields."""

        class WithNotes(unittest.TestResult):
            def addFailure(self, test: unittest.TestCase, err: object) -> None:
                super().addFailure(test, err)
                self.failures[-1] = (*self.failures[-1], "a note")

        result = with_stories(WithNotes)()
        unittest.defaultTestLoader.loadTestsFromName("test_fails", _sample_case()).run(result)

        _test, text, note = result.failures[0]
        assert note == "a note"
        assert text.index("on purpose") < text.index("chrono story")

    def test_story_carried_by_a_failure_is_the_one_shown(self) -> None:
        """A failure that arrives with its story (from a worker process) shows that story."""
        result = ChronoTextTestResult(io.StringIO(), descriptions=True, verbosity=0)
        test = _sample_case()("test_fails")
        try:
            raise AssertionError("in a worker")
        except AssertionError:
            exc_info = sys.exc_info()
        carried = pickle.loads(pickle.dumps(ExcInfoWithStory((*exc_info[:2], None), "remote")))

        result.startTest(test)
        tp("recorded here, not in the worker")
        result.addFailure(test, carried)
        result.stopTest(test)

        text = result.failures[0][1]
        assert text.endswith("AssertionError: in a worker\n\nremote\n")
        assert carried.story_text == "remote"

    def test_errors_outside_a_test_get_no_story(self) -> None:
        """A setUpClass error is reported between tests, so no story is attached to it."""

        class BrokenClass(unittest.TestCase):
            @classmethod
            def setUpClass(cls) -> None:
                tp("in setUpClass")
                raise RuntimeError("class set-up failed")

            def test_never_runs(self) -> None:
                """Not run."""

        stream = io.StringIO()

        result = ChronoTextTestRunner(stream=stream).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(BrokenClass)
        )

        assert len(result.errors) == 1
        assert "chrono story" not in stream.getvalue()
