"""Where ``tp`` can name its arguments, on each Python: a Markdown table for docs/reliability.md.

    python benchmarks/name_resolution_table.py [--python PATH ...]

Each context runs ``value = 5`` then ``tp(value, value + 1)`` inside a story, in a fresh
interpreter, and prints the recorded items. A cell says ``value, value + 1`` (both names read
from the source), ``value, <?>`` (no source: the bytecode names a lone variable, the
expression keeps the placeholder), ``<?>, <?>`` (nothing named), or ``WRONG: …`` (another
name: the one outcome chrono must never produce). Interpreters default to this one; each needs
chrono and pytest installed, and IPython for the Jupyter row (without it, the cell says so).
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import python_version

#: The snippet every context runs, in its own way.
SNIPPET = textwrap.dedent(
    """\
    import chrono
    from chrono import tp

    value = 5
    with chrono.story() as story:
        tp(value, value + 1)

    print("ITEMS", story.events[0].items)
    """
)
#: Both names, from the source.
RIGHT = ("value", "value + 1")
#: The variable's name, from the bytecode; the expression has none there.
BYTECODE = ("value", "<?>")
PLACEHOLDER = ("<?>", "<?>")
UNAVAILABLE = "IPython not installed"


@dataclass(frozen=True)
class Context:
    """One way of running Python code: what to write, how to start the interpreter."""

    name: str
    #: The file to write (None: nothing written) and its text.
    file_text: str | None
    #: Arguments after the interpreter; ``{file}`` is replaced by the written file's path.
    arguments: tuple[str, ...]
    #: What the interpreter reads on its standard input.
    stdin: str = ""


CONTEXTS = (
    Context("script (`python file.py`)", SNIPPET, ("{file}",)),
    Context(
        "f-string",
        SNIPPET.replace("    tp(value, value + 1)\n", '    text = f"got {tp(value, value + 1)}"\n'),
        ("{file}",),
    ),
    Context(
        "pytest assert (rewritten)",
        "import chrono\nfrom chrono import tp\n\n\ndef test_value():\n    value = 5\n"
        "    with chrono.story() as story:\n        assert tp(value, value + 1) == (5, 6)\n"
        '    print("ITEMS", story.events[0].items)\n',
        ("-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "{file}"),
    ),
    Context("`python -c`", None, ("-c", SNIPPET)),
    Context("`python -` (script on stdin)", None, ("-",), SNIPPET),
    # The blank line after the with block ends it at the interactive prompt.
    Context("REPL (`python -i`, stdin)", None, ("-q", "-i"), SNIPPET),
    Context(
        "REPL (`code.InteractiveConsole`)",
        "import code\n\nconsole = code.InteractiveConsole()\n"
        f"for line in {SNIPPET.splitlines()!r}:\n    console.push(line)\n",
        ("{file}",),
    ),
    Context("`exec` of a string", f"exec({SNIPPET!r})\n", ("{file}",)),
    Context(
        "Jupyter (IPython `run_cell`)",
        "try:\n    from IPython.core.interactiveshell import InteractiveShell\n"
        f"except ImportError:\n    print({UNAVAILABLE!r})\nelse:\n"
        f"    InteractiveShell.instance().run_cell({SNIPPET!r})\n",
        ("{file}",),
    ),
)


def run_context(python: str, context: Context, directory: Path) -> tuple[str, ...] | str:
    """What the context recorded as the arguments' names (``RIGHT``, ``BYTECODE`` or
    ``PLACEHOLDER``), or a sentence saying what went wrong."""
    path = directory / "test_context.py"
    if context.file_text is not None:
        path.write_text(context.file_text, encoding="utf-8")
    arguments = [argument.replace("{file}", str(path)) for argument in context.arguments]
    result = subprocess.run(
        [python, *arguments],
        input=context.stdin,
        capture_output=True,
        text=True,
        cwd=directory,
        timeout=120,
        check=False,
    )
    if UNAVAILABLE in result.stdout:
        return UNAVAILABLE
    for line in result.stdout.splitlines():
        start = line.find("ITEMS ")
        if start >= 0:
            recorded = ast.literal_eval(line[start + len("ITEMS ") :])
            if tuple(shown for _, shown in recorded) != ("5", "6"):
                return f"WRONG values: {recorded}"
            texts = tuple(text for text, _ in recorded)
            if texts in (RIGHT, BYTECODE, PLACEHOLDER):
                return texts
            return f"WRONG: {', '.join(texts)}"
    last = (result.stderr.strip().splitlines() or ["no output"])[-1]
    return f"failed: {last}"


def table(pythons: list[str]) -> str:
    """The Markdown table: a row per context, a column per Python."""
    versions = [python_version(python) for python in pythons]
    columns: list[list[tuple[str, ...] | str]] = []
    with tempfile.TemporaryDirectory() as folder:
        for python in pythons:
            columns.append([run_context(python, context, Path(folder)) for context in CONTEXTS])
    lines = [
        "| context | " + " | ".join(versions) + " |",
        "| --- |" + " --- |" * len(versions),
    ]
    for index, context in enumerate(CONTEXTS):
        cells = [_cell(column[index]) for column in columns]
        lines.append(f"| {context.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(outcome: tuple[str, ...] | str) -> str:
    if isinstance(outcome, tuple):
        return ", ".join(f"`{text}`" for text in outcome)
    return outcome.replace("|", "\\|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", action="append", default=[], help="interpreter to run")
    arguments = parser.parse_args()
    print(table(arguments.python or [sys.executable]))


if __name__ == "__main__":
    main()
