"""chrono.otel: stories as spans, events as log records, with the real OpenTelemetry SDK.

The providers are real; their exporters are the SDK's in-memory ones (or, for the fault
tests, exporters that raise or wait), so the tests read exactly what would be exported.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk", reason="needs opentelemetry-sdk: pip install -e '.[test]'")

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

try:  # renamed in opentelemetry-sdk 1.39
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter as InMemoryLogs
    from opentelemetry.sdk._logs.export import LogRecordExporter
except ImportError:  # older SDKs
    from opentelemetry.sdk._logs.export import InMemoryLogExporter as InMemoryLogs
    from opentelemetry.sdk._logs.export import LogExporter as LogRecordExporter

import chrono
import chrono.otel
from chrono._events import marker_event
from chrono._values import MASK
from helpers import environment, run_script


class Exported:
    """What the providers exported, through chrono's instrumentation."""

    def __init__(self, log_exporter: Any = None) -> None:
        self.spans = InMemorySpanExporter()
        self.logs = log_exporter if log_exporter is not None else InMemoryLogs()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))

    def instrument(self, **options: Any) -> chrono.otel.Instrumentation:
        self.instrumentation = chrono.otel.instrument(
            self.tracer_provider, self.logger_provider, **options
        )
        return self.instrumentation

    def records(self) -> list[Any]:
        assert self.instrumentation.flush(10)
        return [data.log_record for data in self.logs.get_finished_logs()]

    def story_spans(self) -> list[Any]:
        assert self.instrumentation.flush(10)
        return [s for s in self.spans.get_finished_spans() if s.name == chrono.otel.SPAN_NAME]


@pytest.fixture
def exported() -> Iterator[Exported]:
    """Real providers with in-memory exporters, instrumented for the test."""
    found = Exported()
    found.instrument()
    try:
        yield found
    finally:
        chrono.otel.uninstrument()


class TestSpans:
    def test_a_story_is_a_child_span_of_the_current_one(self, exported: Exported) -> None:
        """A story is a chrono.story span under the span current where it started."""
        tracer = exported.tracer_provider.get_tracer("app")
        with tracer.start_as_current_span("request") as request, chrono.story("checkout"):
            chrono.tp(1)
        (span,) = exported.story_spans()
        (record,) = exported.records()
        (request_span,) = [s for s in exported.spans.get_finished_spans() if s.name == "request"]
        # Times on one wall clock: the story inside the request, its event inside the story.
        assert request_span.start_time <= span.start_time <= record.timestamp
        assert record.timestamp <= span.end_time <= request_span.end_time
        assert span.parent.span_id == request.get_span_context().span_id
        assert span.context.trace_id == request.get_span_context().trace_id
        assert span.attributes["chrono.story"] == "checkout"
        assert span.attributes["chrono.events"] == 1
        assert span.attributes["chrono.dropped"] == 0
        assert span.status.status_code is StatusCode.UNSET
        assert "chrono.test_id" not in span.attributes

    def test_an_exception_leaving_the_story_sets_error(self, exported: Exported) -> None:
        """A story an exception left is a span with status ERROR naming it."""

        def pay() -> None:
            with chrono.story("pay"):
                chrono.tp(2)
                raise ValueError("declined")

        with pytest.raises(ValueError, match="declined"):
            pay()
        (span,) = exported.story_spans()
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == "ValueError: declined"

    def test_the_status_description_is_masked_and_cut(self, exported: Exported) -> None:
        """The exception's message in the span status is masked and bounded like a repr."""
        message = "rejected token=S3CRET07X " + "x" * 10_000_000
        with pytest.raises(ValueError, match="rejected"), chrono.story("pay"):
            raise ValueError(message)
        (span,) = exported.story_spans()
        description = span.status.description
        assert description.startswith(f"ValueError: rejected token={MASK} xxx")
        assert "S3CRET07X" not in description
        assert description.endswith(" characters in all)")
        assert len(description) < 1_100

    def test_an_exception_whose_str_raises_keeps_its_span(self, exported: Exported) -> None:
        """A __str__ that raises neither loses the span nor reaches the program."""

        class Unprintable(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no text")

        with pytest.raises(Unprintable), chrono.story("pay"):
            raise Unprintable()
        (span,) = exported.story_spans()
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == (
            "TestSpans.test_an_exception_whose_str_raises_keeps_its_span.<locals>.Unprintable:"
            " <str() failed: RuntimeError>"
        )

    def test_the_dropped_count_is_on_the_span(self, exported: Exported) -> None:
        """A bounded story's span says how many events the bound dropped."""
        with chrono.story("loop", max_events=5):
            for index in range(20):
                chrono.tp(index)
        (span,) = exported.story_spans()
        assert (span.attributes["chrono.events"], span.attributes["chrono.dropped"]) == (20, 15)


class TestLogRecords:
    def test_each_event_is_a_log_record_in_the_story_span(self, exported: Exported) -> None:
        """A tp event is a log record in the story span's context, with its call site."""
        with chrono.story():
            total = 42
            chrono.tp(total)
        (record,) = exported.records()
        (span,) = exported.story_spans()
        assert (record.trace_id, record.span_id) == (span.context.trace_id, span.context.span_id)
        assert record.body == "total=42"
        assert record.severity_text == "DEBUG"
        attributes = dict(record.attributes)
        assert attributes["code.filepath"] == __file__
        assert attributes["code.function"] == (
            "TestLogRecords.test_each_event_is_a_log_record_in_the_story_span"
        )
        assert attributes["thread.name"] == "MainThread"
        assert isinstance(attributes["code.lineno"], int)
        assert isinstance(attributes["chrono.seq"], int)

    def test_a_log_record_keeps_its_severity(self, exported: Exported) -> None:
        """A log record in a story is exported at its own severity, with its message."""
        with chrono.story():
            logging.getLogger("shop").error("card %s declined", "visa")
        (record,) = exported.records()
        assert (record.severity_text, record.severity_number.value) == ("ERROR", 17)
        assert record.body == "card visa declined"
        assert record.attributes["log.logger"] == "shop"

    def test_subtest_marks_are_not_sent(self, exported: Exported) -> None:
        """A test runner's mark where a subtest ended is no log record."""
        with chrono.story() as story:
            story.add(marker_event("subtest (x=1) passed", __file__, 1, "test"))
            chrono.tp("after")
        assert [record.body for record in exported.records()] == ["after"]

    def test_secrets_are_masked(self, exported: Exported) -> None:
        """A secret-looking value leaves the process masked."""
        with chrono.story():
            chrono.tp(api_key="sk-live-123")
        (record,) = exported.records()
        assert record.body == f"api_key={MASK}"

    def test_secrets_known_by_their_form_are_masked(self, exported: Exported) -> None:
        """A credential under an innocent name leaves the process masked, in a tp event's
        body and in a log record's."""
        database = "postgres://app:S3CRET07X@db.local/shop"
        with chrono.story():
            chrono.tp(database)
            logging.getLogger("db").warning("INSERT INTO u (name, pwd) VALUES (%s, %s)", "a", "b7")
        bodies = [record.body for record in exported.records()]
        assert bodies == [
            f"database='postgres://app:{MASK}@db.local/shop'",
            f"INSERT INTO u (name, pwd) VALUES (a, {MASK})",
        ]

    def test_nested_stories_send_an_event_once_to_the_innermost(self, exported: Exported) -> None:
        """An event held by nested stories is one log record, in the inner story's span."""
        with chrono.story("outer"):
            chrono.tp("first")
            with chrono.story("inner"):
                chrono.tp("second")
        records = exported.records()
        spans = {span.attributes["chrono.story"]: span for span in exported.story_spans()}
        assert [(r.body, r.span_id) for r in records] == [
            ("first", spans["outer"].context.span_id),
            ("second", spans["inner"].context.span_id),
        ]
        assert spans["inner"].parent is None  # a story span's parent is the program's span

    def test_nothing_outside_stories_or_while_off(
        self, exported: Exported, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Events outside stories, and stories while chrono is off, send nothing."""
        chrono.tp("outside")
        chrono.disable()
        with chrono.story():
            chrono.tp("off")
        assert exported.records() == []
        assert exported.story_spans() == []
        capsys.readouterr()

    def test_events_outside_stories_are_sent_when_asked(
        self, exported: Exported, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With emit as chrono's output, an event outside stories is a log record in the
        program's current span (and is not printed)."""
        chrono.configure(output=chrono.otel.emit)
        tracer = exported.tracer_provider.get_tracer("app")
        with tracer.start_as_current_span("job") as job:
            attempts = 3
            chrono.tp(attempts)
        (record,) = exported.records()
        assert record.body == "attempts=3"
        assert record.span_id == job.get_span_context().span_id
        assert capsys.readouterr().err == ""

    def test_after_uninstrument_nothing_is_sent(self, exported: Exported) -> None:
        """Stories that start after uninstrument() send nothing."""
        instrumentation = exported.instrumentation
        chrono.otel.uninstrument()
        with chrono.story():
            chrono.tp(1)
        assert instrumentation.flush(10)
        assert exported.logs.get_finished_logs() == ()
        assert exported.spans.get_finished_spans() == ()


class RaisingExporter(LogRecordExporter):
    def __init__(self) -> None:
        self.calls = 0

    def export(self, batch: Sequence[Any]) -> Any:
        self.calls += 1
        raise ConnectionError("collector unreachable")

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class WaitingExporter(LogRecordExporter):
    """Blocks every export until the test lets it go."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.exported: list[Any] = []

    def export(self, batch: Sequence[Any]) -> Any:
        self.release.wait(30)
        self.exported.extend(batch)

    def shutdown(self) -> None:
        self.release.set()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class TestFaults:
    def test_a_raising_exporter_does_not_reach_the_program(self) -> None:
        """An exporter that raises leaves tp and the story as they would be without it, and
        the SDK's report of the failure, logged in chrono's thread, is not sent again."""
        exporter = RaisingExporter()
        found = Exported(exporter)
        instrumentation = found.instrument()
        try:
            with chrono.story("raising") as story:
                assert chrono.tp(7) == 7
                assert instrumentation.flush(10)
                assert chrono.tp(8) == 8
                assert instrumentation.flush(10)
            assert instrumentation.flush(10)
            assert [event.items[0][1] for event in story.events if event.kind == "tp"] == [
                "7",
                "8",
            ]
            assert exporter.calls == 2
            assert [s.name for s in found.spans.get_finished_spans()] == ["chrono.story"]
        finally:
            chrono.otel.uninstrument()

    def test_a_blocked_exporter_does_not_stall_the_program(self) -> None:
        """While the exporter is blocked, the program runs its story to the end; past the queue's
        bound events are dropped and counted, and the rest arrive once it is let go."""
        exporter = WaitingExporter()
        found = Exported(exporter)
        instrumentation = found.instrument(queue_size=5)
        try:
            with chrono.story("stalled"):
                for index in range(50):
                    chrono.tp(index)
            # Here the exporter has not been let go: the story ended all the same.
            assert not exporter.release.is_set()
            assert instrumentation.dropped >= 40
            exporter.release.set()
            assert instrumentation.flush(10)
            assert 5 <= len(exporter.exported) == 50 - instrumentation.dropped
            assert [s.name for s in found.spans.get_finished_spans()] == ["chrono.story"]
        finally:
            exporter.release.set()
            chrono.otel.uninstrument()


def test_a_bad_queue_size_is_one_message(capsys: pytest.CaptureFixture[str]) -> None:
    """A queue_size that is not a whole number >= 1 is named once, and the default used."""
    instrumentation = chrono.otel.instrument(queue_size=0)
    try:
        assert instrumentation.sending
        err = capsys.readouterr().err
        assert err == (
            "chrono: warning: chrono.otel.instrument's queue_size must be a whole number >= 1,"
            " not 0; using 10000.\n"
        )
    finally:
        chrono.otel.uninstrument()


def test_without_opentelemetry_one_message_and_no_exception(tmp_path: Path) -> None:
    """Without opentelemetry-api, instrument() says so once and the program goes on."""
    result = run_script(
        tmp_path,
        """
        import sys
        sys.modules["opentelemetry"] = None  # as if it were not installed
        import chrono.otel
        from chrono import story, tp
        instrumentation = chrono.otel.instrument()
        with story():
            print(tp(3), instrumentation.sending)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "3 False\n"
    assert result.stderr.startswith("chrono: warning: chrono.otel needs opentelemetry-api")
    assert result.stderr.count("\n") == 1


PYTEST_CONFTEST = """
    import json
    import pytest
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    import chrono.otel

    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    instrumentation = chrono.otel.instrument(tracer_provider=provider)

    def pytest_sessionfinish(session):
        instrumentation.flush(10)
        found = [dict(s.attributes) for s in spans.get_finished_spans()]
        with open("spans.json", "w") as file:
            json.dump(found, file)
"""


def test_a_tests_story_is_a_span_with_its_test_id(pytester: pytest.Pytester) -> None:
    """Under the pytest plugin, each test's story is a span that names the test."""
    pytester.makeconftest(PYTEST_CONFTEST)
    pytester.makepyfile(
        test_shop="""
        from chrono import tp

        def test_total():
            tp(3)
            assert False
        """
    )
    result = pytester.runpytest_subprocess("-p", "chrono")
    result.assert_outcomes(failed=1)
    (span,) = json.loads((pytester.path / "spans.json").read_text())
    assert span["chrono.test_id"] == "test_shop.py::test_total"
    assert span["chrono.story"] == "test_shop.py::test_total"
    assert span["chrono.events"] == 1


DJANGO_OTEL_SITE = """
    import json
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False, SECRET_KEY="tests", ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=__name__,
        MIDDLEWARE=["chrono.django.ChronoMiddleware"], INSTALLED_APPS=[], LOGGING_CONFIG=None,
    )

    from opentelemetry import _logs, trace
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    try:
        from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter as InMemoryLogs
    except ImportError:
        from opentelemetry.sdk._logs.export import InMemoryLogExporter as InMemoryLogs

    spans, logs = InMemorySpanExporter(), InMemoryLogs()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(tracer_provider)
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    _logs.set_logger_provider(logger_provider)

    DjangoInstrumentor().instrument()
    django.setup()

    import chrono.otel
    from chrono import tp
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import path

    instrumentation = chrono.otel.instrument()  # the global providers

    def order(request):
        item = request.GET["item"]
        tp(item)
        tp(quantity=int(request.GET["quantity"]))
        return HttpResponse("ok")

    urlpatterns = [path("order", order)]
    status = Client().get("/order", {"item": "tea", "quantity": "2"}).status_code
    instrumentation.flush(10)
    print(json.dumps({
        "status": status,
        "spans": [
            [s.name, s.context.trace_id, s.context.span_id, s.parent and s.parent.span_id]
            for s in spans.get_finished_spans()
        ],
        "logs": [
            [d.log_record.body, d.log_record.trace_id, d.log_record.span_id]
            for d in logs.get_finished_logs()
        ],
    }))
"""


def test_a_django_request_is_one_trace_with_its_story(tmp_path: Path) -> None:
    """With OpenTelemetry's Django instrumentation, a request is one trace: its span, the
    story's span under it, and the story's events as log records in the story's span."""
    pytest.importorskip(
        "opentelemetry.instrumentation.django",
        reason="needs opentelemetry-instrumentation-django: pip install -e '.[test]'",
    )
    result = run_script(tmp_path, DJANGO_OTEL_SITE)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["status"] == 200
    by_name = {
        name: (trace_id, span_id, parent) for name, trace_id, span_id, parent in found["spans"]
    }
    assert set(by_name) == {"chrono.story", "GET order"}
    request_trace, request_span, _ = by_name["GET order"]
    story_trace, story_span, story_parent = by_name["chrono.story"]
    assert (story_trace, story_parent) == (request_trace, request_span)
    assert found["logs"] == [
        ["item='tea'", request_trace, story_span],
        ["quantity=2", request_trace, story_span],
    ]


def test_with_chrono_off_nothing_is_sent_and_nothing_heavy_imported(tmp_path: Path) -> None:
    """Under CHRONO=off, an instrumented story makes no span and no log record, starts no
    thread, and imports neither rich, executing nor asttokens."""
    result = run_script(
        tmp_path,
        """
        import sys, threading
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk._logs import LoggerProvider
        import chrono, chrono.otel

        instrumentation = chrono.otel.instrument(TracerProvider(), LoggerProvider())
        with chrono.story():
            chrono.tp(1)
        print(instrumentation.flush(5), [t.name for t in threading.enumerate()],
              sorted(m for m in ("rich", "executing", "asttokens") if m in sys.modules))
        """,
        env=environment(CHRONO="off"),
    )
    assert result.stdout == "True ['MainThread'] []\n", result.stderr
