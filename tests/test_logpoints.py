"""Logpoints: specs checked before anything runs, and events recorded as tp's would be, in a
story, live, in pytest (--chrono-at, chrono_at, under xdist and coverage), ``chrono run`` and
``CHRONO_AT``."""

from __future__ import annotations

import asyncio
import os
import site
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import chrono
from chrono import _logpoints
from chrono._logpoints import LOGPOINT_MARK, LogpointError, parse_spec
from helpers import environment, import_path, run_python, write_module
from pytest_plugin_runs import ALL, IN_PROCESS, Runner, make_runner

ROOT = Path(__file__).resolve().parent.parent
STARTUP_HOOK = ROOT / "startup" / "chrono_at.pth"

SHOP = """\
def total(prices, discount, password="hunter2"):
    subtotal = sum(prices)

    # the discount is taken off once
    result = subtotal - discount
    return result


def count_up(n):
    x = 0
    for _ in range(n):
        x += 1
    return x


def unused():
    return None
"""
#: Lines of SHOP, by what is there.
SUBTOTAL_LINE, BLANK_LINE, COMMENT_LINE, RESULT_LINE, RETURN_LINE = 2, 3, 4, 5, 6
INCREMENT_LINE = 12
UNUSED_LINE = 17


@pytest.fixture
def shop(workdir: Path) -> Any:
    """The module SHOP, written to ``shop.py`` in the current folder and imported."""
    return import_path(write_module(workdir, "shop", SHOP))


@pytest.fixture
def live_logpoints() -> Iterator[list[_logpoints.Logpoint]]:
    """A list to put logpoints in: added by the test, taken away after it."""
    added: list[_logpoints.Logpoint] = []
    try:
        yield added
    finally:
        _logpoints.remove(added)
        assert _logpoints.live() == []


def add(live_logpoints: list[_logpoints.Logpoint], *specs: str) -> list[_logpoints.Logpoint]:
    logpoints = _logpoints.parse_specs(specs)
    live_logpoints.extend(logpoints)
    _logpoints.add(logpoints)
    return logpoints


class TestParseSpec:
    def test_a_spec_names_a_file_a_line_and_expressions(self, shop: Any) -> None:
        """FILE:LINE:EXPR,… gives the file's real path, the line and each expression's text."""
        logpoint = parse_spec(f"shop.py:{RESULT_LINE}:subtotal, discount")
        assert logpoint.file == os.path.normcase(os.path.realpath("shop.py"))
        assert logpoint.line == RESULT_LINE
        assert logpoint.expressions == ("subtotal", "discount")

    def test_expressions_split_only_at_commas_outside_brackets(self, shop: Any) -> None:
        """Commas inside calls, subscripts and strings belong to their expression."""
        logpoint = parse_spec(f'shop.py:{RESULT_LINE}:max(a, b), d["x,y"],  [1,  2]')
        assert logpoint.expressions == ("max(a, b)", 'd["x,y"]', "[1, 2]")

    def test_a_relative_file_is_found_under_the_roots_first(self, tmp_path: Path) -> None:
        """A relative FILE is looked for under each root given before the working directory."""
        write_module(tmp_path, "shop", SHOP)
        logpoint = parse_spec(f"shop.py:{SUBTOTAL_LINE}", roots=[str(tmp_path)])
        assert logpoint.file == os.path.normcase(os.path.realpath(tmp_path / "shop.py"))

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("shop.py", "is not understood: write FILE:LINE or FILE:LINE:EXPR"),
            ("nowhere.py:3", "no file nowhere.py"),
            ("shop.py:40", "line 40 is past the end of"),
            ("shop.py:0", "line 0 is past the end of"),
            (f"shop.py:{BLANK_LINE}", f"line {BLANK_LINE} of"),
            (f"shop.py:{COMMENT_LINE}", "holds no code that runs"),
            (f"shop.py:{RESULT_LINE}:subtotal +", "expression 'subtotal +' does not compile"),
            (f"shop.py:{RESULT_LINE}:a,,b", "an expression is empty"),
        ],
    )
    def test_a_bad_spec_is_named_with_what_is_wrong(
        self, shop: Any, spec: str, message: str
    ) -> None:
        """Each way a spec can be wrong raises one error naming the spec and the fault."""
        with pytest.raises(LogpointError) as raised:
            parse_spec(spec)
        assert repr(spec) in str(raised.value)
        assert message in str(raised.value)

    def test_a_file_that_does_not_compile_is_named(self, workdir: Path) -> None:
        """A FILE with a syntax error cannot hold a logpoint, and the error says why."""
        (workdir / "broken.py").write_text("x = 1\ndef (:\n", encoding="utf-8")
        with pytest.raises(LogpointError, match=r"broken\.py does not compile"):
            parse_spec("broken.py:1")


class TestRecording:
    def test_values_are_recorded_before_the_line_runs(self, shop: Any, live_logpoints: Any) -> None:
        """A logpoint on ``x += 1`` sees x before the increment, each time the line runs."""
        add(live_logpoints, f"shop.py:{INCREMENT_LINE}:x, n")
        with chrono.story() as story:
            assert shop.count_up(3) == 3
        assert [event.items for event in story.events] == [
            (("x", "0"), ("n", "3")),
            (("x", "1"), ("n", "3")),
            (("x", "2"), ("n", "3")),
        ]

    def test_the_event_is_a_tp_event_marked_as_a_logpoint(
        self, shop: Any, live_logpoints: Any
    ) -> None:
        """The event's site is FILE:LINE in the function, marked; a bare spec is a marker."""
        add(live_logpoints, f"shop.py:{SUBTOTAL_LINE}")
        with chrono.story() as story:
            shop.total([1, 2], 1)
        (event,) = story.events
        assert (event.kind, event.line, event.label, event.items) == ("tp", SUBTOTAL_LINE, None, ())
        assert event.file == shop.__file__
        assert event.function == "total" + LOGPOINT_MARK
        assert f"shop.py:{SUBTOTAL_LINE} in total (logpoint)  reached" in story.text()

    def test_secrets_are_masked_and_a_leading_string_is_a_label(
        self, shop: Any, live_logpoints: Any
    ) -> None:
        """As in tp("checking", password, prices): the label, the secret masked, the rest shown."""
        add(live_logpoints, f"shop.py:{SUBTOTAL_LINE}:'checking', password, prices")
        with chrono.story() as story:
            shop.total([1, 2], 1)
        (event,) = story.events
        assert event.label == "checking"
        assert event.items == (("password", "<masked>"), ("prices", "[1, 2]"))

    def test_an_expression_that_raises_records_a_placeholder_and_changes_nothing(
        self, shop: Any, live_logpoints: Any
    ) -> None:
        """The exception is named in the event; the function runs and returns as without it."""
        add(live_logpoints, f"shop.py:{RESULT_LINE}:prices[9], 1 / discount, subtotal")
        with chrono.story() as story:
            assert shop.total([1, 2], 0) == 3
        (event,) = story.events
        assert event.items == (
            ("prices[9]", "<IndexError: list index out of range>"),
            ("1 / discount", "<ZeroDivisionError: division by zero>"),
            ("subtotal", "3"),
        )

    def test_outside_a_story_events_are_printed_live(
        self, shop: Any, live_logpoints: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With no story collecting, the event is one live line on stderr, as tp's are."""
        add(live_logpoints, f"shop.py:{RETURN_LINE}:result")
        shop.total([5], 2)
        err = capsys.readouterr().err
        assert f"shop.py:{RETURN_LINE} in total (logpoint)  result=3" in err

    def test_a_logpoint_on_a_tp_line_counts_its_own_runs(
        self, workdir: Path, live_logpoints: Any
    ) -> None:
        """A logpoint and a tp on one line each number their own runs (1, 2), not one shared
        counter's."""
        source = "from chrono import tp\n\n\ndef step(x):\n    return tp(x) + 1\n"
        module = import_path(write_module(workdir, "stepper", source))
        add(live_logpoints, "stepper.py:5:x")
        with chrono.story() as once:
            module.step(1)
        assert "×" not in once.text()
        with chrono.story() as twice:
            module.step(1)
            module.step(2)
        rows = twice.text().splitlines()[1:]
        logpoint_rows = [row for row in rows if LOGPOINT_MARK in row]
        tp_rows = [row for row in rows if row and LOGPOINT_MARK not in row]
        counted = [(True, False), (False, True)]
        assert [("×1" in row, "×2" in row) for row in logpoint_rows] == counted
        assert [("×1" in row, "×2" in row) for row in tp_rows] == counted

    def test_threads_and_tasks_are_recorded_as_for_tp(self, shop: Any, live_logpoints: Any) -> None:
        """An event in another thread names the thread; one in an asyncio task names the task."""
        add(live_logpoints, f"shop.py:{RETURN_LINE}:result")

        async def in_a_task() -> None:
            await asyncio.create_task(asyncio.sleep(0, shop.total([1], 0)), name="pricing")

        with chrono.story() as story:
            worker = threading.Thread(target=shop.total, args=([2], 0), name="worker")
            worker.start()
            worker.join()
            asyncio.run(in_a_task())
        places = [(event.thread, event.task, event.items) for event in story.events]
        assert places[0] == ("worker", None, (("result", "2"),))
        assert places[1][2] == (("result", "1"),)
        assert places[1][1] is not None  # asyncio.run's main task

    def test_code_already_running_gets_the_logpoint(
        self, workdir: Path, live_logpoints: Any
    ) -> None:
        """A function that is running when the logpoint is added records at its later lines."""
        module = import_path(
            write_module(
                workdir,
                "late",
                """\
                def run(add_logpoint):
                    add_logpoint()
                    value = 41
                    value += 1
                    return value
                """,
            )
        )
        with chrono.story() as story:
            module.run(lambda: add(live_logpoints, "late.py:4:value"))
        assert [event.items for event in story.events] == [(("value", "41"),)]

    def test_a_paused_generator_gets_the_logpoint_when_it_resumes(
        self, workdir: Path, live_logpoints: Any
    ) -> None:
        """A generator paused before the logpoint is added records when it goes on."""
        module = import_path(
            write_module(
                workdir,
                "paused",
                """\
                def numbers():
                    n = 1
                    yield n
                    n += 1
                    yield n
                """,
            )
        )
        numbers = module.numbers()
        assert next(numbers) == 1
        add(live_logpoints, "paused.py:4:n")
        with chrono.story() as story:
            assert next(numbers) == 2
        assert [event.items for event in story.events] == [(("n", "1"),)]

    def test_removed_logpoints_record_nothing_and_hooks_are_taken_away(
        self, shop: Any, live_logpoints: Any
    ) -> None:
        """After remove(), the line runs unrecorded, and no trace function of chrono's is left."""
        before = sys.gettrace()
        logpoints = add(live_logpoints, f"shop.py:{RESULT_LINE}:subtotal")
        _logpoints.remove(logpoints)
        with chrono.story() as story:
            shop.total([1], 0)
        assert story.events == []
        assert sys.gettrace() is before

    def test_an_earlier_trace_function_keeps_its_events(
        self, shop: Any, live_logpoints: Any
    ) -> None:
        """A trace function set before (a debugger's, coverage's) still sees every line, and is
        the trace function again once the logpoints are gone."""
        lines: list[int] = []

        def tracer(frame: Any, event: str, arg: Any) -> Any:
            if frame.f_code is shop.total.__code__ and event == "line":
                lines.append(frame.f_lineno)
            return tracer

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            logpoints = add(live_logpoints, f"shop.py:{RESULT_LINE}:subtotal")
            with chrono.story() as story:
                shop.total([1, 2], 1)
            _logpoints.remove(logpoints)
            assert sys.gettrace() is tracer
        finally:
            sys.settrace(previous)
        assert lines == [SUBTOTAL_LINE, RESULT_LINE, RETURN_LINE]
        assert [event.items for event in story.events] == [(("subtotal", "3"),)]

    def test_an_expression_reaching_a_logpoint_does_not_recurse(
        self, shop: Any, live_logpoints: Any
    ) -> None:
        """An expression that calls code holding a logpoint records once, without recursion."""
        add(live_logpoints, f"shop.py:{SUBTOTAL_LINE}:total([1], 0)")
        with chrono.story() as story:
            assert shop.total([4], 1) == 3
        assert [event.items for event in story.events] == [(("total([1], 0)", "1"),)]

    def test_chrono_off_installs_nothing(self, shop: Any, live_logpoints: Any) -> None:
        """Disabled, add() leaves no logpoint live and installs no hook."""
        before = sys.gettrace()
        chrono.disable()
        add(live_logpoints, f"shop.py:{RESULT_LINE}:subtotal")
        assert _logpoints.live() == []
        assert sys.gettrace() is before

    @pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
    def test_sys_monitoring_tool_is_chronos_own_and_freed(
        self, shop: Any, live_logpoints: Any
    ) -> None:
        """On 3.12+ chrono holds a tool id of its own while logpoints are live, then frees it."""
        monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        logpoints = add(live_logpoints, f"shop.py:{RESULT_LINE}:subtotal")
        assert "chrono" in [monitoring.get_tool(tool) for tool in range(6)]
        _logpoints.remove(logpoints)
        assert "chrono" not in [monitoring.get_tool(tool) for tool in range(6)]


# -- pytest ------------------------------------------------------------------------------------

TEST_SHOP = """\
from shop import total

def test_total():
    assert total([1, 2], 1) == 3

def test_alone():
    assert total([5], 0) == 5
"""


@pytest.fixture(params=ALL)
def runner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, request: Any) -> Runner:
    return make_runner(pytester, monkeypatch, request.param)


@pytest.fixture
def in_process(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Runner:
    return make_runner(pytester, monkeypatch, IN_PROCESS)


def _project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(shop=SHOP, test_shop=TEST_SHOP)
    pytester.syspathinsert()


class TestPytest:
    def test_a_failing_test_tells_the_logpoints_events(self, runner: Runner) -> None:
        """--chrono-at puts the logpoint's events in the failing test's story, in every mode."""
        _project(runner.pytester)
        result = runner(f"--chrono-at=shop.py:{RESULT_LINE}:subtotal, discount")
        result.assert_outcomes(failed=1, passed=1)
        story = result.stdout.str().split("chrono story 'test_shop.py::test_total'")[1]
        assert f"shop.py:{RESULT_LINE} in total (logpoint)  subtotal=3, discount=1" in story

    def test_the_ini_twin_takes_one_logpoint_per_line(self, in_process: Runner) -> None:
        """chrono_at in the ini file sets each of its lines as a logpoint."""
        _project(in_process.pytester)
        logpoints = f"    shop.py:{SUBTOTAL_LINE}\n    shop.py:{RETURN_LINE}:result\n"
        in_process.pytester.makeini(f"[pytest]\nchrono_at =\n{logpoints}")
        result = in_process()
        output = result.stdout.str()
        assert f"shop.py:{SUBTOTAL_LINE} in total (logpoint)  reached" in output
        assert f"shop.py:{RETURN_LINE} in total (logpoint)  result=2" in output

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("nowhere.py:1", "no file nowhere.py"),
            (f"shop.py:{COMMENT_LINE}", "holds no code that runs"),
            ("shop.py:99", "line 99 is past the end"),
            (f"shop.py:{RESULT_LINE}:)", "does not compile"),
        ],
    )
    def test_a_bad_logpoint_is_a_usage_error_before_anything_runs(
        self, in_process: Runner, spec: str, message: str
    ) -> None:
        """Exit code 4, the spec and its fault named, and no test run."""
        _project(in_process.pytester)
        result = in_process(f"--chrono-at={spec}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        error = result.stderr.str()
        assert f"--chrono-at: logpoint {spec!r}" in error
        assert message in error
        assert "test_total" not in result.stdout.str()

    @pytest.mark.parametrize("mode", ["in-process", "xdist"])
    def test_a_logpoint_that_never_ran_is_said_once_at_the_end(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str
    ) -> None:
        """Only the logpoint no test reached is named, on one line, also when workers ran."""
        runner = make_runner(pytester, monkeypatch, mode)
        _project(pytester)
        result = runner(f"--chrono-at=shop.py:{UNUSED_LINE}", f"--chrono-at=shop.py:{RETURN_LINE}")
        lines = [line for line in result.stdout.lines if "never ran" in line]
        assert lines == [f"chrono: 1 logpoint never ran: shop.py:{UNUSED_LINE}"]

    def test_coverage_still_measures_every_line(self, pytester: pytest.Pytester) -> None:
        """Under pytest --cov, coverage counts shop.py's lines as without the logpoint, and the
        story still has the logpoint's event."""
        pytest.importorskip("pytest_cov", reason="needs pytest-cov: pip install -e '.[test]'")
        _project(pytester)
        arguments = ["--cov=shop", "--cov-report=term-missing", "-p", "no:cacheprovider"]
        without = pytester.runpytest_subprocess(*arguments, timeout=120)
        with_logpoint = pytester.runpytest_subprocess(
            *arguments, f"--chrono-at=shop.py:{RESULT_LINE}:subtotal", timeout=120
        )
        report = [line for line in without.stdout.lines if line.startswith("shop.py ")]
        assert report
        assert [line for line in with_logpoint.stdout.lines if line.startswith("shop.py ")] == (
            report
        )
        event = f"shop.py:{RESULT_LINE} in total (logpoint)  subtotal=3"
        assert event in with_logpoint.stdout.str()


# -- chrono run and CHRONO_AT ------------------------------------------------------------------

SCRIPT = """\
import sys

def total(prices, discount):
    subtotal = sum(prices)
    return subtotal - discount

print("total", total([1, 2], int(sys.argv[1])))
sys.exit(int(sys.argv[2]))
"""


class TestChronoRun:
    def test_a_script_runs_as_python_would_with_its_logpoints(self, workdir: Path) -> None:
        """The script gets its arguments, prints what it prints, exits with its own code, and
        the logpoint's event is printed live on stderr."""
        write_module(workdir, "script", SCRIPT)
        result = run_python(
            "-m", "chrono", "run", "--at", "script.py:5:subtotal", "script.py", "1", "3",
            cwd=workdir,
        )  # fmt: skip
        assert result.returncode == 3, result.stderr
        assert result.stdout == "total 2\n"
        assert "script.py:5 in total (logpoint)  subtotal=3" in result.stderr

    def test_a_module_runs_with_m(self, workdir: Path) -> None:
        """-m MODULE runs the module as __main__, with the arguments after it."""
        write_module(workdir, "script", SCRIPT)
        result = run_python(
            "-m", "chrono", "run", "--at", "script.py:4", "-m", "script", "0", "0", cwd=workdir
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "total 3\n"
        assert "script.py:4 in total (logpoint)  reached" in result.stderr

    def test_its_logpoints_reach_the_programs_subprocesses_through_chrono_at(
        self, shop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The specs added to CHRONO_AT name their files absolutely, so that a subprocess
        started in another folder sets the same logpoints; what was there stays."""
        logpoints = _logpoints.parse_specs([f"shop.py:{RESULT_LINE}:max(a, b), c"])
        environ = {"CHRONO_AT": "other.py:1"}
        _logpoints.add_to_environment(logpoints, environ)
        first, second = environ["CHRONO_AT"].split(";")
        assert first == "other.py:1"
        monkeypatch.chdir(tmp_path)
        again = parse_spec(second)
        assert (again.file, again.line, again.expressions) == (
            logpoints[0].file,
            RESULT_LINE,
            ("max(a, b)", "c"),
        )

    def test_a_bad_logpoint_exits_2_before_the_program_runs(self, workdir: Path) -> None:
        """A logpoint on a blank line stops chrono run with exit code 2, naming it."""
        write_module(workdir, "script", SCRIPT)
        result = run_python("-m", "chrono", "run", "--at", "script.py:2", "script.py", cwd=workdir)
        assert result.returncode == 2
        assert result.stdout == ""
        assert "chrono run: error: logpoint 'script.py:2'" in result.stderr


@pytest.fixture(scope="module")
def venv_with_startup_hook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment whose site-packages holds chrono's startup hook, as an
    installed wheel's does; chrono and its dependencies come from this environment."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, STARTUP_HOOK.name).write_text(STARTUP_HOOK.read_text(encoding="utf-8"))
    return python


def _run_in_venv(python: Path, *arguments: str, cwd: Path, **variables: str) -> Any:
    # PYTHONPATH is on sys.path before site-packages' .pth files run: chrono imports there.
    here = [str(Path(chrono.__file__).parent.parent), *site.getsitepackages()]
    return subprocess.run(
        [str(python), *arguments],
        cwd=cwd,
        env=environment(PYTHONPATH=os.pathsep.join(here), **variables),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestChronoAtEnvironment:
    def test_the_startup_hook_sets_logpoints_in_any_process(
        self, workdir: Path, venv_with_startup_hook: Path
    ) -> None:
        """A script that never imports chrono records CHRONO_AT's logpoints; a bad spec gets
        one warning and is left out; the program's output and exit are its own."""
        write_module(workdir, "script", SCRIPT)
        result = _run_in_venv(
            venv_with_startup_hook, "script.py", "1", "0", cwd=workdir,
            CHRONO_AT="script.py:5:subtotal, discount;script.py:99",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout == "total 2\n"
        lines = result.stderr.splitlines()
        assert lines[0] == (
            "chrono: warning: CHRONO_AT: logpoint 'script.py:99': line 99 is past the end of "
            f"{os.path.normcase(os.path.realpath(workdir / 'script.py'))} (8 lines); left out"
        )
        assert lines[1].endswith("script.py:5 in total (logpoint)  subtotal=3, discount=1")
        assert len(lines) == 2

    def test_unset_the_startup_hook_imports_nothing(
        self, workdir: Path, venv_with_startup_hook: Path
    ) -> None:
        """Without CHRONO_AT, a process imports no module of chrono."""
        result = _run_in_venv(venv_with_startup_hook, "-X", "importtime", "-c", "pass", cwd=workdir)
        assert result.returncode == 0
        assert "site" in result.stderr  # importtime did report
        assert "chrono" not in result.stderr

    def test_chrono_off_sets_no_logpoint(self, workdir: Path, venv_with_startup_hook: Path) -> None:
        """CHRONO=off: the program runs and prints as it would, and nothing else is printed."""
        write_module(workdir, "script", SCRIPT)
        result = _run_in_venv(
            venv_with_startup_hook, "script.py", "1", "0", cwd=workdir,
            CHRONO="off", CHRONO_AT="script.py:5:subtotal",
        )  # fmt: skip
        assert (result.returncode, result.stdout, result.stderr) == (0, "total 2\n", "")

    def test_python_e_and_i_ignore_it(self, workdir: Path, venv_with_startup_hook: Path) -> None:
        """Under ``python -E`` and ``-I``, which tell Python to ignore its own variables,
        CHRONO_AT sets no logpoint; ``-s``, which does not, leaves it working."""
        # -E ignores PYTHONPATH too: chrono is found through a .pth of paths, read before the
        # hook (site reads them in name order), as an installed chrono is found.
        python = venv_with_startup_hook
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        here = [str(Path(chrono.__file__).parent.parent), *site.getsitepackages()]
        Path(purelib, "_chrono_paths.pth").write_text("\n".join(here) + "\n", encoding="utf-8")
        write_module(workdir, "script", SCRIPT)
        printed = {}
        for flag in ("-s", "-E", "-I"):
            result = subprocess.run(
                [str(python), flag, "script.py", "1", "0"],
                cwd=workdir,
                env=environment(CHRONO_AT="script.py:5:subtotal"),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert (result.returncode, result.stdout) == (0, "total 2\n"), result.stderr
            printed[flag] = result.stderr
        assert printed["-s"].endswith("script.py:5 in total (logpoint)  subtotal=3\n")
        assert printed["-E"] == printed["-I"] == ""


def test_the_startup_hook_is_one_line_that_reads_one_variable() -> None:
    """The .pth is one line that site runs (it starts with ``import``), reading CHRONO_AT,
    unless -E or -I tell Python to ignore the environment, before importing anything of chrono."""
    lines = STARTUP_HOOK.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        'import os; os.environ.get("CHRONO_AT") and not '
        '__import__("sys").flags.ignore_environment and __import__('
    )
