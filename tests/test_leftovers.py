"""``chrono check``: finding leftover tp() calls, choosing files, and the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from chrono import cli
from chrono._leftovers import (
    Leftover,
    LeftoverKind,
    SkippedFile,
    SourceFile,
    SourceText,
    UsageError,
    collect_python_files,
    find_leftovers,
    load_source,
    parse,
)
from helpers import run_command

REPOSITORY = Path(__file__).resolve().parent.parent
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def _no_surrounding_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep git from finding a repository above the test's folder."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


def leftovers_in(source: str) -> list[Leftover]:
    text = textwrap.dedent(source)
    parsed = SourceFile("example.py", "utf-8", SourceText(text), parse(text))
    return find_leftovers(parsed)


def found(source: str) -> list[tuple[int, int, str]]:
    return [(leftover.line, leftover.column, leftover.text) for leftover in leftovers_in(source)]


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


def git(folder: Path, *arguments: str) -> None:
    subprocess.run(["git", *arguments], cwd=folder, check=True, capture_output=True)


class TestFindLeftovers:
    """Which calls are chrono's, found from the syntax tree."""

    def test_imported_tp(self) -> None:
        """A call of tp imported from chrono is found with its line, column and text."""
        assert found("from chrono import tp\nvalue = tp(41) + 1\n") == [(2, 9, "tp(41)")]

    def test_keyword_arguments(self) -> None:
        """tp() calls naming their values with keywords are found like any other."""
        source = "from chrono import tp\ny = tp(total=sum(xs))\ntp(a, n=len(a))\n"
        assert found(source) == [(2, 5, "tp(total=sum(xs))"), (3, 1, "tp(a, n=len(a))")]

    def test_alias(self) -> None:
        """``from chrono import tp as t`` makes ``t(...)`` a leftover."""
        assert found("from chrono import tp as t\nt(1)\n") == [(2, 1, "t(1)")]

    def test_module_attribute(self) -> None:
        """``chrono.tp(...)`` after ``import chrono`` is found."""
        assert found("import chrono\nchrono.tp(1)\n") == [(2, 1, "chrono.tp(1)")]

    def test_module_alias(self) -> None:
        """``c.tp(...)`` after ``import chrono as c`` is found, ``other.tp`` is not."""
        source = "import chrono as c\nimport other\nc.tp(1)\nother.tp(2)\n"
        assert found(source) == [(3, 1, "c.tp(1)")]

    def test_builtin_tp_without_import(self) -> None:
        """A bare tp() in a file that binds no tp is the builtin from chrono.install()."""
        assert found("def f():\n    return tp(3)\n") == [(2, 12, "tp(3)")]

    def test_own_function_named_tp(self) -> None:
        """A file that defines its own ``def tp`` has no leftovers."""
        assert found("def tp(value):\n    return value\n\ntp(1)\n") == []

    def test_tp_imported_from_elsewhere(self) -> None:
        """``from other import tp`` makes tp() someone else's call."""
        assert found("from other import tp\ntp(1)\n") == []

    def test_parameter_named_tp_shadows_only_its_function(self) -> None:
        """A parameter called tp hides the builtin inside its function only."""
        source = """\
        def apply(tp):
            return tp(1)

        tp(2)
        """
        assert found(source) == [(4, 1, "tp(2)")]

    def test_class_attribute_does_not_reach_methods(self) -> None:
        """A class-level ``tp = ...`` does not bind tp inside the class's methods."""
        source = """\
        class Box:
            tp = staticmethod(print)
            tp(0)

            def show(self):
                tp(1)
        """
        assert found(source) == [(6, 9, "tp(1)")]

    def test_local_import_in_function(self) -> None:
        """An import of tp inside a function makes its calls there leftovers."""
        source = """\
        def f():
            from chrono import tp as trace
            return trace(1)
        """
        assert found(source) == [(3, 12, "trace(1)")]

    def test_global_declaration_reaches_module_binding(self) -> None:
        """``global tp`` in a function reads the module's tp, here chrono's."""
        source = """\
        from chrono import tp

        def f():
            global tp
            tp(1)
        """
        assert found(source) == [(5, 5, "tp(1)")]

    def test_star_imports(self) -> None:
        """``from chrono import *`` binds tp; a star import from elsewhere may bind its own."""
        assert found("from chrono import *\ntp(1)\n") == [(2, 1, "tp(1)")]
        assert found("from pylab import *\ntp(1)\n") == []

    def test_strings_and_comments_are_not_calls(self) -> None:
        """tp( inside strings, f-string text and comments is ignored; an f-string field is not."""
        source = """\
        from chrono import tp
        doc = "call tp(x) to trace"  # tp(x) in a comment
        label = f"tp(x) gives {tp(7)}"
        raw = '''
        tp(y)
        '''
        """
        assert found(source) == [(3, 24, "tp(7)")]

    def test_multi_line_call_is_folded(self) -> None:
        """A call spread over lines is shown on one line, without its comments."""
        source = """\
        from chrono import tp
        tp(
            first,  # the count
            second,
        )
        """
        assert found(source) == [(2, 1, "tp(first, second,)")]

    def test_long_call_is_shortened(self) -> None:
        """A very long call is cut to 120 characters ending in '...'."""
        (leftover,) = leftovers_in(f"tp({'x' * 200})\n")
        assert len(leftover.text) == 120
        assert leftover.text.endswith("...")

    def test_nested_calls(self) -> None:
        """``tp(tp(x))`` is two leftovers, outer first."""
        assert found("tp(tp(x))\n") == [(1, 1, "tp(tp(x))"), (1, 4, "tp(x)")]

    def test_decorator_lambda_condition_and_return(self) -> None:
        """Calls in decorators, lambdas, conditions and return values are all found."""
        source = """\
        @tp(cache)
        def f(x):
            key = lambda item: tp(item)
            if tp(x):
                return tp(x)
        """
        assert [line for line, _, _ in found(source)] == [1, 3, 4, 5]

    def test_async_code(self) -> None:
        """Calls in async functions, ``await``, ``async for`` and ``async with`` are found."""
        source = """\
        async def f(stream, lock):
            async with tp(lock):
                async for item in tp(stream):
                    await tp(item)
        """
        assert found(source) == [(2, 16, "tp(lock)"), (3, 27, "tp(stream)"), (4, 19, "tp(item)")]

    def test_comprehension_variable_named_tp(self) -> None:
        """A comprehension variable called tp is not chrono's tp."""
        assert found("[tp(1) for tp in handlers]\n") == []

    def test_install_calls(self) -> None:
        """``chrono.install()`` and an imported ``install()`` are leftovers of their own kind."""
        leftovers = leftovers_in(
            "import chrono\nfrom chrono import install\nchrono.install()\ninstall()\n"
        )
        assert [(item.line, item.kind) for item in leftovers] == [
            (3, LeftoverKind.INSTALL),
            (4, LeftoverKind.INSTALL),
        ]

    def test_columns_count_characters(self) -> None:
        """A tab and a non-ASCII character each count as one column."""
        assert found('if x:\n\ts = "é"; tp(s)\n') == [(2, 11, "tp(s)")]

    @pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
    def test_match_capture_named_tp(self) -> None:
        """A ``case tp:`` capture binds tp like an assignment does."""
        source = """\
        def f(value):
            match value:
                case tp:
                    return tp(1)
        """
        assert found(source) == []


class TestLoadSource:
    """Reading files: the text pre-filter, encodings and parse errors."""

    def test_prefilter_skips_files_without_tp_or_chrono(self, tmp_path: Path) -> None:
        """A file mentioning neither word is not parsed at all ('http' does not count)."""
        path = write(tmp_path, "plain.py", 'URL = "http://example.org"\n')
        assert load_source(str(path)) is None

    def test_latin_1_with_coding_declaration(self, tmp_path: Path) -> None:
        """A latin-1 file with a coding declaration is decoded with that encoding."""
        content = '# -*- coding: latin-1 -*-\nname = "caf\xe9"; tp(name)\n'.encode("latin-1")
        path = write(tmp_path, "latin.py", content)
        source_file = load_source(str(path))
        assert source_file is not None
        assert source_file.encoding == "iso-8859-1"
        assert 'name = "café"' in source_file.source.text
        assert [(item.line, item.column) for item in find_leftovers(source_file)] == [(2, 16)]

    def test_crlf_line_numbers(self, tmp_path: Path) -> None:
        """Lines ending in CRLF are counted once each."""
        path = write(tmp_path, "windows.py", b"a = 1\r\n\r\ntp(a)\r\n")
        source_file = load_source(str(path))
        assert source_file is not None
        assert [(item.line, item.column) for item in find_leftovers(source_file)] == [(3, 1)]

    def test_syntax_error(self, tmp_path: Path) -> None:
        """A file that does not parse raises SkippedFile naming the problem and line."""
        path = write(tmp_path, "broken.py", "tp(1\n")
        with pytest.raises(SkippedFile, match=r"cannot parse: .*\(line 1\)"):
            load_source(str(path))

    def test_undecodable_bytes(self, tmp_path: Path) -> None:
        """Bytes that are not valid UTF-8 (and no coding declaration) are a parse problem."""
        path = write(tmp_path, "bad.py", b'tp("\xff")\n')
        with pytest.raises(SkippedFile, match="cannot parse"):
            load_source(str(path))

    def test_parse_warnings_are_silenced(self, tmp_path: Path) -> None:
        """An invalid escape sequence in a checked file produces no warning."""
        path = write(tmp_path, "escapes.py", 'import re\ntp(re.compile("\\d+"))\n')
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            source_file = load_source(str(path))
        assert source_file is not None
        assert caught == []


class TestCollectPythonFiles:
    """Which files a check covers."""

    def test_walk_skips_hidden_virtualenvs_and_caches(self, workdir: Path) -> None:
        """Outside git, hidden folders, virtual environments and __pycache__ are skipped."""
        names = ["app/main.py", "app/sub/util.py", "app/notes.txt", ".hidden/x.py"]
        for name in [*names, "env/lib/x.py", "__pycache__/x.py"]:
            write(workdir, name, "")
        write(workdir, "env/pyvenv.cfg", "home = /usr\n")
        files = collect_python_files(["."])
        assert files == [
            os.path.join("app", "main.py"),
            os.path.join("app", "sub", "util.py"),
        ]

    def test_named_file_is_always_included(self, tmp_path: Path) -> None:
        """A file named on the command line is checked whatever its suffix, once."""
        script = write(tmp_path, "tool", "tp(1)\n")
        files = collect_python_files([str(script), str(script), str(tmp_path)])
        assert files == [str(script)]

    def test_missing_path(self, tmp_path: Path) -> None:
        """A path that does not exist is a usage error naming it."""
        with pytest.raises(UsageError, match=r"no such file or directory: .*nowhere"):
            collect_python_files([str(tmp_path / "nowhere")])

    @needs_git
    def test_git_ignored_files_are_skipped(self, workdir: Path) -> None:
        """In a git work tree, tracked and untracked files count and ignored ones do not."""
        git(workdir, "init", "-q")
        write(workdir, ".gitignore", "build/\ngenerated_*.py\n")
        write(workdir, "tracked.py", "")
        write(workdir, "untracked.py", "")
        write(workdir, "build/lib/copy.py", "")
        write(workdir, "pkg/generated_table.py", "")
        write(workdir, ".github/scripts/release.py", "")
        git(workdir, "add", "tracked.py")
        files = collect_python_files(["."])
        assert files == [
            os.path.join(".github", "scripts", "release.py"),
            "tracked.py",
            "untracked.py",
        ]

    @needs_git
    def test_git_subfolder_paths_keep_their_prefix(self, tmp_path: Path) -> None:
        """Files found through git are named relative to the folder given, not the repo."""
        git(tmp_path, "init", "-q")
        write(tmp_path, "src/pkg/mod.py", "")
        files = collect_python_files([str(tmp_path / "src")])
        assert files == [str(tmp_path / "src" / "pkg" / "mod.py")]


class TestCheckCommand:
    """``chrono check`` through the command line."""

    def test_reports_and_exits_1(self, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Each leftover is a path:line:col: text line on stdout, and the exit code is 1."""
        write(workdir, "b.py", "from chrono import tp\n\nx = tp(1)\n")
        write(workdir, "a.py", "import chrono\nchrono.install()\n")
        code, out, err = run_command(capsys, "check", ".")
        assert (code, err) == (1, "")
        assert out == "a.py:2:1: chrono.install()\nb.py:3:5: tp(1)\n"

    def test_clean_tree_exits_0(self, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """With no leftovers (only mentions in text), nothing is printed and the exit code is 0."""
        write(workdir, "a.py", "# remove every tp(x) before committing\n")
        assert run_command(capsys, "check") == (0, "", "")

    def test_missing_path_exits_2(self, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A path that does not exist is reported on stderr with exit code 2."""
        code, out, err = run_command(capsys, "check", "missing.py")
        assert (code, out) == (2, "")
        assert err == "chrono check: error: no such file or directory: missing.py\n"

    def test_unknown_format_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown --format is an argparse usage error, exit code 2."""
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["check", "--format=xml", "."])
        assert exit_info.value.code == 2
        assert "invalid choice: 'xml'" in capsys.readouterr().err

    def test_github_format(self, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--format=github prints one workflow warning annotation per leftover."""
        write(workdir, "pkg/a.py", "from chrono import tp\nif tp(1):\n    pass\n")
        code, out, _ = run_command(capsys, "check", "--format=github", "pkg")
        assert code == 1
        path = os.path.join("pkg", "a.py")
        assert out == f"::warning file={path},line=2,col=4::leftover tp() call: tp(1)\n"

    def test_unparsable_file_is_reported_and_skipped(
        self, workdir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file that does not parse is named on stderr; the other files are still checked."""
        write(workdir, "broken.py", "def tp(:\n")
        write(workdir, "good.py", "tp(2)\n")
        code, out, err = run_command(capsys, "check", ".")
        assert (code, out) == (1, "good.py:1:1: tp(2)\n")
        assert err.startswith("broken.py: cannot parse: ")

    def test_name_given_to_install_in_another_file(
        self, workdir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``chrono.install("trace")`` in one file makes bare ``trace(...)`` calls leftovers."""
        write(workdir, "conftest.py", 'import chrono\nchrono.install(name="trace")\n')
        write(workdir, "app.py", "def f(x):\n    return trace(x)\n")
        write(workdir, "other.py", "def trace(x):\n    return x\n\ntrace(1)\n")
        code, out, _ = run_command(capsys, "check", ".")
        assert (code, out) == (
            1,
            'app.py:2:12: trace(x)\nconftest.py:2:1: chrono.install(name="trace")\n',
        )

    def test_subprocess_exit_codes(self, tmp_path: Path) -> None:
        """``python -m chrono check`` exits 1 with the report on stdout, then 0 once clean."""
        write(tmp_path, "app.py", "from chrono import tp\nprint(tp('x'))\n")
        command = [sys.executable, "-m", "chrono", "check", "app.py"]
        dirty = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
        assert (dirty.returncode, dirty.stdout) == (1, "app.py:2:7: tp('x')\n")
        write(tmp_path, "app.py", "print('x')\n")
        clean = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
        assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")

    @needs_git
    def test_subprocess_in_git_repository(self, tmp_path: Path) -> None:
        """Run for real inside a git repository, an ignored file's call is not reported."""
        git(tmp_path, "init", "-q")
        write(tmp_path, ".gitignore", "scratch.py\n")
        write(tmp_path, "scratch.py", "tp(1)\n")
        write(tmp_path, "kept.py", "tp(2)\n")
        completed = subprocess.run(
            [sys.executable, "-m", "chrono", "check"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert (completed.returncode, completed.stdout) == (1, "kept.py:1:1: tp(2)\n")


class TestPreCommitHook:
    """The hook definition that pre-commit reads from the repository root."""

    def test_hook_definition(self) -> None:
        """The chrono-check hook runs ``chrono check`` on Python files."""
        yaml = pytest.importorskip("yaml", reason="needs PyYAML: pip install pyyaml")
        hooks = yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text())
        (hook,) = (hook for hook in hooks if hook["id"] == "chrono-check")
        assert (hook["entry"], hook["language"], hook["types"]) == (
            "chrono check",
            "python",
            ["python"],
        )
