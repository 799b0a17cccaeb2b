"""chrono observes logging and never changes it; disabled, it observes nothing at all.

Every test runs real logging in a fresh interpreter (a script, ``python -m chrono.unittest``,
an inner pytest, Django): reconfiguring logging, or turning chrono off, would otherwise leak
into the rest of the suite.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import threading
from pathlib import Path

import pytest

from helpers import environment, run_python, run_script, write_module
from pytest_plugin_runs import SUBPROCESS, Runner, make_runner, only_section, sections

#: A script that logs inside a story, with chrono or without it (``sys.argv[1]``), and prints
#: the story's log events as JSON on stdout; what logging writes goes to stderr.
LOGGING_SCRIPT = """
    import json
    import logging
    import logging.config
    import sys

    log = logging.getLogger("shop.stock")


    def reconfigure():
        {reconfigure}


    def work():
        log.warning("before: %d left", 3)
        reconfigure()
        log.warning("after: %d left", 2)
        logging.getLogger("shop.quiet").debug("below every level")


    if sys.argv[1] == "plain":
        work()
        print("[]")
    else:
        import chrono

        with chrono.story() as story:
            work()
        print(json.dumps([list(event.items[0]) for event in story.events if event.kind == "log"]))
"""

#: Handlers that write a format of the script's own, to stderr, after the reconfiguration.
RECONFIGURATIONS = {
    "nothing": "pass",
    "dictConfig": """logging.config.dictConfig({
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"own": {"format": "own %(levelname)s %(name)s %(message)s"}},
            "handlers": {"err": {"class": "logging.StreamHandler", "formatter": "own"}},
            "root": {"handlers": ["err"], "level": "INFO"},
        })""",
    "basicConfig(force=True)": (
        'logging.basicConfig(force=True, format="own %(levelname)s %(name)s %(message)s")'
    ),
    "root.handlers = [...]": """handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("own %(levelname)s %(name)s %(message)s"))
        logging.getLogger().handlers = [handler]""",
}


def _run_logging_script(
    directory: Path, reconfigure: str, mode: str, **env: str | None
) -> tuple[str, list[list[str]]]:
    source = LOGGING_SCRIPT.replace("{reconfigure}", reconfigure)
    path = write_module(directory, "logging_script", source)
    result = run_python(str(path), mode, env=environment(**env), cwd=directory)
    assert result.returncode == 0, result.stderr
    return result.stderr, json.loads(result.stdout)


#: The end of a script that defines ``work()``: runs it plainly, or inside a story.
_RUN_WORK = """
if sys.argv[1] == "plain":
    observing = contextlib.nullcontext()
else:
    import chrono

    observing = chrono.story()
with observing:
    work()
"""


def _stderr_plain_and_watched(directory: Path, name: str, source: str) -> tuple[Path, list[str]]:
    """The script ``source`` (which imports contextlib and sys and defines ``work()``) run
    without chrono and inside a story: its path, and its stderr in each run."""
    path = write_module(directory, name, textwrap.dedent(source) + _RUN_WORK)
    return path, [run_python(str(path), mode, cwd=directory).stderr for mode in ("plain", "chrono")]


class TestProgramOutputUnchanged:
    """What the program's logging prints is the same with chrono, on or off, and without it."""

    @pytest.mark.parametrize("reconfiguration", list(RECONFIGURATIONS))
    def test_logging_output_is_byte_identical(self, tmp_path: Path, reconfiguration: str) -> None:
        """stderr (logging's last resort, then the program's own handlers) is byte-identical
        without chrono, with chrono on, and with CHRONO=off."""
        reconfigure = RECONFIGURATIONS[reconfiguration]
        without, _ = _run_logging_script(tmp_path, reconfigure, "plain")
        with_chrono, _ = _run_logging_script(tmp_path, reconfigure, "chrono")
        chrono_off, _ = _run_logging_script(tmp_path, reconfigure, "chrono", CHRONO="off")
        assert without.startswith("before: 3 left\n")
        assert with_chrono == without
        assert chrono_off == without

    def test_failing_handler_report_is_unchanged(self, tmp_path: Path) -> None:
        """logging's report of a record it cannot format ("--- Logging error ---" and the call
        stack) is byte-identical with chrono watching and without it."""
        source = """
            import contextlib
            import logging
            import sys

            logging.basicConfig(format="%(message)s")
            log = logging.getLogger("shop")


            def work():
                log.warning("%d left", "three")

        """
        _, outputs = _stderr_plain_and_watched(tmp_path, "bad_format", source)
        assert "--- Logging error ---" in outputs[0]
        assert "Call stack:" in outputs[0]
        assert outputs[1] == outputs[0]

    def test_handlers_that_walk_the_stack_find_the_callers_frame(self, tmp_path: Path) -> None:
        """A formatter that finds the logging call's frame by walking the stack past logging's
        modules (as structlog's CallsiteParameterAdder does) finds the same frame and module
        with chrono watching as without it."""
        source = """
            import contextlib
            import logging
            import sys


            class CallerFormatter(logging.Formatter):
                def format(self, record):
                    frame = sys._getframe(1)
                    while frame.f_globals.get("__name__", "").startswith("logging"):
                        frame = frame.f_back
                    code = frame.f_code
                    return f"{frame.f_globals['__name__']} {code.co_name} {code.co_filename}"


            handler = logging.StreamHandler()
            handler.setFormatter(CallerFormatter())
            logging.getLogger().handlers = [handler]
            log = logging.getLogger("shop")


            def work():
                log.warning("checked out")

        """
        path, outputs = _stderr_plain_and_watched(tmp_path, "caller_formatter", source)
        assert outputs[0] == f"__main__ work {path}\n"
        assert outputs[1] == outputs[0]

    def test_last_resort_output_under_chrono_unittest(self, tmp_path: Path) -> None:
        """A warning logged in a test reaches stderr through logging's last resort under
        ``python -m chrono.unittest`` exactly as under ``python -m unittest``."""
        write_module(
            tmp_path,
            "test_warns",
            """
            import logging
            import unittest

            class Warns(unittest.TestCase):
                def test_warns(self):
                    logging.getLogger("shop").warning("stock low: %d left", 3)
            """,
        )
        outputs = []
        for module in ("unittest", "chrono.unittest"):
            result = run_python("-m", module, "test_warns", cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            outputs.append(re.sub(r"in \d+\.\d+s", "in <time>", result.stderr))
        assert outputs[0].startswith("stock low: 3 left\n")
        assert outputs[1] == outputs[0]


class TestRecordsJoinWhateverTheHandlers:
    """Log records join the story however the program replaces the root logger's handlers."""

    @pytest.mark.parametrize("reconfiguration", list(RECONFIGURATIONS))
    def test_records_after_reconfiguring_join_the_story(
        self, tmp_path: Path, reconfiguration: str
    ) -> None:
        """Records before and after the reconfiguration are in the story; a record below every
        level is not."""
        _, events = _run_logging_script(tmp_path, RECONFIGURATIONS[reconfiguration], "chrono")
        assert events == [["shop.stock", "before: 3 left"], ["shop.stock", "after: 2 left"]]

    def test_records_logging_drops_stay_out(self, tmp_path: Path) -> None:
        """A record from a disabled logger, below its level, or refused by a logger filter is
        not in the story; one from a logger that does not propagate is."""
        result = run_script(
            tmp_path,
            """
            import logging
            import logging.config

            import chrono

            old = logging.getLogger("old")
            logging.config.dictConfig({"version": 1})  # disables the existing "old" logger
            quiet = logging.getLogger("quiet")
            quiet.setLevel(logging.ERROR)
            filtered = logging.getLogger("filtered")
            filtered.addFilter(lambda record: False)
            alone = logging.getLogger("alone")
            alone.propagate = False
            alone.addHandler(logging.NullHandler())
            with chrono.story() as story:
                old.error("disabled")
                quiet.warning("below the level")
                filtered.error("filtered out")
                alone.error("not propagated")
                logging.getLogger("chrono.django").error("chrono's own")
            print([event.items for event in story.events])
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "[(('alone', 'not propagated'),)]\n"

    def test_logging_is_its_own_outside_stories(self, tmp_path: Path) -> None:
        """Nested stories wrap logging's callHandlers once; when the last one ends, logging's
        own method is back; uninstall() takes chrono out while a story is open."""
        result = run_script(
            tmp_path,
            """
            import logging

            import chrono
            from chrono import _logs

            original = logging.Logger.callHandlers
            with chrono.story() as outer:
                with chrono.story() as inner:
                    assert logging.Logger.callHandlers.__wrapped__ is original
                    logging.getLogger("nested").warning("once in each")
                assert logging.Logger.callHandlers is not original
            assert logging.Logger.callHandlers is original
            with chrono.story() as removed:
                _logs.bridge.uninstall()
                assert logging.Logger.callHandlers is original
                logging.getLogger("removed").warning("not observed")
            print(len(outer.events), len(inner.events), len(removed.events))
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "1 1 0\n"
        assert result.stderr == "once in each\nnot observed\n"

    def test_another_wrapper_over_chronos_keeps_working(self, tmp_path: Path) -> None:
        """A library that wraps callHandlers over chrono's (as Sentry's integration does) keeps
        receiving every record after the story ends, and the next story records each record
        once."""
        result = run_script(
            tmp_path,
            """
            import logging

            import chrono

            seen = []
            with chrono.story() as first:
                chronos = logging.Logger.callHandlers

                def library_call_handlers(logger, record):
                    seen.append(record.getMessage())
                    chronos(logger, record)

                logging.Logger.callHandlers = library_call_handlers
                logging.getLogger("lib").warning("one")
            logging.getLogger("lib").warning("two")
            with chrono.story() as second:
                logging.getLogger("lib").warning("three")
            assert logging.Logger.callHandlers is library_call_handlers
            print(seen, len(first.events), [event.items for event in second.events])
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "['one', 'two', 'three'] 1 [(('lib', 'three'),)]\n"
        assert result.stderr == "one\ntwo\nthree\n"

    def test_method_put_back_behind_chronos_back(self, tmp_path: Path) -> None:
        """When a library puts back the method chrono had wrapped, the next story wraps again
        instead of counting on a wrapper that logging no longer calls."""
        result = run_script(
            tmp_path,
            """
            import logging

            import chrono

            original = logging.Logger.callHandlers
            with chrono.story() as first:
                logging.Logger.callHandlers = original
                logging.getLogger("lib").warning("missed")
            with chrono.story() as second:
                logging.getLogger("lib").warning("seen")
            assert logging.Logger.callHandlers is original
            print(len(first.events), [event.items for event in second.events])
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "0 [(('lib', 'seen'),)]\n"

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
    def test_child_forked_while_a_story_starts_collects_logs(self, tmp_path: Path) -> None:
        """A child forked while another thread held the observer's lock (a story starting) opens
        its own stories and gets its log records, and the parent's story keeps its own."""
        result = run_script(
            tmp_path,
            """
            import logging
            import os
            import threading
            import time
            import warnings

            import chrono
            from chrono import _logs

            log = logging.getLogger("forks")
            held = threading.Event()

            def hold_the_lock():
                with _logs.bridge._lock:
                    held.set()
                    time.sleep(0.5)

            with chrono.story() as parent:
                holder = threading.Thread(target=hold_the_lock)
                holder.start()
                held.wait()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    child = os.fork()
                if child == 0:
                    with chrono.story() as own:
                        log.warning("in the child")
                    print("child", [event.items for event in own.events], flush=True)
                    os._exit(0)
                os.waitpid(child, 0)
                holder.join()
                log.warning("in the parent")
            print("parent", [event.items for event in parent.events])
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            "child [(('forks', 'in the child'),)]",
            "parent [(('forks', 'in the parent'),)]",
        ]

    def test_concurrent_stories_wrap_once(self) -> None:
        """Threads opening and closing stories at once leave exactly logging's own method
        behind, and every story open at a record gets it."""
        import logging

        import chrono

        original = logging.Logger.callHandlers
        barrier = threading.Barrier(8)
        counts: list[int] = []

        def work() -> None:
            barrier.wait()
            for _ in range(50):
                with chrono.story() as story:
                    logging.getLogger("chrono_tests.threads").error("busy")
                counts.append(len(story.events))

        workers = [threading.Thread(target=work) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert logging.Logger.callHandlers is original
        assert len(counts) == 400
        assert min(counts) >= 1


DICT_CONFIG = """
import logging
import logging.config


def configure():
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"own": {"format": "own %(levelname)s %(name)s %(message)s"}},
        "handlers": {"err": {"class": "logging.StreamHandler", "formatter": "own"}},
        "root": {"handlers": ["err"], "level": "INFO"},
    })
"""

TEST_LOGS_AFTER_CONFIGURING = """
import logging

log = logging.getLogger("shop.orders")


def test_reserve():
    {configure}
    log.info("reserving %s", "tea")
    log.warning("stock low")
    assert False
"""


@pytest.fixture
def runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Runner:
    # A fresh interpreter: the inner runs reconfigure logging for the whole process.
    return make_runner(pytester, monkeypatch, SUBPROCESS)


def _run_with_and_without_chrono(runner: Runner) -> pytest.RunResult:
    """Run with chrono, check its story, and check that pytest's captured log and stderr are
    what they are without chrono; returns the run with chrono."""
    result = runner()
    result.assert_outcomes(failed=1)
    story = only_section(result, "chrono story")
    assert re.search(
        r"INFO shop\.orders: reserving tea\n.*WARNING shop\.orders: stock low", story, re.DOTALL
    ), story
    without = runner("-p", "no:chrono")
    without.assert_outcomes(failed=1)
    for title in ("Captured log call", "Captured stderr call"):
        assert sections(result, title) == sections(without, title)
    assert sections(result, "Captured stderr call") == [
        "own INFO shop.orders reserving tea\nown WARNING shop.orders stock low"
    ]
    return result


class TestPytestRunsThatConfigureLogging:
    """In a pytest run, records join the test's story after the project configures logging."""

    def test_dict_config_inside_the_test(self, runner: Runner) -> None:
        """A test that runs dictConfig itself still has its records in its story, and pytest's
        captured log and the project's handler show what they show without chrono."""
        runner.pytester.makepyfile(
            logging_setup=DICT_CONFIG,
            test_orders=TEST_LOGS_AFTER_CONFIGURING.replace(
                "{configure}", "__import__('logging_setup').configure()"
            ),
        )
        result = _run_with_and_without_chrono(runner)
        # The test's dictConfig took pytest's capture handler off the root logger too.
        assert sections(result, "Captured log call") == []

    def test_dict_config_in_a_conftest(self, runner: Runner) -> None:
        """A conftest collected during the run (after the session started) that runs dictConfig
        leaves the records in the story, and in pytest's captured log as without chrono."""
        runner.pytester.makepyfile(logging_setup=DICT_CONFIG)
        checks = runner.pytester.mkdir("checks")
        (checks / "conftest.py").write_text(
            "import logging_setup\n\nlogging_setup.configure()\n", encoding="utf-8"
        )
        (checks / "test_orders.py").write_text(
            TEST_LOGS_AFTER_CONFIGURING.replace("{configure}", "pass"), encoding="utf-8"
        )
        runner.pytester.syspathinsert()
        result = _run_with_and_without_chrono(runner)
        (captured,) = sections(result, "Captured log call")
        assert "reserving tea" in captured
        assert "stock low" in captured


DJANGO_PROJECT = {
    "shop_settings.py": """
        SECRET_KEY = "tests"
        INSTALLED_APPS = ["django.contrib.contenttypes"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.sqlite3"}}
        ROOT_URLCONF = "shop_urls"
        ALLOWED_HOSTS = ["testserver"]
        MIDDLEWARE = ["chrono.django.ChronoMiddleware"]
        USE_TZ = True
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        LOGGING = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"own": {"format": "own %(levelname)s %(name)s %(message)s"}},
            "handlers": {"err": {"class": "logging.StreamHandler", "formatter": "own"}},
            "root": {"handlers": ["err"], "level": "INFO"},
        }
    """,
    "shop_urls.py": """
        import logging

        from django.contrib.contenttypes.models import ContentType
        from django.http import HttpResponse
        from django.urls import path

        from chrono import tp

        log = logging.getLogger("shop.views")


        def reserve(request):
            kinds = tp(ContentType.objects.count())
            log.info("reserving with %d content types", kinds)
            return HttpResponse("reserved")


        urlpatterns = [path("reserve", reserve)]
    """,
    # django.setup() runs while the tests are collected, after the session began: as in a
    # project that sets Django up in its test module rather than through pytest-django.
    "test_shop.py": """
        import logging
        import os

        os.environ["DJANGO_SETTINGS_MODULE"] = "shop_settings"

        import django

        django.setup()

        from django.core.management import call_command
        from django.test import Client

        log = logging.getLogger("shop.tests")


        def test_reserve():
            call_command("migrate", verbosity=0)
            log.info("asking for tea")
            response = Client().get("/reserve")
            assert response.content == b"sold out"
    """,
}


class TestDjangoLoggingSetting:
    """A Django project whose settings.LOGGING replaces the root logger's handlers."""

    def test_story_holds_the_tests_and_the_requests_records(
        self, runner: Runner, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """After django.setup() applied LOGGING, the test's story holds the test's and the
        view's records, and the project's handler and pytest's captured log show them exactly
        as they do with chrono off."""
        pytest.importorskip("django", reason="needs Django: pip install -e '.[test]'")
        for name, source in DJANGO_PROJECT.items():
            write_module(runner.pytester.path, name.removesuffix(".py"), source)
        runner.pytester.syspathinsert()
        result = runner()
        result.assert_outcomes(failed=1)
        story = only_section(result, "chrono story")
        assert re.search(
            r"INFO shop\.tests: asking for tea\n.*ContentType\.objects\.count\(\)=\d+\n.*"
            r"INFO shop\.views: reserving with \d+ content types",
            story,
            re.DOTALL,
        ), story
        (stderr,) = sections(result, "Captured stderr call")
        assert re.fullmatch(
            r"own INFO shop\.tests asking for tea\n"
            r"own INFO shop\.views reserving with \d+ content types",
            stderr,
        ), stderr
        monkeypatch.setenv("CHRONO", "off")
        chrono_off = runner()
        chrono_off.assert_outcomes(failed=1)
        assert sections(chrono_off, "chrono story") == []
        for title in ("Captured log call", "Captured stderr call"):
            assert sections(result, title) == sections(chrono_off, title)


#: A nightly job decorated with a story, logging a warning before it fails.
NIGHTLY = """
    import logging
    import sys

    import chrono
    from chrono import tp

    {switch}
    log = logging.getLogger("nightly")


    @chrono.story("nightly reserve")
    def reserve():
        tp("reserving")
        log.warning("stock low")
        raise RuntimeError("sold out")


    with chrono.story() as story:
        tp("inside")
        log.warning("inside a with")
    print(len(story.events), chrono.current_story())
    reserve()
"""


class TestDisabledStories:
    """Disabled, a story records nothing, attaches nothing and leaves logging alone."""

    @pytest.mark.parametrize(
        ("switch", "env"),
        [("", {"CHRONO": "off"}), ("chrono.disable()", {})],
        ids=["CHRONO=off", "chrono.disable()"],
    )
    def test_story_is_inert(self, tmp_path: Path, switch: str, env: dict[str, str]) -> None:
        """The story collects no event, the traceback carries no story, and the warnings reach
        stderr through logging's last resort."""
        result = run_script(tmp_path, NIGHTLY.replace("{switch}", switch), env=environment(**env))
        assert result.stdout == "0 None\n"
        assert "chrono story" not in result.stderr
        assert result.stderr.startswith("inside a with\nstock low\nTraceback")
        assert result.stderr.endswith("RuntimeError: sold out\n")

    def test_switching_inside_an_open_story(self, tmp_path: Path) -> None:
        """A story opened while on records nothing while chrono is off and resumes when it is on
        again; one opened while off stays empty; an exception leaving a story while chrono is
        off carries no story."""
        result = run_script(
            tmp_path,
            """
            import logging

            import chrono
            from chrono import tp

            log = logging.getLogger("switch")
            with chrono.story() as opened_on:
                tp("on")
                log.warning("on")
                chrono.disable()
                tp("off")
                log.warning("off")
                chrono.enable()
                log.warning("on again")
            print([event.label for event in opened_on.events if event.kind == "tp"])
            print([event.items for event in opened_on.events if event.kind == "log"])

            chrono.disable()
            with chrono.story() as opened_off:
                chrono.enable()
                tp("on inside")
                log.warning("on inside")
            print(len(opened_off.events))

            try:
                with chrono.story():
                    tp("before")
                    chrono.disable()
                    raise RuntimeError("failed while off")
            except RuntimeError as error:
                print(getattr(error, "__notes__", []))
            """,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            "['on']",
            "[(('switch', 'on'),), (('switch', 'on again'),)]",
            "0",
            "[]",
        ]
        assert "chrono story" not in result.stderr

    def test_disabled_import_stays_light(self) -> None:
        """With CHRONO=off, importing chrono imports no logging, rich, executing or asttokens,
        and a story leaves chrono's log observer unloaded."""
        result = run_python(
            "-c",
            "import sys, chrono\n"
            "print(sorted(name for name in sys.modules"
            " if name.split('.')[0] in ('logging', 'rich', 'executing', 'asttokens')))\n"
            "with chrono.story(): pass\n"
            "print('chrono._logs' in sys.modules)",
            env=environment(CHRONO="off"),
        )
        assert result.stdout == "[]\nFalse\n", result.stderr
