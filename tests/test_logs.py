"""Log records inside a story: events in their place among the tp events."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import pytest

import chrono
from chrono import Story, tp
from chrono._values import MASK
from helpers import import_source

logger = logging.getLogger("chrono_tests.app")


class TestLogCapture:
    def test_records_become_events_in_order(self) -> None:
        """A log record inside a story is a kind="log" event between the tp events around it."""
        with chrono.story() as story:
            tp("before")
            logger.warning("stock low: %d left", 3)
            tp("after")
        kinds = [event.kind for event in story.events]
        assert kinds == ["tp", "log", "tp"]
        log = story.events[1]
        assert log.label == "WARNING"
        assert log.items == (("chrono_tests.app", "stock low: 3 left"),)
        assert log.function.endswith("test_records_become_events_in_order")
        assert [event.seq for event in story.events] == sorted(event.seq for event in story.events)

    def test_a_message_that_cannot_be_formatted_is_a_placeholder(
        self, recwarn: pytest.WarningsRecorder
    ) -> None:
        """Arguments that do not fit the format (the program's mistake, which logging reports
        itself) leave a placeholder event in the story, and chrono warns of nothing."""
        quiet = logging.getLogger("chrono_tests.quiet")
        quiet.propagate = False  # logging's own report of the mistake is not this test's
        quiet.addHandler(logging.NullHandler())
        with chrono.story() as story:
            quiet.warning("%d left", "three")
        (event,) = story.events
        ((logger_name, message),) = event.items
        assert logger_name == "chrono_tests.quiet"
        # Python's own words (3.9 and 3.10 say "a number", later ones "a real number").
        assert re.fullmatch(
            r"<message failed: TypeError: %d format: a (real )?number is required, not str>",
            message,
        )
        assert [str(warning.message) for warning in recwarn] == []

    def test_log_events_render_with_level_and_logger(self) -> None:
        """The story's text shows a log event's level, logger and message."""
        with chrono.story() as story:
            logger.error("payment declined")
        assert "ERROR chrono_tests.app: payment declined" in story.text()

    def test_exception_info_is_summarised(self) -> None:
        """A record logged with an exception names the exception in its message."""
        with chrono.story() as story:
            try:
                raise ValueError("bad card")
            except ValueError:
                logger.exception("charge failed")
        ((_, message),) = story.events[0].items
        assert message == "charge failed [ValueError: bad card]"

    def test_chrono_logger_is_skipped(self) -> None:
        """Records from the chrono logger (chrono's own output) never enter a story."""
        with chrono.story() as story:
            logging.getLogger("chrono").error("a story being logged")
            logging.getLogger("chrono.django").error("another")
            logging.getLogger("chronology").error("a different library")
        assert [event.items[0][0] for event in story.events] == ["chronology"]

    def test_secrets_in_messages_are_masked(self) -> None:
        """A secret key=value inside a log message is masked like one inside a repr."""
        with chrono.story() as story:
            logger.warning("login password=hunter2 user=ada")
        ((_, message),) = story.events[0].items
        assert message == f"login password={MASK} user=ada"

    def test_new_secret_names_apply_to_a_template_and_message_seen_before(self) -> None:
        """What is secret in a template, and a message masked, are kept for the secrets they
        were read with: after configure() names a new secret, the same record is masked."""
        with chrono.story() as story:
            logger.warning("pin=%s", "1234")
            chrono.configure(secret_names="pin")
            logger.warning("pin=%s", "1234")
            logger.warning("pin=1234")
        messages = [event.items[0][1] for event in story.events]
        assert messages == ["pin=1234", f"pin={MASK}", f"pin={MASK}"]

    def test_the_same_message_again_is_masked_again(self) -> None:
        """A message seen before is masked as it was the first time, however often it comes."""
        with chrono.story() as story:
            for _ in range(3):
                logger.warning("retry with token=%s", "s3cr3t")
        assert [event.items[0][1] for event in story.events] == [f"retry with token={MASK}"] * 3

    def test_long_messages_are_truncated(self) -> None:
        """A message longer than the repr limit is cut, with its full length stated."""
        chrono.configure(repr_limit=50)
        with chrono.story() as story:
            logger.warning("x" * 500)
        ((_, message),) = story.events[0].items
        assert message == "x" * 50 + "… (500 characters in all)"

    def test_records_from_other_threads_are_collected(self) -> None:
        """A process story collects log records from every thread, with the thread's name."""
        with chrono.story() as story:
            worker = threading.Thread(target=lambda: logger.warning("from worker"), name="bg")
            worker.start()
            worker.join()
        (event,) = story.events
        assert event.thread == "bg"

    def test_outside_a_story_nothing_is_collected(self) -> None:
        """Without an active story, logging runs its own callHandlers, not chrono's wrapper."""
        original = logging.Logger.callHandlers
        with chrono.story():
            assert logging.Logger.callHandlers is not original
        assert logging.Logger.callHandlers is original

    def test_nested_stories_wrap_logging_once(self) -> None:
        """Nested stories share one wrapper, removed when the last one ends; each gets the
        record once."""
        original = logging.Logger.callHandlers
        with chrono.story() as outer:
            with chrono.story() as inner:
                assert logging.Logger.callHandlers.__wrapped__ is original  # type: ignore[attr-defined]
                logger.warning("both")
            assert logging.Logger.callHandlers is not original
        assert logging.Logger.callHandlers is original
        assert len(outer.events) == len(inner.events) == 1

    def test_story_without_log_capture(self) -> None:
        """A story made with capture_logs=False gets tp events but no log records."""
        with Story(capture_logs=False) as story:
            tp("kept")
            logger.warning("not kept")
        assert [event.kind for event in story.events] == ["tp"]

    def test_records_below_the_logger_level_are_not_events(self) -> None:
        """The logger's own level decides: a filtered-out record never becomes an event."""
        quiet = logging.getLogger("chrono_tests.quiet")
        quiet.setLevel(logging.ERROR)
        try:
            with chrono.story() as story:
                quiet.warning("filtered")
                quiet.error("kept")
        finally:
            quiet.setLevel(logging.NOTSET)
        assert [event.items[0][1] for event in story.events] == ["kept"]


_SHOP_SOURCE = """
    import logging
    from chrono import tp

    log = logging.getLogger("chrono_tests.shop")
    log.setLevel(logging.INFO)


    def audited(function):
        return function


    class Inventory:
        def reserve(self):
            tp("reserve")
            log.info("reserve")

            def helper():
                tp("helper")
                log.info("helper")

            helper()
            list((tp("each"), log.info("each")) for _ in range(1))

        @audited
        def release(self):
            tp("release")
            log.info("release")

        class Ledger:
            def post(self):
                tp("post")
                log.info("post")


    def warn_for_caller():
        log.warning("caller", stacklevel=2)


    class Checkout:
        def pay(self):
            tp("pay")
            warn_for_caller()
"""


class TestFunctionNames:
    def test_tp_and_log_events_name_the_same_qualified_function(self, tmp_path: Path) -> None:
        """A tp call and a log record side by side name the same Class.method, on any Python:
        in a method, a function or generator expression nested in it, a decorated method and a
        nested class's method."""
        shop = import_source(tmp_path, "shop", _SHOP_SOURCE)
        with chrono.story() as story:
            inventory = shop.Inventory()
            inventory.reserve()
            inventory.release()
            shop.Inventory.Ledger().post()
        names = [(event.kind, event.function) for event in story.events]
        assert names == [
            ("tp", "Inventory.reserve"),
            ("log", "Inventory.reserve"),
            ("tp", "Inventory.reserve.<locals>.helper"),
            ("log", "Inventory.reserve.<locals>.helper"),
            ("tp", "Inventory.reserve.<locals>.<genexpr>"),
            ("log", "Inventory.reserve.<locals>.<genexpr>"),
            ("tp", "Inventory.release"),
            ("log", "Inventory.release"),
            ("tp", "Inventory.Ledger.post"),
            ("log", "Inventory.Ledger.post"),
        ]

    def test_a_record_logged_for_the_caller_names_the_caller(self, tmp_path: Path) -> None:
        """With stacklevel=2 the record's function is the caller's, qualified like its tp's."""
        shop = import_source(tmp_path, "shop_caller", _SHOP_SOURCE)
        with chrono.story() as story:
            shop.Checkout().pay()
        assert [event.function for event in story.events] == ["Checkout.pay", "Checkout.pay"]

    def test_a_record_made_elsewhere_keeps_its_own_function_name(self) -> None:
        """A record whose frame is not on the stack (made elsewhere, handed on) keeps funcName."""
        record = logging.makeLogRecord(
            {
                "name": "chrono_tests.app",
                "levelno": logging.WARNING,
                "levelname": "WARNING",
                "msg": "queued",
                "funcName": "worker_job",
                "lineno": 7,
            }
        )
        with chrono.story() as story:
            logger.handle(record)
        assert [event.function for event in story.events] == ["worker_job"]

    def test_a_call_site_named_once_is_named_alike_each_time(self, tmp_path: Path) -> None:
        """A logging call's qualified name, found on the stack the first time, is the same for
        each record made there after (it is looked for once)."""
        shop = import_source(tmp_path, "shop_again", _SHOP_SOURCE)
        with chrono.story() as story:
            for _ in range(3):
                shop.Inventory().release()
        logged = [event.function for event in story.events if event.kind == "log"]
        assert logged == ["Inventory.release"] * 3
