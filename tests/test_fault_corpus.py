"""The seeded-bug corpus of ``benchmarks/fault_corpus`` and the ranks its benchmark reads.

The corpus holds only patches and manifests; these tests keep them from rotting unseen: every
manifest is whole, every patch puts the bug where its manifest says, and the patches apply to
the projects' sdists (one small sdist is downloaded; the others are checked when an earlier
benchmark run left them in its cache).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_suspects.py"
#: The smallest sdist of the corpus (about 50 kB): the one case downloaded on every run.
CHEAP_CASE = "cachetools-ttl-contains"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_suspects", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


bench = load_benchmark()
CASES = bench.load_corpus()
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def added_lines(diff: str) -> dict[int, str]:
    """The lines a unified diff adds, by their number in the new file."""
    added: dict[int, str] = {}
    line = 0
    for text in diff.splitlines():
        hunk = _HUNK.match(text)
        if hunk:
            line = int(hunk.group(1))
        elif text.startswith("+") and not text.startswith("+++"):
            added[line] = text[1:]
            line += 1
        elif not text.startswith("-") and not text.startswith("\\"):
            line += 1
    return added


def diff_files(diff: str) -> set[str]:
    return {text[len("+++ b/") :] for text in diff.splitlines() if text.startswith("+++ b/")}


class TestCorpus:
    def test_size_and_variety(self) -> None:
        """The corpus has at least ten cases in five projects, with parametrized tests, unittest
        subtests and a pytest-xdist run among them."""
        assert len(CASES) >= 10
        assert len({case.project for case in CASES}) >= 5
        features = {feature for case in CASES for feature in case.features}
        assert {"parametrized", "subtests", "xdist"} <= features
        assert any("-n" in case.pytest_args for case in CASES if "xdist" in case.features)

    @pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
    def test_bug_diff_puts_the_bug_on_its_line(self, case: Any) -> None:
        """The bug's diff touches only the bug's file and adds exactly the manifest's line, at the
        manifest's line number."""
        diff = (case.folder / "bug.diff").read_text(encoding="utf-8")
        assert diff_files(diff) == {case.bug_file}
        added = added_lines(diff)
        assert list(added) == [case.bug_line]
        assert added[case.bug_line].strip() == case.bug_text

    @pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
    def test_tp_diff_traces_the_bug_and_its_path(self, case: Any) -> None:
        """The tp diff imports tp, puts a tp call on the bug's line and at least one more
        elsewhere, and leaves the project's test selection alone."""
        diff = (case.folder / "tp.diff").read_text(encoding="utf-8")
        assert diff_files(diff) == {case.bug_file}
        added = added_lines(diff)
        assert "from chrono import tp" in {text.strip() for text in added.values()}
        on_bug = added[case.bug_line_with_tp]
        assert "tp(" in on_bug
        elsewhere = [line for line, text in added.items() if "tp(" in text and text != on_bug]
        assert elsewhere

    @pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
    def test_manifest_names_what_a_run_needs(self, case: Any) -> None:
        """Each manifest names a pinned version, tests inside the sdist and a bug file under its
        path entry, and says what the case is about."""
        data = json.loads((case.folder / "case.json").read_text(encoding="utf-8"))
        assert re.fullmatch(r"\d+(\.\d+)+", data["version"])
        assert all(test.startswith("tests") for test in data["tests"])
        assert data["bug"]["file"].startswith(data["pythonpath"].strip("."))
        assert data["summary"]
        assert data["notes"]


def cached_or_cheap(case: Any) -> Any:
    """The case, marked to skip when its sdist is neither cached nor the one downloaded."""
    name = f"{case.project.replace('-', '_').lower()}_{case.version}"
    downloads = bench.DEFAULT_CACHE / "downloads"
    cached = downloads.is_dir() and any(
        path.name.lower().replace("-", "_") == f"{name}.tar.gz" for path in downloads.iterdir()
    )
    if cached or case.name == CHEAP_CASE:
        return case
    return pytest.param(
        case,
        marks=pytest.mark.skip(
            reason="sdist not cached (benchmarks/bench_suspects.py caches it); "
            f"{CHEAP_CASE} is downloaded instead"
        ),
    )


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch command")
@pytest.mark.parametrize("case", [cached_or_cheap(case) for case in CASES], ids=lambda c: c.name)
def test_patches_apply_to_the_sdist(case: Any, tmp_path: Path) -> None:
    """Both forms of the case apply to the project's sdist, and the bug's line there reads as the
    manifest says (the small one is downloaded from the package index, which needs network)."""
    cache = tmp_path
    downloads = bench.DEFAULT_CACHE / "downloads"
    if downloads.is_dir():
        shutil.copytree(downloads, cache / "downloads")
    try:
        bug_tree = bench.prepare_tree(case, "none", cache)
        tp_tree = bench.prepare_tree(case, "tp", cache)
    except subprocess.CalledProcessError as error:
        pytest.skip(f"the sdist could not be downloaded (no network?): {error}")
    bug_source = (bug_tree / case.bug_file).read_text(encoding="utf-8").splitlines()
    assert bug_source[case.bug_line - 1].strip() == case.bug_text
    tp_source = (tp_tree / case.bug_file).read_text(encoding="utf-8").splitlines()
    assert "tp(" in tp_source[case.bug_line_with_tp - 1]


class TestRanks:
    def test_ties_count_as_their_average_rank(self) -> None:
        """A score shared by four entries behind two better ones ranks (3 + 6) / 2."""
        scores = [0.9, 0.8, 0.5, 0.5, 0.5, 0.5, 0.1]
        assert bench.tied_rank(scores, 4) == 4.5
        assert bench.tied_rank(scores, 0) == 1

    def test_rank_of_the_first_entry_at_the_bug(self) -> None:
        """An absolute path ending in the bug's file matches; a same line in another file does
        not."""
        entries = [
            {"file": "/x/src/pkg/other.py", "line": 10, "score": 1.0},
            {"file": "/x/src/pkg/mod.py", "line": 10, "score": 0.7},
            {"file": "/x/src/pkg/mod.py", "line": 10, "score": 0.2},
        ]
        assert bench.rank_in(entries, "src/pkg/mod.py", 10) == 2
        assert bench.rank_in(entries, "src/pkg/mod.py", 11) is None
        assert bench.rank_in(entries, "pkg/mod.py", 10) == 2

    def test_rank_as_shown_is_chronos_own_order(self) -> None:
        """Beside the averaged rank, the rank chrono shows: its order of equal scores."""
        entries = [
            {"file": "pkg/mod.py", "line": 12, "score": 1.0, "rank": 1},
            {"file": "pkg/mod.py", "line": 10, "score": 1.0, "rank": 2},
        ]
        assert bench.rank_in(entries, "pkg/mod.py", 12) == 1.5
        assert bench.shown_rank_in(entries, "pkg/mod.py", 12) == 1
        assert bench.shown_rank_in(entries, "pkg/mod.py", 10) == 2
        assert bench.shown_rank_in(entries, "pkg/mod.py", 11) is None

    def test_fauxpy_scores_file(self, tmp_path: Path) -> None:
        """FauxPy's ``path::line,score`` rows are ranked with ties averaged."""
        scores = tmp_path / "Scores_Ochiai.csv"
        scores.write_text(
            "Entity,Score\n/w/src/pkg/mod.py::3,0.9\n/w/src/pkg/mod.py::7,0.5\n"
            "/w/src/pkg/mod.py::8,0.5\n",
            encoding="utf-8",
        )
        assert bench.fauxpy_rank(scores, "src/pkg/mod.py", 8) == 2.5
        assert bench.fauxpy_rank(scores, "src/pkg/mod.py", 9) == "missed"

    def test_chrono_json_without_suspects_says_so(self, tmp_path: Path) -> None:
        """Files from a chrono that writes no suspects give the 'n/a' answer, not a miss; with
        suspects, the median over failing tests is the case's rank."""
        story = {"test": {"id": "t::a"}, "events": []}
        (tmp_path / "a.json").write_text(json.dumps(story), encoding="utf-8")
        assert bench.chrono_rank(tmp_path, "suspects", "pkg/mod.py", 5) == bench.NOT_YET
        for name, rank in (("a", 1), ("b", 3), ("c", 2)):
            suspects = [
                {
                    "file": "pkg/mod.py",
                    "line": 5 if index == rank - 1 else 99,
                    "score": 1 - index / 10,
                }
                for index in range(3)
            ]
            (tmp_path / f"{name}.json").write_text(
                json.dumps({**story, "suspects": suspects}), encoding="utf-8"
            )
        assert bench.chrono_rank(tmp_path, "suspects", "pkg/mod.py", 5) == 2

    def test_bug_event_counts(self, tmp_path: Path) -> None:
        """The corpus check counts the failing tests whose story holds an event at the bug's
        line, and no other line of the file."""
        event = {"file": "/w/tp/pkg/mod.py", "line": 5}
        for name, events in (("a", [event]), ("b", [{**event, "line": 6}])):
            story = {"test": {"id": f"t::{name}"}, "events": events}
            (tmp_path / f"{name}.json").write_text(json.dumps(story), encoding="utf-8")
        assert bench.bug_event_counts(tmp_path, "pkg/mod.py", 5) == (1, 2)

    def test_a_traceback_at_start_up_is_a_crash(self, tmp_path: Path) -> None:
        """A run that exits 1 with pytest's closing count is a run with failing tests; one that
        exits 1 after a start-up traceback, or 3, is a crash."""
        log = tmp_path / "run.txt"
        log.write_text("...F\n1 failed, 3 passed in 0.10s\n", encoding="utf-8")
        assert not bench.Run(0.1, 1, log).crashed
        assert bench.Run(0.1, 3, log).crashed
        log.write_text("Traceback (most recent call last):\nWarning: chrono\n", encoding="utf-8")
        assert bench.Run(0.1, 1, log).crashed


class TestSummary:
    def test_goals_judged_on_the_shares(self) -> None:
        """With tp, 7 of 10 cases at #1 and 9 in the top 3 pass; a case not found counts as a
        miss, and a case whose chrono has no suspects yet is left out."""
        results = []
        for index, rank in enumerate([1.0] * 7 + [2.5, 3.0, "missed", bench.NOT_YET]):
            result = bench.Result(CASES[index % len(CASES)])
            result.ranks["chrono-tp"] = rank
            results.append(result)
        assert bench.shares(result.ranks["chrono-tp"] for result in results) == (10, 7, 9, 9)
        lines = bench.summary(results)
        assert any(line.startswith("  PASS chrono-tp ") for line in lines)
        results[0].ranks["chrono-tp"] = 4.0
        assert any(line.startswith("  MISS chrono-tp ") for line in bench.summary(results))

    def test_why_must_not_trail_fauxpy_nor_cost_twice(self) -> None:
        """--chrono-why misses its goal when it ranks a case below FauxPy, or when the corpus
        takes more than twice plain pytest's wall time."""
        result = bench.Result(CASES[0])
        result.ranks.update({"chrono-why": 1.0, "fauxpy": 2.0})
        result.walls.update({"plain": 10.0, "chrono-why": 15.0})
        assert any(line.startswith("  PASS chrono-why ") for line in bench.summary([result]))
        result.walls["chrono-why"] = 25.0
        assert any(line.startswith("  MISS chrono-why ") for line in bench.summary([result]))
        result.walls["chrono-why"] = 15.0
        result.ranks["fauxpy"] = 0.5
        assert any(line.startswith("  MISS chrono-why ") for line in bench.summary([result]))
        result.ranks.update({"chrono-why": "missed", "fauxpy": 4.5})
        assert bench.why_trails_fauxpy(result)
        result.ranks["fauxpy"] = 16.5
        assert not bench.why_trails_fauxpy(result)
