"""Where do the tools point? The rank of a seeded bug's line, for chrono and for FauxPy.

    python benchmarks/bench_suspects.py [--case NAME]... [--form tp|none|both] [--no-fauxpy]
        [--jobs N] [--cache DIR]

Each case of ``benchmarks/fault_corpus/`` is one seeded one-line bug in a real project at a
pinned version: ``case.json`` (the project, the tests to run, the bug's file and line),
``bug.diff`` (the bug) and ``tp.diff`` (the ``tp`` calls a developer chasing it would add, one
of them on the bug's line). Only the patches live in the repository; the script downloads each
sdist into a cache folder (``~/.cache/chrono-fault-corpus`` unless ``--cache``), copies it per
case and form, and applies the patches there.

Two venvs are made in the cache, once: one with pytest, pytest-xdist, coverage and chrono from
this checkout (editable); one with FauxPy 0.7.0 and the pytest it needs (below 9: FauxPy fails
on unittest's ``subTest`` under pytest 9). The projects are not installed: each run puts the
patched copy first on ``PYTHONPATH``.

Per case it runs, on the same test selection:

* plain pytest (``-p no:chrono``) on the bug alone, in each venv: the times' yardsticks;
* **chrono-tp**: the ``tp`` form with ``--chrono-json=DIR``; in each failing test's file the
  ``suspects`` list ranks predicates of recorded events; the bug's rank is that of the first
  suspect at the bug's file and line;
* **chrono-why**: the bug alone with ``--chrono-why --chrono-json=DIR``; the ``suspect_lines``
  list ranks lines of the project's code;
* **FauxPy**: the bug alone, spectrum-based, statement granularity, Ochiai
  (``Scores_Ochiai.csv``); FauxPy does not run under pytest-xdist, so a case's ``-n`` is left
  out for it.

A rank counts ties as their average rank: a bug's line whose score four lines share, behind
two better ones, ranks (3 + 6) / 2 = 4.5. chrono ranks per failing test; a case's chrono rank is
the median over its failing tests (a test whose list misses the line counts as missed). Until
the installed chrono writes ``suspects`` or ``suspect_lines``, the column says so.

The table gives, for the ``tp`` form, in how many failing tests' stories the bug's event was
recorded (a check of the corpus: a ``tp`` that never ran could not be ranked), then each rank,
and each tool's wall time as a ratio to plain pytest's; the summary gives each tool's share of
cases with the bug at rank 1, within the top 3 and within the top 5, beside the goals of
issue 25. Times on a shared machine vary by a third from run to run.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import venv
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
CORPUS = REPOSITORY / "benchmarks" / "fault_corpus"
DEFAULT_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "chrono-fault-corpus"
)
#: What the projects' selected tests import beyond the project itself and pytest.
TEST_REQUIREMENTS = ["hypothesis", "pretend", "tomli_w"]
CHRONO_VENV_REQUIREMENTS = ["pytest", "pytest-xdist", "coverage", *TEST_REQUIREMENTS]
#: FauxPy 0.7.0 fails under pytest 9 on any unittest subTest (sqlite3.IntegrityError).
FAUXPY_VENV_REQUIREMENTS = ["fauxpy==0.7.0", "pytest>=8,<9", *TEST_REQUIREMENTS]
#: Every run: no cache between runs (``--lf`` would change what runs), quiet output.
COMMON_ARGUMENTS = ["-p", "no:cacheprovider", "-q"]
#: What the environment may carry that would change a run.
CLEARED_VARIABLES = ("CHRONO", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "COLUMNS", "PYTHONPATH")
#: The option of issue 25 that ranks lines with no tp written (branch "why").
WHY_OPTION = "--chrono-why"
#: pytest's last line after a run: "3 failed, 67 passed in 4.15s".
_CLOSING_COUNT = re.compile(r"\b\d+ (passed|failed)\b")
NOT_YET = "n/a (no suspects in the JSON)"
FORMS = {"tp": ("tp",), "none": ("none",), "both": ("tp", "none")}


# The corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One seeded bug, as its folder in the corpus describes it."""

    name: str
    folder: Path
    project: str
    version: str
    summary: str
    #: Where the project's package lives in its sdist, put first on PYTHONPATH.
    pythonpath: str
    tests: tuple[str, ...]
    pytest_args: tuple[str, ...]
    features: tuple[str, ...]
    bug_file: str
    bug_line: int
    bug_line_with_tp: int
    bug_text: str
    notes: str

    @property
    def package_folder(self) -> str:
        """The folder of the bug's package in the sdist (FauxPy's ``--src``)."""
        relative = Path(self.bug_file).relative_to(self.pythonpath)
        return str(Path(self.pythonpath) / relative.parts[0])

    @property
    def serial_args(self) -> tuple[str, ...]:
        """``pytest_args`` without pytest-xdist's ``-n N``."""
        arguments = list(self.pytest_args)
        while "-n" in arguments:
            index = arguments.index("-n")
            del arguments[index : index + 2]
        return tuple(arguments)


def load_case(folder: Path) -> Case:
    """The case in ``folder``; raises ValueError naming what is missing or malformed."""
    data = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    try:
        bug = data["bug"]
        case = Case(
            name=folder.name,
            folder=folder,
            project=str(data["project"]),
            version=str(data["version"]),
            summary=str(data["summary"]),
            pythonpath=str(data["pythonpath"]),
            tests=tuple(str(test) for test in data["tests"]),
            pytest_args=tuple(str(argument) for argument in data.get("pytest_args", ())),
            features=tuple(str(feature) for feature in data.get("features", ())),
            bug_file=str(bug["file"]),
            bug_line=int(bug["line"]),
            bug_line_with_tp=int(bug["line_with_tp"]),
            bug_text=str(bug["text"]),
            notes=str(data.get("notes", "")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{folder / 'case.json'}: {error!r}") from error
    for patch in ("bug.diff", "tp.diff"):
        if not (folder / patch).is_file():
            raise ValueError(f"{folder}: no {patch}")
    return case


def load_corpus(names: Sequence[str] = ()) -> list[Case]:
    """Every case of the corpus, or those named, in name order."""
    folders = sorted(path.parent for path in CORPUS.glob("*/case.json"))
    cases = [load_case(folder) for folder in folders]
    if names:
        known = {case.name: case for case in cases}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise SystemExit(f"no such case: {', '.join(unknown)} (known: {', '.join(known)})")
        cases = [known[name] for name in names]
    return cases


# Ranks ------------------------------------------------------------------------------------


def tied_rank(scores: Sequence[float], index: int) -> float:
    """The rank of ``scores[index]`` with ties counted as their average rank (1 is best)."""
    score = scores[index]
    better = sum(1 for other in scores if other > score)
    tied = sum(1 for other in scores if other == score)
    return better + (tied + 1) / 2


def same_file(reported: str, bug_file: str) -> bool:
    """Whether a reported path (absolute, or relative to some folder) is the bug's file."""
    reported_parts = Path(reported).parts
    bug_parts = Path(bug_file).parts
    if len(reported_parts) >= len(bug_parts):
        return reported_parts[-len(bug_parts) :] == bug_parts
    # A path shortened to the package (cachetools/__init__.py for src/cachetools/...).
    return bug_parts[-len(reported_parts) :] == reported_parts


def rank_in(entries: Sequence[dict[str, Any]], bug_file: str, bug_line: int) -> float | None:
    """The tied rank of the first entry at the bug's file and line, by ``score``; None if none."""
    scores = [float(entry.get("score", 0.0)) for entry in entries]
    for index, entry in enumerate(entries):
        if entry.get("line") == bug_line and same_file(str(entry.get("file", "")), bug_file):
            return tied_rank(scores, index)
    return None


def median_rank(ranks: Sequence[float | None]) -> float | None:
    """The median over failing tests, a test that missed the line counting as worst."""
    if not ranks:
        return None
    value = statistics.median([math.inf if rank is None else rank for rank in ranks])
    return None if math.isinf(value) else value


def shown_rank_in(entries: Sequence[dict[str, Any]], bug_file: str, bug_line: int) -> float | None:
    """The rank chrono shows for the first entry at the bug's file and line (its own order of
    equal scores, see docs/suspects.md); None if none."""
    for entry in entries:
        if entry.get("line") == bug_line and same_file(str(entry.get("file", "")), bug_file):
            return float(entry["rank"])
    return None


def chrono_rank(
    json_directory: Path, key: str, bug_file: str, bug_line: int, *, shown: bool = False
) -> float | str:
    """The case's rank from the failing tests' JSON files, or why there is none: ties
    averaged, or (``shown``) as chrono shows it."""
    ranks: list[float | None] = []
    for path in sorted(json_directory.glob("**/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "test" not in data:
            continue
        entries = data.get(key)
        if entries is None:
            continue
        ranks.append((shown_rank_in if shown else rank_in)(entries, bug_file, bug_line))
    if not ranks:
        return NOT_YET
    rank = median_rank(ranks)
    return "missed" if rank is None else rank


def bug_event_counts(json_directory: Path, bug_file: str, bug_line: int) -> tuple[int, int]:
    """(failing tests whose story holds an event at the bug's line, failing tests with a file).

    A check of the corpus itself: the ``tp`` on the bug's line must run in the failing tests,
    or no ranking of events could find it."""
    seen = total = 0
    for path in sorted(json_directory.glob("**/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "test" not in data:
            continue
        total += 1
        seen += any(
            event.get("line") == bug_line and same_file(str(event.get("file", "")), bug_file)
            for event in data.get("events", ())
        )
    return seen, total


def fauxpy_rank(scores_file: Path, bug_file: str, bug_line: int) -> float | str:
    """The bug line's rank in FauxPy's ``Scores_Ochiai.csv`` (``path::line,score`` rows)."""
    entries = []
    with scores_file.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            path, _, line = row["Entity"].rpartition("::")
            entries.append({"file": path, "line": int(line), "score": float(row["Score"])})
    rank = rank_in(entries, bug_file, bug_line)
    return "missed" if rank is None else rank


# Preparing --------------------------------------------------------------------------------


def child_environment(pythonpath: Path | None = None) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in CLEARED_VARIABLES}
    if pythonpath is not None:
        environment["PYTHONPATH"] = str(pythonpath)
    return environment


def fetch_sdist(project: str, version: str, cache: Path) -> Path:
    """The project's unpacked sdist, downloaded and unpacked once into ``cache``."""
    downloads = cache / "downloads"
    normalised = project.replace("-", "_").lower()
    found = [
        path
        for path in downloads.glob("*.tar.gz")
        if path.name.lower().replace("-", "_") == f"{normalised}_{version}.tar.gz"
    ]
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
             ":all:", f"{project}=={version}", "--dest", str(downloads)],
            check=True,
        )  # fmt: skip
        return fetch_sdist(project, version, cache)
    sdist = found[0]
    source = cache / "sources" / sdist.name[: -len(".tar.gz")]
    if not source.exists():
        unpacking = Path(tempfile.mkdtemp(prefix="unpacking-", dir=cache))
        with tarfile.open(sdist) as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(unpacking, filter="data")
            else:
                archive.extractall(unpacking)  # our own pinned download
        (top,) = unpacking.iterdir()
        source.parent.mkdir(parents=True, exist_ok=True)
        top.rename(source)
        shutil.rmtree(unpacking)
    return source


def apply_patch(tree: Path, patch: Path) -> None:
    """Apply a unified diff made with ``a/`` and ``b/`` prefixes to ``tree``; raise if it fails."""
    completed = subprocess.run(
        ["patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-i", str(patch)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{patch} does not apply to {tree}:\n{completed.stdout}")


def prepare_tree(case: Case, form: str, cache: Path) -> Path:
    """A fresh copy of the case's sdist with the bug, and for ``form="tp"`` the tp calls."""
    source = fetch_sdist(case.project, case.version, cache)
    tree = cache / "work" / case.name / form
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(source, tree)
    apply_patch(tree, case.folder / "bug.diff")
    if form == "tp":
        apply_patch(tree, case.folder / "tp.diff")
    return tree


def prepare_venv(name: str, requirements: Sequence[str], cache: Path) -> Path:
    """A venv in the cache (made once, reinstalled when its requirements change); its python."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    folder = cache / "venvs" / f"{name}-py{version}"
    python = folder / "bin" / "python"
    stamp = folder / "installed.txt"
    wanted = "\n".join(requirements)
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    if not python.exists():
        venv.create(folder, with_pip=True)
    print(f"  installing into {folder}: {' '.join(requirements)}", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *requirements], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return python


@dataclass(frozen=True)
class Venvs:
    chrono: Path
    fauxpy: Path | None
    #: Whether the chrono in the checkout has ``--chrono-why``.
    has_why: bool


def prepare_venvs(cache: Path, *, fauxpy: bool) -> Venvs:
    chrono = prepare_venv("chrono", [*CHRONO_VENV_REQUIREMENTS, "-e", str(REPOSITORY)], cache)
    helped = subprocess.run(
        [str(chrono), "-m", "pytest", "--help"],
        cwd=cache,
        env=child_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if "--chrono-json" not in helped.stdout:
        raise RuntimeError(f"the chrono plugin is not loaded by {chrono} -m pytest")
    return Venvs(
        chrono=chrono,
        fauxpy=prepare_venv("fauxpy", FAUXPY_VENV_REQUIREMENTS, cache) if fauxpy else None,
        has_why=WHY_OPTION in helped.stdout,
    )


# Running ----------------------------------------------------------------------------------


@dataclass
class Run:
    """One pytest run: its wall time, exit status and output (kept in a file beside it)."""

    wall: float
    status: int
    output: Path

    @property
    def crashed(self) -> bool:
        """pytest stopped on an error of its own or a plugin's: an exit status other than 0 or
        1 (tests failed), or a 1 with no closing count of tests (a traceback at start-up)."""
        if self.status not in (0, 1):
            return True
        lines = self.output.read_text(encoding="utf-8", errors="replace").splitlines()
        closing = next((line for line in reversed(lines) if line.strip()), "")
        return _CLOSING_COUNT.search(closing) is None


def crashed(run: Run, name: str, result: Result) -> bool:
    """Note a crashed run as the tool's answer and as a problem; whether it crashed."""
    if run.crashed:
        result.ranks[name] = f"crashed (exit {run.status})"
        result.problems.append(f"{name} exited with {run.status}; see {run.output}")
    return run.crashed


def run_pytest(python: Path, case: Case, tree: Path, arguments: Sequence[str], log: Path) -> Run:
    """``python -m pytest`` on the case's tests in ``tree``, the patched project first."""
    command = [str(python), "-m", "pytest", *COMMON_ARGUMENTS, *case.tests, *arguments]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as output:
        output.write(" ".join(command) + "\n\n")
        output.flush()
        started = time.perf_counter()
        completed = subprocess.run(
            command,
            cwd=tree,
            env=child_environment(tree / case.pythonpath),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
        wall = time.perf_counter() - started
    return Run(wall, completed.returncode, log)


@dataclass
class Result:
    """What one case gave: ranks (or why there is none) and times."""

    case: Case
    ranks: dict[str, float | str] = field(default_factory=dict)
    #: Wall seconds per run name ("plain", "chrono-tp", "chrono-why", "plain-fauxpy", "fauxpy").
    walls: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: In the tp form: (failing tests whose story has the bug's event, failing tests' files).
    bug_events: tuple[int, int] | None = None

    def ratio(self, run: str, baseline: str) -> float | None:
        if run not in self.walls or baseline not in self.walls:
            return None
        return self.walls[run] / self.walls[baseline]


def run_case(case: Case, forms: Sequence[str], venvs: Venvs, cache: Path) -> Result:
    """Every run of one case, in its own folders of the cache."""
    result = Result(case)
    logs = cache / "logs" / case.name
    plain_tree = prepare_tree(case, "none", cache)
    plain = run_pytest(
        venvs.chrono, case, plain_tree, ["-p", "no:chrono", *case.pytest_args], logs / "plain.txt"
    )
    result.walls["plain"] = plain.wall
    if plain.crashed:
        result.problems.append(f"plain pytest exited with {plain.status}; see {plain.output}")
        return result
    if plain.status != 1:
        result.problems.append(f"the bug makes no test fail (see {plain.output})")
        return result
    if "tp" in forms:
        tree = prepare_tree(case, "tp", cache)
        json_directory = cache / "json" / case.name / "tp"
        shutil.rmtree(json_directory, ignore_errors=True)
        run = run_pytest(
            venvs.chrono,
            case,
            tree,
            [f"--chrono-json={json_directory}", *case.pytest_args],
            logs / "chrono-tp.txt",
        )
        result.walls["chrono-tp"] = run.wall
        if not crashed(run, "chrono-tp", result):
            result.ranks["chrono-tp"] = chrono_rank(
                json_directory, "suspects", case.bug_file, case.bug_line_with_tp
            )
            result.ranks[SHOWN] = chrono_rank(
                json_directory, "suspects", case.bug_file, case.bug_line_with_tp, shown=True
            )
            line = case.bug_line_with_tp
            result.bug_events = bug_event_counts(json_directory, case.bug_file, line)
            if result.bug_events[0] == 0:
                result.problems.append(f"no failing test's story recorded the bug's line ({tree})")
    if "none" in forms:
        if venvs.has_why:
            json_directory = cache / "json" / case.name / "why"
            shutil.rmtree(json_directory, ignore_errors=True)
            run = run_pytest(
                venvs.chrono,
                case,
                plain_tree,
                [WHY_OPTION, f"--chrono-json={json_directory}", *case.pytest_args],
                logs / "chrono-why.txt",
            )
            result.walls["chrono-why"] = run.wall
            if not crashed(run, "chrono-why", result):
                result.ranks["chrono-why"] = chrono_rank(
                    json_directory, "suspect_lines", case.bug_file, case.bug_line
                )
        else:
            result.ranks["chrono-why"] = NOT_YET
        if venvs.fauxpy is not None:
            run_fauxpy(case, venvs.fauxpy, cache, result)
    return result


def run_fauxpy(case: Case, python: Path, cache: Path, result: Result) -> None:
    """FauxPy's Ochiai at statement granularity on the case's tests, and plain pytest beside it.

    FauxPy writes its report folder beside the folder it runs in, so each case's tree for it
    sits alone in a folder of its own.
    """
    logs = cache / "logs" / case.name
    tree = prepare_tree(case, "none", cache)
    plain = run_pytest(python, case, tree, case.serial_args, logs / "plain-fauxpy.txt")
    result.walls["plain-fauxpy"] = plain.wall
    for old in tree.parent.glob("FauxPyReport_*"):
        shutil.rmtree(old)
    arguments = [
        "--src", case.package_folder, "--family", "sbfl", "--granularity", "statement",
        # The project's conftest imports it before FauxPy starts coverage, and coverage warns
        # so; a project whose warnings are errors (click) would stop the run on it.
        "-W", "ignore::coverage.exceptions.CoverageWarning",
        *case.serial_args,
    ]  # fmt: skip
    run = run_pytest(python, case, tree, arguments, logs / "fauxpy.txt")
    result.walls["fauxpy"] = run.wall
    if crashed(run, "fauxpy", result):
        return
    reports = sorted(tree.parent.glob("FauxPyReport_*/Scores_Ochiai.csv"))
    if not reports:
        result.ranks["fauxpy"] = f"no report (see {run.output})"
        return
    result.ranks["fauxpy"] = fauxpy_rank(reports[-1], case.bug_file, case.bug_line)


# The table --------------------------------------------------------------------------------

COLUMNS = ("chrono-tp", "chrono-why", "fauxpy")
#: The chrono-tp rank as chrono shows it, beside the averaged one.
SHOWN = "chrono-tp shown"


def format_rank(rank: float | str | None) -> str:
    if rank is None:
        return "-"
    if isinstance(rank, str):
        return rank
    return f"{rank:g}"


def format_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def table(results: Sequence[Result]) -> list[str]:
    header = (
        "case", "project", "form", "bug event", "rank chrono-tp", "(shown)", "rank chrono-why",
        "rank FauxPy", "plain s", "chrono-tp", "chrono-why", "FauxPy",
    )  # fmt: skip
    rows = [header]
    for result in results:
        case = result.case
        form = ", ".join(case.features) or "plain"
        rows.append(
            (
                case.name,
                f"{case.project} {case.version}",
                form,
                "-" if result.bug_events is None else "{}/{}".format(*result.bug_events),
                format_rank(result.ranks.get("chrono-tp")),
                format_rank(result.ranks.get(SHOWN)),
                format_rank(result.ranks.get("chrono-why")),
                format_rank(result.ranks.get("fauxpy")),
                f"{result.walls['plain']:.1f}" if "plain" in result.walls else "-",
                format_ratio(result.ratio("chrono-tp", "plain")),
                format_ratio(result.ratio("chrono-why", "plain")),
                format_ratio(result.ratio("fauxpy", "plain-fauxpy")),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def shares(ranks: Iterable[float | str | None]) -> tuple[int, int, int, int] | None:
    """(cases ranked, at 1, within 3, within 5); None when the tool gave no rank at all.

    A case where the tool ran and missed the line counts, as a miss."""
    counted = [rank for rank in ranks if rank is not None and rank != NOT_YET]
    numbers = [rank for rank in counted if isinstance(rank, float)]
    if not counted:
        return None
    return (
        len(counted),
        sum(rank <= 1 for rank in numbers),
        sum(rank <= 3 for rank in numbers),
        sum(rank <= 5 for rank in numbers),
    )


def corpus_ratio(results: Sequence[Result], name: str) -> float | None:
    """The tool's wall time over plain pytest's, summed over the cases that ran both."""
    baseline = "plain-fauxpy" if name == "fauxpy" else "plain"
    pairs = [
        (result.walls[name], result.walls[baseline])
        for result in results
        if name in result.walls and baseline in result.walls
    ]
    if not pairs:
        return None
    return sum(wall for wall, _ in pairs) / sum(plain for _, plain in pairs)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def why_trails_fauxpy(result: Result) -> bool:
    """Whether --chrono-why ranks the bug lower than FauxPy: a worse rank, or a miss (the bug
    is not among the five lines it lists) where FauxPy has it in its top 5."""
    why, fauxpy = result.ranks.get("chrono-why"), result.ranks.get("fauxpy")
    if not isinstance(fauxpy, float):
        return False
    if isinstance(why, float):
        return why > fauxpy
    return why == "missed" and fauxpy <= 5


def summary(results: Sequence[Result]) -> list[str]:
    lines = ["", "Shares of cases with the bug's line at rank 1 / within 3 / within 5:"]
    goals = {
        "chrono-tp": "goal: #1 in >= 70%, top 3 in >= 90%",
        "chrono-why": "goal: top 5 in >= 60%, never behind FauxPy, <= 2x plain's time",
        "fauxpy": "published (BugsInPy, Ochiai): top 1 12%, top 5 43%",
    }
    behind = [result.case.name for result in results if why_trails_fauxpy(result)]
    for column in COLUMNS:
        counts = shares(result.ranks.get(column) for result in results)
        if counts is None:
            said = [result.ranks.get(column) for result in results]
            why = NOT_YET if NOT_YET in said else "not run"
            lines.append(f"  {'':4} {column:<11} {why}   ({goals[column]})")
            continue
        total, first, top3, top5 = counts
        if column == "chrono-tp":
            mark = verdict(first >= 0.7 * total and top3 >= 0.9 * total)
        elif column == "chrono-why":
            ratio = corpus_ratio(results, column)
            within_time = ratio is not None and ratio <= 2.0
            mark = verdict(top5 >= 0.6 * total and not behind and within_time)
        else:
            mark = "    "
        lines.append(
            f"  {mark} {column:<11} {first}/{total} = {first / total:.0%} / "
            f"{top3 / total:.0%} / {top5 / total:.0%}   ({goals[column]})"
        )
    as_shown = shares(result.ranks.get(SHOWN) for result in results)
    if as_shown is not None:
        total, first, top3, top5 = as_shown
        lines.append(
            f"  {'':4} {'as shown':<11} {first}/{total} = {first / total:.0%} / "
            f"{top3 / total:.0%} / {top5 / total:.0%}   (chrono-tp in the order chrono shows, "
            "equal scores ordered by kind and time, not averaged)"
        )
    if behind:
        lines.append(f"  chrono-why ranks the bug lower than FauxPy in: {', '.join(behind)}")
    lines.append("Wall time over plain pytest's (the corpus summed; per case, median and range):")
    for name in COLUMNS:
        baseline = "plain-fauxpy" if name == "fauxpy" else "plain"
        ratios = [ratio for result in results if (ratio := result.ratio(name, baseline))]
        whole = corpus_ratio(results, name)
        if whole is not None and ratios:
            lines.append(
                f"  {name:<11} {whole:.2f}x; median {statistics.median(ratios):.2f}x, "
                f"{min(ratios):.2f}x to {max(ratios):.2f}x"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", default=[], help="run only this case")
    parser.add_argument("--form", choices=sorted(FORMS), default="both")
    parser.add_argument("--no-fauxpy", action="store_true", help="leave FauxPy out")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    options = parser.parse_args(argv)
    cases = load_corpus(options.case)
    forms = FORMS[options.form]
    cache: Path = options.cache.expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    print(f"{len(cases)} cases; cache {cache}", flush=True)
    venvs = prepare_venvs(cache, fauxpy=not options.no_fauxpy and "none" in forms)
    # Before the cases run at once (--jobs), so that no two of them unpack one sdist together.
    for case in cases:
        fetch_sdist(case.project, case.version, cache)
    if not venvs.has_why:
        print(f"  this checkout's chrono has no --chrono-why: {NOT_YET}", flush=True)

    def one(case: Case) -> Result:
        print(f"  {case.name} ...", flush=True)
        try:
            result = run_case(case, forms, venvs, cache)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            result = Result(case)
            result.problems.append(str(error))
        # A line per case as it ends: a long run shows what it found so far.
        ranks = ", ".join(f"{name} {format_rank(rank)}" for name, rank in result.ranks.items())
        walls = ", ".join(f"{name} {wall:.1f}s" for name, wall in result.walls.items())
        print(f"  {case.name} done: {ranks or 'no ranks'}; {walls}", flush=True)
        return result

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        results = list(pool.map(one, cases))
    print()
    for line in table(results):
        print(line)
    for line in summary(results):
        print(line)
    problems = [(result.case.name, problem) for result in results for problem in result.problems]
    for name, problem in problems:
        print(f"problem in {name}: {problem}")
    print(f"\nPython {sys.version.split()[0]}; outputs of each run in {cache / 'logs'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
