"""The plugin compares a failing test's story with a passing one: sibling, last pass, rerun.

Real inner pytest runs: in-process, in a subprocess and under pytest-xdist, pytest's real
cache directory, and real pytest-rerunfailures.
"""

from __future__ import annotations

import json
import marshal
import re
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chrono.export import story_schema
from pytest_plugin_runs import (
    ALL,
    BOTH,
    PYTEST_9,
    SUBPROCESS,
    XDIST,
    Runner,
    make_runner,
    sections,
)

PARAMETRIZED = """
import pytest
from chrono import tp


def price(quantity):
    tp(quantity)
    total = 0
    for unit in range(quantity):
        total += 10
        tp(total)
    if quantity > 2:
        total -= 5  # the bulk discount, the bug: it should be 10
        tp("discount", total)
    return total


@pytest.mark.parametrize("quantity", [1, 2, 3])
def test_price(quantity):
    assert price(quantity) == quantity * 10 - (10 if quantity > 2 else 0)
"""

CLASS_METHODS = """
from chrono import tp


def normalise(name):
    cleaned = name.strip().lower()
    tp(cleaned)
    if "," in cleaned:
        last, first = cleaned.split(",")
        cleaned = f"{first} {last}"
        tp("swapped", cleaned)
    return cleaned


class TestNames:
    def test_plain(self):
        assert normalise(" Ada ") == "ada"

    def test_spaced(self):
        assert normalise("Grace  Hopper") == "grace  hopper"

    def test_comma(self):
        assert normalise("Lovelace, Ada") == "ada lovelace"
"""

LIMITS = """
from chrono import tp


def fits(size, limit=10):
    if tp(size > limit):
        return False
    return True
"""

LIMITS_TESTS = """
from chrono import tp
from limits import fits


def test_small():
    tp("small")
    assert fits(3)


def test_big():
    tp("big")
    assert fits(12)
"""

BROKEN_LATER = """
import os
import pytest
from chrono import tp


@pytest.mark.parametrize("items", ["1,2", "1,3"])
def test_total(items):
    total = 0
    for item in items.split(","):
        total += tp(int(item))
    if os.environ.get("BROKEN") and tp(total > 3):
        total = 0
    assert total in (3, 4)
"""

UNRELATED = """
from chrono import tp


def test_other_code():
    tp("elsewhere", 1)


def test_fails_alone():
    tp("lonely", 2)
    assert False
"""

FLAKY = """
import pytest
from chrono import tp

ATTEMPTS = []


@pytest.mark.flaky(reruns=1)
def test_flaky():
    ATTEMPTS.append(1)
    first = len(ATTEMPTS) == 1
    tp("attempt", len(ATTEMPTS))
    if first:
        tp("took the slow path")
    tp("done")
    assert not first
"""

LAST_PASS = """
import os
from chrono import tp


def test_total():
    items = [int(x) for x in os.environ.get("ITEMS", "1,2").split(",")]
    for item in items:
        tp(item)
    total = sum(items)
    tp(total)
    assert total == 3
"""

SUBTESTS = """
import unittest
from chrono import tp


def parse(text):
    tp(text)
    parts = text.split("=")
    tp(len(parts))
    return parts[0], parts[-1]


def test_pairs(subtests):
    for text in ["a=1", "b=2", "c=3=4"]:
        with subtests.test(text=text):
            key, value = parse(text)
            assert value.isdigit() and len(value) == 1 and key + "=" + value == text


class TestParse(unittest.TestCase):
    def test_pairs(self):
        for text in ["a=1", "c=3=4"]:
            with self.subTest(text=text):
                key, value = parse(text)
                self.assertEqual(key + "=" + value, text)
"""

SIBLINGS_TITLE = "chrono: where it diverged from"


@pytest.fixture
def runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str) -> Runner:
    return make_runner(pytester, monkeypatch, mode)


def divergence_sections(result: pytest.RunResult) -> list[tuple[str, str]]:
    """(title, text) of each comparison section in the printed report."""
    found = []
    lines = result.stdout.lines
    for index, line in enumerate(lines):
        stripped = line.strip("-= ")
        if stripped.startswith(SIBLINGS_TITLE) and line.startswith("-"):
            body = []
            for following in lines[index + 1 :]:
                if following.startswith(("---", "===", "___")):
                    break
                body.append(following)
            found.append((stripped, "\n".join(body)))
    return found


def only_divergence(result: pytest.RunResult) -> tuple[str, str]:
    """(title, text) of the one comparison section; fails if there are none or several."""
    found = divergence_sections(result)
    assert len(found) == 1, result.stdout.str()
    return found[0]


@pytest.mark.parametrize("mode", ALL)
class TestSiblingInTheRun:
    """A failing case is compared with the closest passing case of the same test."""

    def test_failing_case_names_its_closest_passing_sibling(self, runner: Runner) -> None:
        """quantity=3 fails; quantity=2 passed, ran the loop once less: it is the sibling."""
        runner.pytester.makepyfile(test_price=PARAMETRIZED)
        result = runner("--color=no")
        result.assert_outcomes(passed=2, failed=1)
        title, text = only_divergence(result)
        assert title == "chrono: where it diverged from [2], which passed"
        lines = text.splitlines()
        assert lines[0] == "Compared with [2]: a case of the same test that passed in this run."
        # Same call site tp(quantity), other values: the test's input; past it, the loop ran
        # once more.
        assert "They differ first by input: same call site, other values (quantity)." in text
        assert "quantity=3" in text
        assert "quantity=2" in text
        assert "Past the input, the control flow diverged: [3] ran more here." in text

    def test_passing_tests_show_no_comparison(self, runner: Runner) -> None:
        """A run where everything passes prints no comparison at all."""
        runner.pytester.makepyfile(
            test_ok="from chrono import tp\n\ndef test_ok():\n    tp(1)\n",
        )
        result = runner("--color=no")
        result.assert_outcomes(passed=1)
        assert divergence_sections(result) == []


@pytest.mark.parametrize("mode", BOTH)
class TestSiblingsReadWidely:
    """Any passing story through the same call sites is a sibling, not only parametrized cases."""

    def test_no_top_suspect_no_other_test(self, runner: Runner) -> None:
        """test_comma fails; the code it runs is in its test file, so there is no suspect, and
        no other method is compared with it (each differs by its own input)."""
        runner.pytester.makepyfile(test_names=CLASS_METHODS)
        result = runner("--color=no")
        result.assert_outcomes(passed=2, failed=1)
        assert divergence_sections(result) == []
        assert "look first at" not in result.stdout.str()

    def test_another_test_only_through_the_top_suspects_call_site(self, runner: Runner) -> None:
        """test_comma fails; its top suspect is the swap, which no passing test reached: no
        other test is compared with it."""
        runner.pytester.makepyfile(names=CLASS_METHODS.split("class TestNames")[0])
        runner.pytester.makepyfile(
            test_names="from names import normalise\n\n\n"
            "def test_plain():\n    assert normalise(' Ada ') == 'ada'\n\n\n"
            "def test_comma():\n    assert normalise('Lovelace, Ada') == 'ada lovelace'\n"
        )
        result = runner("--color=no")
        result.assert_outcomes(passed=1, failed=1)
        assert divergence_sections(result) == []
        assert "look first at #" in result.stdout.str()
        assert "names.py:10 in normalise — ran" in result.stdout.str()

    def test_another_test_through_the_suspect_leaves_the_test_bodies_out(
        self, runner: Runner
    ) -> None:
        """test_big fails at a condition that test_small passed through too: test_small is
        compared, the first line says why, and the tp in each test's own body is left out."""
        runner.pytester.makepyfile(limits=LIMITS, test_limits=LIMITS_TESTS)
        result = runner("--color=no")
        result.assert_outcomes(passed=1, failed=1)
        title, text = only_divergence(result)
        assert title == "chrono: where it diverged from test_small, which passed"
        # The runs here have no cache: no last pass is read.
        assert " ".join(text.split()).startswith(
            "Compared with test_small, another test: no last pass is read in this run (pytest's "
            "cache is off, or --chrono-compare=siblings); that test went through the top "
            "suspect's call site, limits.py:5 in fits. Events in either test's own body are "
            "left out."
        )
        assert "size > limit=True" in text
        assert "size > limit=False" in text
        assert "in test_big" not in text
        assert "in test_small" not in text

    def test_failures_alike_print_their_divergence_once(self, runner: Runner) -> None:
        """test_big and test_huge fail at the same suspect and diverge from test_small alike
        (the sizes differ in their own bodies only): the second says so in one line."""
        tests = LIMITS_TESTS + '\n\ndef test_huge():\n    tp("huge")\n    assert fits(12)\n'
        runner.pytester.makepyfile(limits=LIMITS, test_limits=tests)
        result = runner("--color=no")
        result.assert_outcomes(passed=1, failed=2)
        (_, first), (_, second) = divergence_sections(result)
        assert "size > limit=True" in first
        assert " ".join(second.split()) == (
            "same as test_big: the same top suspect, and the same divergence from a passing run"
        )

    def test_junit_xml_carries_the_suspects_and_the_chosen_comparison(self, runner: Runner) -> None:
        """Known only when the run ends, the suspects and the comparison chosen then reach
        JUnit XML as properties of the failing testcase, suspects first."""
        runner.pytester.makepyfile(limits=LIMITS, test_limits=LIMITS_TESTS)
        runner("--color=no", "--junitxml=junit.xml").assert_outcomes(passed=1, failed=1)
        tree = ElementTree.parse(runner.pytester.path / "junit.xml")
        (failing,) = [case for case in tree.iter("testcase") if case.find("failure") is not None]
        properties = [(p.get("name"), p.get("value")) for p in failing.iter("property")]
        assert [name for name, _ in properties] == ["chrono_suspect_1", "chrono_divergence"]
        assert re.fullmatch(
            r"1 look first at #\d+ limits\.py:5 in fits — size > limit=True: in 1 of 1 failing "
            r"test, 0 of 1 passing \(ochiai 1\.00\)",
            str(properties[0][1]),
        )
        divergence = str(properties[1][1])
        assert divergence.startswith("Compared with test_small, another test: ")
        assert "The data diverged: same call site, other values (size > limit)." in divergence
        passing = next(case for case in tree.iter("testcase") if case.get("name") == "test_small")
        assert passing.find("properties") is None

    def test_no_shared_call_site_no_comparison(self, runner: Runner) -> None:
        """A passing test that ran none of the failing test's call sites is no sibling."""
        runner.pytester.makepyfile(test_unrelated=UNRELATED)
        result = runner("--color=no")
        result.assert_outcomes(passed=1, failed=1)
        assert divergence_sections(result) == []
        assert sections(result, "chrono story")  # the story itself is still told


@pytest.mark.skipif(not PYTEST_9, reason="pytest reports each subtest from version 9")
@pytest.mark.parametrize("mode", BOTH)
class TestPassingSubtests:
    """A failing subtest is compared with a passing subtest of the same test."""

    def test_failing_subtests_compared_with_passing_ones(self, runner: Runner) -> None:
        """pytest's subtests and unittest's subTest: c=3=4 fails beside a=1 or b=2, which passed."""
        runner.pytester.makepyfile(test_subtests=SUBTESTS)
        result = runner("--color=no")
        found = divergence_sections(result)
        # Before 3.11, unittest reports a test method's subtests only when the method ends, so
        # its marks come after all their events and no part is a subtest's own: only pytest's
        # subtests are compared there.
        compared = 2 if sys.version_info >= (3, 11) else 1
        assert len(found) == compared, result.stdout.str()
        titles = [title for title, _ in found]
        assert titles.count("chrono: where it diverged from (text='a=1'), which passed") == compared
        (_, text), *others = found
        assert "text='c=3=4'" in text
        assert "len(parts)=3" in text
        assert "len(parts)=2" in text
        # No suspect (parse is in the test file), the same divergence: told once, then in
        # one line.
        for _, other in others:
            assert other == (
                "same as test_pairs (text='c=3=4'): the same divergence from a passing run"
            )


@pytest.mark.parametrize("mode", BOTH)
class TestOptions:
    """--chrono-compare and chrono_compare choose which comparisons are made."""

    def test_off_compares_nothing(self, runner: Runner) -> None:
        """--chrono-compare=off: the failing case has its story and no comparison."""
        runner.pytester.makepyfile(test_price=PARAMETRIZED)
        result = runner("--color=no", "--chrono-compare=off")
        result.assert_outcomes(passed=2, failed=1)
        assert divergence_sections(result) == []

    def test_ini_twin(self, runner: Runner) -> None:
        """chrono_compare = off in the ini file does what the option does."""
        runner.pytester.makeini("[pytest]\nchrono_compare = off\n")
        runner.pytester.makepyfile(test_price=PARAMETRIZED)
        result = runner("--color=no")
        assert divergence_sections(result) == []

    def test_bad_ini_value_is_a_usage_error(self, runner: Runner) -> None:
        """An unknown chrono_compare value stops the run with one message naming it."""
        runner.pytester.makeini("[pytest]\nchrono_compare = sometimes\n")
        runner.pytester.makepyfile(test_price=PARAMETRIZED)
        result = runner("--color=no")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            [
                "ERROR: chrono_compare = 'sometimes' is not understood; "
                "use one of auto, siblings, last-pass, off"
            ]
        )


def _cached_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A subprocess run with pytest's cache on (the shared runners turn it off)."""
    return pytester.runpytest_subprocess(
        "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:django", "--color=no",
        *args, timeout=120,
    )  # fmt: skip


def kept_passes(project: Path) -> dict[str, Any]:
    """The last passes kept in ``project``'s pytest cache, by test id."""
    kept: dict[str, Any] = marshal.loads(
        (project / ".pytest_cache" / "d" / "chrono" / "last-passes.marshal").read_bytes()
    )
    return kept


class TestLastPass:
    """A test that passed before and fails now is compared with its last pass."""

    @pytest.fixture
    def project(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
        make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(test_total=LAST_PASS)
        return pytester.path

    def test_failure_compared_with_yesterdays_pass(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, project: Path
    ) -> None:
        """Passing first with 1,2 then failing with 1,3: the report shows where 3 replaced 2."""
        _cached_run(pytester).assert_outcomes(passed=1)
        assert kept_passes(project).keys() == {"test_total.py::test_total"}
        monkeypatch.setenv("ITEMS", "1,3")
        result = _cached_run(pytester)
        result.assert_outcomes(failed=1)
        title, text = only_divergence(result)
        assert title.startswith("chrono: where it diverged from its last pass (")
        # Told under the story, as a sibling's is.
        printed = result.stdout.str()
        assert printed.index("chrono story 'test_total.py::test_total'") < printed.index(title)
        assert text.startswith("Compared with this test's own last pass, ")
        assert "They differ first by input: same call site, other values (item)." in text
        assert "item=3" in text
        assert "item=2" in text

    def test_cache_clear_forgets_the_last_pass(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, project: Path
    ) -> None:
        """--cache-clear: the pass kept before is gone, so there is nothing to compare with."""
        _cached_run(pytester).assert_outcomes(passed=1)
        monkeypatch.setenv("ITEMS", "1,3")
        result = _cached_run(pytester, "--cache-clear")
        result.assert_outcomes(failed=1)
        assert divergence_sections(result) == []

    def test_without_the_cache_plugin(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, project: Path
    ) -> None:
        """-p no:cacheprovider: nothing is kept, nothing compared, no error."""
        result = _cached_run(pytester, "-p", "no:cacheprovider")
        result.assert_outcomes(passed=1)
        assert not (project / ".pytest_cache").exists()
        monkeypatch.setenv("ITEMS", "1,3")
        result = _cached_run(pytester, "-p", "no:cacheprovider")
        result.assert_outcomes(failed=1)
        assert divergence_sections(result) == []

    def test_a_changed_pass_replaces_the_one_before(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, project: Path
    ) -> None:
        """Passing with 1,2, then with 0,1,2, then failing with 1,3: the failure is compared
        with the pass that began with 0, the latest, and says when it was."""
        _cached_run(pytester).assert_outcomes(passed=1)
        first_when, _ = kept_passes(project)["test_total.py::test_total"]
        monkeypatch.setenv("ITEMS", "0,1,2")
        _cached_run(pytester).assert_outcomes(passed=1)
        when, _ = kept_passes(project)["test_total.py::test_total"]
        assert when > first_when
        monkeypatch.setenv("ITEMS", "1,3")
        result = _cached_run(pytester)
        result.assert_outcomes(failed=1)
        title, text = only_divergence(result)
        shown_when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
        assert title == f"chrono: where it diverged from its last pass ({shown_when})"
        assert "item=0" in text

    def test_call_sites_moved_by_an_edit_are_the_same_sites(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, project: Path
    ) -> None:
        """A line added above the tp calls after the pass: they are the same call sites at
        new lines, so the values diverged (not the control flow), and the report says which
        lines moved."""
        _cached_run(pytester).assert_outcomes(passed=1)
        test_file = project / "test_total.py"
        lines = test_file.read_text().splitlines()
        before = [number for number, line in enumerate(lines, 1) if "tp(" in line]
        at = lines.index("def test_total():") + 1
        lines.insert(at, '    """Adds the items up."""')
        test_file.write_text("\n".join(lines) + "\n")
        monkeypatch.setenv("ITEMS", "1,3")
        result = _cached_run(pytester)
        result.assert_outcomes(failed=1)
        _, text = only_divergence(result)
        assert "They differ first by input: same call site, other values (item)." in text
        assert "share their first event (of 3 and 3)" in text
        moves = ", ".join(f"test_total.py:{line} is now :{line + 1}" for line in before)
        assert f"matched as the same: {moves}." in " ".join(text.split())

    def test_passing_runs_never_load_the_comparison(
        self, pytester: pytest.Pytester, project: Path
    ) -> None:
        """Runs that only pass keep their stories without loading _compare."""
        pytester.makeconftest(
            """
            import sys
            from pathlib import Path

            def pytest_unconfigure(config):
                loaded = "chrono._compare" in sys.modules
                Path("loaded.txt").write_text(str(loaded))
            """
        )
        for _ in range(2):  # the first run keeps the pass, the second replaces it
            _cached_run(pytester).assert_outcomes(passed=1)
            assert (project / "loaded.txt").read_text() == "False"
        assert kept_passes(project).keys() == {"test_total.py::test_total"}

    def test_junit_xml_carries_the_last_pass_comparison(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, project: Path
    ) -> None:
        """The comparison with the last pass is known at once: it is in the JUnit failure."""
        _cached_run(pytester).assert_outcomes(passed=1)
        monkeypatch.setenv("ITEMS", "1,3")
        _cached_run(pytester, "--junitxml=report.xml")
        failure = ElementTree.parse(project / "report.xml").find(".//failure")
        assert failure is not None
        assert failure.text is not None
        assert "chrono: where it diverged from its last pass" in failure.text

    @pytest.mark.parametrize(
        "kept",
        [
            b"\xff not marshal at all",
            marshal.dumps([1, 2, 3]),
            marshal.dumps({"test_total.py::test_total": ("when", 1)}),
            marshal.dumps({"test_total.py::test_total": 5}),
            # An older chrono's shape, for a test this run does not pass.
            marshal.dumps({"test_gone.py::test_gone": (1.0, 100, 12345)}),
        ],
        ids=["garbage", "not-a-dict", "short-entry", "not-an-entry", "older-shape"],
    )
    def test_unreadable_index_is_started_afresh(
        self,
        pytester: pytest.Pytester,
        monkeypatch: pytest.MonkeyPatch,
        project: Path,
        kept: bytes,
    ) -> None:
        """An index chrono cannot read (cut short, another Python's marshal, an older shape)
        changes no outcome; the next pass makes it afresh, and a failure is compared with it."""
        _cached_run(pytester).assert_outcomes(passed=1)
        (index,) = (project / ".pytest_cache" / "d" / "chrono").iterdir()
        index.write_bytes(kept)
        result = _cached_run(pytester)
        result.assert_outcomes(passed=1)
        assert result.ret == 0
        assert marshal.loads(index.read_bytes()).keys() == {"test_total.py::test_total"}
        monkeypatch.setenv("ITEMS", "1,3")
        result = _cached_run(pytester)
        result.assert_outcomes(failed=1)
        title, _ = only_divergence(result)
        assert title.startswith("chrono: where it diverged from its last pass (20")


class TestChoice:
    """Which passing run a failure is compared with, in order: a case of the same test in this
    run, such a case's last pass, the test's own last pass, another test through the top
    suspect. Real subprocess runs with pytest's cache."""

    @pytest.fixture
    def project(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
        make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(test_price=PARAMETRIZED)
        return pytester.path

    def test_last_failed_compares_with_a_siblings_last_pass(
        self, pytester: pytest.Pytester, project: Path
    ) -> None:
        """--lf runs [3] alone: it is compared with [2] as [2] last passed, and says so."""
        _cached_run(pytester).assert_outcomes(passed=2, failed=1)
        result = _cached_run(pytester, "--lf")
        result.assert_outcomes(failed=1)
        title, text = only_divergence(result)
        assert title.startswith("chrono: where it diverged from [2]'s last pass (")
        assert " ".join(text.split()).startswith("Compared with [2] as it last passed, ")
        assert "a case of the same test that did not run in this run." in " ".join(text.split())
        assert "Past the input, the control flow diverged: [3] ran more here." in text

    def test_keyword_selection_compares_too(self, pytester: pytest.Pytester, project: Path) -> None:
        """-k picks [3] and [1]: [1] passed in this run, and a case of this run comes first."""
        _cached_run(pytester).assert_outcomes(passed=2, failed=1)
        result = _cached_run(pytester, "-k", "3 or 1")
        result.assert_outcomes(passed=1, failed=1)
        title, text = only_divergence(result)
        assert title == "chrono: where it diverged from [1], which passed"
        assert text.startswith("Compared with [1]: a case of the same test that passed in this")

    def test_a_sibling_in_the_run_is_chosen_over_the_own_last_pass(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """[1,3] passed before and fails now beside [1,2], which passes: the terminal shows
        the comparison with [1,2] alone; JUnit XML, written as the test failed, keeps the one
        with its last pass."""
        make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(test_total=BROKEN_LATER)
        _cached_run(pytester).assert_outcomes(passed=2)
        monkeypatch.setenv("BROKEN", "1")
        result = _cached_run(pytester, "--junitxml=junit.xml")
        result.assert_outcomes(passed=1, failed=1)
        title, _text = only_divergence(result)
        assert title == "chrono: where it diverged from [1,2], which passed"
        assert "last pass" not in result.stdout.str()
        junit = (pytester.path / "junit.xml").read_text()
        assert "chrono: where it diverged from its last pass" in junit
        assert "Compared with this test's own last pass, " in junit


def test_a_tests_own_body_is_left_out_with_functions_inside_it() -> None:
    """Rows in the test's function, or in a function defined inside it, are left out; a
    function of the code that merely shares a word of the name is kept."""
    from chrono._pytest_compare import _body_of, _without_body

    body = _body_of("tests/test_stock.py::TestStock::test_take[5]")
    assert body == "test_take"
    rows = [
        ["tp", 0, 1, "TestStock.test_take", None, [], 1, "MainThread"],
        ["tp", 0, 2, "TestStock.test_take.<locals>.helper", None, [], 2, "MainThread"],
        ["tp", 1, 3, "Stock.take", None, [], 3, "MainThread"],
        ["tp", 1, 4, "test_take_all", None, [], 4, "MainThread"],
    ]
    story = {"name": "t", "files": ["tests/test_stock.py", "stock.py"], "events": rows}
    kept = _without_body(story, body)["events"]
    assert [row[3] for row in kept] == ["Stock.take", "test_take_all"]


def test_two_divergences_alike_but_for_sequence_numbers_have_one_key() -> None:
    """The key that tells failures alike ignores sequence numbers and the sides' names, and
    tells other values apart."""
    from chrono._compare import compare
    from chrono._pytest_compare import divergence_key

    def story(name: str, first_seq: int, value: str) -> dict[str, Any]:
        items = [[["x", "1"]], [["x > limit", value]]]
        rows = [["tp", 0, 5 + i, "fits", None, items[i], first_seq + i, "T"] for i in range(2)]
        return {"schema": "chrono.compact/1", "name": name, "files": ["f.py"], "events": rows}

    one = compare(story("a", 1, "True"), story("b", 10, "False"))
    two = compare(story("c", 20, "True"), story("d", 30, "False"))
    other = compare(story("e", 1, "True"), story("f", 10, "True"))
    assert divergence_key(one) == divergence_key(two)
    assert divergence_key(one) != divergence_key(other)


def test_past_the_bound_the_oldest_passes_go(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache keeps at most CACHE_BOUND_BYTES of last passes: when a later run's pass takes
    it past that, the oldest pass goes, and the newer ones stay."""
    from chrono import _pytest_compare

    make_runner(pytester, monkeypatch, "in-process")
    pytester.makepyfile(
        test_two="""
        from chrono import tp

        def test_old():
            tp("x" * 300)

        def test_new():
            tp("y" * 300)
        """
    )

    def run(*args: str) -> None:
        result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:xdist", *args)
        assert result.ret == 0

    run("-k", "test_old")
    ((old_when, old_story),) = kept_passes(pytester.path).values()
    run("-k", "test_new")
    kept = kept_passes(pytester.path)
    assert kept.keys() == {"test_two.py::test_old", "test_two.py::test_new"}
    new_size = len(kept["test_two.py::test_new"][1])
    # Room for one of the two: the next run of test_new keeps it, and test_old, older, goes.
    monkeypatch.setattr(_pytest_compare, "CACHE_BOUND_BYTES", new_size + len(old_story) - 1)
    run("-k", "test_new")
    kept = kept_passes(pytester.path)
    assert list(kept) == ["test_two.py::test_new"]
    assert kept["test_two.py::test_new"][0] > old_when


def test_a_passing_story_is_read_in_sequence_order() -> None:
    """What ran is kept as the records came (threads can append a little out of order) and
    read in sequence order."""
    from chrono._pytest_compare import _PassingStory

    where = ("tp", "app.py", 3, "run", "x")
    ran = [(where, None, 2, 7, "worker"), (where, None, 1, 5, "MainThread")]
    files, rows = _PassingStory.of("t.py::test", ran).rows
    assert files == ("app.py",)
    assert [(row[-2], row[-1]) for row in rows] == [(5, "MainThread"), (7, "worker")]


def test_passes_are_kept_across_batches(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passing stories are marshalled a batch at a time: 250 passing cases (two whole batches
    and a part) are each kept as a last pass, and the failing case after them finds its
    closest sibling in the first batch: ``n=5``, the only one that went through the call site
    it went through first."""
    make_runner(pytester, monkeypatch, "in-process")
    pytester.makepyfile(
        test_many="""
        import pytest
        from chrono import tp


        @pytest.mark.parametrize("n", range(251))
        def test_case(n):
            if n in (5, 250):
                tp("rare")
            tp(n)
            assert n < 250
        """
    )
    result = _cached_run(pytester, "-p", "no:randomly")
    result.assert_outcomes(passed=250, failed=1)
    title, text = only_divergence(result)
    assert title == "chrono: where it diverged from [5], which passed"
    assert "n=250" in text
    assert "n=5" in text
    kept = kept_passes(pytester.path)
    assert len(kept) == 250
    assert "test_many.py::test_case[250]" not in kept


def test_reports_are_read_for_stories_only_under_xdist(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In one process, stories reach where reports are gathered directly: no hook reads every
    report for them. Under pytest-xdist the controller reads its workers' reports, and a
    failing case is still compared with a sibling that passed on another worker."""
    make_runner(pytester, monkeypatch, SUBPROCESS)
    pytester.makepyfile(test_price=PARAMETRIZED)
    pytester.makeconftest(
        """
        from pathlib import Path

        def pytest_sessionfinish(session):
            if not hasattr(session.config, "workerinput"):  # not a worker
                reading = session.config.pluginmanager.has_plugin(
                    "chrono-compare-workers-reports"
                )
                Path("reading.txt").write_text(str(reading))
        """
    )
    result = _cached_run(pytester, "-p", "no:xdist")
    result.assert_outcomes(passed=2, failed=1)
    assert (pytester.path / "reading.txt").read_text() == "False"
    assert only_divergence(result)[0] == "chrono: where it diverged from [2], which passed"
    result = _cached_run(pytester, "-n", "2")
    result.assert_outcomes(passed=2, failed=1)
    assert (pytester.path / "reading.txt").read_text() == "True"
    assert only_divergence(result)[0] == "chrono: where it diverged from [2], which passed"


@pytest.mark.parametrize("mode", [SUBPROCESS, XDIST])
class TestFlaky:
    """pytest-rerunfailures: a test that failed, then passed on a rerun."""

    def test_summary_says_where_the_failing_attempt_diverged(self, runner: Runner) -> None:
        """The terminal summary tells the flaky test's divergence: the slow path ran once."""
        runner.pytester.makepyfile(test_flaky=FLAKY)
        result = runner("--color=no", "-p", "rerunfailures")
        assert result.parseoutcomes() == {"passed": 1, "rerun": 1}
        text = result.stdout.str()
        assert "chrono: where flaky tests' failing attempts diverged" in text
        assert "failing attempt" in text
        assert "passing rerun" in text
        assert "took the slow path" in text

    def test_junit_xml_property(self, runner: Runner) -> None:
        """The flaky test's testcase in JUnit XML has the divergence as a property."""
        runner.pytester.makepyfile(test_flaky=FLAKY)
        runner("--color=no", "-p", "rerunfailures", "--junitxml=report.xml")
        tree = ElementTree.parse(runner.pytester.path / "report.xml")
        values = [
            prop.get("value", "")
            for prop in tree.iter("property")
            if prop.get("name") == "chrono_flaky_divergence"
        ]
        assert len(values) == 1
        assert "took the slow path" in values[0]


def test_cache_entry_is_bounded(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test with 50,000 big events keeps a last pass of at most 64 KB."""
    make_runner(pytester, monkeypatch, SUBPROCESS)
    pytester.makepyfile(
        test_big="from chrono import tp\n\ndef test_big():\n"
        "    for i in range(50_000):\n        tp('x' * 300 + str(i))\n"
    )
    _cached_run(pytester).assert_outcomes(passed=1)
    ((when, story),) = kept_passes(pytester.path).values()
    assert isinstance(when, float)
    assert len(story) <= 64 * 1024
    kept = marshal.loads(story)
    assert kept["name"] == "test_big.py::test_big"
    assert kept["cut"] > 0
    assert 0 < len(kept["events"]) < 50_000


# -- the divergences in the JSON export -----------------------------------------------------------


def exported(directory: Path) -> dict[str, dict[str, Any]]:
    """The JSON stories in ``directory`` by test id, each held to the shipped schema."""
    validator = jsonschema.Draft202012Validator(story_schema())
    stories = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        validator.validate(data)
        stories[data["test"]["id"]] = data
    return stories


def compared_events(divergence: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(a side's items, b side's items) of the first pair, the first difference past the
    input (if any) and the context, None where a side has nothing."""
    after_input = [divergence["after_input"]] if divergence.get("after_input") else []
    pairs = [divergence["first"], *after_input, *divergence["context"]]
    return [
        tuple(None if pair[side] is None else pair[side]["items"] for side in "ab")
        for pair in pairs
    ]


@pytest.mark.parametrize("mode", [SUBPROCESS, XDIST])
class TestJsonExport:
    """--chrono-json: a failing test's file carries where it diverged, as data."""

    def test_failing_case_carries_its_sibling(self, runner: Runner) -> None:
        """test_price[3]'s file names test_price[2] and holds the divergence: quantity 3
        where the sibling had 2, a data divergence; it is written once."""
        runner.pytester.makepyfile(test_price=PARAMETRIZED)
        result = runner("--color=no", "--chrono-json=stories")
        result.assert_outcomes(passed=2, failed=1)
        result.stdout.fnmatch_lines(["*chrono: 1 story as JSON in *stories*"])
        stories = exported(runner.pytester.path / "stories")
        assert list(stories) == ["test_price.py::test_price[3]"]
        (comparison,) = stories["test_price.py::test_price[3]"]["divergences"]
        assert comparison["compared_with"] == "sibling"
        assert comparison["test"] == "test_price.py::test_price[2]"
        divergence = comparison["divergence"]
        # The sides are named as in the terminal, as short as tells them apart.
        assert (divergence["a"]["name"], divergence["b"]["name"]) == ("[3]", "[2]")
        assert (divergence["kind"], divergence["shared"]) == ("data", 0)
        assert divergence["first"]["differing"] == [0]
        assert compared_events(divergence)[0] == ([["quantity", "3"]], [["quantity", "2"]])

    def test_flaky_test_gets_one_file_of_its_failing_attempt(self, runner: Runner) -> None:
        """A test that failed, then passed on a rerun: one file, outcome flaky, with the
        failing attempt's events and where it diverged from the passing rerun."""
        runner.pytester.makepyfile(test_flaky=FLAKY)
        result = runner("--color=no", "-p", "rerunfailures", "--chrono-json=stories")
        assert result.parseoutcomes() == {"passed": 1, "rerun": 1}
        result.stdout.fnmatch_lines(["*chrono: 1 story as JSON in *stories*"])
        story = exported(runner.pytester.path / "stories")["test_flaky.py::test_flaky"]
        assert story["test"]["outcome"] == "flaky"
        assert story["test"]["message"] == "assert not True"
        assert [phase["outcome"] for phase in story["test"]["phases"]] == [
            "passed", "failed", "passed", "passed", "passed", "passed",
        ]  # fmt: skip
        assert [event["label"] for event in story["events"]] == [
            "attempt",
            "took the slow path",
            "done",
        ]
        (comparison,) = story["divergences"]
        assert comparison == {"compared_with": "passing-rerun", "divergence": ANY_DICT}
        divergence = comparison["divergence"]
        assert (divergence["a"]["name"], divergence["b"]["name"]) == (
            "failing attempt",
            "passing rerun",
        )
        assert divergence["first"]["differing"] == [0]
        assert compared_events(divergence)[0] == (
            [["len(ATTEMPTS)", "1"]],
            [["len(ATTEMPTS)", "2"]],
        )
        assert compared_events(divergence)[1] == ([], None)  # the slow path ran on one side
        assert divergence["only_in_a"][0]["line"] == 13

    def test_failing_every_attempt_writes_one_file(self, runner: Runner) -> None:
        """A test that failed on its rerun too gets one file, outcome failed, not one per
        attempt."""
        runner.pytester.makepyfile(
            test_broken="import pytest\nfrom chrono import tp\n\n"
            "@pytest.mark.flaky(reruns=1)\ndef test_broken():\n    tp('trying')\n    assert False\n"
        )
        result = runner("--color=no", "-p", "rerunfailures", "--chrono-json=stories")
        assert result.parseoutcomes() == {"failed": 1, "rerun": 1}
        result.stdout.fnmatch_lines(["*chrono: 1 story as JSON in *stories*"])
        (story,) = exported(runner.pytester.path / "stories").values()
        assert story["test"]["outcome"] == "failed"

    def test_nothing_to_compare_no_divergences(self, runner: Runner) -> None:
        """--chrono-compare=off: the file is the story alone, as before."""
        runner.pytester.makepyfile(test_price=PARAMETRIZED)
        runner("--color=no", "--chrono-compare=off", "--chrono-json=stories")
        (story,) = exported(runner.pytester.path / "stories").values()
        assert "divergences" not in story


class _AnyDict:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict)


ANY_DICT: Any = _AnyDict()


class TestJsonExportOfTheLastPass:
    def test_file_carries_the_last_pass_and_when(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Passing with 1,2 then failing with 1,3: the file's divergence is with the last pass,
        says when that was, and holds item 3 where the pass had 2."""
        make_runner(pytester, monkeypatch, SUBPROCESS)
        pytester.makepyfile(test_total=LAST_PASS)
        before = time.time()
        _cached_run(pytester).assert_outcomes(passed=1)
        after = time.time()
        monkeypatch.setenv("ITEMS", "1,3")
        _cached_run(pytester, "--chrono-json=stories").assert_outcomes(failed=1)
        story = exported(pytester.path / "stories")["test_total.py::test_total"]
        (comparison,) = story["divergences"]
        assert comparison["compared_with"] == "last-pass"
        assert before <= comparison["when"] <= after
        divergence = comparison["divergence"]
        assert (divergence["a"]["name"], divergence["b"]["name"]) == ("this run", "last pass")
        assert compared_events(divergence)[0] == ([["item", "3"]], [["item", "2"]])
