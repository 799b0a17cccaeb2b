"""``--chrono-at`` and ``chrono_at``: logpoints for a pytest run.

The specs are checked in ``pytest_configure``, before anything is collected: a bad one is a
usage error (exit 4) naming it. They are live from then until ``pytest_unconfigure``, in every
pytest-xdist worker too (workers get the controller's options), and recorded in each test's
story as ``tp`` events are. A logpoint that never ran is said once, at the end of the run; under
xdist the controller asks its workers which of theirs ran.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from chrono import _logpoints
from chrono._switch import is_enabled
from chrono._values import counted

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

#: What a worker tells the controller: the specs of its logpoints that ran.
_WORKER_OUTPUT_KEY = "chrono_logpoints_ran"


def register(config: pytest.Config) -> None:
    """Check the run's logpoints (a bad one stops the run) and make them live."""
    roots = [str(config.rootpath), str(config.invocation_params.dir)]
    logpoints = []
    # Each error names the setting its spec came from.
    for setting, specs in (
        ("chrono_at", config.getini("chrono_at")),
        ("--chrono-at", config.getoption("chrono_at") or ()),
    ):
        try:
            logpoints += _logpoints.parse_specs(specs, roots)
        except _logpoints.LogpointError as error:
            raise pytest.UsageError(f"{setting}: {error}") from None
    if not logpoints:
        return
    if not is_enabled():
        return  # CHRONO=off: checked, but not installed
    config.pluginmanager.register(LogpointsPlugin(config, logpoints), "chrono-logpoints")


class LogpointsPlugin:
    """The run's logpoints: live until pytest unconfigures, and who says which never ran."""

    def __init__(self, config: pytest.Config, logpoints: list[_logpoints.Logpoint]) -> None:
        self.config = config
        self.logpoints = logpoints
        #: The specs that ran in a worker, when this is an xdist controller (None: no worker
        #: reported).
        self.ran_in_workers: set[str] | None = None
        _logpoints.add(logpoints)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        _logpoints.remove(self.logpoints)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[_WORKER_OUTPUT_KEY] = [
                logpoint.spec for logpoint in self.logpoints if logpoint.hits
            ]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", None) or {}
        ran = output.get(_WORKER_OUTPUT_KEY)
        if ran is not None:
            if self.ran_in_workers is None:
                self.ran_in_workers = set()
            self.ran_in_workers.update(ran)

    def pytest_terminal_summary(self, terminalreporter: TerminalReporter) -> None:
        if hasattr(self.config, "workerinput"):
            return  # the controller says it, for all workers
        ran = self.ran_in_workers
        never = [
            logpoint
            for logpoint in self.logpoints
            if not logpoint.hits and (ran is None or logpoint.spec not in ran)
        ]
        if not never:
            return
        where = ", ".join(logpoint.spec for logpoint in never)
        terminalreporter.write_line(
            f"chrono: {counted(len(never), 'logpoint')} never ran: {where}",
            yellow=True,
        )
