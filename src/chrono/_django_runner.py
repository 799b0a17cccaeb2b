"""``ChronoDiscoverRunner``: Django's test runner, with each failing test's story in its report.

Serial runs mix ``ChronoResultMixin`` into whichever result class Django picked (plain,
``--debug-sql`` or ``--pdb``). Under ``--parallel`` the tests run in worker processes, which
send their results back as pickled events; there the story is recorded in the worker and
travels with each failure (``ExcInfoWithStory``), and the main process appends it to the report
just as it does for its own tests.
"""

from __future__ import annotations

import unittest
from typing import Any

from django.test.runner import (  # type: ignore[import-untyped]
    DiscoverRunner,
    ParallelTestSuite,
    RemoteTestResult,
    RemoteTestRunner,
)

from chrono.unittest import ChronoResultMixin, ExcInfoWithStory, with_stories

_REPORT_EVENTS = frozenset({"addError", "addFailure", "addSubTest"})


class ChronoRemoteTestResult(ChronoResultMixin, RemoteTestResult):  # type: ignore[misc]
    """The worker side: failures are events in ``self.events``; the story rides on them."""

    def _report_marker(self) -> Any:
        return len(self.events)

    def _remember_reports(self, marker: Any, err: Any) -> None:
        if not self._chrono_in_test:
            return
        reached = self._chrono_reached()
        failure = self._chrono_failure(err)
        for index in range(marker, len(self.events)):
            if self.events[index][0] in _REPORT_EVENTS:
                self._chrono_slots.append((index, None, reached, failure))

    def _attach_story_text(self, slot: Any, text: str) -> None:
        # The exception triple is the last field of each report event; the events are pickled
        # only when the worker's share of the suite is done, so replacing it here is in time.
        event = self.events[slot]
        self.events[slot] = (*event[:-1], ExcInfoWithStory(event[-1], text))


class ChronoRemoteTestRunner(RemoteTestRunner):  # type: ignore[misc]
    """Runs a worker's share of the suite with ``ChronoRemoteTestResult``."""

    resultclass = ChronoRemoteTestResult


class ChronoParallelTestSuite(ParallelTestSuite):  # type: ignore[misc]
    """Django's parallel suite, with workers that record stories."""

    runner_class = ChronoRemoteTestRunner


class ChronoDiscoverRunner(DiscoverRunner):  # type: ignore[misc]
    """``DiscoverRunner`` that adds each failing test's story to its report.

    Use it with ``TEST_RUNNER = "chrono.django.ChronoDiscoverRunner"``, or subclass it. Every
    option of ``manage.py test`` keeps working, ``--parallel`` included.
    """

    parallel_test_suite = ChronoParallelTestSuite

    def get_resultclass(self) -> type[unittest.TestResult]:
        picked: type[unittest.TestResult] | None = super().get_resultclass()
        return with_stories(picked or unittest.TextTestResult)
