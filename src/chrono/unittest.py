"""unittest support: each failing test's story in its report, and ``python -m chrono.unittest``.

``python -m chrono.unittest`` takes the arguments of ``python -m unittest`` and behaves the same
way, except that the report of each failure and error ends with the story of its test: every
``tp`` call and log record from ``startTest`` to ``stopTest``, so setUp, tearDown and cleanups
are in it. To plug the stories into a runner of your own, use ``ChronoTextTestRunner``, or mix
``ChronoResultMixin`` into your result class (``with_stories`` does that for you).

unittest formats a failure as soon as it is reported, and on Python 3.11+ that happens before
tearDown runs. So the result remembers which report entries belong to the running test, and
appends the story's text to them at ``stopTest``, when the story is complete. Each report tells
the events that no earlier report of the test told, up to where it was reported (the last one
through tearDown), and each subtest's end is marked in the story: several failing subtests
show one part each, not the same events again. A report whose part has no event gets no story.
"""

from __future__ import annotations

import os
import sys
import unittest
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from chrono._errors import swallowed
from chrono._events import has_events, marker_event
from chrono._story import Story, story_part
from chrono._switch import is_enabled

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

    from chrono._failure import FailureFocus

__all__ = [
    "ChronoResultMixin",
    "ChronoTextTestResult",
    "ChronoTextTestRunner",
    "main",
    "with_stories",
]

_Result = TypeVar("_Result", bound=unittest.TestResult)


class ExcInfoWithStory(tuple):  # type: ignore[type-arg]
    """An exception triple that carries its test's story text across a process boundary.

    A worker process that runs tests for another (Django's ``--parallel``) sends its failures
    back pickled; the story of the test rides along with the failure it explains.
    """

    story_text: str

    def __new__(cls, exc_info: OptExcInfo, story_text: str) -> ExcInfoWithStory:
        carrier = super().__new__(cls, exc_info)
        carrier.story_text = story_text
        return carrier

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (tuple(self), self.story_text))


class ChronoResultMixin(unittest.TestResult):
    """Records a story per test and appends it to the test's failure and error reports.

    Put it first among the bases of a ``TestResult`` subclass. Each test's story is a process
    story named after the test id; it covers ``startTest`` to ``stopTest``. Passing tests show
    nothing. With chrono disabled, no story is recorded.
    """

    #: The bound on each test's story (None: chrono's default).
    chrono_max_events: ClassVar[int | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chrono_story: Story | None = None
        self._chrono_in_test = False
        #: Where this test's reports are, the story text each carried in (or None), the
        #: sequence number the story had reached when it was reported, and what its failure
        #: is about (its events are marked).
        self._chrono_slots: list[tuple[Any, str | None, int, FailureFocus | None]] = []

    def startTest(self, test: unittest.TestCase) -> None:
        self._chrono_slots = []
        self._chrono_in_test = True
        self._chrono_story = None
        if is_enabled():
            story = Story(test.id(), max_events=self.chrono_max_events, attach_to_exceptions=False)
            story.test_id = test.id()
            self._chrono_story = story.start()
        super().startTest(test)

    def stopTest(self, test: unittest.TestCase) -> None:
        story = self._chrono_story
        if story is not None:
            story.stop()
        if self._chrono_slots:
            # A failure from a worker process carries its story; this one is then empty.
            own_texts: list[str | None] = [None] * len(self._chrono_slots)
            if story is not None and any(text is None for _, text, _, _ in self._chrono_slots):
                own_texts = _texts_of_parts(
                    story,
                    [reached for _, _, reached, _ in self._chrono_slots],
                    [failure for _, _, _, failure in self._chrono_slots],
                )
            for (slot, carried_text, _, _), own_text in zip(self._chrono_slots, own_texts):
                text = carried_text if carried_text is not None else own_text
                if text is not None:
                    self._attach_story_text(slot, text)
        self._chrono_slots = []
        self._chrono_story = None
        self._chrono_in_test = False
        super().stopTest(test)

    def addError(self, test: unittest.TestCase, err: OptExcInfo) -> None:
        marker = self._report_marker()
        super().addError(test, err)
        self._remember_reports(marker, err)

    def addFailure(self, test: unittest.TestCase, err: OptExcInfo) -> None:
        marker = self._report_marker()
        super().addFailure(test, err)
        self._remember_reports(marker, err)

    def addSubTest(
        self, test: unittest.TestCase, subtest: unittest.TestCase, err: OptExcInfo | None
    ) -> None:
        self._mark_subtest_end(test, subtest, "passed" if err is None else "failed")
        if err is None:
            super().addSubTest(test, subtest, err)
            return
        marker = self._report_marker()
        super().addSubTest(test, subtest, err)
        self._remember_reports(marker, err)

    def __getstate__(self) -> dict[str, Any]:
        # A subtest refers to its test, and on Python < 3.11 the test to its result: Django's
        # parallel runner pickles subtests, and the running story (with its lock) stays here.
        parent = getattr(super(), "__getstate__", None)
        state = dict(parent() if parent is not None else self.__dict__)
        state["_chrono_story"] = None
        return state

    def _mark_subtest_end(
        self, test: unittest.TestCase, subtest: unittest.TestCase, outcome: str
    ) -> None:
        story = self._chrono_story
        if story is None or not self._chrono_in_test:
            return
        try:
            describe = getattr(subtest, "_subDescription", None)
            description = describe() if describe is not None else str(subtest)
            method = getattr(test, test._testMethodName, None)
            code = getattr(method, "__code__", None)
            file, line = (code.co_filename, code.co_firstlineno) if code else ("<unknown>", 0)
            function = getattr(method, "__qualname__", test._testMethodName)
            story.add(marker_event(f"subtest {description} {outcome}", file, line, function))
        except Exception as error:
            # Telling the story must never break the test run.
            if not swallowed(error):
                raise

    def _chrono_failure(self, err: OptExcInfo | None) -> FailureFocus | None:
        """What a reported failure is about, read while its traceback's frames are there."""
        if err is None or isinstance(err, ExcInfoWithStory) or err[1] is None:
            return None  # a story carried in from a worker was marked there
        from chrono._failure import failure_focus

        return failure_focus(err[1], err[2])

    def _chrono_reached(self) -> int:
        """The sequence number of the story's last event so far (0 with no story)."""
        story = self._chrono_story
        events = story.events if story is not None else []
        return events[-1].seq if events else 0

    # -- where the reports are: overridden by results that keep them elsewhere -----------------

    def _report_marker(self) -> Any:
        """A snapshot taken before a failure is reported, to find the entries it adds."""
        return (len(self.errors), len(self.failures))

    def _remember_reports(self, marker: Any, err: OptExcInfo | None) -> None:
        if not self._chrono_in_test:
            return  # setUpClass, tearDownModule and the like: no test, no story
        carried = err.story_text if isinstance(err, ExcInfoWithStory) else None
        errors_before, failures_before = marker
        reached = self._chrono_reached()
        failure = self._chrono_failure(err)
        for reports, before in ((self.errors, errors_before), (self.failures, failures_before)):
            for index in range(before, len(reports)):
                self._chrono_slots.append(((reports, index), carried, reached, failure))

    def _attach_story_text(self, slot: Any, text: str) -> None:
        reports, index = slot
        entry = reports[index]
        # Keep any extra fields a result class stores after the text (Django's SQL log).
        reports[index] = (entry[0], f"{entry[1]}\n{text}\n", *entry[2:])


def _texts_of_parts(
    story: Story, reached: list[int], failures: list[FailureFocus | None]
) -> list[str | None]:
    """Each report's part of the story: the events after the previous report's part, up to
    where the story had reached when it was reported; the last part runs to the end. None for
    a part with no event. The events each report's failure is about are marked."""
    try:
        from chrono._failure import event_marks
        from chrono.render import story_text

        events = story.events
        texts: list[str | None] = []
        told_up_to = 0
        for index, (up_to, failure) in enumerate(zip(reached, failures)):
            last = index == len(reached) - 1
            part = [e for e in events if told_up_to < e.seq and (last or e.seq <= up_to)]
            if has_events(part):
                told_up_to = part[-1].seq
                marks = event_marks(part, failure) if failure is not None else None
                texts.append(story_text(story_part(story, part), None, marks))
            else:
                texts.append(None)
        return texts
    except Exception as error:
        # Telling the story must never break the test run.
        if not swallowed(error):
            raise
        return [None] * len(reached)


_mixed: dict[type[unittest.TestResult], type[ChronoResultMixin]] = {}


def with_stories(result_class: type[_Result]) -> type[_Result]:
    """``result_class`` with ``ChronoResultMixin`` mixed in (itself if it already has it)."""
    if issubclass(result_class, ChronoResultMixin):
        return result_class
    mixed = _mixed.get(result_class)
    if mixed is None:
        mixed = type(
            f"Chrono{result_class.__name__}",
            (ChronoResultMixin, result_class),
            {"__module__": result_class.__module__, "__doc__": result_class.__doc__},
        )
        _mixed[result_class] = mixed
    return mixed  # type: ignore[return-value]


class ChronoTextTestResult(ChronoResultMixin, unittest.TextTestResult):
    """``unittest.TextTestResult`` whose failure and error reports end with the test's story."""


class ChronoTextTestRunner(unittest.TextTestRunner):
    """``unittest.TextTestRunner`` that shows each failing test's story.

    A ``resultclass`` passed in gets ``ChronoResultMixin`` mixed in.
    """

    resultclass = ChronoTextTestResult

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resultclass = with_stories(self.resultclass)


def main(argv: list[str] | None = None) -> None:
    """Run ``python -m unittest`` with ``ChronoTextTestRunner``; exits like it does."""
    if argv is None:
        argv = [f"{os.path.basename(sys.executable)} -m chrono.unittest", *sys.argv[1:]]
    unittest.main(module=None, argv=argv, testRunner=ChronoTextTestRunner)


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy, so that there is one set of
    # classes (pickling, isinstance checks and user subclasses all agree).
    from chrono.unittest import main as _main

    _main()
