"""A pytest plugin for ``bench_plugin.py``: how long chrono's own pytest hooks take.

Loaded with ``-p plugin_hook_timer`` (the benchmarks folder on ``PYTHONPATH``), so it is
imported before pytest loads entry points. It imports ``chrono.pytest_plugin`` itself, timing
the import, and wraps ``ChronoPlugin``'s per-test hooks with timers before pytest registers
the plugin. Only the hooks' own work is counted, not the test phases they wrap. The part of it
spent comparing stories (``chrono._pytest_compare``: each test's report handed over, and the
comparisons and the cache at the end) is also counted on its own. At the end of the session the
totals go, as JSON, to the file named by ``CHRONO_HOOK_TIMES``.

A busy machine makes whole-run wall times noisy; this figure is the plugin's cost alone.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Generator
from typing import Any, Callable

_import_started = time.perf_counter()
import chrono.pytest_plugin as chrono_plugin  # noqa: E402

_import_seconds = time.perf_counter() - _import_started
import chrono._pytest_compare as chrono_compare  # noqa: E402

_Totals = dict[str, float]
_totals: _Totals = {"seconds": 0.0, "cpu_seconds": 0.0, "calls": 0}
#: Within the hooks' time (a test's report), or beside it (the session's end).
_compare_totals: _Totals = {"seconds": 0.0, "cpu_seconds": 0.0, "calls": 0}

_Wrapper = Callable[..., Generator[None, Any, Any]]


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.thread_time()


def _count(started: tuple[float, float], totals: _Totals = _totals) -> None:
    wall, cpu = _now()
    totals["seconds"] += wall - started[0]
    totals["cpu_seconds"] += cpu - started[1]


def _timed_wrapper(method: _Wrapper) -> _Wrapper:
    """Time a hook wrapper's code before and after its ``yield``, not what it wraps."""

    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
        _totals["calls"] += 1
        started = _now()
        inner = method(*args, **kwargs)
        try:
            next(inner)
        finally:
            _count(started)
        try:
            outcome = yield
        except BaseException as error:
            return _finish(functools.partial(inner.throw, error))
        return _finish(functools.partial(inner.send, outcome))

    return timed


def _finish(resume: Callable[[], object]) -> Any:
    """Run a hook wrapper's code after its ``yield``, timed; its return value."""
    started = _now()
    try:
        resume()
    except StopIteration as stop:
        return stop.value
    finally:
        _count(started)
    raise RuntimeError("a hook wrapper yielded twice")


def _timed(method: Callable[..., Any], totals: _Totals = _totals) -> Callable[..., Any]:
    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> Any:
        totals["calls"] += 1
        started = _now()
        try:
            return method(*args, **kwargs)
        finally:
            _count(started, totals)

    return timed


_plugin_class: Any = chrono_plugin.ChronoPlugin
_plugin_class.pytest_runtest_protocol = _timed_wrapper(_plugin_class.pytest_runtest_protocol)
_plugin_class.pytest_runtest_makereport = _timed_wrapper(_plugin_class.pytest_runtest_makereport)
_plugin_class.pytest_runtest_call = _timed_wrapper(_plugin_class.pytest_runtest_call)
# The hooks on every report, registered where they have work (subtests, colour, show=all).
_subtest_reports: Any = chrono_plugin._SubtestReports
_subtest_reports.pytest_runtest_logreport = _timed(_subtest_reports.pytest_runtest_logreport)
_reports_logged: Any = chrono_plugin._ReportsLogged
_reports_logged.pytest_runtest_logreport = _timed(_reports_logged.pytest_runtest_logreport)
_recorder: Any = chrono_compare.Recorder
_recorder.on_report = _timed(_recorder.on_report, _compare_totals)
_recorder.on_subtest = _timed(_recorder.on_subtest, _compare_totals)
_gatherer: Any = chrono_compare.Gatherer
_gatherer.pytest_sessionfinish = _timed(_gatherer.pytest_sessionfinish, _compare_totals)
_workers_reports: Any = chrono_compare._WorkersReports
_workers_reports.pytest_runtest_logreport = _timed(
    _workers_reports.pytest_runtest_logreport, _compare_totals
)


def pytest_unconfigure() -> None:
    path = os.environ.get("CHRONO_HOOK_TIMES")
    if path:
        totals = {
            **_totals,
            "import_seconds": _import_seconds,
            "compare_seconds": _compare_totals["seconds"],
            "compare_cpu_seconds": _compare_totals["cpu_seconds"],
        }
        with open(path, "w", encoding="utf-8") as file:
            json.dump(totals, file)
