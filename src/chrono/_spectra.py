"""Suspect lines with no ``tp`` written: which lines and branches of the project's own code each
test ran (coverage.py's per-test spectra), ranked by how well they separate failing tests from
passing ones, and what each line reads, to be recorded there by logpoints.

Plain data in, plain data out: no test framework, no display. ``Measurement`` drives
coverage.py (imported only when a measurement starts: without ``--chrono-why`` coverage is
never imported); it never traces anything itself. A test is named by its id; the spectra are a
map from each ``Predicate`` (a line ran, or a branch from it was taken) to the ids of the tests
in which it held.

The score is Ochiai's similarity coefficient, as spectrum-based fault localization uses it
(Abreu, Zoeteweij and van Gemund, "On the Accuracy of Spectrum-based Fault Localization",
TAICPART-MUTATION 2007): ``failed(s) / sqrt(total_failed * (failed(s) + passed(s)))``, the
one function that scores the suspects of recorded stories too (``_suspects.ochiai``).
"""

from __future__ import annotations

import ast
import builtins
import linecache
import os
import warnings
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Callable, NamedTuple

from chrono._suspects import ochiai

__all__ = [
    "FORMULA",
    "Measurement",
    "Predicate",
    "Spectra",
    "SuspectLine",
    "merge_plain",
    "names_read",
    "ochiai",
    "rank_lines",
    "spectra_from_plain",
    "spectra_to_plain",
]

#: The formula's name, as exports write it.
FORMULA = "ochiai"


class Predicate(NamedTuple):
    """What held in a test: ``line`` of ``file`` ran (``to`` is None), or the branch from it to
    line ``to`` was taken (a negative ``to``: the function returned or raised from it, as
    coverage.py writes arcs)."""

    file: str
    line: int
    to: int | None = None


#: Each predicate, and the ids of the tests in which it held.
Spectra = dict[Predicate, set[str]]


class SuspectLine(NamedTuple):
    """A line, scored by its most telling predicate (the line itself, or a branch from it)."""

    file: str
    line: int
    score: float
    #: In how many failing and passing tests the predicate held.
    failing: int
    passing: int
    #: The predicate that scored it, and the failing tests in which it held.
    predicate: Predicate
    failing_tests: frozenset[str]


def rank_lines(
    spectra: Mapping[Predicate, Collection[str]],
    failing: Collection[str],
    passing: Collection[str],
) -> list[SuspectLine]:
    """Every line that ran in a failing test, most suspect first.

    A line is scored by the best of its predicates. On equal scores, a line whose branch
    scored it comes first (the decision, before the lines it lets run: a faulty condition runs
    in every test, and only where it went tells failing from passing), then the line that
    held in more failing tests, then the file and line, so that the order is the same in every
    run.
    """
    failing_set = set(failing)
    passing_set = set(passing)
    total_failed = len(failing_set)
    best: dict[tuple[str, int], tuple[tuple[float, int, int], SuspectLine]] = {}
    for predicate, tests in _without_lone_branches(spectra).items():
        failed_here = failing_set.intersection(tests)
        if not failed_here:
            continue
        passed_here = sum(1 for test in tests if test in passing_set)
        score = ochiai(len(failed_here), passed_here, total_failed)
        order = (round(score, 12), predicate.to is not None, len(failed_here))
        key = (predicate.file, predicate.line)
        kept = best.get(key)
        if kept is None or order > kept[0]:
            suspect = SuspectLine(
                predicate.file,
                predicate.line,
                score,
                len(failed_here),
                passed_here,
                predicate,
                frozenset(failed_here),
            )
            best[key] = (order, suspect)
    ranked = sorted(best.values(), key=lambda kept: (tuple(-part for part in kept[0]), kept[1][:2]))
    return [suspect for _, suspect in ranked]


def spectra_to_plain(spectra: Mapping[Predicate, Collection[str]]) -> dict[str, Any]:
    """The spectra as plain data (lists, strings, ints) that cross pytest-xdist's process
    boundary: each test id written once, predicates as ``[file, line, to]`` with test indexes."""
    tests: dict[str, int] = {}
    rows = []
    for predicate, held_in in spectra.items():
        indexes = sorted(tests.setdefault(test, len(tests)) for test in held_in)
        rows.append([predicate.file, predicate.line, predicate.to, indexes])
    return {"tests": list(tests), "predicates": rows}


def spectra_from_plain(plain: Mapping[str, Any]) -> Spectra:
    """The spectra ``spectra_to_plain`` wrote."""
    tests: list[str] = plain["tests"]
    return {
        Predicate(file, line, to): {tests[index] for index in indexes}
        for file, line, to, indexes in plain["predicates"]
    }


def merge_plain(into: Spectra, plain: Mapping[str, Any]) -> None:
    """Add one worker's spectra (``spectra_to_plain``) to ``into``."""
    for predicate, tests in spectra_from_plain(plain).items():
        into.setdefault(predicate, set()).update(tests)


class Measurement:
    """Per-test spectra of the code under ``root`` measured by coverage.py: one dynamic
    context per test (``Coverage.switch_context``), lines and branches, nothing written to
    disk. ``leave_out(path)`` says which measured files are not the project's own code (its
    tests, chrono); installed packages are never measured."""

    def __init__(self, root: str, tests: Iterable[str] = ()) -> None:
        self.root = root
        #: The test files, known before the tests run: never traced.
        self.tests = sorted(set(tests))
        self._coverage: Any = None

    def start(self) -> None:
        import coverage

        # No configuration file: the user's [coverage:*] settings are for their own runs, and
        # must change neither what this measures nor where anything is written.
        own_package = os.path.dirname(os.path.abspath(__file__))
        measuring = coverage.Coverage(
            data_file=None,
            config_file=False,
            branch=True,
            source=[self.root],
            # Not traced at all, rather than traced and left out: the tests (their loops can
            # cost more than the code they test), conftest.py files, a virtualenv inside the
            # project, and chrono itself (its logpoints, its recorder) cost nothing.
            omit=[
                *self.tests,
                "*/conftest.py",
                "*/site-packages/*",
                "*/dist-packages/*",
                os.path.join(own_package, "*"),
            ],
        )
        measuring.set_option(
            "run:disable_warnings",
            ["no-data-collected", "module-not-imported", "module-not-measured", "no-ctracer"],
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            measuring.start()
        self._coverage = measuring

    def switch(self, test_id: str) -> None:
        """From now on, what runs counts for ``test_id`` (``""``: for no test)."""
        if self._coverage is not None:
            self._coverage.switch_context(test_id)

    def stop(self, leave_out: Callable[[str], bool]) -> Spectra:
        """Stop measuring; the spectra of every test, of the files ``leave_out`` keeps."""
        measuring, self._coverage = self._coverage, None
        if measuring is None:
            return {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            measuring.stop()
            data = measuring.get_data()
        spectra: Spectra = {}
        files = [path for path in data.measured_files() if not leave_out(path)]
        contexts_of_file: dict[str, set[str]] = {}
        for path in files:
            for line, contexts in data.contexts_by_lineno(path).items():
                tests = {context for context in contexts if context}
                if tests:
                    spectra[Predicate(path, line)] = tests
                    contexts_of_file.setdefault(path, set()).update(tests)
        files_of_context: dict[str, list[str]] = {}
        for path, contexts in contexts_of_file.items():
            for context in contexts:
                files_of_context.setdefault(context, []).append(path)
        for context, paths in files_of_context.items():
            data.set_query_context(context)  # matched exactly: a test id is no pattern
            for path in paths:
                for start, end in data.arcs(path) or ():
                    if start > 0 and end != start:
                        spectra.setdefault(Predicate(path, start, end), set()).add(context)
        data.set_query_contexts(None)
        return spectra


def _without_lone_branches(
    spectra: Mapping[Predicate, Collection[str]],
) -> dict[Predicate, Collection[str]]:
    """The spectra less branches that tell nothing their line does not: a line left one way
    only, in every test that ran it (in every process of the run: workers' spectra are merged
    first), is no decision."""
    ways: dict[tuple[str, int], int] = {}
    for predicate in spectra:
        if predicate.to is not None:
            key = (predicate.file, predicate.line)
            ways[key] = ways.get(key, 0) + 1
    return {
        predicate: tests
        for predicate, tests in spectra.items()
        if predicate.to is None or ways[(predicate.file, predicate.line)] > 1
    }


def leave_out_of(tests: Iterable[str], root: str, own_package: str) -> Callable[[str], bool]:
    """Which measured files are not the project's code: the test files given (and every
    ``conftest.py``), files outside ``root``, chrono's own package, installed packages."""
    test_files = {os.path.normcase(os.path.realpath(path)) for path in tests}
    root_real = os.path.normcase(os.path.realpath(root)) + os.sep
    own = os.path.normcase(os.path.realpath(own_package)) + os.sep

    def leave_out(path: str) -> bool:
        real = os.path.normcase(os.path.realpath(path))
        return (
            real in test_files
            or os.path.basename(real) == "conftest.py"
            or not real.startswith(root_real)
            or real.startswith(own)
            or f"{os.sep}site-packages{os.sep}" in real
            or f"{os.sep}dist-packages{os.sep}" in real
        )

    return leave_out


def source_line(path: str, line: int) -> str:
    """The text of ``line`` of ``path``, stripped ("" where it cannot be read)."""
    return linecache.getline(path, line).strip()


def names_read(path: str, line: int) -> tuple[str, ...]:
    """What the statement starting at ``line`` of ``path`` reads, as expressions a logpoint
    can evaluate there: its names and attribute chains (``self.size``), private names mangled
    as Python does inside a class; and a compound condition of ``if``, ``while``, ``elif`` or
    ``assert`` as a whole, when it calls nothing. Nothing where the file cannot be read."""
    statement, class_name = _statement_starting_at(path, line)
    if statement is None:
        return ()
    if isinstance(statement, (ast.If, ast.While, ast.Assert)):
        parts: list[ast.AST] = [statement.test]
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        parts = [statement.iter]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        parts = [item.context_expr for item in statement.items]
    elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return ()
    else:
        parts = [statement]
    found: dict[str, None] = {}
    for part in parts:
        _collect_reads(part, class_name, found)
    condition = parts[0] if len(parts) == 1 else None
    if (
        isinstance(statement, (ast.If, ast.While, ast.Assert))
        and condition is not None
        and not isinstance(condition, (ast.Name, ast.Attribute))
        and not any(isinstance(node, _EFFECTS) for node in ast.walk(condition))
    ):
        text = _mangled_text(condition, class_name)
        if text is not None:
            found[text] = None
    return tuple(found)


#: Nodes whose evaluation may do something: a logpoint's expression must not.
_EFFECTS = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.Lambda)
#: Names whose value tells nothing: builtins (the same in every run), and the instance or
#: class a method runs on (its repr is mostly its type and address).
_UNTELLING_NAMES = frozenset(dir(builtins)) | {"self", "cls"}
#: Each file's syntax tree (None: it could not be read), parsed once per process.
_trees: dict[str, ast.Module | None] = {}


def _statement_starting_at(path: str, line: int) -> tuple[ast.stmt | None, str | None]:
    """The innermost statement that starts at ``line``, and the class it is in (None: none)."""
    if path not in _trees:
        try:
            with open(path, "rb") as handle:
                _trees[path] = ast.parse(handle.read(), path)
        except (OSError, SyntaxError, ValueError):
            _trees[path] = None
    tree = _trees[path]
    if tree is None:
        return None, None
    found: tuple[ast.stmt | None, str | None] = (None, None)
    pending: list[tuple[ast.AST, str | None]] = [(tree, None)]
    while pending:
        node, class_name = pending.pop()
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.stmt):
                continue
            end = getattr(child, "end_lineno", None) or child.lineno
            if not child.lineno <= line <= end:
                continue
            if child.lineno == line:
                found = (child, class_name)
            inner = child.name if isinstance(child, ast.ClassDef) else class_name
            pending.append((child, inner))
    return found


def _collect_reads(node: ast.AST, class_name: str | None, found: dict[str, None]) -> None:
    """Add to ``found`` the names and attribute chains ``node`` loads, called ones left out
    (a function's value says little; its arguments are collected)."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            _collect_reads(func.value, class_name, found)
        for argument in (*node.args, *(keyword.value for keyword in node.keywords)):
            _collect_reads(argument, class_name, found)
        return
    if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return  # their names are their own, not the line's
    if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
        text = _mangled_text(node, class_name)
        if text is not None and text not in _UNTELLING_NAMES:
            found[text] = None
            return
    for child in ast.iter_child_nodes(node):
        _collect_reads(child, class_name, found)


def _mangled_text(node: ast.AST, class_name: str | None) -> str | None:
    """``node``'s source, with ``__private`` attributes written as Python stores them
    (``_Class__private``), so that it evaluates outside the class; None for ``__private``
    outside a class."""
    # A copy, through the text: the file's own tree stays as parsed.
    copied = ast.parse(ast.unparse(node), mode="eval").body
    prefix = None if class_name is None else "_" + class_name.lstrip("_")
    for each in ast.walk(copied):
        if isinstance(each, ast.Attribute) and _is_private(each.attr):
            if prefix is None:
                return None
            each.attr = prefix + each.attr
        elif isinstance(each, ast.Name) and _is_private(each.id) and prefix is not None:
            each.id = prefix + each.id
    return ast.unparse(copied)


def _is_private(name: str) -> bool:
    return name.startswith("__") and not name.endswith("__")
