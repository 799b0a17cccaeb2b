"""``--chrono-why``: suspect lines of the project's own code, with no ``tp`` written.

While the tests run, coverage.py measures which lines and branches each test ran (one dynamic
context per test). When the run ends, the lines are ranked by Ochiai over the run's failing
and passing tests (``_spectra``). Then each failing test is run again in this process, beside
one passing sibling, with logpoints (``_logpoints``) at its top suspect lines recording the
names each line reads; its failure report gets a section ``chrono: why`` with the lines, their
scores and counts, and the values there, failing beside passing. JSON exports carry the same as
``suspect_lines``.

Under pytest-xdist each worker measures its own tests and hands their spectra to the
controller when it finishes; the controller ranks them. The controller holds no tests to run,
so the failing tests and their siblings run again in one more pytest, in one process
(``--chrono-at`` for the logpoints, and a hidden option, ``--chrono-why-values``, for the file
it writes what they recorded to), with the user's cache and report files kept out of its way.

coverage.py can measure a process once at a time: beside pytest-cov (or ``coverage run``) a
second measurement would change the user's coverage data, so ``--chrono-why`` stands aside
then and says so in one line. Without the option, nothing here imports coverage.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from chrono import _pytest_sections
from chrono._errors import from_outside
from chrono._pytest_options import WHY_EXTRA
from chrono._values import counted

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

    from chrono._events import Event
    from chrono._spectra import Measurement, Spectra, SuspectLine

SECTION_TITLE = "chrono: why"
#: The report attribute carrying a failing test's suspect lines (plain data) to the exports.
REPORT_ATTRIBUTE = "chrono_suspect_lines"
#: How many suspect lines a failing test shows.
TOP = 5
#: How many lines past the cut that tie with the last one shown are named (and exported).
MOST_TIED_PAST_CUT = 20
#: How many failing tests are run again for their values: each costs a run of the test and of
#: its sibling.
MOST_RERUNS = 10
#: What a worker hands the controller: its tests' spectra (``_spectra.spectra_to_plain``).
_SPECTRA_FROM_WORKER = "chrono_why_spectra"
#: The longest value shown in a section (the JSON keeps the recorded repr whole).
_VALUE_WIDTH = 40
#: How long the pytest that runs failing tests again under xdist may take, in seconds.
_SUBPROCESS_TIMEOUT = 600


def register_values(config: pytest.Config) -> None:
    """In the pytest that runs failing tests again for an xdist run: note what the logpoints
    recorded in each test."""
    path = config.getoption("chrono_why_values")
    from chrono._switch import is_enabled

    if path and is_enabled():
        config.pluginmanager.register(ValuesPlugin(path), "chrono-why-values")


def register(config: pytest.Config) -> None:
    """Check that coverage.py is there (a usage error naming the extra if not), and register
    the plugin, or the one line that says why it stands aside."""
    try:
        import coverage  # noqa: F401 - only its presence is checked here
    except ImportError:
        raise pytest.UsageError(
            f"--chrono-why needs coverage.py: pip install '{WHY_EXTRA}' (or coverage)"
        ) from None
    from chrono._switch import is_enabled

    if not is_enabled():
        return  # CHRONO=off: nothing measured, nothing run again
    reason = _measured_already(config)
    plugin: object = WhyPlugin(config) if reason is None else _StandingAside(config, reason)
    config.pluginmanager.register(plugin, "chrono-why")


def _measured_already(config: pytest.Config) -> str | None:
    """Why coverage.py cannot measure this run for chrono (None: it can)."""
    cov_plugin = config.pluginmanager.get_plugin("_cov")
    options = getattr(cov_plugin, "options", None)
    if cov_plugin is not None and not getattr(options, "no_cov", False):
        return "pytest-cov measures this run"
    import coverage

    if coverage.Coverage.current() is not None:
        return "coverage.py measures this run"
    return None


class _StandingAside:
    """Says once, at the end, why ``--chrono-why`` did nothing."""

    def __init__(self, config: pytest.Config, reason: str) -> None:
        self.config = config
        self.reason = reason

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        if hasattr(self.config, "workerinput"):
            return
        terminalreporter.write_line(
            f"chrono: --chrono-why stood aside: {self.reason}, and a second measurement "
            "would change its data; run with --no-cov to rank suspect lines",
            yellow=True,
        )


class _Values(NamedTuple):
    """What one run's logpoint recorded at a line: how often it ran, and each expression's
    values, each once, in the order they came."""

    hits: int
    values: dict[str, list[str]]


_NONE = _Values(0, {})


class WhyPlugin:
    """Measures each test, ranks the lines when the run ends, and runs failing tests again
    with logpoints at their suspects."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.root = str(config.rootpath)
        self._on_worker = hasattr(config, "workerinput")
        self._measurement: Measurement | None = None
        #: The workers' spectra, on an xdist controller.
        self._gathered: Spectra = {}
        #: Each test's outcome as its reports tell it, in the order they came.
        self._failed_reports: dict[str, pytest.TestReport] = {}
        self._passed: dict[str, None] = {}
        #: Where this process measured: not on an xdist controller.
        self._measures = False
        #: What went wrong in chrono's own work, said at the end (None: nothing).
        self._note: str | None = None

    # -- measuring ------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        from chrono._spectra import Measurement

        self._measures = not session.config.pluginmanager.has_plugin("dsession")
        if self._measures:
            tests = {str(item.path) for item in session.items}
            self._measurement = Measurement(self.root, tests)
            self._measurement.start()
        try:
            outcome = yield
        except (session.Failed, session.Interrupted):
            # -x or --maxfail stopped the run: its failures are explained all the same.
            self._after_tests_safely(session)
            raise
        except BaseException:
            # Ctrl-C, or pytest's own trouble: no test runs again.
            self._stop_measuring(session)
            raise
        self._after_tests_safely(session)
        return outcome

    def _after_tests_safely(self, session: pytest.Session) -> None:
        try:
            self._after_tests(session)
        except Exception as error:  # chrono's failure must not hide the run's outcome
            if from_outside(error):
                raise
            self._note = f"chrono: --chrono-why failed: {error!r}"

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        measurement = self._measurement
        if measurement is None:
            return (yield)
        # Switched at each test's start only: each switch writes what was measured, and
        # between two tests no code of the project runs.
        measurement.switch(item.nodeid)
        return (yield)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self._on_worker:
            return
        nodeid = report.nodeid
        if report.failed:
            self._failed_reports.setdefault(nodeid, report)
        elif report.when == "call" and report.passed:
            self._passed[nodeid] = None

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        measurement = self._measurement
        if measurement is None or call.excinfo is None:
            return (yield)
        # To describe a failure, pytest runs the project's code: the reprs of the test's
        # arguments and of the values in its traceback. That code ran for the report, not in
        # the test, and would rank as run by failing tests only: a symptom of the failure.
        measurement.switch("")
        try:
            return (yield)
        finally:
            measurement.switch(item.nodeid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        from chrono._spectra import merge_plain

        output = getattr(node, "workeroutput", None) or {}
        plain = output.get(_SPECTRA_FROM_WORKER)
        if plain is not None:
            merge_plain(self._gathered, plain)

    def _after_tests(self, session: pytest.Session) -> None:
        spectra = self._stop_measuring(session)
        if self._on_worker:
            workeroutput: dict[str, Any] = getattr(self.config, "workeroutput", {})
            from chrono._spectra import spectra_to_plain

            workeroutput[_SPECTRA_FROM_WORKER] = spectra_to_plain(spectra)
            return
        if not self._measures:
            spectra = self._gathered
        failing = list(self._failed_reports)
        if not failing:
            return  # a run with no failure ranks nothing
        passing = [nodeid for nodeid in self._passed if nodeid not in self._failed_reports]
        from chrono._spectra import rank_lines

        ranked = rank_lines(spectra, failing, passing)
        # Each failing test's top lines, and past them the lines that tie with the last: the
        # exports list the tie whole, the section names them in one line.
        listed = {
            nodeid: _with_ties_at_cut(
                [suspect for suspect in ranked if nodeid in suspect.failing_tests]
            )
            for nodeid in failing
        }
        tops = {nodeid: suspects[:TOP] for nodeid, suspects in listed.items()}
        siblings = {nodeid: _sibling(nodeid, passing, tops[nodeid], spectra) for nodeid in failing}
        again = failing[:MOST_RERUNS]
        wanted = [
            nodeid
            for nodeid in dict.fromkeys([*again, *(siblings[nodeid] for nodeid in again)])
            if nodeid is not None
        ]
        lines = sorted({(s.file, s.line) for nodeid in again for s in tops[nodeid]})
        if not lines:
            runs: dict[str, _Run] = {}
        elif self._measures:
            items = {item.nodeid: item for item in session.items}
            runs = _runs_with_logpoints([items[n] for n in wanted if n in items], lines)
        else:
            # An xdist controller holds no tests to run: they run again in a pytest of their
            # own, in one process.
            runs = _runs_in_subprocess(self.config, wanted, lines)
        for index, nodeid in enumerate(failing):
            report = self._failed_reports[nodeid]
            if tops[nodeid] and nodeid not in runs:
                why_no_values = (
                    f"values recorded for the first {MOST_RERUNS} failing tests only"
                    if index >= MOST_RERUNS
                    else "values not recorded: the test could not run again"
                )
            else:
                why_no_values = None
            sibling = siblings[nodeid]
            try:
                self._explain(
                    report,
                    listed[nodeid],
                    (len(failing), len(passing)),
                    sibling,
                    (runs.get(nodeid), runs.get(sibling or "")),
                    why_no_values,
                )
            except Exception as error:  # one test's trouble must not hide the others'
                if from_outside(error):
                    raise
                _pytest_sections.add_section(
                    report, f"{SECTION_TITLE} (not shown)", f"chrono failed: {error!r}"
                )

    def _stop_measuring(self, session: pytest.Session) -> Spectra:
        measurement, self._measurement = self._measurement, None
        if measurement is None:
            return {}
        import chrono
        from chrono._spectra import leave_out_of

        tests = {str(item.path) for item in session.items}
        leave_out = leave_out_of(tests, self.root, os.path.dirname(chrono.__file__))
        return measurement.stop(leave_out)

    # -- explaining -----------------------------------------------------------------------

    def _explain(
        self,
        report: pytest.TestReport,
        suspects: list[SuspectLine],
        totals: tuple[int, int],
        sibling: str | None,
        runs: tuple[_Run | None, _Run | None],
        why_no_values: str | None,
    ) -> None:
        failing_run, passing_run = runs
        values = {
            (suspect.file, suspect.line): (
                None if failing_run is None else failing_run.lines.get(_real(suspect)),
                None if passing_run is None else passing_run.lines.get(_real(suspect)),
            )
            for suspect in suspects
        }
        if failing_run is not None and not failing_run.failed:
            why_no_values = "it passed when run again: its values may not show the failure"
        lines = _section_lines(
            self.root,
            suspects[:TOP],
            totals,
            sibling if passing_run is not None else None,
            values if failing_run is not None else {},
            why_no_values,
        )
        lines.extend(_tied_past_the_cut(self.root, suspects[TOP:]))
        _pytest_sections.add_section(report, SECTION_TITLE, "\n".join(lines))
        setattr(report, REPORT_ATTRIBUTE, _as_data(self.root, suspects, totals, values))

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        if self._note is not None:
            terminalreporter.write_line(self._note, red=True)


def _real(suspect: SuspectLine) -> tuple[str, int]:
    return _real_place(suspect.file, suspect.line)


def _real_place(file: str, line: int) -> tuple[str, int]:
    return os.path.normcase(os.path.realpath(file)), line


class _Run(NamedTuple):
    """A test run again with logpoints: what each recorded, by real path and line, and
    whether the test failed again."""

    lines: dict[tuple[str, int], _Values]
    failed: bool


def _runs_with_logpoints(items: list[pytest.Item], lines: list[tuple[str, int]]) -> dict[str, _Run]:
    """Run each of ``items`` again with logpoints at ``lines``, recording what each reads."""
    from chrono import _logpoints

    if not items:
        return {}
    logpoints = [_logpoints.parse_spec(spec) for spec in _logpoint_specs(lines)]
    session: Any = items[0].session  # its gethookproxy is replaced for a while, below
    hook_proxy = session.gethookproxy
    # A test reaches its hooks through its ``ihook``, which asks the session. A test that
    # runs subtests (pytest's fixture, unittest's subTest) logs their reports itself as it
    # runs: run again, they must not reach the run's outcome, JUnit XML or cache a second time.
    session.gethookproxy = lambda path: _WithoutReports(hook_proxy(path))
    _logpoints.add(logpoints)
    try:
        return {item.nodeid: _run_again(item) for item in items}
    finally:
        _logpoints.remove(logpoints)
        vars(session).pop("gethookproxy", None)


class _WithoutReports:
    """A test's hooks, less the logging of reports."""

    def __init__(self, hooks: Any) -> None:
        self._hooks = hooks

    def __getattr__(self, name: str) -> Any:
        if name == "pytest_runtest_logreport":
            return _log_nothing
        return getattr(self._hooks, name)


def _log_nothing(**arguments: object) -> None:
    """What logging a report does while a test runs again: nothing."""


def _run_again(item: pytest.Item) -> _Run:
    """Run ``item`` again (setup, call, teardown, through their hooks, so that its output is
    captured as before) in a story of its own. No report is made: it would format the failure
    again, which costs more than the test, and nothing would show it."""
    from chrono._story import Scope, Story

    story = Story(
        f"{item.nodeid} (again)",
        scope=Scope.PROCESS,
        attach_to_exceptions=False,
        capture_logs=False,
    )
    hooks = item.ihook
    reraise = (pytest.exit.Exception, KeyboardInterrupt)
    # As pytest's own runner does when it runs a test again (pytest-rerunfailures): a fresh
    # fixture request, dropped afterwards.
    function: Any = item  # a pytest.Function: its fixture request is pytest's own business
    if hasattr(function, "_request") and not function._request:
        function._initrequest()
    story.start()
    try:
        setup = pytest.CallInfo.from_call(
            lambda: hooks.pytest_runtest_setup(item=item), when="setup", reraise=reraise
        )
        call = None
        if setup.excinfo is None:
            call = pytest.CallInfo.from_call(
                lambda: hooks.pytest_runtest_call(item=item), when="call", reraise=reraise
            )
        pytest.CallInfo.from_call(
            lambda: hooks.pytest_runtest_teardown(item=item, nextitem=None),
            when="teardown",
            reraise=reraise,
        )
    finally:
        story.stop()
        if hasattr(function, "_request"):
            function._request = False
            function.funcargs = None
    found = _recorded_at_logpoints(story.events)
    # A unittest TestCase's failure is kept on the item until its report is made (and no
    # report is made here): taken off, as making the report would.
    kept_failures = getattr(function, "_excinfo", None)
    if kept_failures:
        function._excinfo = None
    failed = (
        setup.excinfo is not None
        or (call is not None and call.excinfo is not None)
        or bool(kept_failures)
    )
    return _Run(found, failed)


def _recorded_at_logpoints(events: Iterable[Event]) -> dict[tuple[str, int], _Values]:
    """What the logpoints recorded among ``events``, by real path and line."""
    from chrono._logpoints import LOGPOINT_MARK

    seen: dict[tuple[str, int], tuple[int, dict[str, dict[str, None]]]] = {}
    for event in events:
        if not event.function.endswith(LOGPOINT_MARK):
            continue
        key = _real_place(event.file, event.line)
        hits, values = seen.get(key, (0, {}))
        for text, value in event.items:
            values.setdefault(text, {})[value] = None
        seen[key] = (hits + 1, values)
    return {
        key: _Values(hits, {text: list(each) for text, each in values.items()})
        for key, (hits, values) in seen.items()
    }


def _logpoint_specs(lines: list[tuple[str, int]]) -> list[str]:
    """A logpoint at each line, recording what it reads; that it ran, where what it reads
    cannot be recorded there."""
    from chrono import _logpoints
    from chrono._spectra import names_read

    specs = []
    for file, line in lines:
        spec = f"{file}:{line}:{','.join(names_read(file, line))}"
        try:
            _logpoints.parse_spec(spec)
        except (_logpoints.LogpointError, SyntaxError):
            spec = f"{file}:{line}"
        specs.append(spec)
    return specs


def _runs_in_subprocess(
    config: pytest.Config, nodeids: list[str], lines: list[tuple[str, int]]
) -> dict[str, _Run]:
    """Run ``nodeids`` again in one pytest of their own, without xdist, with logpoints at
    ``lines``: what each recorded, by test id. The user's cache, coverage and exports are left
    alone; nothing is shown."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="chrono-why-") as folder:
        values_file = os.path.join(folder, "values.json")
        arguments = [
            sys.executable,
            "-m",
            "pytest",
            *nodeids,
            "-n",
            "0",
            "-q",
            "--tb=no",
            "-p",
            "no:pytest_cov",
            "-o",
            f"cache_dir={os.path.join(folder, 'cache')}",
            "-o",
            "chrono_why=false",
            "--chrono-compare=off",
            # Files the user's options may ask for go here, not over the run's own.
            f"--junitxml={os.path.join(folder, 'junit.xml')}",
            f"--chrono-json={os.path.join(folder, 'json')}",
            f"--chrono-trace={os.path.join(folder, 'trace')}",
            f"--chrono-html={os.path.join(folder, 'page.html')}",
            f"--rootdir={config.rootpath}",
            f"--chrono-why-values={values_file}",
            *(f"--chrono-at={spec}" for spec in _logpoint_specs(lines)),
        ]
        if config.inipath is not None:
            arguments += ["-c", str(config.inipath)]
        subprocess.run(
            arguments,
            cwd=config.rootpath,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=_SUBPROCESS_TIMEOUT,
            check=False,
        )
        try:
            with open(values_file, encoding="utf-8") as handle:
                recorded = json.load(handle)
        except (OSError, ValueError):
            return {}
    return {
        nodeid: _Run(
            {
                _real_place(file, line): _Values(hits, values)
                for file, line, hits, values in run["lines"]
            },
            run["failed"],
        )
        for nodeid, run in recorded.items()
    }


class ValuesPlugin:
    """The pytest that ``_runs_in_subprocess`` starts: what the logpoints recorded in each
    test, and whether it failed, written to a file when the run ends."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.runs: dict[str, dict[str, Any]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        from chrono._story import Scope, Story

        story = Story(
            item.nodeid, scope=Scope.PROCESS, attach_to_exceptions=False, capture_logs=False
        )
        story.start()
        try:
            return (yield)
        finally:
            story.stop()
            found = _recorded_at_logpoints(story.events)
            run = self.runs.setdefault(item.nodeid, {"failed": False})
            run["lines"] = [
                [file, line, each.hits, each.values] for (file, line), each in found.items()
            ]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.runs.setdefault(report.nodeid, {"failed": False})["failed"] = True

    def pytest_sessionfinish(self) -> None:
        import json

        with open(self.path, "w", encoding="utf-8") as handle:
            json.dump(self.runs, handle)


def _sibling(
    nodeid: str, passing: list[str], suspects: list[SuspectLine], spectra: Spectra
) -> str | None:
    """The passing test to run beside a failing one: a passing case of the same function
    (parametrized), else, of the passing tests that ran the top suspect line, the closest
    (the same class, then the same module), the first to run among equals."""
    function = nodeid.partition("[")[0]
    for candidate in passing:
        if candidate.partition("[")[0] == function:
            return candidate
    if not suspects:
        return None
    from chrono._spectra import Predicate

    top = suspects[0]
    ran_top = spectra.get(Predicate(top.file, top.line), set())
    parts = function.split("::")
    best: str | None = None
    best_shared = -1
    for candidate in passing:
        if candidate not in ran_top:
            continue
        shared = 0
        for mine, theirs in zip(parts, candidate.partition("[")[0].split("::")):
            if mine != theirs:
                break
            shared += 1
        if shared > best_shared:
            best, best_shared = candidate, shared
    return best


def _with_ties_at_cut(suspects: list[SuspectLine]) -> list[SuspectLine]:
    """The first ``TOP`` of ``suspects``, and the ones after them with the last one's score
    (at most ``MOST_TIED_PAST_CUT``): a tie at the cut, seen whole."""
    cut = suspects[:TOP]
    if len(cut) < TOP:
        return cut
    last = round(cut[-1].score, 12)
    tied = []
    for suspect in suspects[TOP : TOP + MOST_TIED_PAST_CUT]:
        if round(suspect.score, 12) != last:
            break
        tied.append(suspect)
    return cut + tied


def _tied_past_the_cut(root: str, tied: list[SuspectLine]) -> list[str]:
    """One line naming the lines past the cut that share the last shown line's score."""
    if not tied:
        return []
    places = ", ".join(f"{_where(root, suspect.file)}:{suspect.line}" for suspect in tied)
    more = "" if len(tied) < MOST_TIED_PAST_CUT else " (and maybe more)"
    return [f"tied with #{TOP}: {places}{more}"]


def _where(root: str, file: str) -> str:
    try:
        relative = os.path.relpath(file, root)
    except ValueError:  # another drive
        return file
    return file if relative.startswith("..") else relative.replace(os.sep, "/")


def _predicate_note(suspect: SuspectLine) -> str:
    to = suspect.predicate.to
    if to is None:
        return ""
    if to < 0:
        return " (when it left the function)"
    return f" (when it went on to line {to})"


def _short(values: list[str] | None) -> str:
    """A line's values for one expression, in the order they came, within a width."""
    if values is None:
        return "-"
    text = " → ".join(values)  # one value is itself
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def _section_lines(
    root: str,
    suspects: list[SuspectLine],
    totals: tuple[int, int],
    sibling: str | None,
    values: dict[tuple[str, int], tuple[_Values | None, _Values | None]],
    why_no_values: str | None,
) -> list[str]:
    from chrono._spectra import source_line

    failing_total, passing_total = totals
    if not suspects:
        return ["no line of the project's own code ran in this test (coverage.py measured none)"]
    lines = [
        f"suspect lines, ranked by Ochiai over {failing_total} failing and "
        f"{counted(passing_total, 'passing test')} (coverage.py)"
    ]
    if why_no_values:
        lines.append(why_no_values)
    elif values:
        beside = f", beside {sibling}, which passed" if sibling else " (no passing test ran them)"
        lines.append(f"values recorded by running the test again{beside}")
    for rank, suspect in enumerate(suspects, 1):
        lines.append(
            f"#{rank} {_where(root, suspect.file)}:{suspect.line}  score {suspect.score:.2f}  in "
            f"{suspect.failing} of {counted(failing_total, 'failing test')}, "
            f"{suspect.passing} of {passing_total} passing{_predicate_note(suspect)}"
        )
        lines.append(f"    {source_line(suspect.file, suspect.line)}")
        failing_values, passing_values = values.get((suspect.file, suspect.line), (None, None))
        lines.extend(_value_lines(failing_values, passing_values, sibling is not None))
    return lines


def _value_lines(failing: _Values | None, passing: _Values | None, has_sibling: bool) -> list[str]:
    if failing is None and passing is None:
        return []
    names = list(dict.fromkeys([*(failing or _NONE).values, *(passing or _NONE).values]))
    width = max((len(name) for name in names), default=0)
    here = [_short(failing.values.get(name)) if failing else "(did not run)" for name in names]
    here_width = max((len(text) for text in here), default=0)
    rows = []
    for name, text in zip(names, here):
        row = f"      {name.ljust(width)}  failing: {text}"
        if has_sibling:
            there = _short(passing.values.get(name)) if passing else "(did not run)"
            row = f"{row.ljust(width + here_width + 17)}   passing: {there}"
        rows.append(row)
    ran = f"ran {failing.hits}× failing" if failing else "did not run failing"
    if has_sibling:
        ran += f", {passing.hits}× passing" if passing else ", not passing"
    rows.append(f"      ({ran}; the values it saw, in order)" if names else f"      ({ran})")
    return rows


def _as_data(
    root: str,
    suspects: list[SuspectLine],
    totals: tuple[int, int],
    values: dict[tuple[str, int], tuple[_Values | None, _Values | None]],
) -> list[dict[str, Any]]:
    from chrono._spectra import FORMULA, source_line

    failing_total, passing_total = totals
    data = []
    for rank, suspect in enumerate(suspects, 1):
        failing_values, passing_values = values.get((suspect.file, suspect.line), (None, None))
        data.append(
            {
                "rank": rank,
                "file": _where(root, suspect.file),
                "line": suspect.line,
                "score": round(suspect.score, 6),
                "formula": FORMULA,
                "failing": suspect.failing,
                "failing_total": failing_total,
                "passing": suspect.passing,
                "passing_total": passing_total,
                "source": source_line(suspect.file, suspect.line),
                "shown": rank <= TOP,
                "values": {
                    "failing": dict(failing_values.values) if failing_values else {},
                    "passing": dict(passing_values.values) if passing_values else {},
                },
            }
        )
    return data
