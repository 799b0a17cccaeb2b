"""The plugin ranks suspects across the run and tells them first in each failing test's section.

Real inner pytest runs of a small project with a seeded bug (``>=`` where ``>`` is right, in a
cache's eviction condition): in-process, in a subprocess and under pytest-xdist (``-n 2``),
with pytest's real cache for ``--lf``, and the JSON export held to the shipped schema.
"""

from __future__ import annotations

import json
import re
import sys
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
    Runner,
    make_runner,
    run_once,
    sections,
)

CACHE = """
from chrono import tp


class Cache:
    def __init__(self, maxsize):
        self.maxsize = maxsize
        self.currsize = 0
        self.data = {}

    def set(self, key, size):
        tp(key, size)
        while tp(self.currsize + size >= self.maxsize):  # the bug: > is right
            evicted = next(iter(self.data), None)
            if evicted is None:
                break
            self.currsize -= self.data.pop(evicted)
            tp("evicted", evicted)
        self.data[key] = size
        self.currsize += size
        return self


def fill(maxsize, sizes):
    cache = Cache(maxsize)
    for number, size in enumerate(sizes):
        cache.set(f"k{number}", size)
    return cache
"""

TESTS = """
import pytest
from cache import fill


@pytest.mark.parametrize("sizes", [[1, 2], [3], [1, 1, 1], [2, 2], [4]])
def test_room_left(sizes):
    assert len(fill(10, sizes).data) == len(sizes)


@pytest.mark.parametrize("sizes", [[5, 5], [2, 8], [1, 9], [3, 7], [9, 1]])
def test_exactly_full(sizes):
    assert len(fill(10, sizes).data) == len(sizes)


@pytest.mark.parametrize("sizes", [[6, 6], [9, 9]])
def test_over(sizes):
    assert len(fill(10, sizes).data) == 1
"""

PROJECT = {"cache": CACHE, "test_cache": TESTS}
#: The bug's event: the eviction condition, True where the cache is exactly full.
BUG = (
    r"1 look first at #\d+ cache\.py:12 in Cache\.set — "
    r"self\.currsize \+ size >= self\.maxsize=True: in 5 of 5 failing tests, 2 of 7 passing "
    r"\(ochiai 0\.85, tied\)"
)

PRICES = """
from chrono import tp


def total(prices, bad):
    running = 0
    for price in prices:
        running += tp(price)
        if tp(price == bad):
            running += 1  # the bug
    return running
"""

LONG = {
    "prices": PRICES,
    "test_long": """
import pytest
from prices import total


@pytest.mark.parametrize("bad", [-1, -2, -3, 57])
def test_total(bad):
    assert total(range(100), bad) == sum(range(100))
""",
}


@pytest.fixture
def runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str) -> Runner:
    return make_runner(pytester, monkeypatch, mode)


def story_sections(result: pytest.RunResult) -> list[str]:
    return sections(result, "chrono story")


@pytest.mark.parametrize("mode", ALL)
class TestSeededBug:
    """Five tests fail on one bug; each section opens with the bug's event as suspect #1."""

    def test_the_bugs_event_is_suspect_one(self, runner: Runner) -> None:
        """Every failing section's first line names the condition, its counts and score."""
        result = run_once(runner, "seeded", PROJECT, "--color=no").result
        result.assert_outcomes(passed=7, failed=5)
        found = story_sections(result)
        assert len(found) == 5
        for text in found:
            assert re.fullmatch(BUG, text.splitlines()[0]), text

    def test_the_suspects_event_is_marked_in_the_story(self, runner: Runner) -> None:
        """The event suspect #1 names is marked 1 in the story's rows."""
        result = run_once(runner, "seeded", PROJECT, "--color=no").result
        for text in story_sections(result):
            seq = re.match(r"1 look first at (#\d+)", text).group(1)  # type: ignore[union-attr]
            (row,) = [line for line in text.splitlines() if f" {seq} " in f"{line} "][1:]
            assert row.startswith(" 1 "), text
            assert "mark the suspects above" in text or "marks the suspect above" in text

    def test_passing_tests_show_nothing(self, runner: Runner) -> None:
        """A run where everything passes shows no suspects and no section."""
        runner.pytester.makepyfile(cache=CACHE, test_ok=TESTS.split("@pytest.mark")[0] + "\n"
            "def test_ok():\n    assert len(fill(10, [1]).data) == 1\n")  # fmt: skip
        result = runner("--color=no")
        result.assert_outcomes(passed=1)
        assert "look first at" not in result.stdout.str()


@pytest.mark.parametrize("mode", BOTH)
class TestOptions:
    """--chrono-suspects chooses the formula or turns suspects off; ini twins alike."""

    def test_dstar(self, runner: Runner) -> None:
        """With DStar, the condition is first with 25 / (2 + 0) = 12.5."""
        runner.pytester.makepyfile(**PROJECT)
        result = runner("--color=no", "--chrono-suspects=dstar")
        first = story_sections(result)[0].splitlines()[0]
        assert "self.currsize + size >= self.maxsize=True" in first
        assert first.endswith("(dstar 12.50, tied)")

    def test_off(self, runner: Runner) -> None:
        """--chrono-suspects=off: the story as it was, no suspects."""
        runner.pytester.makepyfile(**PROJECT)
        result = runner("--color=no", "--chrono-suspects=off")
        result.assert_outcomes(passed=7, failed=5)
        assert "look first at" not in result.stdout.str()
        assert story_sections(result)[0].startswith("chrono story '")

    def test_ini_twin_and_bad_value(self, runner: Runner) -> None:
        """chrono_suspects = off in the ini file turns them off; a bad value is a usage error."""
        runner.pytester.makepyfile(**PROJECT)
        runner.pytester.makeini("[pytest]\nchrono_suspects = off\n")
        assert "look first at" not in runner("--color=no").stdout.str()
        runner.pytester.makeini("[pytest]\nchrono_suspects = tarantula\n")
        result = runner("--color=no")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*chrono_suspects = 'tarantula' is not understood*"])


@pytest.mark.parametrize("mode", BOTH)
class TestBudget:
    """A long story is cut around its suspects to 40 lines; --chrono-full shows it whole."""

    def test_cut_around_the_suspects(self, runner: Runner) -> None:
        """200 events: the section keeps to 40 lines, says how many events each cut left out,
        and keeps the suspect's event."""
        runner.pytester.makepyfile(**LONG)
        result = runner("--color=no")
        result.assert_outcomes(passed=3, failed=1)
        (text,) = story_sections(result)
        lines = text.splitlines()
        assert "price == bad=True" in lines[0]
        # Every chrono line of the failure, the divergence and the section rules included.
        printed = result.stdout.lines
        start = next(n for n, line in enumerate(printed) if re.match(r"^-+ chrono story -+$", line))
        end = next(n for n, line in enumerate(printed) if "short test summary" in line)
        assert end - start <= 40, "\n".join(printed[start:end])
        assert re.search(r"^ +… \d+ events …$", text, re.MULTILINE)
        seq = re.match(r"1 look first at (#\d+)", lines[0]).group(1)  # type: ignore[union-attr]
        assert any(line.startswith(" 1 ") and f" {seq} " in line for line in lines)

    def test_full_shows_it_whole(self, runner: Runner) -> None:
        """--chrono-full, and its ini twin: every event's row, no cut."""
        runner.pytester.makepyfile(**LONG)
        (text,) = story_sections(runner("--color=no", "--chrono-full"))
        assert "… " not in text
        assert (
            len([line for line in text.splitlines() if re.match(r"^[ 1-3]{3} *#\d+ ", line)]) == 200
        )
        runner.pytester.makeini("[pytest]\nchrono_full = true\n")
        (text,) = story_sections(runner("--color=no"))
        assert "… " not in text


def exported(directory: Path) -> dict[str, dict[str, Any]]:
    """The JSON stories in ``directory`` by test id, each held to the shipped schema."""
    validator = jsonschema.Draft202012Validator(story_schema())
    stories = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        validator.validate(data)
        stories[data["test"]["id"]] = data
    return stories


@pytest.mark.parametrize("mode", [SUBPROCESS, "xdist"])
def test_json_export_carries_the_suspects(runner: Runner) -> None:
    """Each failing test's file has its suspects, in the documented shape, #1 the bug's event
    at the sequence number of its own event."""
    runner.pytester.makepyfile(**PROJECT)
    runner("--color=no", "--chrono-json=stories").assert_outcomes(passed=7, failed=5)
    stories = exported(runner.pytester.path / "stories")
    assert len(stories) == 5
    for data in stories.values():
        first = data["suspects"][0]
        event = next(e for e in data["events"] if e["seq"] == first["seq"])
        assert (event["line"], event["items"][0][1]) == (12, "True")
        assert first == {
            "rank": 1,
            "seq": first["seq"],
            "file": str(runner.pytester.path / "cache.py"),
            "line": 12,
            "function": "Cache.set",
            "predicate": "self.currsize + size >= self.maxsize=True",
            "kind": "value",
            "score": 0.8452,
            "formula": "ochiai",
            "failing": 5,
            "failing_total": 5,
            "passing": 2,
            "passing_total": 7,
        }


def _cached_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A subprocess run with pytest's cache on (the shared runners turn it off)."""
    return pytester.runpytest_subprocess(
        "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:django", "--color=no",
        *args, timeout=120,
    )  # fmt: skip


def test_last_failed_ranks_with_the_cached_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under --lf only the five failing tests run: the passing evidence is the cache's last
    passes of the seven others, and the bug's event is still suspect #1."""
    make_runner(pytester, monkeypatch, SUBPROCESS)
    pytester.makepyfile(**PROJECT)
    _cached_run(pytester).assert_outcomes(passed=7, failed=5)
    result = _cached_run(pytester, "--lf")
    result.assert_outcomes(failed=5)
    for text in story_sections(result):
        assert re.fullmatch(BUG, text.splitlines()[0]), text


def test_a_run_with_no_failure_ranks_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run where every test passes never loads the ranking."""
    runner = make_runner(pytester, monkeypatch, SUBPROCESS)
    pytester.makepyfile(cache=CACHE, test_ok="from cache import fill\n\n"
        "def test_ok():\n    assert len(fill(10, [1]).data) == 1\n")  # fmt: skip
    pytester.makeconftest(
        """
        import sys
        from pathlib import Path

        def pytest_unconfigure(config):
            Path("loaded.txt").write_text(str("chrono._suspects" in sys.modules))
        """
    )
    runner("--color=no").assert_outcomes(passed=1)
    assert (pytester.path / "loaded.txt").read_text() == "False"


SUBTESTS = """
import unittest

from cache import fill

CASES = [[1, 2], [3], [5, 5], [2, 8], [4], [6, 6]]


def test_sizes(subtests):
    for sizes in CASES:
        with subtests.test(sizes=sizes):
            expected = 1 if sum(sizes) > 10 else len(sizes)
            assert len(fill(10, sizes).data) == expected


class TestSizes(unittest.TestCase):
    def test_sizes(self):
        for sizes in CASES:
            with self.subTest(sizes=sizes):
                expected = 1 if sum(sizes) > 10 else len(sizes)
                self.assertEqual(len(fill(10, sizes).data), expected)
"""


@pytest.mark.skipif(not PYTEST_9, reason="pytest reports each subtest from version 9")
@pytest.mark.parametrize("mode", BOTH)
def test_subtests_are_runs_of_their_own(runner: Runner) -> None:
    """pytest's subtests and unittest's subTest: each failing subtest's section opens with
    the condition, counted over subtests as runs of their own."""
    runner.pytester.makepyfile(cache=CACHE, test_subtests=SUBTESTS)
    result = runner("--color=no")
    firsts = [text.splitlines()[0] for text in story_sections(result)]
    # Before 3.11, unittest reports a method's subtests only when it ends: its subtests are
    # no runs of their own, failing or passing, and only pytest's are ranked. (Nor is the
    # method, which pytest passes: its story holds the failing subtests' events.)
    failing, passing = (4, 8) if sys.version_info >= (3, 11) else (2, 4)
    condition = "self.currsize + size >= self.maxsize=True"
    ranked = [first for first in firsts if first.startswith("1 look first at")]
    assert len(ranked) == failing, result.stdout.str()
    for first in ranked:
        assert condition in first
        assert f"in {failing} of {failing} failing tests" in first
        assert f" of {passing} passing " in first


def test_a_broken_ranking_is_said_and_hides_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache entry chrono cannot read as evidence (another chrono's, a damaged one): the
    failures are reported as they are, with the story, and one section says why no suspects."""
    import marshal

    make_runner(pytester, monkeypatch, SUBPROCESS)
    pytester.makepyfile(**PROJECT)
    folder = pytester.path / ".pytest_cache" / "d" / "chrono"
    folder.mkdir(parents=True)
    damaged = {"name": "test_gone.py::test_gone", "files": [], "events": [[1, 2]]}
    kept = {"test_gone.py::test_gone": (1.0, marshal.dumps(damaged))}
    (folder / "last-passes.marshal").write_bytes(marshal.dumps(kept))
    result = _cached_run(pytester)
    result.assert_outcomes(passed=7, failed=5)
    notes = sections(result, "chrono suspects (not ranked)")
    assert len(notes) == 5
    assert all(note.startswith("chrono failed: ValueError(") for note in notes), notes
    assert len(story_sections(result)) == 5


def test_a_test_failing_twice_is_one_failing_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test whose call and teardown both fail counts once among the failing stories."""
    runner = make_runner(pytester, monkeypatch, SUBPROCESS)
    pytester.makepyfile(
        limits="from chrono import tp\n\n\ndef allowed(amount):\n"
        "    return not tp(amount >= 10)  # the bug: > is right\n",
        test_limits="""
import pytest
from limits import allowed


@pytest.fixture
def checked():
    yield
    assert allowed(10), "teardown fails too"


def test_at_the_limit(checked):
    assert allowed(10)


@pytest.mark.parametrize("amount", [1, 5, 11])
def test_others(amount):
    assert allowed(amount) == (amount < 10)
""",
    )
    result = runner("--color=no")
    result.assert_outcomes(passed=3, failed=1, errors=1)
    first = story_sections(result)[0].splitlines()[0]
    assert "amount >= 10=True: in 1 of 1 failing test, 1 of 3 passing" in first, first
