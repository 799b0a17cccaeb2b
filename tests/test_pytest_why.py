"""``--chrono-why``: suspect lines from coverage.py's per-test spectra, and their values.

The plugin is run by real inner pytest runs on a small project with a seeded bug; the ranking
and the reading of lines are tested on their own below.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import coverage
import jsonschema
import pytest

from chrono._pytest_why import _sibling
from chrono._spectra import (
    Predicate,
    SuspectLine,
    names_read,
    ochiai,
    rank_lines,
    spectra_from_plain,
    spectra_to_plain,
)
from chrono.export import story_schema
from pytest_plugin_runs import PYTEST_9, QUIET_PLUGINS

#: A stock-keeping module whose bug (``>=`` for ``>``) fails exactly one case of a
#: parametrized test; the other tests pass, one of them through the faulty branch.
STOCK = """
class Stock:
    def __init__(self, levels):
        self.__levels = dict(levels)

    def available(self, sku):
        return self.__levels.get(sku, 0)

    def take(self, sku, qty):
        avail = self.available(sku)
        if qty >= avail:
            raise ValueError(f"only {avail} of {sku} left")
        self.__levels[sku] = avail - qty
        return avail - qty

    def restock(self, sku, qty):
        self.__levels[sku] = self.available(sku) + qty
"""
BUG_LINE = 11

TESTS = """
import pytest
from shop.stock import Stock

@pytest.mark.parametrize("qty", [1, 2, 5])
def test_take(qty):
    stock = Stock({"apple": 5})
    assert stock.take("apple", qty) == 5 - qty

def test_restock():
    stock = Stock({"apple": 1})
    stock.restock("apple", 2)
    assert stock.available("apple") == 3

def test_too_many():
    stock = Stock({"apple": 1})
    with pytest.raises(ValueError):
        stock.take("apple", 3)
"""


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The project: a package ``shop`` with the seeded bug, and its tests."""
    for name in ("CHRONO", "FORCE_COLOR", "NO_COLOR", "COVERAGE_PROCESS_START"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("COV_CORE_"):  # pytest-cov measuring the suite: not the inner run
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "120")
    package = pytester.mkpydir("shop")
    (package / "stock.py").write_text(STOCK)
    pytester.makepyfile(test_stock=TESTS)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*QUIET_PLUGINS, *args, timeout=120)


def _section(result: pytest.RunResult) -> list[str]:
    """The lines of the ``chrono: why`` section, without its heading."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if re.match(r"^-+ chrono: why -+$", line))
    end = next(i for i in range(start + 1, len(lines)) if re.match(r"^(=+ |-+ \S.* -+$)", lines[i]))
    return lines[start + 1 : end]


class TestSeededBug:
    """A run with the option on a project with a seeded bug."""

    def test_the_bug_line_is_first_with_its_values_failing_beside_passing(
        self, shop: pytest.Pytester
    ) -> None:
        """The faulty condition's line is suspect #1, with its counts, its source, and what it
        read in the failing case beside the passing case of the same test."""
        result = _run(shop, "--chrono-why")
        result.assert_outcomes(passed=4, failed=1)
        section = _section(result)
        assert section[:2] == [
            "suspect lines, ranked by Ochiai over 1 failing and 4 passing tests (coverage.py)",
            "values recorded by running the test again, beside test_stock.py::test_take[1], "
            "which passed",
        ]
        assert section[2] == (
            f"#1 shop/stock.py:{BUG_LINE}  score 0.71  in 1 of 1 failing test, 1 of 4 passing"
            f" (when it went on to line {BUG_LINE + 1})"
        )
        assert section[3].strip() == "if qty >= avail:"
        assert re.fullmatch(r" +qty +failing: 5 +passing: 1", section[4])
        assert re.fullmatch(r" +avail +failing: 5 +passing: 5", section[5])
        assert re.fullmatch(r" +qty >= avail +failing: True +passing: False", section[6])

    def test_private_names_are_read_as_python_stores_them(self, shop: pytest.Pytester) -> None:
        """A suspect line reading ``self.__levels`` shows its value, read under the name Python
        gives it inside the class."""
        result = _run(shop, "--chrono-why")
        assert any(
            re.search(r"self\._Stock__levels +failing: \{'apple': 5\}", line)
            for line in _section(result)
        )

    def test_five_lines_of_the_projects_own_code(self, shop: pytest.Pytester) -> None:
        """The section ranks five lines, #1 to #5, all of the project's code: none of the
        tests, of conftest.py, or of chrono."""
        shop.makeconftest(
            """
            import pytest

            @pytest.fixture(autouse=True)
            def each():
                yield
            """
        )
        section = _section(_run(shop, "--chrono-why"))
        ranked = [line.split()[:2] for line in section if line.startswith("#")]
        assert [rank for rank, _ in ranked] == ["#1", "#2", "#3", "#4", "#5"]
        assert all(where.startswith("shop/stock.py:") for _, where in ranked), ranked

    def test_the_json_export_carries_the_suspect_lines(self, shop: pytest.Pytester) -> None:
        """With no tp written the failing test still gets a file, valid against the schema,
        whose suspect lines give rank, file, line, counts and the values on both sides."""
        _run(shop, "--chrono-why", "--chrono-json=stories")
        (path,) = (shop.path / "stories").glob("*.json")
        data = json.loads(path.read_text("utf-8"))
        jsonschema.validate(data, story_schema())
        first = data["suspect_lines"][0]
        assert {key: first[key] for key in ("rank", "file", "line", "failing", "passing")} == {
            "rank": 1,
            "file": "shop/stock.py",
            "line": BUG_LINE,
            "failing": 1,
            "passing": 1,
        }
        assert (first["failing_total"], first["passing_total"], first["formula"]) == (
            1,
            4,
            "ochiai",
        )
        assert first["values"] == {
            "failing": {"qty": ["5"], "avail": ["5"], "qty >= avail": ["True"]},
            "passing": {"qty": ["1"], "avail": ["5"], "qty >= avail": ["False"]},
        }

    def test_the_ini_twin_turns_it_on(self, shop: pytest.Pytester) -> None:
        """``chrono_why = true`` in the ini file does what the option does."""
        shop.makeini("[pytest]\nchrono_why = true\n")
        assert _section(_run(shop))[2].startswith(f"#1 shop/stock.py:{BUG_LINE} ")

    def test_under_xdist_the_failing_test_runs_again_in_a_pytest_of_its_own(
        self, shop: pytest.Pytester
    ) -> None:
        """Under ``-n 2`` each worker measures its own tests and the controller ranks them
        all; the failing test and its sibling run again in one more pytest for their values,
        which leaves the run's JUnit XML as it was."""
        result = _run(shop, "-n", "2", "--chrono-why", "--junitxml=junit.xml")
        result.assert_outcomes(passed=4, failed=1)
        section = _section(result)
        assert section[:2] == [
            "suspect lines, ranked by Ochiai over 1 failing and 4 passing tests (coverage.py)",
            "values recorded by running the test again, beside test_stock.py::test_take[1], "
            "which passed",
        ]
        assert section[2].startswith(f"#1 shop/stock.py:{BUG_LINE}  score 0.71  in 1 of 1 failing")
        assert re.fullmatch(r" +qty >= avail +failing: True +passing: False", section[6])
        junit = (shop.path / "junit.xml").read_text("utf-8")
        assert 'tests="5"' in junit

    def test_a_run_stopped_at_the_first_failure_explains_it(self, shop: pytest.Pytester) -> None:
        """``-x`` stops the run at the failure: the tests that ran are ranked, and the failing
        one still runs again for its values."""
        result = _run(shop, "-x", "--chrono-why")
        result.assert_outcomes(passed=2, failed=1)
        section = _section(result)
        assert section[0] == (
            "suspect lines, ranked by Ochiai over 1 failing and 2 passing tests (coverage.py)"
        )
        assert re.fullmatch(r" +qty >= avail +failing: True +passing: False", section[6])

    @pytest.mark.parametrize("kind", ["pytest", "unittest"])
    def test_a_test_with_subtests_runs_again_without_counting_twice(
        self, shop: pytest.Pytester, kind: str
    ) -> None:
        """A failing test with subtests (pytest's fixture, unittest's subTest) runs again out
        of the run's sight: the run counts each subtest once, and the values are shown."""
        if kind == "pytest":
            if not PYTEST_9:
                pytest.skip("the subtests fixture is pytest 9's")
            source = """
            from shop.stock import Stock

            def test_takes(subtests):
                for qty in (1, 5):
                    with subtests.test(qty=qty):
                        assert Stock({"apple": 5}).take("apple", qty) == 5 - qty
            """
        else:
            source = """
            import unittest

            from shop.stock import Stock

            class TakeTest(unittest.TestCase):
                def test_takes(self):
                    for qty in (1, 5):
                        with self.subTest(qty=qty):
                            self.assertEqual(Stock({"apple": 5}).take("apple", qty), 5 - qty)
            """
        shop.makepyfile(test_subtests=source)
        plain = _run(shop, "test_subtests.py", "test_stock.py")
        result = _run(shop, "--chrono-why", "test_subtests.py", "test_stock.py")
        assert result.outlines[-1].split(" in ")[0] == plain.outlines[-1].split(" in ")[0]
        assert any(
            re.fullmatch(r" +qty >= avail +failing: (False → )?True +passing: False", line)
            for line in _section(result)
        )

    def test_a_run_that_passes_shows_nothing(self, shop: pytest.Pytester) -> None:
        """With no failing test there is nothing to rank and no section."""
        (shop.path / "shop" / "stock.py").write_text(STOCK.replace("qty >= avail", "qty > avail"))
        result = _run(shop, "--chrono-why")
        result.assert_outcomes(passed=5)
        assert "chrono: why" not in result.stdout.str()

    def test_code_run_to_describe_the_failure_is_not_the_tests(self, shop: pytest.Pytester) -> None:
        """pytest reprs a failing test's arguments in its report: the project's ``__repr__``
        then ran for failing tests only, but in the report, not the test, and is no suspect."""
        (shop.path / "shop" / "order.py").write_text(
            textwrap.dedent(
                """
                class Order:
                    def __init__(self, qty):
                        self.qty = qty

                    def __repr__(self):
                        return f"<Order of {self.qty}>"
                """
            )
        )
        shop.makepyfile(
            test_stock="""
            import pytest
            from shop.order import Order
            from shop.stock import Stock

            @pytest.mark.parametrize("order", [Order(1), Order(2), Order(5)])
            def test_take(order):
                assert Stock({"apple": 5}).take("apple", order.qty) == 5 - order.qty
            """
        )
        result = _run(shop, "--chrono-why", "--chrono-json=stories")
        result.assert_outcomes(passed=2, failed=1)
        assert "order = <Order of 5>" in result.stdout.str()  # pytest did call the repr
        (story,) = Path(shop.path, "stories").glob("*.json")
        listed = json.loads(story.read_text())["suspect_lines"]
        assert [line["file"] for line in listed if line["file"] != "shop/stock.py"] == []
        assert listed[0]["line"] == BUG_LINE

    def test_lines_tied_with_the_last_shown_are_named_and_exported(
        self, shop: pytest.Pytester
    ) -> None:
        """Ten lines that only the failing test runs (the branch into eight steps, the steps,
        the return) tie: five are shown, the other five named in one line, and the exports list
        all ten, the five as not shown."""
        body = "".join(f"    step_{n} = {n}\n" for n in range(8))
        (shop.path / "shop" / "steps.py").write_text(
            f"def walk(bad):\n    if not bad:\n        return 0\n{body}    return 1\n"
        )
        shop.makepyfile(
            test_stock="""
            from shop.steps import walk

            def test_good():
                assert walk(False) == 0

            def test_bad():
                assert walk(True) == 0
            """
        )
        result = _run(shop, "--chrono-why", "--chrono-json=stories")
        result.assert_outcomes(passed=1, failed=1)
        section = _section(result)
        assert section[-1].startswith("tied with #5: shop/steps.py:")
        assert len(section[-1].split(", ")) == 5
        (story,) = Path(shop.path, "stories").glob("*.json")
        listed = json.loads(story.read_text())["suspect_lines"]
        assert [line["shown"] for line in listed] == [True] * 5 + [False] * 5
        assert {line["score"] for line in listed} == {1.0}
        jsonschema.validate(json.loads(story.read_text()), story_schema())


class TestBesideCoverage:
    """pytest-cov's data and report stay exactly what they are without chrono."""

    def test_pytest_cov_data_and_report_are_unchanged(self, shop: pytest.Pytester) -> None:
        """A run with pytest-cov and --chrono-why writes the same coverage data and prints the
        same report as one without it, and says in one line why it stood aside."""
        with_cov = ("--cov=shop", "--cov-branch", "--cov-report=term")
        plain = _run(shop, *with_cov)
        plain_data = _coverage_data(shop.path)
        chrono = _run(shop, *with_cov, "--chrono-why")
        assert _coverage_data(shop.path) == plain_data
        assert _coverage_report(chrono) == _coverage_report(plain)
        assert plain_data  # the report is not empty on both sides
        notes = [line for line in chrono.outlines if "--chrono-why" in line]
        assert notes == [
            "chrono: --chrono-why stood aside: pytest-cov measures this run, and a second "
            "measurement would change its data; run with --no-cov to rank suspect lines"
        ]

    def test_no_cov_lets_it_run(self, shop: pytest.Pytester) -> None:
        """With pytest-cov turned off by ``--no-cov``, the suspect lines are ranked."""
        result = _run(shop, "--cov=shop", "--no-cov", "--chrono-why")
        assert _section(result)[2].startswith(f"#1 shop/stock.py:{BUG_LINE} ")


def _coverage_data(root: Path) -> dict[str, tuple[list[int], list[tuple[int, int]]]]:
    data = coverage.CoverageData(basename=str(root / ".coverage"))
    data.read()
    return {
        Path(path).name: (sorted(data.lines(path) or ()), sorted(data.arcs(path) or ()))
        for path in data.measured_files()
    }


def _coverage_report(result: pytest.RunResult) -> list[str]:
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "coverage: platform" in line)
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("TOTAL"))
    return lines[start + 1 : end + 1]


class TestWithoutCoverage:
    """What the option costs and says when coverage.py is not there or not asked for."""

    def test_chrono_off_measures_nothing(
        self, shop: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With ``CHRONO=off`` the option is inert: no section, and coverage.py is not even
        started (the test would see its tracer)."""
        shop.makepyfile(
            test_no_tracer="""
            import sys

            def test_nothing_traces():
                assert sys.gettrace() is None
            """
        )
        monkeypatch.setenv("CHRONO", "off")
        result = _run(shop, "-p", "no:pytest_cov", "--chrono-why")
        result.assert_outcomes(passed=5, failed=1)
        assert "chrono: why" not in result.stdout.str()

    def test_missing_coverage_is_a_usage_error_naming_the_extra(
        self, shop: pytest.Pytester
    ) -> None:
        """Where coverage.py cannot be imported, the option stops the run with one line that
        says which extra to install."""
        shop.makeconftest("import sys\nsys.modules['coverage'] = None\n")
        result = _run(shop, "-p", "no:pytest_cov", "--chrono-why")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert (
            "ERROR: --chrono-why needs coverage.py: pip install 'chrono-tp[why]' (or coverage)"
            in result.errlines
        )

    def test_without_the_option_coverage_is_never_imported(self, shop: pytest.Pytester) -> None:
        """A run without the option imports no coverage.py (pytest-cov, which would, is off)."""
        shop.makepyfile(
            test_imports="""
            import sys

            def test_coverage_not_imported():
                assert "coverage" not in sys.modules
            """
        )
        result = _run(shop, "-p", "no:pytest_cov", "test_imports.py")
        result.assert_outcomes(passed=1)


class TestRanking:
    """Ochiai over per-test predicates, and the order of lines."""

    def test_ochiai(self) -> None:
        """The coefficient is failed / sqrt(total_failed * (failed + passed)), 0 without a
        failing test."""
        assert ochiai(3, 1, 3) == pytest.approx(3 / (3 * 4) ** 0.5)
        assert ochiai(2, 0, 2) == 1.0
        assert ochiai(0, 5, 2) == 0.0

    def test_a_deciding_branch_comes_before_the_lines_it_lets_run(self) -> None:
        """On equal scores the line whose branch scored it (the condition) ranks first; a line
        that ran only in passing tests is not ranked."""
        spectra = {
            Predicate("m.py", 10): {"f", "p1", "p2"},
            Predicate("m.py", 10, 11): {"f"},
            Predicate("m.py", 10, 12): {"p1", "p2"},
            Predicate("m.py", 11): {"f"},
            Predicate("m.py", 12): {"p1", "p2"},
        }
        ranked = rank_lines(spectra, ["f"], ["p1", "p2"])
        assert [(s.line, s.predicate.to, s.score) for s in ranked] == [
            (10, 11, 1.0),
            (11, None, 1.0),
        ]

    def test_the_sibling_is_the_closest_passing_test_through_the_top_line(self) -> None:
        """Beside a failing test goes a passing case of the same function; without one, the
        passing test of its own class that ran the top line, not the first such test."""
        top = Predicate("m.py", 10)
        spectra = {top: {"t.py::A::test_x", "t.py::B::test_z", "t.py::B::test_fails"}}
        line = SuspectLine("m.py", 10, 1.0, 1, 0, top, frozenset({"t.py::B::test_fails"}))
        passing = ["t.py::A::test_x", "t.py::A::test_y", "t.py::B::test_z"]
        assert _sibling("t.py::B::test_fails", passing, [line], spectra) == "t.py::B::test_z"
        cases = ["t.py::A::test_x", "t.py::B::test_fails[2]"]
        assert _sibling("t.py::B::test_fails[1]", cases, [line], spectra) == cases[1]

    def test_spectra_cross_as_plain_data(self) -> None:
        """The plain form a worker sends reads back as the same spectra."""
        spectra = {Predicate("a.py", 1): {"t1", "t2"}, Predicate("a.py", 2, -1): {"t2"}}
        plain = spectra_to_plain(spectra)
        assert json.loads(json.dumps(plain)) == plain
        assert spectra_from_plain(plain) == spectra


class TestNamesRead:
    """What a suspect line reads, as expressions a logpoint evaluates there."""

    def test_names_attributes_and_the_condition(self, tmp_path: Path) -> None:
        """A condition gives its names, attribute chains (private ones mangled) and itself;
        a called function and ``self`` alone are left out."""
        path = tmp_path / "cache.py"
        path.write_text(
            textwrap.dedent(
                """\
                class Cache:
                    def put(self, key, size):
                        while self.__currsize + size >= self.maxsize:
                            self.evict(key)
                        return len(key)
                """
            )
        )
        assert names_read(str(path), 3) == (
            "self._Cache__currsize",
            "size",
            "self.maxsize",
            "self._Cache__currsize + size >= self.maxsize",
        )
        assert names_read(str(path), 4) == ("key",)
        assert names_read(str(path), 5) == ("key",)
        assert names_read(str(path), 2) == ()
