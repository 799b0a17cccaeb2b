"""chrono's one policy for its own errors: swallowed, said once per place, and every broad
``except`` in chrono either uses it or says why it differs."""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import chrono
from chrono import _errors

SOURCE = Path(chrono.__file__).parent


def _swallow_here(error: BaseException) -> bool:
    """One place in code that swallows, as chrono's own ``except`` clauses do."""
    return _errors.swallowed(error)


def _swallow_elsewhere(error: BaseException) -> bool:
    """A second place."""
    return _errors.swallowed(error)


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test switch off, and no place said yet."""
    monkeypatch.setattr(_errors, "RAISE_INTERNAL_ERRORS", False)
    monkeypatch.setattr(_errors, "_places_said", set())


class TestSaidOncePerPlace:
    @pytest.mark.usefixtures("production")
    def test_the_first_swallow_at_a_place_warns_with_its_location(self) -> None:
        """A swallowed error is said as a SwallowedErrorWarning located at the swallowing line,
        naming the error."""
        with pytest.warns(_errors.SwallowedErrorWarning, match="ValueError.*boom") as said:
            assert _swallow_here(ValueError("boom"))
        assert said[0].filename == __file__
        assert said[0].lineno == _swallow_here.__code__.co_firstlineno + 2

    @pytest.mark.usefixtures("production")
    def test_a_place_is_said_once_and_another_place_again(self) -> None:
        """The same place swallowing again says nothing; a second place says its own once."""
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            for _ in range(3):
                _swallow_here(ValueError("again"))
                _swallow_elsewhere(KeyError("other"))
        assert [warning.lineno for warning in said] == [
            _swallow_here.__code__.co_firstlineno + 2,
            _swallow_elsewhere.__code__.co_firstlineno + 2,
        ]

    @pytest.mark.usefixtures("production")
    def test_the_family_filters_as_one(self) -> None:
        """An ignore filter on ChronoWarning, public as chrono.ChronoWarning, silences it."""
        assert issubclass(_errors.SwallowedErrorWarning, chrono.ChronoWarning)
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", chrono.ChronoWarning)
            assert _swallow_here(ValueError("quiet"))
        assert said == []

    @pytest.mark.usefixtures("production")
    def test_warnings_as_errors_give_one_line_and_no_raise(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Under ``-W error`` the warning would raise: one stderr line instead, and the error is
        still swallowed."""
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert _swallow_here(ValueError("loud"))
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "SwallowedErrorWarning: chrono swallowed" in err
        assert "loud" in err

    @pytest.mark.usefixtures("production")
    def test_recursion_near_the_limit_is_not_said(self) -> None:
        """A RecursionError has its documented fallback and is no fault to report."""
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            assert _swallow_here(RecursionError("deep"))
        assert said == []

    def test_a_failing_observer_is_said_once_in_a_real_program(self, tmp_path: Path) -> None:
        """In a process without the test switch, an observer that raises at every story is
        said once on stderr, and the program's stories and output go on."""
        script = tmp_path / "program.py"
        script.write_text(
            "import chrono\n"
            ""
            "class Broken:\n"
            "    def story_started(self, story):\n"
            "        raise RuntimeError('observer broke')\n"
            "    def story_stopped(self, story, error):\n"
            "        pass\n"
            "chrono.observe(Broken())\n"
            "for n in range(3):\n"
            "    with chrono.story():\n"
            "        chrono.tp(n)\n"
            "print('done')\n",
            encoding="utf-8",
        )
        run = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=True
        )
        assert run.stdout == "done\n"
        assert run.stderr.count("SwallowedErrorWarning") == 1
        assert "observer broke" in run.stderr


def _broad_handlers() -> list[tuple[str, int, str]]:
    """Every ``except`` in chrono that catches Exception or BaseException, with its text."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.ExceptHandler):
                continue
            caught = [] if node.type is None else list(ast.walk(node.type))
            names = {name.id for name in caught if isinstance(name, ast.Name)}
            if node.type is None or names & {"Exception", "BaseException"}:
                handler = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                found.append((path.relative_to(SOURCE).as_posix(), node.lineno, handler))
    return found


class TestEveryBroadExcept:
    def test_each_uses_the_policy_re_raises_or_says_why(self) -> None:
        """A broad except asks swallowed(), re-raises unchanged, or has a comment saying why
        it differs."""
        unexplained = [
            f"{file}:{line}"
            for file, line, handler in _broad_handlers()
            if "swallowed(" not in handler
            and not handler.rstrip().endswith("raise")
            and "#" not in handler
        ]
        assert unexplained == []

    def test_no_module_imports_the_recorder_for_the_switch(self) -> None:
        """The test switch is read in _errors only: no module reads it from the recorder."""
        readers = [
            path.name
            for path in SOURCE.rglob("*.py")
            if path.name != "_errors.py" and "RAISE_INTERNAL_ERRORS" in path.read_text("utf-8")
        ]
        assert readers == []
