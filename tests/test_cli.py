"""The ``chrono`` command's own parsing, and the demo a newcomer runs first."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import chrono
from chrono import cli
from chrono.cli import main
from helpers import run_command

REPOSITORY = Path(__file__).resolve().parents[1]


def story_section(output: str) -> str:
    """The part of a pytest run's output between the failures header and the summary."""
    return output.split("= FAILURES =", 1)[-1].split("short test summary info", 1)[0]


def run_chrono(*arguments: str, cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    # Not this suite's pytest-xdist worker variables: the demo's pytest is no worker, and
    # plugins that read them (pytest-benchmark) warn in its output.
    inherited = {
        key: value for key, value in os.environ.items() if not key.startswith("PYTEST_XDIST")
    }
    return subprocess.run(
        [sys.executable, "-m", "chrono", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**inherited, "NO_COLOR": "1", **environment},
        timeout=120,
    )


def install_like_a_wheel(site: Path) -> Path:
    """A copy of chrono laid out as a wheel installs it: the package, and a dist-info whose
    RECORD lists its files and whose entry point registers the plugin. (The editable install
    the tests run from lists no package files, so pytest never marks chrono for rewriting.)"""
    package = site / "chrono"
    shutil.copytree(
        Path(chrono.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    dist_info = site / f"chrono_tp-{chrono.__version__}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: chrono-tp\nVersion: {chrono.__version__}\n"
    )
    (dist_info / "entry_points.txt").write_text("[pytest11]\nchrono = chrono.pytest_plugin\n")
    files = sorted(path.relative_to(site).as_posix() for path in package.rglob("*.py"))
    (dist_info / "RECORD").write_text("".join(f"{name},,\n" for name in files))
    return package


class TestDemo:
    def test_demo_from_an_installed_chrono_shows_no_warning(self, tmp_path: Path) -> None:
        """Run from a wheel-like install, the demo's output carries no pytest warning."""
        package = install_like_a_wheel(tmp_path / "site")
        result = run_chrono("demo", cwd=tmp_path, PYTHONPATH=str(tmp_path / "site"))
        assert result.returncode == 0, result.stdout + result.stderr
        assert str(package / "_demo" / "shop.py") in result.stdout  # the copy ran
        output = result.stdout + result.stderr
        assert "Warning" not in output
        assert "1 failed, 2 passed in" in result.stdout

    @pytest.mark.parametrize("columns", ["80", "100"])
    def test_demo_writes_each_call_site_one_way_from_any_folder(
        self, tmp_path: Path, columns: str
    ) -> None:
        """From the clone's folder, from another, and installed as a wheel, the story, the
        side-by-side and the 'ran only in' line all write the demo's file as shop.py, as
        pytest's test ids write test_shop.py: relative to the rootdir."""
        site = re.compile(r"(\S+\.py):\d+ in ")
        outputs = []
        wheel_site = tmp_path / "site"
        install_like_a_wheel(wheel_site)
        for cwd, environment in (
            (REPOSITORY, {}),
            (tmp_path, {}),
            (tmp_path, {"PYTHONPATH": str(wheel_site)}),
        ):
            result = run_chrono("demo", cwd=cwd, COLUMNS=columns, **environment)
            assert result.returncode == 0, result.stdout + result.stderr
            shown = story_section(result.stdout)
            assert "ran only in [SAVE10]: shop.py:48 in Cart.total ×1" in shown
            assert {match.group(1) for match in site.finditer(shown)} == {"shop.py"}
            chrono_part = shown[shown.index(" chrono story ") :].split("Captured log")[0]
            # Times differ per run, and a slow moment adds a line that marks the pause.
            lines = [line for line in chrono_part.splitlines() if "⋮" not in line]
            outputs.append(re.sub(r" *\d+\.\d+ms *", " ", "\n".join(lines)))
        assert outputs[0] == outputs[1] == outputs[2]

    def test_demo_fails_its_test_and_tells_the_story(self, tmp_path: Path) -> None:
        """The demo exits 0 and its failure report carries the story that explains the bug."""
        result = run_chrono("demo", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        story = story_section(result.stdout).split("chrono: where it diverged")[0]
        assert "chrono story" in story
        # The three checks, and the first suspect above the story: the check itself.
        assert story.count("line >= code.minimum=False") == 4
        assert "look first at" in story
        assert "total=Decimal('120.00')" in story
        assert "1 failed, 2 passed" in result.stdout
        assert "Read the story under the failure" in result.stdout
        assert "chrono is off" not in result.stdout

    def test_demo_compares_the_failing_case_with_the_passing_one(self, tmp_path: Path) -> None:
        """The SAVE10 case's report says where it left the passing WELCOME10 case: the check."""
        result = run_chrono("demo", cwd=tmp_path, COLUMNS="100")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "chrono: where it diverged from [WELCOME10], which passed" in result.stdout
        assert "[SAVE10] and [WELCOME10] share their first 3 events" in result.stdout
        assert "The data diverged: same call site, other values (line >= code.minimum)." in (
            result.stdout
        )

    def test_demo_passes_pytest_options_on(self, tmp_path: Path) -> None:
        """Options the demo does not know, before or after ``--``, reach pytest and the plugin."""
        result = run_chrono(
            "demo", "--", "-q", f"--chrono-json={tmp_path / 'stories'}", cwd=tmp_path
        )
        assert result.returncode == 0, result.stdout + result.stderr
        written = list((tmp_path / "stories").glob("*.json"))
        assert len(written) == 1
        assert "test_code_applies_to_a_cart_over_the_minimum" in written[0].name

    def test_demo_with_chrono_off_tells_no_story(self, tmp_path: Path) -> None:
        """With CHRONO=off the demo's test still fails, and no story is recorded or shown."""
        result = run_chrono("demo", cwd=tmp_path, CHRONO="off")
        assert "1 failed, 2 passed" in result.stdout
        story = story_section(result.stdout)
        assert "AssertionError" in story
        assert "chrono story" not in story
        assert "line >= code.minimum" not in story

    @pytest.mark.parametrize("value", ["off", "0"])
    def test_demo_with_chrono_off_says_what_is_shown(self, tmp_path: Path, value: str) -> None:
        """With chrono off, the demo's closing words say that chrono is off and how to turn it
        on, not how to read a story that is not there."""
        result = run_chrono("demo", cwd=tmp_path, CHRONO=value)
        assert result.returncode == 0, result.stdout + result.stderr
        afterword = result.stdout.split(" 1 failed, 2 passed", 1)[1]
        assert f"chrono is off (CHRONO={value}), so tp() recorded nothing" in afterword
        assert "turn chrono on: run the demo with CHRONO unset, or CHRONO=on" in afterword
        assert "Read the story" not in afterword
        assert "compared the story" not in afterword
        assert "Try: CHRONO=off" not in afterword


class TestParsing:
    def test_unknown_option_outside_the_demo_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``chrono check --bogus`` exits 2 and names the option it did not understand."""
        with pytest.raises(SystemExit) as exit_info:
            main(["check", "--bogus"])
        assert exit_info.value.code == 2
        assert "unrecognized arguments: --bogus" in capsys.readouterr().err

    def test_a_command_is_required(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``chrono`` with no command exits 2 and lists the commands."""
        with pytest.raises(SystemExit) as exit_info:
            main([])
        assert exit_info.value.code == 2
        assert "COMMAND" in capsys.readouterr().err

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``chrono --version`` prints the version and exits 0, with no command needed."""
        with pytest.raises(SystemExit) as exit_info:
            main(["--version"])
        assert exit_info.value.code == 0
        assert capsys.readouterr().out == f"chrono {chrono.__version__}\n"

    def test_version_through_python_m(self, tmp_path: Path) -> None:
        """``python -m chrono --version`` prints the same line and exits 0."""
        result = run_chrono("--version", cwd=tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (
            0,
            f"chrono {chrono.__version__}\n",
            "",
        )


def run_until_the_reader_goes(
    *arguments: str, cwd: Path, lines_read: int
) -> tuple[int, list[str], str]:
    """Run ``python -m chrono ARGUMENTS`` with its output into a real pipe whose reader takes
    ``lines_read`` lines, then closes it (0: the reader is gone before the command starts).
    Returns the exit status, the lines read and all of stderr."""
    read_end, write_end = os.pipe()
    if not lines_read:
        os.close(read_end)
    process = subprocess.Popen(
        [sys.executable, "-m", "chrono", *arguments],
        cwd=cwd,
        stdout=write_end,
        stderr=subprocess.PIPE,
        # Not this suite's pytest-xdist worker variables: the demo's pytest is a run of its own.
        env={
            **{
                key: value
                for key, value in os.environ.items()
                if not key.startswith("PYTEST_XDIST")
            },
            "NO_COLOR": "1",
        },
    )
    os.close(write_end)
    lines: list[str] = []
    if lines_read:
        with os.fdopen(read_end, encoding="utf-8") as reader:
            lines = [reader.readline() for _ in range(lines_read)]
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    process.stderr.close()
    return process.wait(timeout=120), lines, stderr


@pytest.fixture(scope="class")
def many_calls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of 3,000 ``tp()`` calls: more leftovers than a pipe holds lines of."""
    folder = tmp_path_factory.mktemp("many")
    calls = "".join(f"value_{number} = tp({number})\n" for number in range(3000))
    (folder / "calls.py").write_text(f"from chrono import tp\n{calls}", encoding="utf-8")
    return folder


class TestReaderGoesAway:
    """Each command, its output in a pipe that closes early, stops quietly with status 141."""

    def test_demo(self, tmp_path: Path) -> None:
        """``chrono demo | head -1``: exit 141, nothing on stderr, not even pytest's."""
        status, lines, stderr = run_until_the_reader_goes("demo", cwd=tmp_path, lines_read=1)
        assert lines == [
            "chrono demo: a real pytest run of a small shop whose discount code does not apply.\n"
        ]
        assert (status, stderr) == (cli.READER_GONE, "")

    def test_check(self, many_calls: Path) -> None:
        """``chrono check . | head -1`` over 3,000 calls: the first line, then exit 141."""
        status, lines, stderr = run_until_the_reader_goes(
            "check", ".", cwd=many_calls, lines_read=1
        )
        assert lines == ["calls.py:2:11: tp(0)\n"]
        assert (status, stderr) == (cli.READER_GONE, "")

    def test_strip_diff(self, many_calls: Path) -> None:
        """``chrono strip --diff | head -1``: exit 141, and the file is left as it was."""
        before = (many_calls / "calls.py").read_text(encoding="utf-8")
        status, lines, stderr = run_until_the_reader_goes(
            "strip", ".", "--diff", cwd=many_calls, lines_read=1
        )
        assert lines[0].startswith("--- ")
        assert (status, stderr) == (cli.READER_GONE, "")
        assert (many_calls / "calls.py").read_text(encoding="utf-8") == before

    def test_run(self, tmp_path: Path) -> None:
        """``chrono run`` of a program that prints more than a pipe holds: exit 141, quietly."""
        (tmp_path / "talk.py").write_text(
            "for number in range(100_000):\n    print(number)\n", encoding="utf-8"
        )
        status, lines, stderr = run_until_the_reader_goes(
            "run", "talk.py", cwd=tmp_path, lines_read=1
        )
        assert lines == ["0\n"]
        assert (status, stderr) == (cli.READER_GONE, "")

    @pytest.mark.parametrize("arguments", [("--version",), ("--help",), ("compare", "--help")])
    def test_the_reader_gone_before_a_line(self, tmp_path: Path, arguments: tuple[str]) -> None:
        """A short output into a pipe nobody reads any more: exit 141, nothing on stderr."""
        status, _, stderr = run_until_the_reader_goes(*arguments, cwd=tmp_path, lines_read=0)
        assert (status, stderr) == (cli.READER_GONE, "")

    def test_compare(self, tmp_path: Path) -> None:
        """``chrono compare`` into a pipe nobody reads any more: exit 141, nothing on stderr."""
        failing = exported_story(tmp_path, "a", [10, 20], story_name="test_total[a]")
        passing = exported_story(tmp_path, "b", [10, 21], story_name="test_total[b]")
        status, _, stderr = run_until_the_reader_goes(
            "compare", str(failing), str(passing), cwd=tmp_path, lines_read=0
        )
        assert (status, stderr) == (cli.READER_GONE, "")


def exported_story(directory: Path, name: str, prices: list[int], *, story_name: str) -> Path:
    """A story of real tp calls, written as ``Story.to_json()`` writes it (what
    ``--chrono-json`` writes, less the ``test`` object)."""
    with chrono.story(story_name) as story:
        for price in prices:
            chrono.tp(price)
    path = directory / f"{name}.json"
    path.write_text(story.to_json(), encoding="utf-8")
    return path


class TestCompare:
    def test_stories_that_diverge_exit_1_and_show_where(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Two stories that differ in a value: exit 1, named by their stories' names, with the
        differing pair."""
        failing = exported_story(tmp_path, "a", [10, 20, 30], story_name="test_total[a]")
        passing = exported_story(tmp_path, "b", [10, 21, 30], story_name="test_total[b]")
        code, out, err = run_command(capsys, "compare", str(failing), str(passing), "--width", "80")
        assert (code, err) == (1, "")
        lines = out.splitlines()
        assert lines[:2] == [
            "test_total[a] and test_total[b] share their first event (of 3 and 3).",
            "The data diverged: same call site, other values (price).",
        ]
        # The pair's values share a row, wherever a long call site folds the rows above it.
        (row,) = [line for line in lines if "price=20" in line]
        assert row.endswith("price=21")

    def test_a_failing_storys_suspects_come_first(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file whose run ranked suspects (``--chrono-json`` of a failing test) has them
        told, as its run ranked them, before where the stories diverged; a damaged list says
        so in one line and the comparison still comes."""
        failing = exported_story(tmp_path, "a", [10, 20], story_name="test_total[a]")
        passing = exported_story(tmp_path, "b", [10, 21], story_name="test_total[b]")
        data = json.loads(failing.read_text(encoding="utf-8"))
        suspect = {
            "rank": 1, "seq": data["events"][1]["seq"], "file": "shop.py", "line": 44,
            "function": "Cart.total", "predicate": "price=20", "kind": "value", "score": 1.0,
            "formula": "ochiai", "failing": 1, "failing_total": 1, "passing": 0,
            "passing_total": 3,
        }  # fmt: skip
        data["suspects"] = [suspect]
        failing.write_text(json.dumps(data), encoding="utf-8")
        code, out, err = run_command(capsys, "compare", str(failing), str(passing))
        assert (code, err) == (1, "")
        assert out.splitlines()[:3] == [
            "test_total[a], as its run ranked the suspects:",
            f"1 look first at #{suspect['seq']} shop.py:44 in Cart.total — price=20: in 1 of 1 "
            "failing test, 0 of 3 passing (ochiai 1.00)",
            "",
        ]
        assert out.splitlines()[3].startswith("test_total[a] and test_total[b] share")
        del suspect["kind"]
        failing.write_text(json.dumps(data), encoding="utf-8")
        code, out, err = run_command(capsys, "compare", str(failing), str(passing))
        assert code == 1
        assert out.splitlines()[0] == (
            "test_total[a]: its suspects cannot be read (KeyError: 'kind')"
        )

    def test_stories_that_ran_alike_exit_0(
        self, workdir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Two runs of one test (one name: the files, as given, name the sides) that ran alike
        exit 0."""
        exported_story(workdir, "monday", [10, 20], story_name="test_total")
        exported_story(workdir, "tuesday", [10, 20], story_name="test_total")
        code, out, _ = run_command(
            capsys, "compare", "monday.json", "tuesday.json", "--width", "120"
        )
        assert code == 0
        assert out == (
            "monday.json and tuesday.json ran alike: 2 events, the same call sites and values.\n"
        )

    def test_one_tests_files_from_two_runs_are_named_by_their_folders(
        self, workdir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """One test's file from two runs' folders (one file name): the folders name the sides."""
        for folder, prices in (("failing", [10, 25]), ("passing", [10, 20])):
            (workdir / folder).mkdir()
            exported_story(workdir / folder, "test_total", prices, story_name="test_total")
        code, out, _ = run_command(
            capsys,
            "compare",
            "failing/test_total.json",
            "passing/test_total.json",
            "--width",
            "120",
        )
        assert code == 1
        assert out.startswith("failing and passing share their first event (of 2 and 2).\n")

    def test_a_file_written_by_the_plugin(self, tmp_path: Path) -> None:
        """The demo's --chrono-json file compares with itself through ``python -m chrono``."""
        demo = run_chrono("demo", "--", "-q", f"--chrono-json={tmp_path / 'stories'}", cwd=tmp_path)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        (written,) = (tmp_path / "stories").glob("*.json")
        relative = str(written.relative_to(tmp_path))
        result = run_chrono("compare", relative, relative, "--width", "200", cwd=tmp_path)
        assert (result.returncode, result.stderr) == (0, "")
        assert "ran alike: 11 events" in " ".join(result.stdout.split())

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (None, "cannot read {path}: No such file or directory"),
            ("{not json", "{path} is not JSON: "),
            ('{"traceEvents": []}', "{path} is a Chrome trace (--chrono-trace), not a story"),
            ("[]", "{path} holds 0 stories in a list; compare takes one story per file"),
            ('{"schema": "other/1"}', "{path} must be a chrono Story, its to_dict() data"),
            ('{"schema": "chrono.story/1"}', "{path} is not a valid story (KeyError: 'events')"),
        ],
    )
    def test_a_file_that_holds_no_story_exits_2_naming_it(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        content: str | None,
        message: str,
    ) -> None:
        """A missing file, bad JSON, a trace, an empty list or another schema: exit 2 and one
        line naming the file and what is wrong."""
        good = exported_story(tmp_path, "good", [1], story_name="test_one")
        bad = tmp_path / "bad.json"
        if content is not None:
            bad.write_text(content, encoding="utf-8")
        code, out, err = run_command(capsys, "compare", str(good), str(bad))
        assert (code, out) == (2, "")
        assert err.startswith("chrono compare: error: " + message.format(path=bad))
        assert err.count("\n") == 1

    def test_a_list_of_one_story_is_that_story(
        self, workdir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A JSON list holding one story is read as that story."""
        single = exported_story(workdir, "single", [1, 2], story_name="test_one")
        listed = workdir / "listed.json"
        listed.write_text(f"[{single.read_text(encoding='utf-8')}]", encoding="utf-8")
        code, out, _ = run_command(capsys, "compare", "single.json", "listed.json")
        assert code == 0
        assert "ran alike: 2 events" in out
