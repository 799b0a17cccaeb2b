"""The pytest side of comparison: where a failing test's story diverged from a passing one.

One passing run is chosen for each failure (``_Chooser``), the first that applies of: a case
of the same test that passed in this run (another parametrized case, a passing subtest; the
closest wins); such a case as it last passed (pytest's cache), when it did not run; the test's
own last pass; another test, only one whose story went through the failing story's top
suspect, compared with the events in either test's own body left out. The section's first
line says which, and why; failures with the same top suspect and the same divergence print it
once. A flaky test's passing rerun (pytest-rerunfailures) is compared too.

Stories are recorded where tests run (``Recorder``) and compared where reports are gathered
(``Gatherer``: the controller under pytest-xdist). A passing test's story is taken once, when
its teardown passed, as what ran (marshalled, a batch at a time); a failing one as its compact
form (``_compare.compact``). In one process both go straight to the gatherer, and no hook reads
reports for them. A pytest-xdist worker's reports carry them as plain data, and the controller
takes them off each report at once, so that pytest's list of reports does not keep them.
Whether a test failed for good is known only at the end (pytest-rerunfailures turns a failure
it reruns into a rerun), and the passing run is chosen then, after the suspects are ranked, so
that a sibling that passed after the failure counts too; the last pass and a passing rerun are
compared as soon as they are known too, so that JUnit XML's failure text has them, and what
is chosen at the end reaches JUnit XML as a property.

Each test's last pass is kept in one file of the cache, with the others, as the bytes this run
already made of it: keeping them costs a passing test no more than a place in a dict, whether
its story changed or not.
"""

from __future__ import annotations

import dataclasses
import marshal
import sys
import textwrap
import time
from collections import deque
from collections.abc import Collection, Iterator
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from chrono import _events, _pytest_sections
from chrono._errors import from_outside
from chrono._events import (
    Event,
    WhatRan,
    event_of,
    has_events,
    wall_at_zero,
    what_ran_within,
)
from chrono._files import NotWritten, write_whole
from chrono._pytest_options import CompareOptions, SuspectOptions

if TYPE_CHECKING:
    from _pytest.cacheprovider import Cache
    from _pytest.terminal import TerminalReporter

    from chrono._compare import Divergence, Outcome, Rows, Site
    from chrono._story import Story
    from chrono._suspects import Suspect

#: Where the tests' last passes are kept: by test id, when it last passed and its story (see
#: ``keep_last_passes``), in a file of chrono's own in the cache's folder of that name
#: (``Cache.mkdir``), not a cache value: see ``_write_kept``.
CACHE_FOLDER = "chrono"
CACHE_FILE = "last-passes.marshal"
#: How much the cache may keep in all; past it, the oldest passes go first.
CACHE_BOUND_BYTES = 20 * 1024 * 1024
#: How much it keeps of one test's pass: a story past it is kept as its compact form, cut in
#: the middle to this bound (as ``_compare.COMPACT_LIMIT_BYTES``).
CACHE_ENTRY_BOUND_BYTES = 64 * 1024
#: How much of this run's passing stories the controller keeps to compare with failures.
SIBLINGS_BOUND_BYTES = 64 * 1024 * 1024
#: How many passing stories wait, as what ran, to be marshalled together (``take_ran``).
MARSHAL_BATCH = 100
#: How many of the most alike passing stories (by the call sites they share) are compared in
#: full; the closest of them is shown.
FULL_COMPARISONS = 5
#: The report attributes that carry compact stories to where reports are gathered.
PASSING_ATTRIBUTE = "chrono_passing"
FAILING_ATTRIBUTE = "chrono_failing"
FLAKY_ATTRIBUTE = "chrono_flaky"
#: The title of the section that compares a failing test with its own last pass, before the
#: date of that pass.
LAST_PASS_TITLE = "chrono: where it diverged from its last pass"
#: Its first line, which says why, when the test fails: it may be chosen, and JUnit XML takes
#: it then.
_OWN_LAST_PASS = "Compared with this test's own last pass, {when}."
#: The JUnit XML property of a failing test compared, when the run ends, with another passing
#: run than its own last pass (whose comparison is in the failure's text): what was chosen and
#: why, and where they diverged.
JUNIT_PROPERTY = "chrono_divergence"
#: The JUnit XML property of a flaky test's passing report.
FLAKY_PROPERTY = "chrono_flaky_divergence"
#: The report attribute that carries each divergence found for it as data (a list of
#: ``{"compared_with": …, "divergence": Divergence.to_dict()}``), for the exports.
DIVERGENCES_ATTRIBUTE = "chrono_divergences"
_CARRIED = (PASSING_ATTRIBUTE, FAILING_ATTRIBUTE, FLAKY_ATTRIBUTE)
_new_tuple = tuple.__new__


@dataclasses.dataclass
class _Attempt:
    """One attempt at a test that failed or has subtests, as comparison needs it (a plain
    passing test needs none: see ``Recorder``)."""

    #: The monotonic clock when the attempt began: its events come after. The first attempt
    #: begins with the test's story (0: all its events); a rerun, when the failing attempt
    #: before it ended.
    started_ns: int = 0
    failed: bool = False
    #: Whether a subtest failed: its own report was compared, the test's is not.
    subtest_failed: bool = False
    #: The sequence number of the last subtest mark: a subtest's part comes after it.
    last_mark_seq: int = 0
    #: The compact story of an earlier attempt that failed (pytest-rerunfailures), to compare
    #: with a rerun that passes.
    failed_story: dict[str, Any] | None = None


def _subtests_told_late(item: pytest.Item) -> bool:
    """Whether ``item``'s subtests are reported only when it ends: unittest's before Python
    3.11, which gathers a method's subtest outcomes and hands them over after ``tearDown``."""
    if sys.version_info >= (3, 11):
        return False
    from _pytest.unittest import TestCaseFunction

    return isinstance(item, TestCaseFunction)


class _PassingStory(NamedTuple):
    """A passing story on its way to where reports are gathered, and kept there: what it ran,
    made from its records (no event is built), marshalled into one bytes object, which the
    garbage collector never walks, and which the cache keeps as it is."""

    name: str
    marshalled: bytes

    @classmethod
    def of(cls, name: str, ran: list[WhatRan]) -> _PassingStory:
        # What ran, with no repr taken (reprs of ints, bounds and the compact form wait until a
        # failure or the cache needs them). marshal's current version writes a string once
        # and refers back to it: a file's name is written once a story. (Built as the tuple
        # it is: a named tuple's own __new__ is a Python call.)
        return _new_tuple(cls, (name, marshal.dumps(ran)))

    @property
    def rows(self) -> Rows:
        return _rows_of(marshal.loads(self.marshalled))

    def compact(self) -> dict[str, Any]:
        from chrono._compare import compact_of_rows

        return compact_of_rows(self.name, self.rows)

    # pytest-xdist sends only plain data: a worker's reports carry it as a list of strings.

    def to_plain(self) -> list[Any]:
        return [self.name, self.marshalled.hex()]

    @classmethod
    def from_plain(cls, plain: list[Any]) -> _PassingStory:
        name, marshalled = plain
        return cls(name, bytes.fromhex(marshalled))


def _rows_of(ran: list[WhatRan]) -> Rows:
    """The compact form's files and rows of a passing story's what ran, in sequence order
    (threads can append their records a little out of it)."""
    from chrono._compare import compact_rows

    return compact_rows(sorted(ran, key=_sequence_of_ran))


_sequence_of_ran = itemgetter(3)


class _Part(NamedTuple):
    """A part of a test's story, as ``_compare.compact`` reads a story (it builds no Story)."""

    name: str
    events: list[Event]
    dropped: int
    started_ns: int


class Recorder:
    """Where tests run: each test's passing or failing story handed on, and what is known at
    once (the last pass, a passing rerun).

    Most tests pass, and every one of them pays for what is done here, so a plain passing test
    takes the shortest way: only its passing teardown is handed over, and hands on what ran up
    to the end of its call. Only a failure or a subtest makes an ``_Attempt`` to follow.
    """

    def __init__(
        self, config: pytest.Config, options: CompareOptions, gatherer: Gatherer | None
    ) -> None:
        self.config = config
        self.options = options
        #: Where reports are gathered, when it is this process (not a pytest-xdist worker).
        self.gatherer = gatherer
        #: The attempt now of each test that failed or has subtests, by test id. A test that
        #: failed for good keeps its entry: pytest-rerunfailures may run it again.
        self._attempts: dict[str, _Attempt] = {}
        #: The cache's last passes, read at the first failure.
        self._last_passes: dict[str, _KeptPass] | None = None

    def on_report(
        self,
        item: pytest.Item,
        report: pytest.TestReport,
        story: Story,
        call_ended_ns: int | None = None,
    ) -> None:
        """Note the phase; a failing one carries its story, a passing test's last one too.
        ``call_ended_ns``: when the test function returned (the monotonic clock; None: it did
        not run), where a passing story ends. (A passing setup or call tells nothing here, and
        need not be handed over.)"""
        nodeid = story.test_id or report.nodeid  # pytest's report.nodeid is a property
        attempt = self._attempts.get(nodeid)
        end = sys.maxsize if call_ended_ns is None else call_ended_ns
        if attempt is None and report.outcome == "passed":
            if report.when == "teardown":  # the way most tests take
                self._passed(report, nodeid, story, 0, end)
            return
        if not len(story):
            return
        if attempt is None:
            attempt = self._attempts[nodeid] = _Attempt()
        if report.failed:
            attempt.failed = True
            if not attempt.subtest_failed:
                self._failed(item, report, story, attempt)
        if report.when != "teardown":
            return
        if not attempt.failed and not attempt.subtest_failed:
            del self._attempts[nodeid]
            self._passed(report, nodeid, story, attempt.started_ns, end, attempt.failed_story)
        elif not attempt.failed:
            # A unittest method whose subTest failed passes as a test: its story holds the
            # failing subtests' parts, and is no passing story (nor a last pass).
            del self._attempts[nodeid]
        else:
            # pytest-rerunfailures may run the test again: a new attempt begins now.
            self._attempts[nodeid] = _Attempt(
                started_ns=time.monotonic_ns(), failed_story=attempt.failed_story
            )

    def on_subtest(
        self,
        item: pytest.Item,
        report: pytest.TestReport,
        story: Story,
        mark: Event,
        description: str,
    ) -> None:
        """A subtest (``description`` as pytest names it) ended, its mark in the story: a
        passing one is a sibling to others."""
        attempt = self._attempts.get(item.nodeid)
        if attempt is None:
            attempt = self._attempts[item.nodeid] = _Attempt()
        since = attempt.last_mark_seq
        attempt.last_mark_seq = mark.seq
        attempt.subtest_failed = attempt.subtest_failed or report.failed
        if not self.options.siblings or not (report.passed or report.failed):
            return
        if _subtests_told_late(item):
            # Every subtest is reported after the method's body ran: the events before a
            # subtest's mark are all of them, no subtest's own, and no run of their own.
            return
        name = f"{item.nodeid} {description}"
        if report.passed:
            part = story.records_after(since)
            ran = what_ran_within(part, since + 1, mark.seq - 1, by_sequence=True)
            if ran:
                self._send_passing(report, name, ran)
            return
        wall = _events.wall_anchor
        events = [event_of(r, wall) for r in story.records_after(since) if r[0] < mark.seq]
        if has_events(events):
            self._send_failing(report, _compact(_Part(name, events, 0, story.started_ns)))

    def _failed(
        self, item: pytest.Item, report: pytest.TestReport, story: Story, attempt: _Attempt
    ) -> None:
        events = [e for e in story.events if e.monotonic_ns >= attempt.started_ns]
        if not has_events(events):
            return
        failing = _compact(_Part(item.nodeid, events, 0, story.started_ns))
        attempt.failed_story = failing
        if self.options.siblings:
            self._send_failing(report, failing)
        if self.options.last_pass:
            if self._last_passes is None:
                self._last_passes = read_last_passes(self.config)
            last = last_pass_of(self._last_passes, item.nodeid)
            if last is not None:
                found = _compare_with_last_pass(failing, last["story"])
                if found is not None:
                    divergence, moved = found
                    title = f"{LAST_PASS_TITLE} ({_when(last)})"
                    reason = _OWN_LAST_PASS.format(when=_when(last))
                    add_section(
                        self.config, report, title, divergence, _moved_note(moved), reason=reason
                    )
                    if self.options.as_data:
                        note_divergence(
                            report, divergence, "last-pass", when=last["when"], reason=reason
                        )

    def _passed(
        self,
        report: pytest.TestReport,
        nodeid: str,
        story: Story,
        start: int,
        end: int,
        failed_attempt: dict[str, Any] | None = None,
    ) -> None:
        """Hand on what ran from ``start`` to ``end`` on the monotonic clock, and compare it
        with the attempt that failed before (pytest-rerunfailures)."""
        # What every passing test pays: its records, read by what_ran_within (no event is
        # built, no repr taken), and handed on. They are read as they came, and put in
        # sequence order only when a failure or the cache reads them (``_rows_of``).
        ran = what_ran_within(story.records_as_they_came(), start, end)
        if not ran:  # a test without events pays no more
            return
        self._send_passing(report, nodeid, ran)
        if failed_attempt is not None and self.options.reruns:
            divergence = _compare_safely(
                failed_attempt,
                _PassingStory.of(nodeid, ran).compact(),
                ("failing attempt", "passing rerun"),
            )
            if divergence is not None:
                text = divergence.text()
                self._send_flaky(report, text)
                report.user_properties.append((FLAKY_PROPERTY, text))
                if self.options.as_data:
                    note_divergence(report, divergence, "passing-rerun")

    # In one process, stories go straight to where reports are gathered: every passing test
    # takes this way, and no report need carry them. A pytest-xdist worker's reports carry them
    # as plain data.

    def _send_passing(self, report: pytest.TestReport, name: str, ran: list[WhatRan]) -> None:
        if self.gatherer is not None:
            self.gatherer.take_ran(name, ran, last_pass=report.when == "teardown")
        else:
            setattr(report, PASSING_ATTRIBUTE, _PassingStory.of(name, ran).to_plain())

    def _send_failing(self, report: pytest.TestReport, failing: dict[str, Any]) -> None:
        if self.gatherer is not None:
            self.gatherer.take_failing(report, failing)
        else:
            setattr(report, FAILING_ATTRIBUTE, failing)

    def _send_flaky(self, report: pytest.TestReport, text: str) -> None:
        if self.gatherer is not None:
            self.gatherer.take_flaky(report.nodeid, text)
        else:
            setattr(report, FLAKY_ATTRIBUTE, text)


def _compact(part: _Part) -> dict[str, Any]:
    from chrono._compare import compact

    return compact(part)


class Gatherer:
    """Where reports are gathered: passing stories of this run, failures to compare at the
    end, the last passes to keep, and the flaky tests to tell in the summary."""

    def __init__(
        self,
        config: pytest.Config,
        options: CompareOptions,
        suspects: SuspectOptions | None = None,
    ) -> None:
        self.config = config
        self.options = options
        #: How suspects are ranked over the stories gathered here (None: they are not).
        self.suspects = suspects
        #: This run's passing stories, oldest first, and their total size, bounded.
        self._passing: deque[_PassingStory] = deque()
        self._passing_bytes = 0
        #: Passing stories of this run as what ran, waiting to be marshalled together.
        self._waiting: list[tuple[str, list[WhatRan], bool]] = []
        #: Each test's passing story, to keep as its last pass when the run ends.
        self._last_passes: dict[str, _PassingStory] = {}
        #: Failing stories and their reports; a report's outcome is known for good only at the
        #: end (pytest-rerunfailures turns a failure it will rerun into "rerun").
        self._failures: list[tuple[pytest.TestReport, dict[str, Any]]] = []
        self._flaky: list[tuple[str, str]] = []
        #: Why the last passes could not be kept, if they could not.
        self._not_kept: str | None = None

    def take_ran(self, name: str, ran: list[WhatRan], *, last_pass: bool) -> None:
        """What a passing story ran (``last_pass``: as ``take_passing``), marshalled with
        others, a batch at a time."""
        # Marshalled when its test ends, a story cost a third more than in a loop over a
        # batch, where marshal's code stays in the processor's caches from one story to the
        # next (docs/performance.md has the figures). What waits is a hundred stories' worth
        # of tuples at most.
        waiting = self._waiting
        waiting.append((name, ran, last_pass))
        if len(waiting) >= MARSHAL_BATCH:
            self._marshal_waiting()

    def _marshal_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        take_passing = self.take_passing
        for name, ran, last_pass in waiting:
            take_passing(_PassingStory.of(name, ran), last_pass=last_pass)

    def take_passing(self, passing: _PassingStory, *, last_pass: bool) -> None:
        """A passing story of this run (``last_pass``: a whole test's, to keep as its last
        pass; a subtest's is a sibling only)."""
        if self.options.siblings:
            self._passing.append(passing)
            self._passing_bytes += len(passing.marshalled)
            while self._passing_bytes > SIBLINGS_BOUND_BYTES and len(self._passing) > 1:
                self._passing_bytes -= len(self._passing.popleft().marshalled)
        if last_pass and self.options.last_pass:
            self._last_passes[passing.name] = passing

    def take_failing(self, report: pytest.TestReport, failing: dict[str, Any]) -> None:
        """A failing story (compact), to compare with the passing ones when the run ends."""
        self._failures.append((report, failing))

    def take_flaky(self, nodeid: str, text: str) -> None:
        """Where a flaky test's failing attempt diverged from its passing rerun."""
        self._flaky.append((nodeid, text))

    def pytest_sessionstart(self) -> None:
        # Under pytest-xdist, workers' reports carry their stories here. Without it, nothing
        # does, and no report pays for a hook that would look.
        plugins = self.config.pluginmanager
        if plugins.has_plugin("dsession"):
            plugins.register(_WorkersReports(self), "chrono-compare-workers-reports")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        # Before the terminal summary prints the failures, and before the exports are written.
        self._marshal_waiting()
        failures = [(report, story) for report, story in self._failures if report.failed]
        if failures:
            self._explain(failures)
        if self.options.last_pass and self._last_passes:
            self._not_kept = keep_last_passes(self.config, self._last_passes)

    def _explain(self, failures: list[tuple[pytest.TestReport, dict[str, Any]]]) -> None:
        """Rank the suspects, choose each failure's passing run by them, compare, and draw the
        failing stories again with their suspects first (the budget counts the comparison)."""
        passing = [story.compact() for story in self._passing]
        kept = read_last_passes(self.config) if self.options.last_pass else {}
        passed = {story.name for story in self._passing}
        ranked: list[tuple[pytest.TestReport, list[Suspect]]] = []
        if self.suspects is not None and self.suspects.formula is not None:
            from chrono._pytest_suspects import rank_failures

            ranked = rank_failures(
                self.config, self.suspects, failures, passing, _cached_passes(kept, passed)
            )
        suspects_of = {id(report): list(suspects) for report, suspects in ranked}
        if ranked:
            from chrono._pytest_suspects import suspect_properties

            for report, suspects in ranked:
                properties = suspect_properties(suspects)
                _pytest_sections.add_junit_properties(self.config, report, properties)
        failed = {story["name"] for _, story in failures}
        chooser = _Chooser(self.config, self.options, passing, kept, failed)
        told: dict[Any, str] = {}
        for report, failing in failures:
            suspects = suspects_of.get(id(report)) or []
            try:
                chosen = chooser.choose(failing, suspects[0] if suspects else None)
                if chosen is not None:
                    self._tell(report, failing, chosen, suspects, told)
            except Exception as error:  # a broken comparison must not hide the test's failure
                if from_outside(error):
                    raise
        if ranked and self.suspects is not None:
            from chrono._pytest_suspects import retell_failures

            retell_failures(self.config, self.suspects, ranked)

    def _tell(
        self,
        report: pytest.TestReport,
        failing: dict[str, Any],
        chosen: Chosen,
        suspects: list[Suspect],
        told: dict[Any, str],
    ) -> None:
        """Put the chosen comparison on the report: whole, or, when an earlier failure had the
        same top suspect and the same divergence, one line that says so."""
        if chosen.kind != "last-pass":
            # Chosen over the test's own last pass, shown when it failed: the terminal shows
            # one comparison (JUnit XML has taken that one already).
            _pytest_sections.remove_sections(report, LAST_PASS_TITLE)
        top = suspects[0] if suspects else None
        key = (
            None if top is None else (top.file, top.line, top.predicate),
            divergence_key(chosen.divergence),
        )
        first = told.setdefault(key, failing["name"])
        if first != failing["name"]:
            from chrono._compare import short_names

            same_as = short_names(failing["name"], first)[1]
            what = "the same top suspect, and " if top is not None else ""
            line = f"same as {same_as}: {what}the same divergence from a passing run"
            width = max(self.config.get_terminal_writer().fullwidth, 40)
            line = textwrap.fill(line, width, break_on_hyphens=False)
            _pytest_sections.remove_sections(report, chosen.title)
            _pytest_sections.add_section(report, chosen.title, line)
        else:
            add_section(
                self.config,
                report,
                chosen.title,
                chosen.divergence,
                chosen.note,
                reason=chosen.reason,
                replace=chosen.kind == "last-pass",
            )
            if self.config.get_terminal_writer().hasmarkup:
                _pytest_sections.use_coloured(report)
        if chosen.kind != "last-pass":
            # JUnit XML has taken the failure's text: it gets what was chosen as a property.
            text = f"{chosen.reason}\n{chosen.divergence.text(width=100)}"
            _pytest_sections.add_junit_properties(self.config, report, [(JUNIT_PROPERTY, text)])
        if self.options.as_data and chosen.kind != "last-pass":
            note_divergence(
                report,
                chosen.divergence,
                chosen.kind,
                test=chosen.test,
                when=chosen.when,
                reason=chosen.reason,
            )

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        if self._not_kept is not None:
            terminalreporter.write_sep("!", self._not_kept, yellow=True)
        if not self._flaky:
            return
        terminalreporter.write_sep("=", "chrono: where flaky tests' failing attempts diverged")
        for nodeid, text in self._flaky:
            terminalreporter.write_sep("_", nodeid, yellow=True)
            terminalreporter.write_line(text)


class _WorkersReports:
    """The controller's look at pytest-xdist workers' reports: the stories they carry are
    taken off them at once (pytest keeps every report until the run ends)."""

    def __init__(self, gatherer: Gatherer) -> None:
        self.gatherer = gatherer

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        carried = report.__dict__
        # Most reports carry nothing of chrono's: the report's own dict tells so at once
        # (getattr with a default pays for an AttributeError on each miss).
        if carried.keys().isdisjoint(_CARRIED):
            return
        sent: list[Any] | None = carried.pop(PASSING_ATTRIBUTE, None)
        if sent is not None:
            passing = _PassingStory.from_plain(sent)
            self.gatherer.take_passing(passing, last_pass=report.when == "teardown")
        failing: dict[str, Any] | None = carried.pop(FAILING_ATTRIBUTE, None)
        if failing is not None:
            self.gatherer.take_failing(report, failing)
        flaky: str | None = carried.get(FLAKY_ATTRIBUTE)
        if flaky is not None:
            self.gatherer.take_flaky(report.nodeid, flaky)


def closest_sibling(
    failing: dict[str, Any],
    passing: list[dict[str, Any]],
    outcomes: Collection[Outcome] = (),
) -> tuple[str, Divergence] | None:
    """The closest passing story among those that went through a call site of ``failing``:
    its name, and where ``failing`` diverged from it, the sides named as short as tells them
    apart; None when no passing story shares a call site."""
    from chrono._compare import closest, short_names

    sites = _call_sites_of(failing)
    ranked = []
    for index, candidate in enumerate(passing):
        if candidate["name"] == failing["name"]:
            continue
        other = _call_sites_of(candidate)
        shared = len(sites & other)
        if shared:
            # Call sites shared over call sites seen (Jaccard): cheap, and enough to choose
            # which few to compare in full. Between stories alike, the nearest kin comes
            # first (closest() keeps the first of equals): a case of the same test, then a
            # test of the same file.
            kinship = _kinship(failing["name"], candidate["name"])
            ranked.append((shared / len(sites | other), kinship, -index, candidate))
    ranked.sort(key=lambda entry: entry[:3], reverse=True)
    finalists = [entry[3] for entry in ranked[:FULL_COMPARISONS]]
    found = closest(failing, finalists, outcomes=outcomes)
    if found is None:
        return None
    index, divergence = found
    sibling = finalists[index]["name"]
    return sibling, _renamed(divergence, *short_names(failing["name"], sibling))


# -- which passing run a failure is compared with -----------------------------------------------


@dataclasses.dataclass(frozen=True)
class Chosen:
    """The passing run a failing story is compared with, why, and where they diverged."""

    #: "sibling" (a case of the same test, this run), "sibling-last-pass" (such a case as it
    #: last passed), "last-pass" (the test's own), "other-test" (through the top suspect).
    kind: str
    divergence: Divergence
    #: The section's title, and its first line: what was chosen, and why.
    title: str
    reason: str
    #: The passing test's id (all but the test's own last pass), and when it passed (a last
    #: pass's, epoch seconds).
    test: str | None = None
    when: float | None = None
    #: A line after the divergence (call sites an edit has moved since a last pass).
    note: str | None = None


class _Chooser:
    """Which passing run each failing story is compared with, in this order: a passing case of
    the same test in this run; else such a case's last pass (pytest's cache: so that ``--lf``
    and ``-k`` compare too); else the test's own last pass; else another test, only one whose
    story went through the top suspect's call site, and then with the events in either test's
    own body left out (its input and its assertions are no divergence of the code)."""

    def __init__(
        self,
        config: pytest.Config,
        options: CompareOptions,
        passing: list[dict[str, Any]],
        kept: dict[str, _KeptPass],
        failed: set[str],
    ) -> None:
        self.config = config
        self.options = options
        self.passing = passing
        self.kept = kept
        self.failed = failed
        self.passed = {story["name"] for story in passing}
        #: The items the failure now chosen for is about (``_outcomes``).
        self.outcomes: frozenset[Outcome] = frozenset()

    def choose(self, failing: dict[str, Any], top: Suspect | None) -> Chosen | None:
        """The passing run ``failing`` (compact) is compared with, and where they diverged;
        ``top``: its top suspect. None when no run applies."""
        from chrono._compare import split_test_id

        name = failing["name"]
        test = split_test_id(name)[0]
        self.outcomes = _outcomes(failing, top)
        if self.options.siblings:
            cases = [
                story
                for story in self.passing
                if story["name"] != name and split_test_id(story["name"])[0] == test
            ]
            found = closest_sibling(failing, cases, self.outcomes)
            if found is not None:
                sibling, divergence = found
                reason = (
                    f"Compared with {divergence.b.name}: a case of the same test that passed "
                    "in this run."
                )
                title = f"chrono: where it diverged from {divergence.b.name}, which passed"
                return Chosen("sibling", divergence, title, reason, test=sibling)
        if self.options.last_pass:
            chosen = self._case_last_pass(failing, test)
            if chosen is not None:
                return chosen
            chosen = self._own_last_pass(failing)
            if chosen is not None:
                return chosen
        if self.options.siblings and top is not None:
            return self._other_test(failing, test, top)
        return None

    def _case_last_pass(self, failing: dict[str, Any], test: str) -> Chosen | None:
        """The closest of the same test's other cases as they last passed, of those that did
        not run in this run (a case that passed now is a sibling; one that failed now is no
        passing run)."""
        from chrono._compare import split_test_id

        name = failing["name"]
        cases: list[dict[str, Any]] = []
        when: dict[str, float] = {}
        for nodeid in sorted(self.kept):
            if nodeid == name or nodeid in self.passed or nodeid in self.failed:
                continue
            if split_test_id(nodeid)[0] != test:
                continue
            last = last_pass_of(self.kept, nodeid)
            if last is not None:
                cases.append(last["story"])
                when[nodeid] = last["when"]
        found = closest_sibling(failing, cases, self.outcomes)
        if found is None:
            return None
        sibling, divergence = found
        passed_at = _when({"when": when[sibling]})
        reason = (
            f"Compared with {divergence.b.name} as it last passed, {passed_at}: a case of the "
            "same test that did not run in this run."
        )
        title = f"chrono: where it diverged from {divergence.b.name}'s last pass ({passed_at})"
        return Chosen("sibling-last-pass", divergence, title, reason, sibling, when[sibling])

    def _own_last_pass(self, failing: dict[str, Any]) -> Chosen | None:
        from chrono._compare import split_test_id

        last = last_pass_of(self.kept, failing["name"])
        if last is None:
            return None
        found = _compare_with_last_pass(failing, last["story"])
        if found is None:
            return None
        divergence, moved = found
        reason = _OWN_LAST_PASS.format(when=_when(last))
        if split_test_id(failing["name"])[1]:
            reason = f"{reason[:-1]}: no other case of the same test passed, in this run or before."
        title = f"{LAST_PASS_TITLE} ({_when(last)})"
        return Chosen(
            "last-pass", divergence, title, reason, when=last["when"], note=_moved_note(moved)
        )

    def _other_test(self, failing: dict[str, Any], test: str, top: Suspect) -> Chosen | None:
        """The closest other passing test whose story went through the top suspect's call
        site, this run's or a last pass of a test that did not run; compared with the events
        in either test's own body left out."""
        from chrono._compare import split_test_id

        site = (top.file, top.line)
        candidates = [
            story
            for story in self.passing
            if split_test_id(story["name"])[0] != test and site in _call_sites_of(story)
        ]
        when: dict[str, float] = {}
        for nodeid in sorted(self.kept.keys() - self.passed - self.failed):
            if split_test_id(nodeid)[0] == test:
                continue
            last = last_pass_of(self.kept, nodeid)
            if last is not None and site in _call_sites_of(last["story"]):
                candidates.append(last["story"])
                when[nodeid] = last["when"]
        if not candidates:
            return None
        failing_body = _body_of(failing["name"])
        found = closest_sibling(
            _without_body(failing, failing_body),
            [_without_body(story, failing_body, _body_of(story["name"])) for story in candidates],
            self.outcomes,
        )
        if found is None:
            return None
        other, divergence = found
        from chrono._sites import reader_path, site_text

        where = site_text(reader_path(top.file), top.line, top.function)
        passed_at = _when({"when": when[other]}) if other in when else None
        which = (
            f"{divergence.b.name},"
            if passed_at is None
            else f"{divergence.b.name} as it last passed, {passed_at},"
        )
        missing = []
        if split_test_id(failing["name"])[1]:
            missing.append("no other case of this test passed, in this run or before")
        missing.append(
            "it has no last pass of its own"
            if self.options.last_pass
            else "no last pass is read in this run (pytest's cache is off, or "
            "--chrono-compare=siblings)"
        )
        reason = (
            f"Compared with {which} another test: {', and '.join(missing)}; that test went "
            f"through the top suspect's call site, {where}. Events in either test's own body "
            "are left out."
        )
        title = f"chrono: where it diverged from {divergence.b.name}, which passed"
        if passed_at is not None:
            title = f"chrono: where it diverged from {divergence.b.name}'s last pass ({passed_at})"
        return Chosen("other-test", divergence, title, reason, test=other, when=when.get(other))


def _outcomes(failing: dict[str, Any], top: Suspect | None) -> frozenset[Outcome]:
    """The items of ``failing`` (compact) that its top suspect is about, when it is a value:
    their values are what the failure turns on, never its input."""
    if top is None or top.kind != "value":
        return frozenset()
    files = failing["files"]
    return frozenset(
        (top.file, top.line, text)
        for row in failing["events"]
        if files[row[1]] == top.file and row[2] == top.line
        for text, _value in row[5]
        if top.predicate == text or top.predicate.startswith(f"{text}=")
    )


def _body_of(test_id: str) -> str:
    """The name of a test's function, as a qualified name holds it: ``test_take`` of
    ``tests/test_stock.py::TestStock::test_take[5]``."""
    from chrono._compare import split_test_id

    return split_test_id(test_id)[0].rpartition("::")[2]


def _without_body(story: dict[str, Any], *bodies: str) -> dict[str, Any]:
    """The compact story less its events in the functions named (and functions inside them)."""
    events = [row for row in story["events"] if not set(str(row[3]).split(".")) & set(bodies)]
    return {**story, "events": events}


def divergence_key(divergence: Divergence) -> tuple[Any, ...]:
    """What a divergence says, less what differs between any two failures by nature (their
    sequence numbers, the sides' names): two failures with the same key diverged alike."""

    def side(event: Event | None) -> tuple[Any, ...] | None:
        if event is None:
            return None
        from chrono._compare import comparable_value

        items = tuple((text, comparable_value(value)) for text, value in event.items)
        return (event.kind, event.file, event.line, event.function, event.label, items)

    pairs = [divergence.first, divergence.after_input]
    return (
        divergence.only_input,
        tuple(None if pair is None else (pair.kind, side(pair.a), side(pair.b)) for pair in pairs),
    )


def _cached_passes(kept: dict[str, _KeptPass], passed: set[str]) -> Iterator[dict[str, Any]]:
    """The last passes the cache keeps of tests that did not pass in this run (compact), read
    as they are wanted."""
    for nodeid in kept.keys() - passed:
        last = last_pass_of(kept, nodeid)
        if last is not None:
            yield last["story"]


def _kinship(failing: str, passing: str) -> int:
    """2 for cases of the same test, 1 for tests of the same file, else 0."""
    from chrono._compare import split_test_id

    if split_test_id(failing)[0] == split_test_id(passing)[0]:
        return 2
    return int(failing.partition("::")[0] == passing.partition("::")[0])


def _renamed(divergence: Divergence, a: str, b: str) -> Divergence:
    ended = {divergence.a.name: a, divergence.b.name: b}.get(divergence.ended or "")
    return dataclasses.replace(
        divergence,
        a=dataclasses.replace(divergence.a, name=a),
        b=dataclasses.replace(divergence.b, name=b),
        ended=ended,
    )


def _call_sites_of(compact: dict[str, Any]) -> set[tuple[str, int]]:
    files = compact["files"]
    return {(files[row[1]], row[2]) for row in compact["events"]}


def _compare_safely(
    failing: dict[str, Any], passing: dict[str, Any], names: tuple[str, str]
) -> Divergence | None:
    # A comparison that fails (a cache entry from another version of chrono) must not hide
    # the test's own outcome.
    from chrono._compare import compare

    try:
        return compare(failing, passing, names=names)
    except Exception as error:  # must not hide the outcome: see above
        if from_outside(error):
            raise
        return None


def _compare_with_last_pass(
    failing: dict[str, Any], last: dict[str, Any]
) -> tuple[Divergence, dict[Site, int]] | None:
    """Where this run diverged from the last pass, with the call sites an edit has moved
    since taken for the ones they were (a line added above a ``tp`` is no other call site);
    and those moves. None: the two could not be compared."""
    import linecache

    from chrono._compare import compare_moved

    try:
        return compare_moved(failing, last, linecache.getline, names=("this run", "last pass"))
    except Exception as error:  # a cache entry from another version of chrono: see _compare_safely
        if from_outside(error):
            raise
        return None


def _moved_note(moved: dict[Site, int]) -> str | None:
    """What the reader is told of call sites that moved since the last pass, if any."""
    if not moved:
        return None
    moves = ", ".join(
        f"{Path(file).name}:{old} is now :{new}" for (file, old), new in sorted(moved.items())
    )
    return f"Call sites an edit has moved since the last pass are matched as the same: {moves}."


def add_section(
    config: pytest.Config,
    report: pytest.TestReport,
    title: str,
    divergence: Divergence,
    note: str | None = None,
    *,
    reason: str | None = None,
    replace: bool = False,
) -> None:
    """Put the divergence on the failing report, where its story is: in colour too when the
    terminal shows colour (the last pass's, known at once, is swapped in by the plugin after
    JUnit XML; a sibling's, known when the run ends, directly). ``note``: a line after it;
    ``reason``: the first line, which says what it was compared with and why; ``replace``:
    the section may be there already, and is drawn again."""
    writer = config.get_terminal_writer()
    width = max(writer.fullwidth, 40)
    plain = divergence.text(width=writer.fullwidth)
    coloured = None
    if writer.hasmarkup:
        from chrono.render import coloured_divergence

        coloured = coloured_divergence(divergence, width)
    if note is not None:
        note = textwrap.fill(note, width, break_on_hyphens=False)
        plain = f"{plain}\n{note}"
        coloured = None if coloured is None else f"{coloured}\n{note}"
    if reason is not None:
        reason = textwrap.fill(reason, width, break_on_hyphens=False)
        plain = f"{reason}\n{plain}"
        coloured = None if coloured is None else f"{reason}\n{coloured}"
    if replace:
        _pytest_sections.replace_section(report, title, plain, coloured)
    else:
        _pytest_sections.add_section(report, title, plain, coloured)


def note_divergence(
    report: pytest.TestReport, divergence: Divergence, compared_with: str, **about: object
) -> None:
    """Put the divergence on the report as data, saying what it was compared with (and
    ``about`` it: the sibling's ``test``, the last pass's ``when``), for the exports."""
    noted: list[dict[str, Any]] = report.__dict__.setdefault(DIVERGENCES_ATTRIBUTE, [])
    known = {key: value for key, value in about.items() if value is not None}
    noted.append({"compared_with": compared_with, **known, "divergence": divergence.to_dict()})


# -- the cache of last passes -----------------------------------------------------------------

#: A test's last pass as the cache keeps it: when it passed (the wall clock, in seconds), and
#: its story marshalled: what it ran (a list, as ``_PassingStory``), or, past
#: ``CACHE_ENTRY_BOUND_BYTES``, its compact form cut to the bound (a dict).
_KeptPass = tuple[float, bytes]


def read_last_passes(config: pytest.Config) -> dict[str, _KeptPass]:
    """The last passes the cache keeps, by test id (empty: none, or no cache)."""
    cache = getattr(config, "cache", None)
    return {} if cache is None else _read_kept(cache)


def last_pass_of(kept: dict[str, _KeptPass], nodeid: str) -> dict[str, Any] | None:
    """The test's last passing story (compact) and when it passed, or None: not kept, or kept
    in a shape chrono cannot read (an older chrono's)."""
    try:
        when, story = kept[nodeid]
        loaded = marshal.loads(story)
        if not isinstance(when, float):
            return None
        if isinstance(loaded, list):
            from chrono._compare import compact_of_rows

            return {"story": compact_of_rows(nodeid, _rows_of(loaded)), "when": when}
    except (KeyError, TypeError, ValueError, EOFError):
        return None
    if not isinstance(loaded, dict) or loaded.get("name") != nodeid:
        return None
    return {"story": loaded, "when": when}


def keep_last_passes(config: pytest.Config, passes: dict[str, _PassingStory]) -> str | None:
    """Keep each test's passing story as its last pass; past the bound, the oldest go.

    Returns None, or the one line that says why the cache could not be written (the last
    passes kept before stay as they were).
    """
    cache = getattr(config, "cache", None)
    if cache is None:
        return None
    now = wall_at_zero() + time.monotonic_ns() / 1e9
    kept = _read_kept(cache)
    for nodeid, passing in passes.items():
        story = passing.marshalled
        if len(story) > CACHE_ENTRY_BOUND_BYTES:
            story = marshal.dumps(passing.compact())
        kept[nodeid] = (now, story)
    try:
        total = sum(len(story) for _, story in kept.values())
    except (TypeError, ValueError):
        # An entry of another shape (an older chrono's): start afresh, rather than check
        # every entry on every run.
        kept = {nodeid: kept[nodeid] for nodeid in passes}
        total = sum(len(story) for _, story in kept.values())
    if total > CACHE_BOUND_BYTES:
        for nodeid, (_, story) in sorted(kept.items(), key=_when_kept):
            if total <= CACHE_BOUND_BYTES:
                break
            total -= len(story)
            del kept[nodeid]
    try:
        _write_kept(cache, kept)
    except NotWritten as error:
        return f"chrono: {error}; this run's passes are not kept"
    return None


def _when_kept(entry: tuple[str, _KeptPass]) -> float:
    return entry[1][0]


def _kept_path(cache: Cache) -> Path:
    return cache.mkdir(CACHE_FOLDER) / CACHE_FILE


def _read_kept(cache: Cache) -> dict[str, _KeptPass]:
    """The cache's last passes; empty when the file is missing or unreadable (written by a
    Python whose marshal differs)."""
    try:
        kept = marshal.loads(_kept_path(cache).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _write_kept(cache: Cache, kept: dict[str, _KeptPass]) -> None:
    """Write the last passes whole, as marshal's bytes.

    Each story is kept as the bytes the run made of it, so this is a copy of them, and costs
    about as much whether the stories changed or not. (A cache value per test, as JSON, cost
    a passing test more than all the rest of comparison when its story changed, and a digest
    of each story to tell whether it had; docs/performance.md has the figures.) A file in the
    cache's own folder is cleared with the rest of the cache (``--cache-clear``); written
    beside, then moved over (``write_whole``), so that a run never reads half of one. Raises
    ``NotWritten``, the file as it was, when the cache cannot be written.
    """
    try:
        path = _kept_path(cache)
    except OSError as error:
        where = f"{CACHE_FOLDER}/{CACHE_FILE} in pytest's cache"
        raise NotWritten(where, f"cannot make {error.filename} ({error.strerror})") from None
    write_whole(path, marshal.dumps(kept), durable=False)


def _when(kept: dict[str, Any]) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(kept["when"]))
