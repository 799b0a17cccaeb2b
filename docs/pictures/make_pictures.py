"""Make the documentation's pictures from real runs, so they stay true when the output changes.

    python docs/pictures/make_pictures.py [--output DIR]

Each terminal picture is the real, coloured output of a real run (pytest with ``--color=yes``,
or a script with ``FORCE_COLOR=1``), read back by rich (``Text.from_ansi``) and saved with
``Console.export_svg``:

- ``demo-story.svg``: the failure of ``python -m chrono demo``, with its story;
- ``live-output.svg``: events printed as they happen, outside any test (``sources/live.py``);
- ``threaded-story.svg``: the story of a failing test whose work runs in two threads
  (``sources/test_workers.py``).

``html-report.png`` is a screenshot of the HTML report (``--chrono-html``) of those two
failing tests, taken by headless Chromium when one is installed (else it is left as it is).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

# Headless Chromium, shared with the HTML report's tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from browser import find_browser

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
WIDTH = 100
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(command: Sequence[str], cwd: Path, **environment: str) -> str:
    """Run ``command`` in ``cwd`` with colour forced; stdout and stderr together."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CHRONO", "NO_COLOR", "PYTEST_ADDOPTS", "PYTHONWARNINGS")
    }
    env.update(COLUMNS=str(WIDTH), PYTHONIOENCODING="utf-8", **environment)
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    return result.stdout


def pytest_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--color=yes", *arguments]


def between(output: str, start: str, *ends: str) -> str:
    """The lines from the first whose plain text contains ``start`` up to (not including) the
    first later one that contains any of ``ends`` (or to the end)."""
    lines = output.splitlines()
    plain = [_ANSI.sub("", line) for line in lines]
    first = next(index for index, line in enumerate(plain) if start in line)
    last = next(
        (
            index
            for index in range(first + 1, len(plain))
            if any(end in plain[index] for end in ends)
        ),
        len(lines),
    )
    return "\n".join(lines[first:last])


def save_svg(ansi: str, path: Path, title: str) -> None:
    """Save coloured terminal text as an SVG picture of a terminal."""
    console = Console(
        record=True,
        width=WIDTH,
        force_terminal=True,
        color_system="truecolor",
        file=open(os.devnull, "w"),  # noqa: SIM115
    )
    console.print(Text.from_ansi(ansi))
    console.save_svg(str(path), title=title)
    print(f"wrote {path}")


def demo_story(output: Path) -> None:
    from chrono._demo import run as demo

    folder = Path(demo.__file__).parent
    ran = run(
        pytest_command(
            str(folder / "test_shop.py"),
            "-c",
            str(folder / "pytest.ini"),
            "--rootdir",
            str(folder),
            "--no-header",
            "--tb=short",
        ),
        # pytest writes its own paths (the traceback) from here, as for an installed chrono;
        # chrono writes call sites from the rootdir (shop.py) wherever it runs.
        cwd=folder.parent.parent,
    )
    failure = between(
        ran,
        "test_code_applies_to_a_cart_over_the_minimum[SAVE10] _",
        "Captured",
        "short test summary",
    )
    save_svg(failure, output / "demo-story.svg", "python -m chrono demo")


def live_output(output: Path) -> None:
    ran = run([sys.executable, "live.py"], cwd=SOURCES, FORCE_COLOR="1")
    save_svg(ran.rstrip("\n"), output / "live-output.svg", "python live.py")


def threaded_story(output: Path, workplace: Path) -> None:
    shutil.copy(SOURCES / "test_workers.py", workplace)
    ran = run(pytest_command("test_workers.py", "--rootdir", ".", "-c", os.devnull), workplace)
    story = between(ran, "chrono story", "Captured", "short test summary")
    save_svg(story, output / "threaded-story.svg", "pytest test_workers.py")


def html_screenshot(output: Path, workplace: Path) -> None:
    browser = find_browser()
    if browser is None:
        print("no Chromium installed: html-report.png left as it is")
        return
    from chrono._demo import run as demo

    shutil.copy(Path(demo.__file__).parent / "test_shop.py", workplace)
    shutil.copy(SOURCES / "test_workers.py", workplace)
    page = workplace / "report.html"
    run(
        pytest_command(
            "test_workers.py",  # first: its lanes show at the top of the screenshot
            "test_shop.py",
            "--rootdir",
            ".",
            "-c",
            os.devnull,
            f"--chrono-html={page}",
        ),
        workplace,
    )
    browser.screenshot(page.as_uri(), output / "html-report.png")
    print(f"wrote {output / 'html-report.png'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=HERE, help="where to write (default: here)")
    parser.add_argument(
        "--no-screenshot", action="store_true", help="skip the HTML report's screenshot"
    )
    arguments = parser.parse_args(argv)
    output: Path = arguments.output
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chrono-pictures-") as temporary:
        # The pictures show this folder's name (the HTML report's title): a project's name.
        workplace = Path(temporary) / "project"
        workplace.mkdir()
        demo_story(output)
        live_output(output)
        threaded_story(output, workplace)
        if not arguments.no_screenshot:
            html_screenshot(output, workplace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
