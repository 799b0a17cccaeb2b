"""The documentation's pictures: the script that makes them from real runs still works."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from browser import find_browser
from helpers import environment

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "pictures" / "make_pictures.py"


def svg_text(path: Path) -> str:
    """The text an SVG terminal picture shows, without markup (rich writes spaces as &#160;)."""
    source = path.read_text(encoding="utf-8")
    ElementTree.fromstring(source)  # well-formed
    shown = source.split("</style>")[-1]
    return html.unescape(re.sub(r"<[^>]+>", "", shown)).replace("\xa0", " ")


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("pictures")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--output", str(output)],
        env=environment(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return output


class TestMakePictures:
    def test_demo_story(self, pictures: Path) -> None:
        """demo-story.svg shows the demo's failure, its story with the telling values, and where
        it diverged from the passing case."""
        text = svg_text(pictures / "demo-story.svg")
        story = "chrono story 'test_shop.py::test_code_applies_to_a_cart_over_the_minimum[SAVE10]'"
        assert story in text
        assert "line >= code.minimum=False" in text
        assert "shop.py:44 in Cart.total" in text
        assert "_demo/shop.py" not in text
        assert "chrono: where it diverged from [WELCOME10], which passed" in text
        assert "line >= code.minimum=True" in text

    def test_live_output(self, pictures: Path) -> None:
        """live-output.svg shows one line per event, with values and the other thread's name."""
        text = svg_text(pictures / "live-output.svg")
        assert "key.strip()='host'" in text
        assert "value.strip()='example.org'" in text
        assert "[checker]" in text

    def test_threaded_story(self, pictures: Path) -> None:
        """threaded-story.svg shows the main thread and the workers, and the late job."""
        text = svg_text(pictures / "threaded-story.svg")
        assert "test_every_image_is_resized" in text
        assert "telling the workers to stop" in text
        assert "sizes[-1]=640" in text
        assert "MainThread" in text
        assert "resizer-" in text

    def test_terminal_pictures_are_coloured(self, pictures: Path) -> None:
        """The pictures keep the terminal's colours: the run's colour codes were read back."""
        source = (pictures / "threaded-story.svg").read_text(encoding="utf-8")
        assert len(set(re.findall(r"fill: (#[0-9a-f]{6})", source))) >= 4

    def test_html_report_screenshot(self, pictures: Path) -> None:
        """With Chromium installed, html-report.png is a 1200x800 screenshot of the page."""
        if find_browser() is None:
            pytest.skip(
                "no Chromium installed (apt-get install chromium): html-report.png is left as it is"
            )
        header = (pictures / "html-report.png").read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        size = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        assert size == (1200, 800)

    def test_notebook_screenshot(self, pictures: Path) -> None:
        """With Chromium, nbclient and a kernel installed, notebook.png is a 1200x800 screenshot
        of the executed notebook."""
        if find_browser() is None:
            pytest.skip("no Chromium installed: the script leaves notebook.png as it is")
        pytest.importorskip("nbclient", reason="the notebook picture needs nbclient and ipykernel")
        pytest.importorskip("ipykernel", reason="the notebook picture needs nbclient and ipykernel")
        header = (pictures / "notebook.png").read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        size = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        assert size == (1200, 800)
