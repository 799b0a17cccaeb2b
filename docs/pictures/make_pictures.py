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

``notebook.png`` is a screenshot of a notebook (``sources/checkout.ipynb``) executed by
nbclient in a real kernel: each cell's source and the outputs the kernel sent, laid out as a
notebook lays them out (the stories as their own HTML). It needs Chromium, nbclient and
ipykernel, and is left as it is without them.
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


_NOTEBOOK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>checkout.ipynb</title><style>
body {{ font-family: sans-serif; margin: 16px 24px; background: #fff; }}
.cell {{ display: grid; grid-template-columns: 70px 1fr; margin-bottom: 10px; }}
.prompt {{ font-family: monospace; font-size: 13px; color: #303f9f; padding-top: 6px; }}
.prompt.out {{ color: #d84315; }}
.source {{ background: #f5f5f5; border: 1px solid #e0e0e0; border-radius: 2px; margin: 0;
  padding: 6px 8px; font-size: 13px; line-height: 1.35; }}
.output {{ margin: 4px 0 0 0; font-size: 13px; }}
pre.text {{ margin: 0; font-size: 12px; }}
</style></head><body>
{cells}
</body></html>
"""


def notebook_screenshot(output: Path, workplace: Path) -> None:
    browser = find_browser()
    try:
        import nbclient
        import nbformat
    except ImportError:
        browser = None
    if browser is None:
        print("no Chromium, nbclient or nbformat installed: notebook.png left as it is")
        return
    import html

    notebook = nbformat.read(SOURCES / "checkout.ipynb", as_version=4)
    environment = {key: value for key, value in os.environ.items() if key != "CHRONO"}
    nbclient.NotebookClient(notebook, timeout=120, allow_errors=True).execute(env=environment)
    cells = []
    for cell in notebook.cells:
        rows = [
            f'<div class="cell"><div class="prompt">In&nbsp;[{cell.execution_count}]:</div>'
            f'<pre class="source">{html.escape(cell.source)}</pre></div>'
        ]
        for shown in cell.outputs:
            data = shown.get("data", {})
            if shown.output_type == "execute_result":
                prompt, body = f"Out[{cell.execution_count}]:", data.get("text/plain", "")
                body = f'<pre class="text">{html.escape(body)}</pre>'
            elif "text/html" in data:
                prompt, body = "", data["text/html"]
            else:
                text = shown.get("text") or data.get("text/plain", "")
                prompt, body = "", f'<pre class="text">{html.escape(text)}</pre>'
            rows.append(
                f'<div class="cell"><div class="prompt out">{prompt}</div>'
                f'<div class="output">{body}</div></div>'
            )
        cells.append("\n".join(rows))
    page = workplace / "checkout.html"
    page.write_text(_NOTEBOOK_PAGE.format(cells="\n".join(cells)), encoding="utf-8")
    browser.screenshot(page.as_uri(), output / "notebook.png")
    print(f"wrote {output / 'notebook.png'}")


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
            notebook_screenshot(output, workplace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
