"""Stories and divergences display themselves in notebooks (HTML) and in IPython (plain text)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

import chrono
from browser import find_browser
from chrono import render, tp
from chrono._story import Story


def recorded(name: str, values: list[int]) -> Story:
    """A story of one ``tp`` call per value."""
    with chrono.story(name) as story:
        for value in values:
            tp(value)
    return story


def visible_text(fragment: str) -> str:
    """What an HTML fragment shows: its tags left out, its entities read."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


class TestStoryHtml:
    def test_the_html_says_what_the_terminal_says(self) -> None:
        """The HTML shows the story's lines exactly as its plain text at the same width."""
        story = recorded("nb", [1, 2, 3])
        shown = visible_text(story._repr_html_())
        assert shown.rstrip("\n").splitlines() == story.text(width=render.HTML_WIDTH).splitlines()

    def test_the_html_is_coloured_inline(self) -> None:
        """The colours are inline styles (a notebook keeps no stylesheet), no escape codes."""
        fragment = recorded("nb", [1])._repr_html_()
        assert 'style="color: #' in fragment
        assert "\x1b[" not in fragment

    def test_one_event_is_counted_in_the_singular(self) -> None:
        """A story of one event says ``1 event``, in its repr and its display."""
        story = recorded("nb", [7])
        assert "1 event," in repr(story)
        assert "1 event over" in visible_text(story._repr_html_())

    def test_a_long_story_folds_under_its_title(self) -> None:
        """Past the folding length the story is a closed ``<details>`` whose summary is the
        title; a short one is shown open."""
        long = recorded("long", list(range(render.HTML_FOLDED_FROM_LINES + 5)))
        fragment = long._repr_html_()
        assert fragment.startswith('<details class="chrono"><summary')
        assert "chrono story 'long' — 45 events" in visible_text(fragment.split("</summary>")[0])
        assert recorded("short", [1])._repr_html_().startswith('<div class="chrono">')

    def test_a_value_cannot_write_markup(self) -> None:
        """A repr holding markup is shown as text, escaped."""
        with chrono.story("nb") as story:
            tp("<script>alert(1)</script>", x="<b>bold</b>")
        fragment = story._repr_html_()
        assert "<script>" not in fragment
        assert "&lt;b&gt;bold&lt;/b&gt;" in fragment


class TestPretty:
    def test_ipython_prints_the_story_as_text(self) -> None:
        """IPython's pretty printer (a terminal IPython's display) writes the story's text."""
        pretty = pytest.importorskip(
            "IPython.lib.pretty", reason="install ipython to test IPython's display"
        )
        story = recorded("nb", [1, 2])
        assert pretty.pretty(story) == story.text()


class TestDivergenceHtml:
    def test_a_divergence_displays_as_its_text(self) -> None:
        """A divergence shows in HTML the lines of its plain text, and as text in IPython."""
        divergence = chrono.compare(recorded("a", [1, 2, 3]), recorded("b", [1, 5, 3]))
        fragment = divergence._repr_html_()
        expected = divergence.text(width=render.HTML_WIDTH).splitlines()
        assert visible_text(fragment).rstrip("\n").splitlines() == expected


class TestInChromium:
    def test_chromium_reads_the_story_as_its_text(self, tmp_path: Path) -> None:
        """A page holding a long story's HTML, as a notebook holds it, reads in Chromium as the
        story's plain text: no line lost to the markup."""
        browser = find_browser()
        if browser is None:
            pytest.skip("no Chromium installed (apt-get install chromium)")
        story = recorded("long", list(range(render.HTML_FOLDED_FROM_LINES + 5)))
        page = tmp_path / "story.html"
        page.write_text(f"<!DOCTYPE html><html><body>{story._repr_html_()}</body></html>")
        dom = browser.dom(page.as_uri())
        body = visible_text(dom.split("<body>", 1)[1].split("</body>", 1)[0])
        title, *lines = story.text(width=render.HTML_WIDTH).splitlines()
        assert body.startswith(title)
        assert body.rstrip("\n").endswith("\n".join(lines))
