"""The documentation's text: what it shows of real runs holds no path of the machine they ran
on, and every Python block in it runs."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
DOCS = REPOSITORY / "docs"
# The terminal pictures (SVG) hold the text of the runs they show.
DOCUMENTS = sorted(
    [
        *(REPOSITORY / name for name in ("README.md", "CHANGELOG.md", "CONTRIBUTING.md")),
        *DOCS.rglob("*.md"),
        *DOCS.rglob("*.svg"),
    ],
    key=lambda path: path.relative_to(REPOSITORY).as_posix(),
)


def machine_paths() -> list[str]:
    """Beginnings of paths that only the machine a run was captured on has."""
    paths = {
        f"{REPOSITORY.as_posix()}/",
        f"{Path.home().as_posix()}/",
        "/root/",
        "/tmp/pytest-of-",
    }
    # The folder that holds this checkout holds its sibling checkouts too, unless it is a
    # folder every machine has (a clone made in /tmp, as CI may make it).
    parent = REPOSITORY.parent
    if parent not in (Path(tempfile.gettempdir()).resolve(), Path(parent.anchor)):
        paths.add(f"{parent.as_posix()}/")
    return sorted(paths)


class TestMachinePaths:
    @pytest.mark.parametrize(
        "document", DOCUMENTS, ids=[path.relative_to(REPOSITORY).as_posix() for path in DOCUMENTS]
    )
    def test_no_path_of_the_machine(self, document: Path) -> None:
        """No line of the document names a folder of the machine its examples ran on."""
        lines = document.read_text(encoding="utf-8").splitlines()
        found = [
            f"{number}: {line.strip()}"
            for number, line in enumerate(lines, 1)
            if any(path in line for path in machine_paths())
        ]
        assert found == []


# -- every Python snippet runs -------------------------------------------------------------------

#: The documents whose ```python blocks are run.
SNIPPET_DOCUMENTS = [REPOSITORY / "README.md", *sorted(DOCS.glob("*.md"))]
#: The blocks each document leaves unrun, each marked `<!-- snippet: not run: REASON -->`:
#: counted here, so that no block stops running without the count saying so.
NOT_RUN = {
    "docs/compare.md": 1,
    "docs/hangs-and-crashes.md": 1,
    "docs/suspects.md": 1,
    "docs/unittest-and-django.md": 4,
}
_MARKER = "<!-- snippet:"
_FLAGS = ("run", "pytest", "fails on purpose", "continues the previous block")


@dataclasses.dataclass(frozen=True)
class Snippet:
    """One ```python block of a document, and how its marker says to run it."""

    document: str
    line: int
    code: str
    #: "run" (a script, alone), "pytest" (a test file) or "not run".
    how: str = "run"
    reason: str = ""
    fails_on_purpose: bool = False
    #: What the block needs and does not show (the marker's lines after the first), or the
    #: blocks it continues.
    setup: str = ""

    @property
    def name(self) -> str:
        return f"{self.document}:{self.line}"

    def source(self) -> str:
        return f"{self.setup}\n{self.code}" if self.setup else self.code


def read_snippets(path: Path) -> list[Snippet]:
    """The ```python blocks of ``path``, each with the marker comment right above it, if any.
    A marker above anything else is an error: it would quietly mark nothing."""
    document = path.relative_to(REPOSITORY).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Snippet] = []
    marker: list[str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(_MARKER):
            end = index
            while "-->" not in lines[end]:
                end += 1
            marker = [lines[index][len(_MARKER) :], *lines[index + 1 : end + 1]]
            marker[-1] = marker[-1].replace("-->", "")
            index = end + 1
            if index >= len(lines) or lines[index] != "```python":
                raise AssertionError(
                    f"{document}:{end + 1}: a snippet marker above no python block"
                )
            continue
        if line == "```python":
            end = lines.index("```", index + 1)
            code = "\n".join(lines[index + 1 : end]) + "\n"
            found.append(_marked(document, index + 1, code, marker, found))
            marker = None
            index = end
        index += 1
    return found


def _marked(
    document: str, line: int, code: str, marker: list[str] | None, before: list[Snippet]
) -> Snippet:
    if marker is None:
        return Snippet(document, line, code)
    head, setup = marker[0].strip(), "\n".join(marker[1:]).strip()
    if head.startswith("not run:"):
        return Snippet(document, line, code, how="not run", reason=head[len("not run:") :].strip())
    flags = [flag.strip() for flag in head.split(",")]
    unknown = [flag for flag in flags if flag not in _FLAGS]
    assert not unknown, f"{document}:{line}: unknown snippet flags {unknown}"
    if "continues the previous block" in flags:
        setup = f"{before[-1].source()}\n{setup}"
    return Snippet(
        document,
        line,
        code,
        how="pytest" if "pytest" in flags else "run",
        fails_on_purpose="fails on purpose" in flags,
        setup=setup,
    )


SNIPPETS = [snippet for path in SNIPPET_DOCUMENTS for snippet in read_snippets(path)]


def _snippet_environment() -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("CHRONO", "CHRONO_AT", "FORCE_COLOR", "COLUMNS")
    }
    return {**environment, "NO_COLOR": "1"}


class TestSnippets:
    def test_every_unrun_block_is_counted(self) -> None:
        """The blocks left unrun are exactly the ones counted in NOT_RUN, each with a reason."""
        unrun = [snippet for snippet in SNIPPETS if snippet.how == "not run"]
        assert all(snippet.reason for snippet in unrun)
        counted: dict[str, int] = {}
        for snippet in unrun:
            counted[snippet.document] = counted.get(snippet.document, 0) + 1
        assert counted == NOT_RUN

    def test_the_blocks_are_found(self) -> None:
        """The reader finds the documents' blocks: the README's, and some in docs/."""
        documents = {snippet.document for snippet in SNIPPETS}
        assert "README.md" in documents
        assert len(SNIPPETS) >= 30

    @pytest.mark.parametrize(
        "snippet",
        [snippet for snippet in SNIPPETS if snippet.how != "not run"],
        ids=lambda snippet: snippet.name,
    )
    def test_block_runs(self, snippet: Snippet, tmp_path: Path) -> None:
        """The block runs as its marker says: a script exits 0; a test file's tests run under
        pytest and pass, or fail where the page says they fail on purpose."""
        if snippet.how == "pytest":
            if "(subtests)" in snippet.code and pytest.version_tuple < (9,):
                pytest.skip("the subtests fixture is pytest 9's (Python 3.10 and later)")
            first = snippet.source().splitlines()[0]
            name = first[2:].strip() if first.startswith("# test_") else "test_snippet.py"
            (tmp_path / name).write_text(snippet.source(), encoding="utf-8")
            command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", name]
            expected = 1 if snippet.fails_on_purpose else 0
        else:
            (tmp_path / "snippet.py").write_text(snippet.source(), encoding="utf-8")
            command = [sys.executable, "snippet.py"]
            expected = 0
        result = subprocess.run(
            command,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=_snippet_environment(),
            timeout=120,
        )
        assert result.returncode == expected, result.stdout + result.stderr
        if snippet.how == "pytest":
            assert " error" not in result.stdout.splitlines()[-1], result.stdout

    def test_the_readme_integration_lines_run_after_import_chrono(self, tmp_path: Path) -> None:
        """The README's inline Sentry and OpenTelemetry lines run as written, after
        `import chrono` and the SDK's own import: `chrono.sentry` needs no import of its own."""
        readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
        spans = re.findall(r"`([^`]*chrono\.(?:sentry|otel)\.[^`]*\))`", readme)
        assert len(spans) == 2, spans
        script = tmp_path / "readme_lines.py"
        script.write_text("import sentry_sdk\n\nimport chrono\n\n" + "\n".join(spans) + "\n")
        result = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            env=_snippet_environment(),
            timeout=120,
        )
        assert (result.returncode, result.stderr) == (0, "")


def shell_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of ``path``'s ```bash blocks, with their numbers."""
    found: list[tuple[int, str]] = []
    inside = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            inside = line == "```bash"
        elif inside:
            found.append((number, line))
    return found


class TestInstallCommands:
    @pytest.mark.parametrize("document", SNIPPET_DOCUMENTS, ids=lambda path: path.name)
    def test_no_command_installs_from_the_index(self, document: Path) -> None:
        """No shell block tells the reader to install chrono-tp from the package index, where
        there is no release yet: each install is from a clone or a wheel built in one."""
        from_index = re.compile(r"pip install\s+['\"]?chrono-tp\b")
        found = [
            (number, line) for number, line in shell_lines(document) if from_index.search(line)
        ]
        assert found == []

    def test_the_readme_says_how_to_build_and_install_a_wheel(self) -> None:
        """The README's wheel commands are there, and its index line is named as future."""
        readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
        commands = [line for _, line in shell_lines(REPOSITORY / "README.md")]
        assert any(line.startswith("python -m pip wheel --no-deps . -w dist") for line in commands)
        assert "When a release is published to the package" in readme
        assert "No matching distribution found" in readme


# -- the README's capture of the demo ------------------------------------------------------------

#: Set to rewrite the README's capture from a fresh run instead of comparing with it.
UPDATE_VARIABLE = "CHRONO_UPDATE_DOCS"
_README_CAPTURE = "(captured from `COLUMNS=100 python -m chrono demo`):"
_DURATION = re.compile(r" +\d+(?:\.\d+)?(?:µs|ms|s)\b *")


def demo_capture(output: str) -> str:
    """The part of the demo's output the README shows: the story and the comparison."""
    lines = output.splitlines()
    start = next(index for index, line in enumerate(lines) if " chrono story " in line)
    end = max(index for index, line in enumerate(lines) if line.startswith("ran only in "))
    return "\n".join(lines[start : end + 1])


def without_times(capture: str) -> str:
    """``capture`` with its durations (which differ per run) replaced, and the lines that
    only mark a pause between events (there when the machine was slow) left out."""
    return "\n".join(
        _DURATION.sub(" <time> ", line) for line in capture.splitlines() if "⋮" not in line
    )


#: Where the docs show the demo's output: the document, the words just above the block, and
#: whether the block holds the whole capture or its comparison alone.
DEMO_CAPTURES = [
    ("README.md", "(captured from `COLUMNS=100 python -m chrono demo`):", False),
    ("docs/compare.md", "(`COLUMNS=100`, a real run):", True),
]


class TestDemoCaptures:
    @pytest.fixture(scope="class")
    def captured(self, tmp_path_factory: pytest.TempPathFactory) -> str:
        """What `COLUMNS=100 python -m chrono demo` prints today: its story and comparison."""
        result = subprocess.run(
            [sys.executable, "-m", "chrono", "demo"],
            cwd=tmp_path_factory.mktemp("demo"),
            capture_output=True,
            text=True,
            env={**_snippet_environment(), "COLUMNS": "100"},
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return demo_capture(result.stdout)

    @pytest.mark.parametrize(
        ("document", "words", "comparison_only"),
        DEMO_CAPTURES,
        ids=[document for document, _, _ in DEMO_CAPTURES],
    )
    def test_the_docs_show_what_the_demo_prints(
        self, captured: str, document: str, words: str, comparison_only: bool
    ) -> None:
        """The document's capture of the demo is what the command prints today, times aside
        (CHRONO_UPDATE_DOCS=1 rewrites it from the run)."""
        if comparison_only:
            lines = captured.splitlines()
            start = next(n for n, line in enumerate(lines) if " chrono: where it diverged" in line)
            captured = "\n".join(lines[start:])
        path = REPOSITORY / document
        text = path.read_text(encoding="utf-8")
        opening = text.index("```\n", text.index(words)) + len("```\n")
        closing = text.index("\n```", opening)
        if os.environ.get(UPDATE_VARIABLE):
            text = text[:opening] + captured + text[closing:]
            path.write_text(text, encoding="utf-8")
            closing = opening + len(captured)
        assert without_times(text[opening:closing]) == without_times(captured)
