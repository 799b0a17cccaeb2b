"""Suspects from stories: predicates, spectra, the formulas and the ranking, on hand-made data."""

from __future__ import annotations

import math
from typing import Any

import pytest

from chrono._suspects import (
    Evidence,
    dstar,
    evidence,
    kept_around,
    normalised_value,
    ochiai,
    rank,
    spectra,
)

LIBRARY = "/project/src/cache.py"
TESTS = "/project/tests/test_cache.py"
FILES = [LIBRARY, TESTS]


def story(*events: tuple[int, int, tuple[tuple[str, str], ...]]) -> Evidence:
    """Evidence of a story whose events are ``(seq, line, items)`` in the library file (lines
    under 1000) or the tests' file (lines from 1000)."""
    rows: list[Any] = []
    for seq, line, items in events:
        file_index = 0 if line < 1000 else 1
        rows.append(("tp", file_index, line, f"f{line}", None, items, seq, "MainThread"))
    return evidence(FILES, rows)


def full(size: int, seq: int = 1) -> tuple[int, int, tuple[tuple[str, str], ...]]:
    return (seq, 85, (("currsize + size >= maxsize", str(size >= 10)),))


class TestFormulas:
    def test_ochiai(self) -> None:
        """Ochiai is failed / sqrt(total failed * (failed + passed)), 0 when nothing failed."""
        assert ochiai(5, 2, 5) == 5 / math.sqrt(5 * 7)
        assert ochiai(1, 0, 1) == 1.0
        assert ochiai(0, 3, 5) == 0.0

    def test_dstar(self) -> None:
        """DStar is failed² / (passed + failing stories it missed); a zero divisor ranks above
        any other score."""
        assert dstar(5, 2, 5) == 25 / 2
        assert dstar(3, 1, 5) == 9 / 3
        assert dstar(5, 0, 5) == 26.0
        assert dstar(0, 4, 5) == 0.0


class TestEvidence:
    def test_predicates_of_a_story(self) -> None:
        """A story holds, per call site, ran and ran k times, and each item's value, with the
        sequence numbers where each held."""
        found = story(
            (1, 10, (("x", "1"),)),
            (2, 10, (("x", "2"),)),
            (3, 20, ()),
        )
        assert found.predicates == {
            ("value", LIBRARY, 10, "x", "1"): (1,),
            ("value", LIBRARY, 10, "x", "2"): (2,),
            ("ran", LIBRARY, 10, "", ""): (1, 2),
            ("ran_times", LIBRARY, 10, "", "2"): (1, 2),
            ("ran", LIBRARY, 20, "", ""): (3,),
            ("ran_times", LIBRARY, 20, "", "1"): (3,),
        }
        assert found.contexts == {(LIBRARY, 10), (LIBRARY, 10, "x"), (LIBRARY, 20)}

    @pytest.mark.parametrize(
        ("value", "normalised"),
        [
            ("<Node object at 0x7f3a5c2b1d90>", "<Node object at 0x…>"),
            (
                "PosixPath('/tmp/pytest-of-ada/pytest-12/test_a0/x.txt')",
                "PosixPath('<temporary path>')",
            ),
            ("'/var/folders/xy/T/tmpab12/lock'", "'<temporary path>'"),
            ("datetime.datetime(2026, 12, 7, 19, 49, 27, 120)", "<time>"),
            ("'2026-12-07 19:49:27.120'", "'<time>'"),
            ("1765136967.25", "<time>"),
            ("'id=140234988123456'", "'id=<id>'"),
            ("UUID('1b4e28ba-2fa1-11d2-883f-0016d3cca427')", "UUID('<uuid>')"),
            ("True", "True"),
            ("[1, 2, 3]", "[1, 2, 3]"),
        ],
    )
    def test_values_that_differ_by_nature(self, value: str, normalised: str) -> None:
        """Addresses, temporary paths, times, ids and UUIDs are masked; other values stay."""
        assert normalised_value(value) == normalised


def cachetools_like() -> tuple[list[Evidence], list[Evidence]]:
    """Five failing stories where the full-cache condition was True, and eight passing: two
    with it True (they evict, as they should), six with it False. Each test records its own
    input, a size that differs in every story, at line 80, and the test body at line 1000+."""
    failing = [
        story(
            (1, 1000 + n, (("key", f"'k{n}'"),)),
            (2, 80, (("size", str(100 + n)),)),
            full(10, 3),
            (4, 90, ()),
        )
        for n in range(5)
    ]
    passing = [
        story(
            (1, 1010 + n, (("key", f"'p{n}'"),)),
            (2, 80, (("size", str(200 + n)),)),
            full(10 if n < 2 else 1, 3),
            *([(4, 90, ())] if n < 2 else []),
        )
        for n in range(8)
    ]
    return failing, passing


class TestRanking:
    def test_the_condition_comes_first(self) -> None:
        """The condition true in 5 of 5 failing stories and 2 of 8 passing is suspect #1, with
        its exact Ochiai score and counts."""
        failing, passing = cachetools_like()
        found = rank(failing[0], spectra(failing, passing))
        first = found[0]
        assert (first.rank, first.seq, first.line, first.kind) == (1, 3, 85, "value")
        assert first.predicate == "currsize + size >= maxsize=True"
        assert (first.failing, first.failing_total, first.passing, first.passing_total) == (
            5,
            5,
            2,
            8,
        )
        assert first.score == 5 / math.sqrt(5 * 7)
        assert first.to_dict() == {
            "rank": 1,
            "seq": 3,
            "file": LIBRARY,
            "line": 85,
            "function": "f85",
            "predicate": "currsize + size >= maxsize=True",
            "kind": "value",
            "score": round(5 / math.sqrt(35), 4),
            "formula": "ochiai",
            "failing": 5,
            "failing_total": 5,
            "passing": 2,
            "passing_total": 8,
        }

    def test_a_tie_is_said(self) -> None:
        """Line 90 ran exactly where the condition was True: the same counts, the same score,
        so both are told as tied, the condition first."""
        failing, passing = cachetools_like()
        found = rank(failing[0], spectra(failing, passing), test_files=frozenset({TESTS}))
        assert [(s.line, s.predicate, s.tied) for s in found] == [
            (85, "currsize + size >= maxsize=True", True),
            (90, "ran", True),
        ]

    def test_inputs_and_tests_are_no_suspects(self) -> None:
        """A size that differs in every story, and the test bodies' own call sites, are left
        out; so are predicates every story holds (Increase 0)."""
        failing, passing = cachetools_like()
        lines = {s.line for s in rank(failing[0], spectra(failing, passing), shown=10)}
        assert 80 not in lines
        found = rank(
            failing[0],
            spectra(failing, passing),
            shown=10,
            test_files=frozenset({TESTS}),
        )
        assert {s.line for s in found} == {85, 90}

    def test_dstar_ranks_too(self) -> None:
        """With DStar the condition's score is 25 / (2 + 0)."""
        failing, passing = cachetools_like()
        found = rank(failing[0], spectra(failing, passing), formula="dstar")
        assert (found[0].line, found[0].score, found[0].formula) == (85, 12.5, "dstar")

    def test_a_count_that_sets_failures_apart(self) -> None:
        """A loop that ran three times in the failing story and twice in each passing one is a
        ran_times suspect; its plain ran, held everywhere, is not."""
        failing = [story((1, 50, ()), (2, 50, ()), (3, 50, ()))]
        passing = [story((1, 50, ()), (2, 50, ())) for _ in range(3)]
        found = rank(failing[0], spectra(failing, passing))
        assert [(s.predicate, s.kind, s.seqs, s.score) for s in found] == [
            ("ran 3 times", "ran_times", (1, 2, 3), 1.0)
        ]

    def test_no_passing_story_no_suspect(self) -> None:
        """Without a passing story, no predicate rises above its context: nothing is shown."""
        failing, _ = cachetools_like()
        assert rank(failing[0], spectra(failing, [])) == []

    def test_one_failure_with_its_own_input(self) -> None:
        """One failing story whose only difference is its input value is no evidence: the
        value is left out, though it held only in the failing story."""
        failing = [story((1, 80, (("size", "7"),)))]
        passing = [story((1, 80, (("size", str(n)),))) for n in range(3)]
        assert rank(failing[0], spectra(failing, passing)) == []

    def test_one_failure_one_pass_a_condition(self) -> None:
        """One failing and one passing story that differ only by a condition: the condition
        is the suspect, not taken for an input though each value held in one story."""
        failing = [story((1, 30, (("x > limit", "True"),)))]
        passing = [story((1, 30, (("x > limit", "False"),)))]
        (found,) = rank(failing[0], spectra(failing, passing))
        assert (found.predicate, found.score, found.passing, found.passing_total) == (
            "x > limit=True",
            1.0,
            0,
            1,
        )


class TestKeptAround:
    def test_all_when_they_fit(self) -> None:
        """A story that fits its room is shown whole."""
        assert kept_around(5, [2], 5) == [0, 1, 2, 3, 4]

    def test_cut_around_the_focus(self) -> None:
        """The focus event and the last, with their neighbours, within the room counting a row
        per stretch left out."""
        kept = kept_around(100, [40], 9)
        # Seven events and two stretches left out (0-37, 43-97): nine rows.
        assert kept == [38, 39, 40, 41, 42, 98, 99]

    def test_too_many_focus_events(self) -> None:
        """More focus events than room: the latest are kept."""
        # 30 goes too (three stretches would be left out); 39 fills the room.
        assert kept_around(100, [10, 20, 30, 40], 5) == [39, 40, 99]


class TestTies:
    def test_a_condition_before_a_count_of_equal_score(self) -> None:
        """A condition and a count that set the failures apart alike: the condition comes
        first, though the count's call site was reached by more passing stories (a higher
        Increase)."""
        failing = [story((1, 77, ()), (2, 77, ()), full(10, 3)) for _ in range(2)]
        passing = [story((1, 77, ()), (2, 77, ()), (3, 77, ()), full(1, 4)) for _ in range(2)]
        passing += [story((1, 77, ()))]  # never reached the condition
        found = rank(failing[0], spectra(failing, passing))
        assert [(s.line, s.kind, s.score, s.tied) for s in found] == [
            (85, "value", 1.0, True),
            (77, "ran_times", 1.0, True),
        ]
        assert found[1].increase > found[0].increase
