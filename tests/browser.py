"""Headless Chromium for the HTML report: the tests drive it, and so does the pictures script.

Debian's package (``apt-get install chromium``); without one, ``find_browser()`` is None and the
callers skip what needs it, saying why.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: Headless, with no sandbox (CI runs as root) and none of the browser's own network traffic.
_QUIET_HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_browser() -> Browser | None:
    """An installed Chromium (or Chrome), or None."""
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return Browser(path)
    return None


class Browser:
    """Headless Chromium, each run with a throwaway profile."""

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="chrono-chromium-") as profile:
            return subprocess.run(
                [self.executable, *_QUIET_HEADLESS, f"--user-data-dir={profile}", *arguments],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

    def dom(self, url: str) -> str:
        """The page's DOM, serialized after its script ran."""
        result = self.run("--dump-dom", url)
        if result.returncode != 0:
            raise RuntimeError(f"chromium --dump-dom failed: {result.stderr}")
        return result.stdout

    def screenshot(self, url: str, path: Path) -> None:
        """A 1200x800 PNG of the page."""
        result = self.run(f"--screenshot={path}", "--window-size=1200,800", url)
        if result.returncode != 0 or not path.is_file():
            raise RuntimeError(f"chromium --screenshot failed: {result.stderr}")
