"""chrono.sentry: stories as breadcrumbs and attachments, with the real sentry-sdk.

The client is real; only its transport is swapped for one that keeps the envelopes it would
have sent, so the tests read exactly what would reach Sentry.
"""

from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sentry_sdk", reason="needs sentry-sdk: pip install -e '.[test]'")

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

import chrono
from chrono._events import marker_event
from chrono._values import MASK
from chrono.sentry import ATTACHMENT_NAME, ATTACHMENT_WIDTH, ChronoIntegration
from helpers import environment, run_script


class KeepEnvelopes(Transport):
    """A Sentry transport that keeps what it is given instead of sending it."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict[str, Any]]:
        return [item.payload.json for env in self.envelopes for item in env.items
                if item.type == "event"]  # fmt: skip

    def attachments(self) -> list[tuple[str, str]]:
        return [
            (item.headers["filename"], item.payload.get_bytes().decode("utf-8"))
            for env in self.envelopes
            for item in env.items
            if item.type == "attachment"
        ]


def chrono_crumbs(event: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in event.get("breadcrumbs", {}).get("values", []) if c["category"] == "chrono"]


@pytest.fixture
def sentry_options() -> dict[str, Any]:
    """Options a test may change before the client starts."""
    return {}


@pytest.fixture
def sent(sentry_options: dict[str, Any]) -> Iterator[KeepEnvelopes]:
    """A real Sentry client with chrono's integration, in a fresh scope, keeping envelopes."""
    transport = KeepEnvelopes()
    options: dict[str, Any] = {
        "dsn": "https://public@sentry.invalid/1",
        "transport": transport,
        "default_integrations": False,
        "integrations": [ChronoIntegration()],
        **sentry_options,
    }
    sentry_sdk.init(**options)
    try:
        with sentry_sdk.isolation_scope():
            yield transport
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


class TestBreadcrumbs:
    def test_tp_events_become_breadcrumbs(self, sent: KeepEnvelopes) -> None:
        """Each tp event in a story is a chrono breadcrumb saying what the story says."""
        with chrono.story("checkout"):
            total = 42
            chrono.tp(total)
            chrono.tp("HERE")
            sentry_sdk.capture_message("checkout failed")
        (event,) = sent.events()
        crumbs = chrono_crumbs(event)
        assert [c["message"] for c in crumbs] == ["total=42", "HERE"]
        first = crumbs[0]
        assert first["level"] == "debug"
        assert first["data"]["file"] == __file__
        assert first["data"]["function"] == "TestBreadcrumbs.test_tp_events_become_breadcrumbs"
        assert first["data"]["thread"] == "MainThread"
        assert first["data"]["task"] is None
        assert crumbs[1]["data"]["seq"] == first["data"]["seq"] + 1

    def test_log_records_become_breadcrumbs_at_their_level(self, sent: KeepEnvelopes) -> None:
        """A log record in a story is a breadcrumb at its own level, logger and message."""
        with chrono.story():
            logging.getLogger("shop.cart").warning("no discount on %s", 120)
            sentry_sdk.capture_message("done")
        (crumb,) = chrono_crumbs(sent.events()[0])
        assert (crumb["level"], crumb["message"]) == ("warning", "shop.cart: no discount on 120")

    def test_subtest_marks_are_not_sent(self, sent: KeepEnvelopes) -> None:
        """A test runner's mark where a subtest ended is no breadcrumb."""
        with chrono.story() as story:
            story.add(marker_event("subtest (x=1) passed", __file__, 1, "test"))
            chrono.tp("after")
            sentry_sdk.capture_message("subtests")
        assert [c["message"] for c in chrono_crumbs(sent.events()[0])] == ["after"]

    def test_events_outside_stories_are_not_sent(
        self, sent: KeepEnvelopes, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A tp call outside any story adds no breadcrumb."""
        chrono.tp(7)
        sentry_sdk.capture_message("outside")
        assert chrono_crumbs(sent.events()[0]) == []
        assert "7" in capsys.readouterr().err

    def test_events_outside_stories_are_sent_when_asked(
        self, sent: KeepEnvelopes, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With add_breadcrumb as chrono's output, an event outside stories is a breadcrumb
        (and is not printed)."""
        chrono.configure(output=chrono.sentry.add_breadcrumb)
        attempts = 3
        chrono.tp(attempts)
        sentry_sdk.capture_message("asked")
        assert [c["message"] for c in chrono_crumbs(sent.events()[0])] == ["attempts=3"]
        assert capsys.readouterr().err == ""

    def test_nested_stories_send_each_event_once(self, sent: KeepEnvelopes) -> None:
        """An event held by two nested stories is one breadcrumb."""
        with chrono.story("outer"):
            chrono.tp(1)
            with chrono.story("inner"):
                chrono.tp(2)
            sentry_sdk.capture_message("nested")
        assert [c["message"] for c in chrono_crumbs(sent.events()[0])] == ["1", "2"]

    def test_secrets_stay_masked(self, sent: KeepEnvelopes) -> None:
        """A secret-looking value is masked in the breadcrumb and the attachment alike."""
        with chrono.story():
            chrono.tp(password="hunter2")
            sentry_sdk.capture_message("login failed")
        (crumb,) = chrono_crumbs(sent.events()[0])
        assert crumb["message"] == f"password={MASK}"
        ((_, text),) = sent.attachments()
        assert "hunter2" not in text
        assert MASK in text

    def test_secrets_known_by_their_form_stay_masked(self, sent: KeepEnvelopes) -> None:
        """A credential under an innocent name (a header line, a URL) is masked in the
        breadcrumbs and the attachment, as is a log record's SQL argument."""
        header = "Authorization: Bearer S3CRET07Xtoken"
        database = "postgres://app:S3CRET07X@db.local/shop"
        with chrono.story():
            chrono.tp(header, database)
            logging.getLogger("db").warning("UPDATE u SET pwd = %s WHERE id = %s", "S3CRET07X", 7)
            sentry_sdk.capture_message("login failed")
        crumbs = [crumb["message"] for crumb in chrono_crumbs(sent.events()[0])]
        assert crumbs[0] == (
            f"header='Authorization: Bearer {MASK}', database='postgres://app:{MASK}@db.local/shop'"
        )
        ((_, text),) = sent.attachments()
        assert all("S3CRET07X" not in shown for shown in [*crumbs, text])

    def test_nothing_is_sent_while_chrono_is_off(self, sent: KeepEnvelopes) -> None:
        """With chrono off, a story sends no breadcrumb and attaches nothing."""
        chrono.disable()
        with chrono.story():
            chrono.tp(1)
            sentry_sdk.capture_message("off")
        assert chrono_crumbs(sent.events()[0]) == []
        assert sent.attachments() == []


def _drop_secrets(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    return None if "secret" in crumb["message"] else crumb


class TestSentryOptions:
    @pytest.mark.parametrize("sentry_options", [{"max_breadcrumbs": 3}])
    def test_max_breadcrumbs_bounds_them_and_the_attachment_keeps_all(
        self, sent: KeepEnvelopes
    ) -> None:
        """Sentry keeps its last max_breadcrumbs; the attached story holds every event."""
        with chrono.story("loop") as story:
            for index in range(10):
                chrono.tp(index)
            try:
                raise ValueError("boom")
            except ValueError:
                sentry_sdk.capture_exception()
        (event,) = sent.events()
        assert [c["message"] for c in chrono_crumbs(event)] == ["index=7", "index=8", "index=9"]
        ((name, text),) = sent.attachments()
        assert name == ATTACHMENT_NAME
        # The story as it stood at the capture: the same lines, though it ran on for longer.
        shown_later = story.text(width=ATTACHMENT_WIDTH).splitlines()
        assert text.splitlines()[1:] == shown_later[1:]
        assert text.startswith("chrono story 'loop' — 10 events over ")
        assert text.count("index=") == 10
        assert event["contexts"]["chrono"] == {"story": "loop", "events": 10, "dropped": 0}

    @pytest.mark.parametrize(
        "sentry_options",
        [
            {
                "before_breadcrumb": lambda crumb, hint: (
                    None if "secret" in crumb["message"] else crumb
                )
            }
        ],
    )
    def test_before_breadcrumb_sees_and_drops_them(self, sent: KeepEnvelopes) -> None:
        """before_breadcrumb decides about chrono's breadcrumbs as about any other."""
        with chrono.story():
            chrono.tp("kept")
            chrono.tp("a secret plan")
            sentry_sdk.capture_message("filtered")
        assert [c["message"] for c in chrono_crumbs(sent.events()[0])] == ["kept"]

    @pytest.mark.parametrize("sentry_options", [{"before_breadcrumb": lambda crumb, hint: 1 / 0}])
    def test_a_raising_before_breadcrumb_does_not_reach_the_program(
        self, sent: KeepEnvelopes
    ) -> None:
        """A before_breadcrumb that raises leaves tp returning its value."""
        with chrono.story():
            assert chrono.tp(5) == 5
            sentry_sdk.capture_message("still captured")
        assert len(sent.events()) == 1

    def test_an_event_outside_a_story_carries_no_attachment(self, sent: KeepEnvelopes) -> None:
        """Only what Sentry captures inside a story carries one."""
        with chrono.story():
            chrono.tp(1)
        sentry_sdk.capture_message("after the story")
        assert sent.attachments() == []
        assert "chrono" not in sent.events()[0].get("contexts", {})


SENTRY_DJANGO_SITE = """
    import json, logging, sys
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False, SECRET_KEY="tests", ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=__name__,
        MIDDLEWARE=["chrono.django.ChronoMiddleware"], INSTALLED_APPS=[], LOGGING_CONFIG=None,
    )
    django.setup()

    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.transport import Transport
    from django.test import Client
    from django.urls import path
    from chrono import tp
    from chrono.sentry import ChronoIntegration

    kept = []

    class Keep(Transport):
        def capture_envelope(self, envelope):
            kept.append(envelope)

    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1", transport=Keep, default_integrations=False,
        integrations=[DjangoIntegration(), LoggingIntegration(level=logging.INFO),
                      ChronoIntegration()],
    )

    logging.getLogger("shop").setLevel(logging.DEBUG)

    def pay(request):
        amount = int(request.GET["amount"])
        tp(amount)
        logging.getLogger("shop").warning("paying %s", amount)
        logging.getLogger("shop").debug("card checked")
        raise ValueError("card declined")

    urlpatterns = [path("pay", pay)]
    status = Client(raise_request_exception=False).get("/pay", {"amount": "30"}).status_code
    events = [i.payload.json for e in kept for i in e.items if i.type == "event"]
    texts = [i.payload.get_bytes().decode() for e in kept for i in e.items
             if i.type == "attachment"]
    crumbs = [(c.get("category"), c.get("message"))
              for c in events[0]["breadcrumbs"]["values"]]
    print(json.dumps({"status": status, "events": len(events), "texts": texts,
                      "crumbs": crumbs}))
"""


def test_a_django_500_carries_the_request_story(tmp_path: Path) -> None:
    """Through ChronoMiddleware and Sentry's Django integration, a 500 carries the request's
    story, once; a log record that Sentry's logging integration made a breadcrumb is not
    repeated."""
    pytest.importorskip("django", reason="needs Django: pip install -e '.[test]'")
    result = run_script(tmp_path, SENTRY_DJANGO_SITE)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert (found["status"], found["events"]) == (500, 1)
    (text,) = found["texts"]
    assert text.startswith("chrono story 'GET /pay'")
    assert "amount=30" in text
    assert "WARNING shop: paying 30" in text
    assert "DEBUG shop: card checked" in text
    # Sentry's logging integration made the WARNING breadcrumb; chrono adds the tp event and
    # the DEBUG record that Sentry's logging integration left out.
    assert [m for c, m in found["crumbs"] if c == "shop"] == ["paying 30"]
    assert [m for c, m in found["crumbs"] if c == "chrono"] == ["amount=30", "shop: card checked"]


def test_without_sentry_sdk_one_message_and_no_exception(tmp_path: Path) -> None:
    """Without sentry-sdk, the integration says so once on stderr and the program goes on."""
    result = run_script(
        tmp_path,
        """
        import sys
        sys.modules["sentry_sdk"] = None  # as if it were not installed
        from chrono import tp, story
        from chrono.sentry import ChronoIntegration
        ChronoIntegration(), ChronoIntegration()
        with story():
            print(tp(3))
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "3\n"
    assert (
        result.stderr.count("chrono: warning: chrono.sentry needs sentry-sdk (the sentry extra)")
        == 1
    )
    assert result.stderr.count("\n") == 1


def test_sentry_sdk_is_not_imported_until_asked(tmp_path: Path) -> None:
    """Stories and tp import neither sentry-sdk nor OpenTelemetry."""
    result = run_script(
        tmp_path,
        """
        import sys
        import chrono
        with chrono.story():
            chrono.tp(1)
        print(sorted(m for m in sys.modules if m.startswith(("sentry_sdk", "opentelemetry"))))
        """,
    )
    assert result.stdout == "[]\n", result.stderr


def test_breadcrumb_texts_match_the_story(sent: KeepEnvelopes) -> None:
    """A breadcrumb says what the story's line says for the same event."""
    with chrono.story() as story:
        items = ["a", "b"]
        chrono.tp(items, n=len(items))
        sentry_sdk.capture_message("compare")
    (crumb,) = chrono_crumbs(sent.events()[0])
    assert crumb["message"] == "items=['a', 'b'], n=2"
    assert crumb["message"] in story.text(width=200)


def test_the_attachment_is_plain_text(sent: KeepEnvelopes) -> None:
    """The attached story is chrono's plain-text form, no colour codes."""
    with chrono.story("plain"):
        chrono.tp(textwrap.dedent("x"))
        sentry_sdk.capture_message("plain")
    ((_, text),) = sent.attachments()
    assert "\x1b[" not in text
    assert text.startswith("chrono story 'plain'")


def test_with_chrono_off_nothing_is_sent_and_nothing_heavy_imported(tmp_path: Path) -> None:
    """Under CHRONO=off, a story under the integration sends no breadcrumb and attaches nothing,
    and neither rich, executing nor asttokens is imported."""
    result = run_script(
        tmp_path,
        """
        import sys
        import sentry_sdk
        from sentry_sdk.transport import Transport
        import chrono
        from chrono.sentry import ChronoIntegration

        kept = []

        class Keep(Transport):
            def capture_envelope(self, envelope):
                kept.append(envelope)

        sentry_sdk.init(dsn="https://public@sentry.invalid/1", transport=Keep,
                        default_integrations=False, integrations=[ChronoIntegration()])
        with chrono.story():
            chrono.tp(1)
            sentry_sdk.capture_message("off")
        items = [item for envelope in kept for item in envelope.items]
        event = [item.payload.json for item in items if item.type == "event"][0]
        print(len(event.get("breadcrumbs", {}).get("values", [])),
              [item.type for item in items],
              sorted(m for m in ("rich", "executing", "asttokens") if m in sys.modules))
        """,
        env=environment(CHRONO="off"),
    )
    assert result.stdout == "0 ['event'] []\n", result.stderr
