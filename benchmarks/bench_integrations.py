"""What one event costs the program with Sentry or OpenTelemetry on, beside tp alone and beside
each SDK's own call.

    python benchmarks/bench_integrations.py [--rounds 21] [--runs 3]

Contenders, interleaved round by round (the order rotates), each timed on the calling thread's
CPU clock, net of an empty loop:

* ``tp(42)`` in a story, nothing instrumented: the baseline (the recorder's fast lane);
* ``tp(42)`` in a story under ``ChronoIntegration``: the event becomes a Sentry breadcrumb;
* ``sentry_sdk.add_breadcrumb(...)`` with a breadcrumb like chrono's: Sentry's own call;
* ``tp(42)`` in a story under ``chrono.otel.instrument()``: the event is queued for chrono's
  exporting thread (whose work is the next line, paid in that thread, not the program's);
* ``Logger.emit(LogRecord(...))`` of the OpenTelemetry SDK, with a log record like chrono's,
  through a batch processor to an exporter that drops it: the SDK's own call.

Each contender's story starts before its round and stops after it (not timed), so that each
round sees the integration as a story that starts under it does. The Sentry client sends
nothing (its transport drops envelopes). Nothing is asserted: each target prints PASS or MISS.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sentry_sdk
from _harness import (
    UNROLL,
    Target,
    environment_lines,
    format_table,
    loop_for,
    nanoseconds,
    spread,
    targets_table,
)
from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.trace import TracerProvider
from sentry_sdk.transport import Transport

import chrono
import chrono.otel
from chrono.sentry import ChronoIntegration

CALLS = 20_000


class DropEnvelopes(Transport):
    def capture_envelope(self, envelope: Any) -> None:
        pass


class DropLogs(LogRecordExporter):
    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


@dataclass
class Case:
    """One contender: ``name(x)`` in the loop, with what its round needs around it."""

    label: str
    name: str
    callee: Callable[..., Any]
    argument: Any
    before: Callable[[], Any] = lambda: None
    after: Callable[[Any], None] = lambda _state: None
    runs: list[list[float]] = field(default_factory=list)

    @property
    def per_call_ns(self) -> float:
        return statistics.median(statistics.median(rounds) for rounds in self.runs)


def ratio(top: Case, bottom: Case) -> float:
    return statistics.median(
        statistics.median(a / b for a, b in zip(upper, lower))
        for upper, lower in zip(top.runs, bottom.runs)
    )


def _cpu_ns(loop: Callable[[int, Any, Any], None], callee: Any, argument: Any) -> int:
    start = time.thread_time_ns()
    loop(CALLS // UNROLL, callee, argument)
    return time.thread_time_ns() - start


def measure(cases: Sequence[Case], rounds: int, runs: int) -> None:
    empty = loop_for("pass")
    for case in cases:  # warm every call site and cache first
        state = case.before()
        loop_for(case.name)(100, case.callee, case.argument)
        case.after(state)
    for _ in range(runs):
        for case in cases:
            case.runs.append([])
        for index in range(rounds):
            shift = index % len(cases)
            for case in [*cases[shift:], *cases[:shift]]:
                state = case.before()
                spent = _cpu_ns(loop_for(case.name), case.callee, case.argument)
                case.after(state)
                idle = _cpu_ns(empty, None, None)
                case.runs[-1].append(max(spent - idle, 1) / CALLS)


def story_case(
    label: str, name: str, instrument: Callable[[], Any], stop: Callable[[], Any]
) -> Case:
    def before() -> Any:
        instrument()
        story = chrono.story(label)
        story.start()
        return story

    def after(story: Any) -> None:
        story.stop()
        stop()

    return Case(label, name, chrono.tp, 42, before, after)


def _no_op() -> None:
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()

    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=DropEnvelopes,
        default_integrations=False,
        integrations=[ChronoIntegration()],
    )
    sentry_integration = sentry_sdk.get_client().get_integration(ChronoIntegration)
    assert sentry_integration is not None

    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(DropLogs(), max_queue_size=4 * CALLS)
    )
    tracer_provider = TracerProvider()
    sdk_logger = logger_provider.get_logger("bench")
    instrumentation: list[chrono.otel.Instrumentation] = []

    def otel_on() -> None:
        instrumentation.append(
            chrono.otel.instrument(tracer_provider, logger_provider, queue_size=10 * CALLS)
        )

    def otel_off() -> None:
        chrono.otel.uninstrument()
        instrumentation.pop().flush(60)  # the exporting thread's work, outside the timing

    def sentry_on() -> None:
        sentry_integration.breadcrumbs = True

    def sentry_off() -> None:
        sentry_integration.breadcrumbs = False

    sentry_off()
    crumb = {
        "type": "default",
        "category": "chrono",
        "level": "debug",
        "message": "value=42",
        "data": {"seq": 1, "file": __file__, "line": 1, "function": "f", "thread": "MainThread",
                 "task": None},
    }  # fmt: skip

    def add_breadcrumb(crumb: dict[str, Any]) -> None:
        sentry_sdk.add_breadcrumb(dict(crumb, timestamp=datetime.now(timezone.utc)))

    def emit(body: str) -> None:
        sdk_logger.emit(
            LogRecord(
                timestamp=time.time_ns(),
                severity_text="DEBUG",
                severity_number=SeverityNumber.DEBUG,
                body=body,
                attributes={
                    "code.filepath": __file__,
                    "code.lineno": 1,
                    "code.function": "f",
                    "thread.name": "MainThread",
                    "chrono.seq": 1,
                    "chrono.kind": "tp",
                },
            )
        )

    nothing = story_case(
        "tp(42) in a story, nothing instrumented", "tp", lambda: None, lambda: None
    )
    cases = [
        nothing,
        story_case("tp(42) in a story, Sentry ChronoIntegration", "tp", sentry_on, sentry_off),
        Case("sentry_sdk.add_breadcrumb(<a crumb like chrono's>)", "crumb", add_breadcrumb, crumb),
        story_case("tp(42) in a story, chrono.otel.instrument()", "tp", otel_on, otel_off),
        Case("otel Logger.emit(LogRecord(<like chrono's>)), batch", "emit", emit, "value=42"),
    ]
    measure(cases, arguments.rounds, arguments.runs)

    print("\n".join(environment_lines()))
    print(f"CPU time of the calling thread per call, {CALLS:,} calls a round, "
          f"{arguments.rounds} rounds x {arguments.runs} runs, median of medians\n")  # fmt: skip
    rows = []
    for case in cases:
        per_run = [statistics.median(rounds) for rounds in case.runs]
        rows.append(
            [
                case.label,
                nanoseconds(case.per_call_ns),
                spread(per_run, nanoseconds),
                f"{ratio(case, nothing):.2f}x",
            ]
        )
    print(format_table(["contender", "per call", "runs", "vs tp alone"], rows))
    _, sentry_tp, breadcrumb, otel_tp, logger_emit = cases
    chrono_share = sentry_tp.per_call_ns - nothing.per_call_ns - breadcrumb.per_call_ns
    otel_extra = otel_tp.per_call_ns - nothing.per_call_ns
    print()
    print(
        targets_table(
            [
                Target(
                    "Sentry: chrono's share of a breadcrumb, beyond Sentry's own call",
                    "<= add_breadcrumb",
                    f"{nanoseconds(chrono_share)} ({chrono_share / breadcrumb.per_call_ns:.2f}x)",
                    chrono_share <= breadcrumb.per_call_ns,
                    "tp with the integration, less tp alone, less add_breadcrumb",
                ),
                Target(
                    "OpenTelemetry: what the program's thread pays per event",
                    "<= Logger.emit",
                    f"{nanoseconds(otel_extra)} ({otel_extra / logger_emit.per_call_ns:.2f}x)",
                    otel_extra <= logger_emit.per_call_ns,
                    "tp with instrument(), less tp alone; the emit itself is paid in chrono's"
                    " exporting thread",
                ),
            ]
        )
    )


if __name__ == "__main__":
    main()
