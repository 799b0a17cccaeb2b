"""chrono.django: the test runner, the middleware, and the example shop, on real Django.

Django is configured once per process, so every test here runs Django in a subprocess: this
test process (where pytest-django is loaded but left unconfigured) never configures it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("django", reason="needs Django: pip install -e '.[test]'")

REPOSITORY = Path(__file__).resolve().parent.parent
EXAMPLE = REPOSITORY / "examples" / "django_shop"


def run_python(
    directory: Path, *arguments: str, stdin: str | None = None, **environment: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python *arguments`` in ``directory``, chrono on unless ``CHRONO`` is given."""
    variables = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CHRONO", "DJANGO_SETTINGS_MODULE") and not key.startswith("PYTEST_")
    }
    variables["PYTHONPATH"] = str(directory)
    variables.update(environment)
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=directory,
        input=stdin,
        capture_output=True,
        text=True,
        env=variables,
        timeout=300,
        check=False,
    )


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


# -- ChronoDiscoverRunner ------------------------------------------------------------------------

RUNNER_PROJECT = {
    "settings.py": """
        import os

        # Worker processes inherit the environment: a test can tell whether it runs in one.
        os.environ.setdefault("RUNNER_PID", str(os.getpid()))

        SECRET_KEY = "tests"
        INSTALLED_APPS = ["django.contrib.contenttypes", "app"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
        ROOT_URLCONF = "app.urls"
        ALLOWED_HOSTS = ["testserver"]
        MIDDLEWARE = ["chrono.django.ChronoMiddleware"]
        TEST_RUNNER = "chrono.django.ChronoDiscoverRunner"
        USE_TZ = True
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        LOGGING_CONFIG = None
    """,
    "app/__init__.py": "",
    "app/urls.py": """
        from django.http import HttpResponse
        from django.urls import path

        from chrono import tp


        def greet(request):
            tp("in the view", request.GET["name"])
            return HttpResponse("hello")


        urlpatterns = [path("greet", greet)]
    """,
    "app/tests.py": """
        import os

        from django.contrib.contenttypes.models import ContentType
        from django.test import SimpleTestCase, TestCase

        from chrono import tp


        def in_worker():
            return os.getpid() != int(os.environ["RUNNER_PID"])


        class Failing(TestCase):
            def tearDown(self):
                tp("tearing down")

            def test_count(self):
                worker = tp(in_worker())
                count = tp(ContentType.objects.count())
                print("printed by test_count")
                self.assertEqual(count, 99)


        class Erroring(SimpleTestCase):
            def test_lookup(self):
                worker = tp(in_worker())
                tp({"tea": 3})["mug"]


        class Subtests(SimpleTestCase):
            def test_sizes(self):
                worker = tp(in_worker())
                for size in (1, 2, 3):
                    with self.subTest(size=size):
                        tp(size)
                        self.assertLess(size, 3)


        class Passing(SimpleTestCase):
            def test_passes(self):
                tp("passing marker")


        class Quiet(SimpleTestCase):
            def test_fails_quietly(self):
                self.fail("failed without a tp call")


        class ThroughTheClient(SimpleTestCase):
            def test_request(self):
                response = self.client.get("/greet", {"name": "ada"})
                self.assertEqual(response.content, b"goodbye")
    """,
}


@pytest.fixture(scope="module")
def runner_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("runner_project"), RUNNER_PROJECT)


def manage_test(project: Path, *arguments: str, **options: Any) -> subprocess.CompletedProcess[str]:
    return run_python(project, "-m", "django", "test", "--settings=settings", *arguments, **options)


def story_of(output: str, test_id: str) -> str:
    """The story told for ``test_id`` (the first, if several reports carry it)."""
    title = f"chrono story '{test_id}'"
    assert title in output, output
    return output.split(title, 1)[1].split("\n\n", 1)[0]


class TestChronoDiscoverRunner:
    """``TEST_RUNNER = "chrono.django.ChronoDiscoverRunner"`` under ``manage.py test``."""

    def test_failing_test_report_ends_with_its_story(self, runner_project: Path) -> None:
        """A serial run's failure report ends with the story, tearDown's event included."""
        result = manage_test(runner_project, "app.tests.Failing")

        story = story_of(result.stderr, "app.tests.Failing.test_count")
        assert result.returncode == 1
        assert result.stderr.index("AssertionError: 1 != 99") < result.stderr.index(story)
        assert "in_worker()=False" in story
        assert story.index("ContentType.objects.count()=1") < story.index("tearing down")

    def test_stories_travel_back_from_parallel_workers(self, runner_project: Path) -> None:
        """With --parallel 2 each story is recorded in a worker and shown by the main process."""
        result = manage_test(runner_project, "--parallel", "2", "app")

        assert result.returncode == 1
        assert "Cloning test database" in result.stderr
        for test_id in (
            "app.tests.Failing.test_count",
            "app.tests.Erroring.test_lookup",
            "app.tests.Subtests.test_sizes",
        ):
            assert "in_worker()=True" in story_of(result.stderr, test_id)
        assert "tearing down" in story_of(result.stderr, "app.tests.Failing.test_count")
        assert result.stderr.count("chrono story 'app.tests.Subtests.test_sizes'") == 1
        assert "chrono story 'app.tests.Passing" not in result.stderr

    @pytest.mark.parametrize("parallel", [[], ["--parallel", "2"]])
    def test_failure_with_no_event_gets_no_story(
        self, runner_project: Path, parallel: list[str]
    ) -> None:
        """A failure that recorded nothing has no story; a subtest's part ends at its mark."""
        result = manage_test(runner_project, *parallel, "app.tests.Quiet", "app.tests.Subtests")

        assert result.returncode == 1
        assert "AssertionError: failed without a tp call" in result.stderr
        assert "chrono story 'app.tests.Quiet" not in result.stderr
        assert result.stderr.count("chrono story") == 1
        story = story_of(result.stderr, "app.tests.Subtests.test_sizes")
        marks = re.findall(r"subtest \(size=\d\) \w+", story)
        assert marks == [
            "subtest (size=1) passed",
            "subtest (size=2) passed",
            "subtest (size=3) failed",
        ]

    @pytest.mark.parametrize("parallel", [[], ["--parallel", "2"]])
    def test_failing_assertion_marks_its_events(
        self, runner_project: Path, parallel: list[str]
    ) -> None:
        """``self.assertLess(size, 3)`` marks the events recorded as ``size``, in a worker too."""
        result = manage_test(runner_project, *parallel, "app.tests.Subtests")

        story = story_of(result.stderr, "app.tests.Subtests.test_sizes")
        marked = re.findall(r"^> +#\d+ .*  (\S+)$", story, re.MULTILINE)
        assert marked == ["size=1", "size=2", "size=3"]
        assert re.search(
            r"^ +> marks the events about the failing assertion: self\.assertLess\(size, 3\) "
            r"\(\S*tests\.py:\d+ in Subtests\.test_sizes\)$",
            story,
            re.MULTILINE,
        )

    def test_request_made_in_a_test_feeds_its_story(self, runner_project: Path) -> None:
        """A request through the test client puts the view's events in the test's story."""
        result = manage_test(runner_project, "app.tests.ThroughTheClient")

        story = story_of(result.stderr, "app.tests.ThroughTheClient.test_request")
        assert "in the view" in story
        assert "request.GET[\"name\"]='ada'" in story

    def test_debug_sql_keeps_its_sql_report(self, runner_project: Path) -> None:
        """--debug-sql still prints each failure's SQL, after the report with its story."""
        result = manage_test(runner_project, "--debug-sql", "app.tests.Failing")

        story = story_of(result.stderr, "app.tests.Failing.test_count")
        assert result.returncode == 1
        assert result.stderr.index(story) < result.stderr.rindex('FROM "django_content_type"')

    def test_pdb_still_opens_on_failure(self, runner_project: Path) -> None:
        """--pdb stops at the failure, and once pdb is left the report carries the story."""
        result = manage_test(runner_project, "--pdb", "app.tests.Failing", stdin="continue\n")

        assert "Opening PDB: AssertionError('1 != 99')" in result.stdout
        assert "(Pdb)" in result.stdout
        assert "tearing down" in story_of(result.stderr, "app.tests.Failing.test_count")

    def test_buffer_keeps_captured_output_beside_the_story(self, runner_project: Path) -> None:
        """--buffer puts the test's output in its report, and the story after it."""
        result = manage_test(runner_project, "--buffer", "app.tests.Failing")

        assert result.stderr.index("printed by test_count") < result.stderr.index("chrono story")

    def test_failfast_stops_at_the_first_failure(self, runner_project: Path) -> None:
        """--failfast runs no test after the first failure."""
        result = manage_test(
            runner_project, "--failfast", "app.tests.Failing", "app.tests.Erroring"
        )

        assert re.search(r"^Ran 1 test in", result.stderr, re.MULTILINE)
        assert result.stderr.count("chrono story") == 1

    def test_passing_run_shows_no_story(self, runner_project: Path) -> None:
        """A run of passing tests prints no story and exits 0."""
        result = manage_test(runner_project, "-v", "2", "app.tests.Passing")

        assert result.returncode == 0
        assert "chrono story" not in result.stderr
        assert "passing marker" not in result.stderr + result.stdout


# -- ChronoMiddleware ----------------------------------------------------------------------------

MIDDLEWARE_SITE = """
    import asyncio
    import json
    import logging
    import os
    import sys
    import threading

    import django
    from django.conf import settings

    settings.configure(
        DEBUG=True,
        SECRET_KEY="tests",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["chrono.django.ChronoMiddleware"],
        INSTALLED_APPS=[],
        LOGGING_CONFIG=None,
    )
    django.setup()

    from django.core.handlers.wsgi import WSGIHandler
    from django.http import Http404, HttpResponse
    from django.test import AsyncClient, Client
    from django.urls import path

    from chrono import Story, current_story, tp

    CONCURRENT = 4
    records = []


    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)


    logging.getLogger("chrono").addHandler(Keep())
    django_request = logging.getLogger("django.request")
    django_request.setLevel(logging.DEBUG)
    django_request.addHandler(Keep())
    barrier = threading.Barrier(CONCURRENT)


    def crash(request):
        who = request.GET["who"]
        tp(who)
        raise ValueError(f"{who} crashed")


    def ok(request):
        tp("fine")
        return HttpResponse("ok")


    def missing(request):
        tp("looking")
        raise Http404("no such thing")


    def crowded(request):
        who = request.GET["who"]
        tp(who)
        barrier.wait(timeout=30)  # every request is inside its view before any goes on
        tp(who, "after the others arrived")
        raise ValueError(who)


    def interrupted(request):
        tp("interrupted")
        raise KeyboardInterrupt


    async def async_crash(request):
        who = request.GET["who"]
        tp(who)
        await asyncio.sleep(0.05)  # the other requests run meanwhile
        tp(who, "after sleeping")
        raise KeyError(who)


    async def async_ok(request):
        tp("fine, async")
        return HttpResponse("ok")


    urlpatterns = [
        path("crash", crash),
        path("ok", ok),
        path("missing", missing),
        path("interrupted", interrupted),
        path("crowded", crowded),
        path("async-crash", async_crash),
        path("async-ok", async_ok),
    ]


    def quiet_client():
        return Client(raise_request_exception=False)


    def scenario_sync_crash():
        return [quiet_client().get("/crash", {"who": "ada"}).status_code]


    def scenario_sync_reraised():
        try:
            Client().get("/crash", {"who": "ada"})
        except ValueError as error:
            return [type(error).__name__, str(error), getattr(error, "__notes__", None)]
        return ["nothing raised"]


    def scenario_sync_ok():
        return [quiet_client().get("/ok").status_code]


    def scenario_not_found():
        return [quiet_client().get("/missing").status_code]


    def scenario_interrupted():
        try:
            quiet_client().get("/interrupted")
        except KeyboardInterrupt:
            pass
        story = current_story()
        handlers = [type(handler).__name__ for handler in logging.getLogger().handlers]
        return [None if story is None else story.name, handlers]


    def scenario_async_crash():
        async def main():
            return (await AsyncClient(raise_request_exception=False).get("/async-crash?who=ada"))

        return [asyncio.run(main()).status_code]


    def scenario_async_ok():
        async def main():
            return await AsyncClient().get("/async-ok")

        return [asyncio.run(main()).status_code]


    def scenario_threads():
        application = WSGIHandler()
        statuses = []

        def request(who):
            environ = {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": "/crowded",
                "QUERY_STRING": f"who={who}",
                "SERVER_NAME": "testserver",
                "SERVER_PORT": "80",
                "wsgi.url_scheme": "http",
                "wsgi.input": sys.stdin.buffer,
                "wsgi.errors": sys.stderr,
            }
            application(environ, lambda status, headers: statuses.append(status))

        threads = [
            threading.Thread(target=request, args=(f"thread-{n}",)) for n in range(CONCURRENT)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(statuses)


    def scenario_tasks():
        async def main():
            client = AsyncClient(raise_request_exception=False)
            responses = await asyncio.gather(
                *(client.get("/async-crash", {"who": f"task-{n}"}) for n in range(CONCURRENT))
            )
            return [response.status_code for response in responses]

        return asyncio.run(main())


    def scenario_inside_a_story():
        with Story("the test", attach_to_exceptions=False) as outer:
            quiet_client().get("/crash", {"who": "ada"})
        return outer.values("who")


    def describe(record):
        story = getattr(record, "chrono_story", None)
        return {
            "logger": record.name,
            "level": record.levelname,
            "message": record.getMessage(),
            "story_name": story.name if story is not None else None,
            "who": story.values("who") if story is not None else None,
            "seqs": [event.seq for event in story.events] if story is not None else None,
        }


    report = {}
    for name in sys.argv[1:]:
        records.clear()
        outcome = globals()["scenario_" + name.replace("-", "_")]()
        report[name] = {"outcome": outcome, "records": [describe(record) for record in records]}
    print(json.dumps(report))
"""

SCENARIOS = (
    "sync-crash",
    "sync-reraised",
    "sync-ok",
    "not-found",
    "interrupted",
    "async-crash",
    "async-ok",
    "threads",
    "tasks",
    "inside-a-story",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(
        tmp_path_factory.mktemp("middleware_site"), {"middleware_site.py": MIDDLEWARE_SITE}
    )


def run_scenarios(site: Path, *names: str, **environment: str) -> dict[str, Any]:
    """Run scenarios of the site in one process; what each returned and what it logged."""
    result = run_python(site, "middleware_site.py", *names, **environment)
    assert result.returncode == 0, result.stderr
    reported: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return reported


@pytest.fixture(scope="module")
def scenarios(site: Path) -> dict[str, Any]:
    """Every scenario, run once for the whole class (Django takes a while to start)."""
    return run_scenarios(site, *SCENARIOS)


def scenario(scenarios: dict[str, Any], name: str) -> tuple[Any, list[dict[str, Any]]]:
    return scenarios[name]["outcome"], scenarios[name]["records"]


def chrono_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for record in records if record["logger"] == "chrono"]


class TestChronoMiddleware:
    """``chrono.django.ChronoMiddleware``, through Django's own request handlers."""

    def test_crashing_request_logs_its_story(self, scenarios: dict[str, Any]) -> None:
        """A view that raises gets one ERROR record on the chrono logger, with its story."""
        outcome, records = scenario(scenarios, "sync-crash")

        (record,) = chrono_records(records)
        assert outcome == [500]
        assert record["level"] == "ERROR"
        assert record["message"].startswith("GET /crash raised ValueError; chrono story:\n")
        assert "chrono story 'GET /crash'" in record["message"]
        assert record["story_name"] == "GET /crash"
        assert record["who"] == ["'ada'"]

    def test_exception_reaches_the_client_unchanged(self, scenarios: dict[str, Any]) -> None:
        """The view's exception is re-raised as it was: same type, message, and no note."""
        outcome, records = scenario(scenarios, "sync-reraised")

        assert outcome == ["ValueError", "ada crashed", None]
        assert len(chrono_records(records)) == 1

    def test_successful_request_logs_nothing(self, scenarios: dict[str, Any]) -> None:
        """A request that succeeds logs nothing: its story is dropped."""
        outcome, records = scenario(scenarios, "sync-ok")

        assert outcome == [200]
        assert chrono_records(records) == []

    def test_not_found_is_not_a_failure(self, scenarios: dict[str, Any]) -> None:
        """Http404 raised by a view becomes a 404 and logs no story."""
        outcome, records = scenario(scenarios, "not-found")

        assert outcome == [404]
        assert chrono_records(records) == []

    def test_interrupted_request_still_ends_its_story(self, scenarios: dict[str, Any]) -> None:
        """A BaseException from the view stops the story: none is left active, or logging."""
        outcome, records = scenario(scenarios, "interrupted")

        assert outcome == [None, []]
        assert chrono_records(records) == []

    def test_async_view_crash_logs_its_story(self, scenarios: dict[str, Any]) -> None:
        """Under ASGI (AsyncClient) an async view's crash is logged with its events."""
        outcome, records = scenario(scenarios, "async-crash")

        (record,) = chrono_records(records)
        assert outcome == [500]
        assert record["message"].startswith("GET /async-crash raised KeyError; chrono story:")
        assert record["who"] == ["'ada'", "'ada'"]

    def test_async_success_logs_nothing(self, scenarios: dict[str, Any]) -> None:
        """Under ASGI a request that succeeds logs nothing."""
        outcome, records = scenario(scenarios, "async-ok")

        assert outcome == [200]
        assert chrono_records(records) == []

    def test_concurrent_threads_keep_their_stories_apart(self, scenarios: dict[str, Any]) -> None:
        """Requests served at once by WSGI threads each log a story of only their own events."""
        outcome, records = scenario(scenarios, "threads")

        logged = chrono_records(records)
        assert outcome == ["500 Internal Server Error"] * 4
        assert sorted(record["who"][0] for record in logged) == [f"'thread-{n}'" for n in range(4)]
        for record in logged:
            assert record["who"] == [record["who"][0]] * 2
        _assert_interleaved(logged)

    def test_concurrent_tasks_keep_their_stories_apart(self, scenarios: dict[str, Any]) -> None:
        """Requests served at once by asyncio tasks each log a story of only their own events."""
        outcome, records = scenario(scenarios, "tasks")

        logged = chrono_records(records)
        assert outcome == [500] * 4
        assert sorted(record["who"][0] for record in logged) == [f"'task-{n}'" for n in range(4)]
        for record in logged:
            assert record["who"] == [record["who"][0]] * 2
        _assert_interleaved(logged)

    def test_request_events_also_reach_an_enclosing_story(self, scenarios: dict[str, Any]) -> None:
        """A request made inside a test's story feeds that story as well as its own."""
        outcome, records = scenario(scenarios, "inside-a-story")

        assert outcome == ["'ada'"]
        assert chrono_records(records)[0]["who"] == ["'ada'"]

    def test_chrono_off_removes_the_middleware(self, site: Path) -> None:
        """With CHRONO=off Django drops the middleware from its chain, and nothing is logged."""
        outcome, records = scenario(run_scenarios(site, "sync-crash", CHRONO="off"), "sync-crash")

        assert outcome == [500]
        assert chrono_records(records) == []
        assert any(
            "MiddlewareNotUsed('chrono.django.ChronoMiddleware')" in record["message"]
            for record in records
        )


def _assert_interleaved(logged: list[dict[str, Any]]) -> None:
    """Proves the requests really overlapped: each began before any other finished."""
    first_events = [record["seqs"][0] for record in logged]
    last_tp_events = [record["seqs"][1] for record in logged]
    assert max(first_events) < min(last_tp_events)


# -- the example shop ----------------------------------------------------------------------------

#: The example's fixed pricing loop, and the bug it fixed: a per-order discount taken per item.
PRICING_FIX = (
    "shop/pricing.py",
    """\
    subtotal = Decimal("0.00")
    for item in cart.items.select_related("product").order_by("pk"):
        line_total = item.product.price * item.quantity
        tp(item.product.sku, item.quantity, line_total)
        subtotal += line_total
    code = cart.discount_code
    # The code's amount comes off the whole order, once.
    discount = code.discount_on(subtotal, now) if code is not None else Decimal("0.00")
""",
    """\
    subtotal = discount = Decimal("0.00")
    code = cart.discount_code
    for item in cart.items.select_related("product").order_by("pk"):
        line_total = item.product.price * item.quantity
        tp(item.product.sku, item.quantity, line_total)
        subtotal += line_total
        if code is not None:
            discount += code.discount_on(line_total, now)
""",
)

#: The example's lookup of a discount code, and the crash it prevents on an unknown code.
LOOKUP_FIX = (
    "shop/views.py",
    'code = get_object_or_404(DiscountCode, code=tp(request.POST.get("code", "").strip().upper()))',
    'code = DiscountCode.objects.get(code=tp(request.POST.get("code", "").strip().upper()))',
)

EXAMPLE_COMMANDS = {
    "manage.py test": ["manage.py", "test"],
    "manage.py test --parallel 2": ["manage.py", "test", "--parallel", "2"],
    "pytest": ["-m", "pytest", "-p", "no:cacheprovider"],
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of the example shop, to run (and break) without touching the original."""
    return Path(
        shutil.copytree(
            EXAMPLE,
            tmp_path / "django_shop",
            ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", ".pytest_cache"),
        )
    )


def undo_fix(shop: Path, fix: tuple[str, str, str]) -> None:
    """Put the bug back, after checking the example still holds the fix word for word."""
    name, fixed, buggy = fix
    path = shop / name
    source = path.read_text(encoding="utf-8")
    assert source.count(fixed) == 1, f"{name} no longer holds the fix this test undoes"
    path.write_text(source.replace(fixed, buggy), encoding="utf-8")


class TestDjangoShopExample:
    """``examples/django_shop``: its tests pass, and with the bug back they fail with a story."""

    @pytest.mark.parametrize("command", EXAMPLE_COMMANDS)
    def test_example_tests_pass(self, shop: Path, command: str) -> None:
        """The shipped example is fixed: its tests pass under each way of running them."""
        result = run_python(shop, *EXAMPLE_COMMANDS[command])

        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "chrono story" not in output

    @pytest.mark.parametrize("command", EXAMPLE_COMMANDS)
    def test_story_explains_the_per_item_discount(self, shop: Path, command: str) -> None:
        """With the bug back, the failing tests' stories show the discount taken per item."""
        undo_fix(shop, PRICING_FIX)

        result = run_python(shop, *EXAMPLE_COMMANDS[command])

        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "test_five_off_is_taken_once_per_order" in output
        assert "test_checkout_charges_the_discounted_total" in output
        # pytest's report may wrap long lines: compare with runs of whitespace as one space.
        story = " ".join(output.split("chrono story", 1)[1].split())
        for amount in ("16.00", "12.50", "12.00"):
            assert f"self.code='FIVEOFF', amount=Decimal('{amount}'), applies=True" in story
        assert "discount=Decimal('15.00'), total=Decimal('25.50')" in story

    def test_unhandled_crash_is_logged_with_the_request_story(self, shop: Path) -> None:
        """With the lookup bug back, the middleware logs the crashing request's story."""
        undo_fix(shop, LOOKUP_FIX)

        result = run_python(shop, "manage.py", "test", "shop.tests.CheckoutTests")

        assert result.returncode == 1
        logged = re.search(
            # The story's title, then its event lines, each indented.
            r"ERROR chrono: POST (/carts/\d+/code/) raised DoesNotExist; chrono story:\n"
            r"chrono story 'POST \1'[^\n]*\n(  [^\n]*\n)+",
            result.stderr,
        )
        assert logged is not None, result.stderr
        request_story = logged.group(0)
        assert 'request.POST.get("code", "").strip().upper()=\'NOPE\'' in request_story
        test_story = story_of(
            result.stderr, "shop.tests.CheckoutTests.test_unknown_code_is_not_found"
        )
        assert "'NOPE'" in test_story
