"""The HTML report: a self-contained page, checked as markup and driven in headless Chromium.

The browser tests open the page in headless Chromium (``tests/browser.py``), read the DOM after
the page's script ran, and take a screenshot; they skip, saying why, where no Chromium is
installed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

import chrono
from browser import BROWSER_NAMES, Browser, find_browser
from chrono import tp
from chrono.export import html_report
from helpers import strict_chrono

pytest_plugins = ["pytester"]

INJECTION = "<script>document.title='pwned'</script><img src=x id=injected>"


def make_stories() -> list[dict[str, Any]]:
    """Two failing tests' stories: one with a hostile value, a secret, a thread and a log
    record; one bounded so that events were dropped."""
    with chrono.story("tests/test_shop.py::test_checkout[<b>bold</b>]") as first:
        password = "hunter2"
        comment = INJECTION
        tp(password, comment)

        def charge() -> None:
            tp("charging", 42)

        worker = threading.Thread(target=charge, name="payments")
        worker.start()
        worker.join()
        import logging

        logging.getLogger("shop.cart").warning("no discount on %s", "SAVE10")
    with chrono.story("tests/test_shop.py::test_many", max_events=10) as second:
        for number in range(30):
            tp(number)
    test = {"outcome": "failed", "phases": [{"when": "call", "outcome": "failed"}]}
    return [
        {**first.to_dict(), "test": {**test, "id": first.name, "message": "AssertionError: <no>"}},
        {**second.to_dict(), "test": {**test, "id": second.name, "message": None}},
    ]


class _Elements(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.tags


class TestHtmlReportMarkup:
    @pytest.fixture
    def stories(self) -> list[dict[str, Any]]:
        return make_stories()

    @pytest.fixture
    def page(self, stories: list[dict[str, Any]]) -> str:
        return html_report(stories, title="stories <of> tests", root="/")

    def test_is_self_contained(self, page: str) -> None:
        """No element loads anything: no src, no href, no external URL anywhere."""
        for tag, attributes in elements(page):
            assert "src" not in attributes, tag
            assert "href" not in attributes, tag
        assert not re.search(r"https?://", page.split('id="chrono-data"')[0])

    def test_data_cannot_leave_its_script_block(
        self, page: str, stories: list[dict[str, Any]]
    ) -> None:
        """The embedded JSON has no '<' at all, and parses back to the same stories."""
        start = page.index('<script type="application/json" id="chrono-data">')
        block = page[start:].split(">", 1)[1].split("</script>", 1)[0]
        assert "<" not in block
        assert json.loads(block)["stories"] == stories
        assert [tag for tag, _ in elements(page) if tag == "script"] == ["script", "script"]
        assert "hunter2" not in page

    def test_only_its_own_script_may_run(self, page: str) -> None:
        """The content security policy allows exactly the page's script, by its hash."""
        script = page.rsplit("<script>", 1)[1].split("</script>", 1)[0]
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        policy = next(
            attributes["content"]
            for tag, attributes in elements(page)
            if tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy"
        )
        assert policy is not None
        assert f"script-src 'sha256-{digest}'" in policy
        assert "default-src 'none'" in policy

    def test_title_is_escaped(self, page: str) -> None:
        """The page title is text, even with markup characters in it."""
        assert "<title>stories &lt;of&gt; tests</title>" in page

    def test_paths_shortened_as_in_the_terminal(self, tmp_path: Path) -> None:
        """Files show as the terminal story shows them: same-named files by the directory
        that tells them apart, a file alone of its name by its name."""
        files = ["src/shop/orders/models.py", "src/shop/billing/models.py", "src/shop/cart.py"]
        events = [
            {"file": str(tmp_path.joinpath(*file.split("/"))), "line": 1, "function": "f"}
            for file in files
        ]
        page = html_report([{"events": events[:2]}, {"events": events[2:]}], root=str(tmp_path))
        block = page.split('id="chrono-data">', 1)[1].split("</script>", 1)[0]
        paths = json.loads(block)["paths"]
        assert [paths[event["file"]] for event in events] == [
            "orders/models.py",
            "billing/models.py",
            "cart.py",
        ]

    def test_accepts_stories_and_their_data(self) -> None:
        """html_report takes Story objects as well as to_dict() data."""
        with chrono.story("direct") as story:
            tp(1)
        assert '"name":"direct"' in html_report([story])


# -- in a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Browser:
    found = find_browser()
    if found is None:
        pytest.skip(
            "no Chromium installed (looked for " + ", ".join(BROWSER_NAMES) + "); "
            "apt-get install chromium to run the browser tests"
        )
    return found


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    with strict_chrono():
        stories = make_stories()
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html_report(stories, title="chrono stories"), encoding="utf-8")
    return path.as_uri()


@pytest.fixture(scope="module")
def dom(browser: Browser, page_url: str) -> str:
    """The unfiltered page's DOM after its script ran."""
    return browser.dom(page_url)


def rows(dom: str, *, hidden: bool) -> list[str]:
    """The text of the event rows that are (or are not) hidden by the filters."""
    found = []
    for match in re.finditer(r"<tr class=\"event[^\"]*\"( hidden=\"\")?>(.*?)</tr>", dom):
        if bool(match.group(1)) == hidden:
            found.append(re.sub(r"<[^>]+>", "", match.group(2)))
    return found


class TestHtmlReportInBrowser:
    def test_hostile_values_show_as_text(self, dom: str) -> None:
        """A value holding <script> and <img> shows as text; no such element is created."""
        assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img src=x" in dom
        assert 'id="injected"' not in dom
        assert "<title>chrono stories</title>" in dom
        assert [tag for tag, _ in elements(dom) if tag in ("script", "img")] == ["script"] * 2
        assert "tests/test_shop.py::test_checkout[&lt;b&gt;bold&lt;/b&gt;]" in dom
        assert "<b>" not in dom

    def test_shows_secrets_masked(self, dom: str) -> None:
        """The password argument shows as <masked>."""
        assert 'password</span><span class="equals">=</span><span class="value">&lt;masked' in dom
        assert "hunter2" not in dom

    def test_draws_a_lane_per_thread_and_the_dropped_marker(self, dom: str) -> None:
        """Each thread has a lane; the bounded story says where and how many events dropped."""
        lanes = re.findall(r'<div class="lane-name" title="([^"]*)">', dom)
        assert lanes == ["MainThread", "payments", "MainThread"]
        assert "⋯ 20 events dropped here, between #" in dom
        assert 'class="dropped-marker"' in dom
        assert "AssertionError: &lt;no&gt;" in dom

    def test_dropped_marker_names_only_kept_events(self, browser: Browser, tmp_path: Path) -> None:
        """With nothing kept before the gap, the page's marker names only the event after it."""
        with strict_chrono(), chrono.story("bound of one", max_events=1) as story:
            for number in range(4):
                tp(number)
        (kept,) = story.events
        path = tmp_path / "report.html"
        path.write_text(html_report([story]), encoding="utf-8")
        dom = browser.dom(path.as_uri())
        assert f"⋯ 3 events dropped here, before #{kept.seq} ⋯" in dom

    def test_times_leave_chronos_own_work_out(self, browser: Browser, tmp_path: Path) -> None:
        """Event times and the total leave out the story's chrono_spans, as the terminal story
        does, and the summary says how much of chrono's own time the rows leave out."""
        with strict_chrono(), chrono.story("spans") as story:
            tp("first")
            tp("second")
        data = story.to_dict()
        data["started_ns"], data["ended_ns"] = 0, 60_000_000
        data["events"][0]["monotonic_ns"] = 1_000_000
        data["events"][1]["monotonic_ns"] = 50_000_000
        data["chrono_spans"] = [[2_000_000, 49_500_000]]
        path = tmp_path / "spans.html"
        path.write_text(html_report([data]), encoding="utf-8")
        dom = browser.dom(path.as_uri())
        assert re.findall(r'<td class="time">([^<]*)</td>', dom) == ["1.000ms", "2.500ms"]
        assert "over 12.500ms (chrono's own source lookups, 47.500ms, not counted)" in dom
        assert "47.500ms, are not counted" in chrono.Story.from_dict(data).text()

    def test_free_text_filter_from_the_address(self, browser: Browser, page_url: str) -> None:
        """#filter=charging shows only the event that mentions it, and the count says so."""
        dom = browser.dom(page_url + "#filter=charging")
        shown = rows(dom, hidden=False)
        assert len(shown) == 1
        assert shown[0].endswith("payments" + "charging 42")
        assert len(rows(dom, hidden=True)) == 12
        assert ">1 of 13 events<" in dom

    def test_thread_filter_from_the_query(self, browser: Browser, page_url: str) -> None:
        """?thread=payments keeps only the worker thread's events."""
        dom = browser.dom(page_url + "?thread=payments")
        assert [row.count("payments") for row in rows(dom, hidden=False)] == [1]

    def test_test_filter_hides_the_other_stories(self, browser: Browser, page_url: str) -> None:
        """#test=<id> shows that test's story alone."""
        dom = browser.dom(page_url + "#test=" + quote("tests/test_shop.py::test_many"))
        sections = re.findall(r"<section class=\"story\"( hidden=\"\")?>", dom)
        assert sections == [' hidden=""', ""]
        assert ">10 of 13 events<" in dom

    def test_call_site_filter(self, browser: Browser, page_url: str, dom: str) -> None:
        """#site=<call site> keeps only the events recorded at that line."""
        sites = [site for site in re.findall(r'<option value="([^"]+)">', dom) if ".py:" in site]
        counts = {site: sum(site in row for row in rows(dom, hidden=False)) for site in sites}
        loop_site = max(counts, key=lambda site: counts[site])
        assert counts[loop_site] == 10
        filtered = browser.dom(page_url + "#site=" + quote(loop_site))
        shown = rows(filtered, hidden=False)
        assert len(shown) == 10
        assert all(loop_site in row for row in shown)
        assert ">10 of 13 events<" in filtered

    def test_screenshot(self, browser: Browser, page_url: str, tmp_path: Path) -> None:
        """Chromium renders the page to a 1200x800 PNG."""
        path = tmp_path / "report.png"
        browser.screenshot(page_url, path)
        header = path.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        assert (width, height) == (1200, 800)


class TestHtmlOption:
    def test_one_page_with_the_failing_tests_under_xdist(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--chrono-html with -n 2 writes one page holding each failing test's story once."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(
            test_exported_page="""
            import pytest
            from chrono import tp

            def test_passes():
                tp("quiet")

            @pytest.mark.parametrize("n", [1, 2])
            def test_fails(n):
                tp(n)
                assert n == 0
            """
        )
        result = pytester.runpytest_subprocess("-n", "2", "--chrono-html=out/report.html")
        result.assert_outcomes(passed=1, failed=2)
        page = (pytester.path / "out" / "report.html").read_text(encoding="utf-8")
        data = json.loads(page.split('id="chrono-data">', 1)[1].split("</script>", 1)[0])
        ids = sorted(story["test"]["id"] for story in data["stories"])
        assert ids == [
            "test_exported_page.py::test_fails[1]",
            "test_exported_page.py::test_fails[2]",
        ]
        assert data["root"] == str(pytester.path)
        result.stdout.fnmatch_lines(["*chrono: 2 stories in the HTML page *report.html*"])

    def test_page_shows_the_divergences_of_a_real_run(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, browser: Browser
    ) -> None:
        """-n 2 with pytest-rerunfailures: the failing case shows where it diverged from its
        passing sibling, and the flaky test where its failing attempt diverged from the rerun."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(
            test_diverging="""
            import pytest
            from chrono import tp

            ATTEMPTS = []

            @pytest.mark.parametrize("n", [1, 2])
            def test_case(n):
                tp(n)
                assert n == 1

            @pytest.mark.flaky(reruns=1)
            def test_flaky():
                ATTEMPTS.append(1)
                tp(attempt=len(ATTEMPTS))
                assert len(ATTEMPTS) > 1
            """
        )
        result = pytester.runpytest_subprocess(
            "-n", "2", "-p", "rerunfailures", "--chrono-html=report.html"
        )
        assert result.parseoutcomes() == {"passed": 2, "failed": 1, "rerun": 1}
        dom = browser.dom((pytester.path / "report.html").as_uri())
        titles = sorted(table["title"] for table in divergence_tables(dom))
        assert titles == [
            "Where it diverged from test_diverging.py::test_case[1] (passed in this run)",
            "Where the failing attempt diverged from the passing rerun",
        ]
        marked = sorted(value for table in divergence_tables(dom) for value in table["marked"])
        assert marked == ["1", "1", "2", "2"]

    def test_page_is_written_without_failures(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A green run still writes the page (replacing a stale one), saying there is nothing."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(test_exported_green="def test_ok(): pass")
        pytester.makeini("[pytest]\nchrono_html = report.html\n")
        pytester.path.joinpath("report.html").write_text("stale", encoding="utf-8")
        pytester.runpytest().assert_outcomes(passed=1)
        page = (pytester.path / "report.html").read_text(encoding="utf-8")
        assert '"stories":[]' in page


# -- suspects -----------------------------------------------------------------------------------

SEEDED = {
    "limits": """
    from chrono import tp


    def allowed(amount, limit):
        return not tp(amount >= limit)  # the bug: > is right
    """,
    "test_limits": """
    import pytest
    from limits import allowed


    @pytest.mark.parametrize("amount", [1, 5, 9])
    def test_under(amount):
        assert allowed(amount, 10)


    @pytest.mark.parametrize("amount", [10])
    def test_at_the_limit(amount):
        assert allowed(amount, 10)


    def test_over():
        assert not allowed(11, 10)
    """,
}


def _seeded_page(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CHRONO", raising=False)
    pytester.makepyfile(**SEEDED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--chrono-html=report.html")
    result.assert_outcomes(passed=4, failed=1)
    return pytester.path / "report.html"


class TestSuspectsInThePage:
    def test_page_carries_the_suspects(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The failing story's data in the page holds its suspects, #1 the seeded condition."""
        page = _seeded_page(pytester, monkeypatch).read_text(encoding="utf-8")
        data = json.loads(page.split('id="chrono-data">', 1)[1].split("</script>", 1)[0])
        (story,) = data["stories"]
        first = story["suspects"][0]
        assert (first["rank"], first["predicate"], first["failing"], first["passing"]) == (
            1,
            "amount >= limit=True",
            1,
            1,
        )

    def test_suspects_listed_and_their_rows_marked(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, browser: Browser
    ) -> None:
        """The page lists the suspects over the story and marks each one's event row."""
        dom = browser.dom(_seeded_page(pytester, monkeypatch).as_uri())
        assert '<ol class="suspects">' in dom
        assert "amount &gt;= limit=True" in dom
        assert re.search(r'<tr class="event [^"]*suspect-row[^"]*">', dom)

    def test_suspect_lines_listed_with_their_values(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, browser: Browser
    ) -> None:
        """Under --chrono-why the page lists the suspect lines with their source, and the values
        each read failing beside passing, those that differ set apart (an object's address
        differs by nature: not set apart). The story, of no events, draws no timeline."""
        monkeypatch.delenv("CHRONO", raising=False)
        pytester.makepyfile(
            limits="""
            class Limit:
                def __init__(self, value):
                    self.value = value


            def allowed(amount, limit):
                return limit is not None and amount < limit.value  # the bug: <= is right
            """,
            test_limits="""
            import pytest
            from limits import Limit, allowed


            @pytest.mark.parametrize("amount", [1, 5, 10])
            def test_under(amount):
                assert allowed(amount, Limit(10))
            """,
        )
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--chrono-why", "--chrono-html=report.html"
        )
        result.assert_outcomes(passed=2, failed=1)
        dom = browser.dom((pytester.path / "report.html").as_uri())
        assert '<div class="suspect-lines">' in dom
        assert "Suspect lines, ranked by ochiai over 1 failing and 2 passing tests" in dom
        # No tp was written: the story has no events, and no empty timeline or table.
        assert "No events were recorded." in dom
        assert 'class="timeline"' not in dom
        assert 'class="events"' not in dom
        assert '<code class="predicate">return limit is not None and amount &lt; limit.value' in dom
        assert (
            '<tr><td class="name">amount</td><td class="value differs">10</td>'
            '<td class="value differs">1</td></tr>'
        ) in dom
        assert re.search(
            r'<tr><td class="name">limit</td><td class="value">&lt;limits.Limit object at '
            r'0x\w+&gt;</td><td class="value">&lt;limits.Limit object at 0x\w+&gt;</td></tr>',
            dom,
        )


# -- where a failing story diverged from a passing one ------------------------------------------


def checkout(prices: list[int], discount_from: int = 100) -> int:
    running = 0
    for price in prices:
        tp(price)
        discounted = price >= discount_from and tp("discount", price)
        running += price * 9 // 10 if discounted else price
        tp(running)
    return running


#: The lines of checkout's tp calls: each price, the discount, the running total.
PRICE_LINE, DISCOUNT_LINE, RUNNING_LINE = (checkout.__code__.co_firstlineno + n for n in (3, 4, 6))


def diverging_stories() -> list[dict[str, Any]]:
    """A failing case compared with its passing sibling, and a flaky test's failing attempt
    compared with its passing rerun."""
    with strict_chrono():
        with chrono.story("test_shop.py::test_total[120]") as failing:
            checkout([10, 120, 30])
        with chrono.story("test_shop.py::test_total[20]") as passing:
            checkout([10, 20, 30])
        with chrono.story("test_shop.py::test_flaky") as attempt:
            checkout([10, 200])
        with chrono.story("test_shop.py::test_flaky") as rerun:
            checkout([10])
    sibling = chrono.compare(failing, passing)
    flaky = chrono.compare(attempt, rerun, names=("failing attempt", "passing rerun"))
    phases = [{"when": "call", "outcome": "failed"}]
    return [
        {
            **failing.to_dict(),
            "test": {"id": failing.name, "outcome": "failed", "phases": phases, "message": None},
            "divergences": [
                {
                    "compared_with": "sibling",
                    "test": passing.name,
                    "reason": "Compared with [20]: a case of the same test that passed "
                    "in this run.",
                    "divergence": sibling.to_dict(),
                }
            ],
        },
        {
            **attempt.to_dict(),
            "test": {"id": attempt.name, "outcome": "flaky", "phases": phases, "message": None},
            "divergences": [{"compared_with": "passing-rerun", "divergence": flaky.to_dict()}],
        },
    ]


def text_of(markup: str) -> str:
    """The text a reader sees: tags gone, a block's end a space."""
    text = re.sub(r"<[^>]+>", "", markup.replace("</div>", " </div>"))
    return re.sub(r"\s+", " ", text).strip()


def divergence_tables(dom: str) -> list[dict[str, Any]]:
    """Each divergence section's title, sentences, column heads, rows (class and the text of
    each cell), marked values and ran-only-in lines, as the browser left them."""
    found = []
    for section in re.findall(r'<section class="divergence [^"]*".*?</section>', dom, re.S):
        table = re.search(r'<table class="divergence-pairs" aria-describedby="([^"]+)">', section)
        found.append(
            {
                "title": text_of(re.search(r"<h3>(.*?)</h3>", section, re.S).group(1)),
                "sentences": [
                    text_of(text)
                    for text in re.findall(r'<p class="divergence-[^>]*>(.*?)</p>', section)
                ],
                "described_by": table.group(1) if table else None,
                "heads": [
                    text_of(head) for head in re.findall(r'<th scope="col">(.*?)</th>', section)
                ],
                "rows": [
                    (kind, [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)])
                    for kind, row in re.findall(r'<tr class="pair ([^"]*)">(.*?)</tr>', section)
                ],
                "marked": re.findall(r'<mark class="value differs"[^>]*>([^<]*)</mark>', section),
                "only_in": [text_of(line) for line in re.findall(r"<li>(.*?)</li>", section)],
                "past_input": text_of(
                    " ".join(re.findall(r'<tbody class="after-input">(.*?)</tbody>', section))
                ),
            }
        )
    return found


@pytest.fixture(scope="module")
def tables(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The divergences of diverging_stories(), as the browser drew them."""
    path = tmp_path_factory.mktemp("divergence") / "report.html"
    page = html_report(diverging_stories(), root=str(Path(__file__).parent))
    path.write_text(page, encoding="utf-8")
    return divergence_tables(browser.dom(path.as_uri()))


class TestDivergenceInBrowser:
    def test_sibling_side_by_side(self, tables: list[dict[str, Any]]) -> None:
        """The failing case's divergence is a two-column table, failing left and passing
        right: the first pair (price 120 against 20, both marked: the input), the first
        difference past it (the discount, on one side), then the context."""
        sibling = tables[0]
        assert sibling["title"] == (
            "Where it diverged from test_shop.py::test_total[20] (passed in this run)"
        )
        assert sibling["heads"] == [
            "failing test_shop.py::test_total[120]",
            "passed test_shop.py::test_total[20]",
        ]
        site = "test_html_report.py:{} in checkout"
        price, discount, running = (
            site.format(line) for line in (PRICE_LINE, DISCOUNT_LINE, RUNNING_LINE)
        )
        (kind, first), *context = sibling["rows"]
        assert kind == "pair-data first"
        assert re.fullmatch(rf"#\d+ {price} price=120", first[0])
        assert re.fullmatch(rf"#\d+ {price} price=20", first[1])
        assert sibling["marked"][:2] == ["120", "20"]
        assert [
            (kind, [re.sub(r"#\d+ ", "", cell) for cell in cells]) for kind, cells in context
        ] == [
            ("pair-control first", [f"{discount} discount price=120", "(nothing here)"]),
            ("pair-data", [f"{running} running=118", f"{running} running=30"]),
            ("pair-same", [f"{price} price=30", f"{price} price=30"]),
            ("pair-data", [f"{running} running=148", f"{running} running=60"]),
        ]
        assert sibling["marked"][2:] == ["118", "30", "148", "60"]
        assert sibling["only_in"] == [f"ran only in test_shop.py::test_total[120]: {discount} ×1"]

    def test_says_where_and_how_it_diverged(self, tables: list[dict[str, Any]]) -> None:
        """Above the table, why this run was chosen and the terminal's sentences; the table is
        described by the kind, and says what differs past the input."""
        sentences = tables[0]["sentences"]
        assert sentences == [
            "Compared with [20]: a case of the same test that passed in this run.",
            "test_shop.py::test_total[120] and test_shop.py::test_total[20] share their first "
            "2 events (of 7 and 6).",
            "They differ first by input: same call site, other values (price).",
        ]
        assert (
            "Past the input, the control flow diverged: test_shop.py::test_total[120] ran more "
            "here." in tables[0]["past_input"]
        )
        assert tables[0]["described_by"] == "divergence-kind-1"

    def test_flaky_attempt_against_its_rerun(self, tables: list[dict[str, Any]]) -> None:
        """A flaky test's failing attempt is shown against the passing rerun: the rerun's
        story ended where the attempt ran on."""
        flaky = tables[1]
        assert flaky["title"] == "Where the failing attempt diverged from the passing rerun"
        assert flaky["heads"] == ["failing failing attempt", "passed passing rerun"]
        assert (
            "The control flow diverged: passing rerun ended here, failing attempt ran on."
            in (flaky["sentences"])
        )
        assert flaky["rows"][0][1][1] == "(ended)"

    def test_flaky_badge(self, browser: Browser, tmp_path: Path) -> None:
        """A flaky test's story is headed by a flaky badge, not a failed one."""
        path = tmp_path / "report.html"
        path.write_text(html_report(diverging_stories()[1:]), encoding="utf-8")
        dom = browser.dom(path.as_uri())
        assert re.findall(r'<h2><span class="badge badge-(\w+)">(\w+)</span>', dom) == [
            ("flaky", "flaky")
        ]

    def test_hostile_values_in_a_divergence_show_as_text(
        self, browser: Browser, tmp_path: Path
    ) -> None:
        """A compared value and a side's name holding markup show as text; nothing runs."""
        story = diverging_stories()[0]
        divergence = story["divergences"][0]["divergence"]
        divergence["first"]["a"]["items"] = [["price", INJECTION]]
        divergence["a"]["name"] = "<b>failing</b>"
        path = tmp_path / "report.html"
        path.write_text(html_report([story]), encoding="utf-8")
        dom = browser.dom(path.as_uri())
        (table,) = divergence_tables(dom)
        assert table["marked"][0] == (
            "&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img src=x id=injected&gt;"
        )
        assert table["heads"][0] == "failing &lt;b&gt;failing&lt;/b&gt;"
        assert 'id="injected"' not in dom
        assert "<b>" not in dom

    def test_files_of_the_other_side_are_shortened_too(self) -> None:
        """A call site that only the passing side ran is shown by its short path as well."""
        (story, _flaky) = diverging_stories()
        divergence = story["divergences"][0]["divergence"]
        divergence["only_in_b"] = [
            {"file": "/elsewhere/src/shop/other.py", "line": 3, "function": "f", "count": 1}
        ]
        page = html_report([story], root="/elsewhere")
        block = page.split('id="chrono-data">', 1)[1].split("</script>", 1)[0]
        assert json.loads(block)["paths"]["/elsewhere/src/shop/other.py"] == "other.py"
