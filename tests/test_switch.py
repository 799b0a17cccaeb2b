"""The switch: CHRONO, enable()/disable()/is_enabled(), install(), and swallowed internal errors."""

from __future__ import annotations

import builtins
import dis
import io
from pathlib import Path
from types import CodeType

import pytest

import chrono
from chrono import _callsite, _errors, _recorder, _switch, tp
from helpers import environment, import_source, run_script

# Prints whether chrono is on and what tp returned; the live line, if any, goes to stderr.
PROBE = """
import chrono
from chrono import tp
value = 41
returned = tp(value)
print(chrono.is_enabled(), returned)
"""

HEAVY_MODULES = ("rich", "executing", "asttokens")


class TestEnvironmentVariable:
    @pytest.mark.parametrize("value", [None, "on", "1", "true", "yes", "", "ON", " Yes "])
    def test_enabling_values_turn_chrono_on(self, tmp_path: Path, value: str | None) -> None:
        """Unset, on/1/true/yes (any case, padded) and the empty string all enable tp."""
        result = run_script(tmp_path, PROBE, env=environment(CHRONO=value))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "True 41\n"
        assert "value=41" in result.stderr
        assert "warning" not in result.stderr

    @pytest.mark.parametrize("value", ["off", "0", "false", "no", "OFF", " False "])
    def test_disabling_values_turn_chrono_off(self, tmp_path: Path, value: str) -> None:
        """off/0/false/no make tp return its argument and print nothing at all."""
        result = run_script(tmp_path, PROBE, env=environment(CHRONO=value))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "False 41\n"
        assert result.stderr == ""

    def test_unknown_value_warns_once_and_stays_off(self, tmp_path: Path) -> None:
        """A typo prints one warning naming CHRONO and every allowed value; chrono stays off."""
        result = run_script(
            tmp_path, PROBE + "tp(value)\nimport chrono\n", env=environment(CHRONO="enabled")
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "False 41\n"
        lines = result.stderr.splitlines()
        assert len(lines) == 1
        warning = lines[0]
        assert "CHRONO" in warning
        assert "'enabled'" in warning
        assert "stays off" in warning
        for allowed in (*_switch.ON_VALUES, *_switch.OFF_VALUES):
            assert allowed in warning

    def test_unknown_value_warning_reads_as_one_sentence(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The warning names the variable, the value, and which values turn chrono on and off."""
        assert _switch.enabled_from_environment({"CHRONO": "maybe"}) is False
        assert capsys.readouterr().err == (
            "chrono: warning: CHRONO='maybe' is not understood, so chrono stays off; set CHRONO"
            " to on, 1, true or yes to turn it on, or to off, 0, false or no to keep it off.\n"
        )

    def test_disabled_import_loads_nothing_heavy(self, tmp_path: Path) -> None:
        """With CHRONO=off, importing chrono and calling tp imports no rich/executing/asttokens."""
        source = f"""
            import sys
            import chrono
            from chrono import tp
            tp(1, 2)
            print(sorted(name for name in {HEAVY_MODULES!r} if name in sys.modules))
        """
        result = run_script(tmp_path, source, env=environment(CHRONO="off"))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "[]\n"

    def test_enabled_import_defers_heavy_modules(self, tmp_path: Path) -> None:
        """Even enabled, importing chrono loads rich, executing and asttokens only on first use."""
        source = f"""
            import sys
            import chrono
            print(sorted(name for name in {HEAVY_MODULES!r} if name in sys.modules))
        """
        result = run_script(tmp_path, source, env=environment(CHRONO="on"))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "[]\n"

    def test_parsing_reads_the_mapping_it_is_given(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """enabled_from_environment reads a replaceable mapping and warns only for bad values."""
        assert _switch.enabled_from_environment({}) is True
        assert _switch.enabled_from_environment({"CHRONO": "yes"}) is True
        assert _switch.enabled_from_environment({"CHRONO": "no"}) is False
        assert capsys.readouterr().err == ""
        assert _switch.enabled_from_environment({"CHRONO": "nope"}) is False
        assert capsys.readouterr().err.count("chrono: warning: CHRONO=") == 1


class TestRuntimeSwitch:
    def test_disable_and_enable_reach_names_imported_earlier(self, tmp_path: Path) -> None:
        """A module that did `from chrono import tp` before the switch follows it both ways."""
        module = import_source(
            tmp_path,
            "early_importer",
            """
            from chrono import tp

            def call(value):
                return tp(value)
            """,
        )
        chrono.disable()
        assert chrono.is_enabled() is False
        with chrono.story() as quiet:
            assert module.call(7) == 7
        assert quiet.events == []

        chrono.enable()
        assert chrono.is_enabled() is True
        with chrono.story() as loud:
            assert module.call(8) == 8
        assert [event.items for event in loud.events] == [(("value", "8"),)]

    def test_disabled_tp_returns_exactly_its_arguments(self) -> None:
        """Disabled, tp() is None, tp(x) is x, and tp(a, b) is the tuple (a, b)."""
        chrono.disable()
        marker = object()
        assert tp() is None
        assert tp(None) is None
        assert tp(marker) is marker
        assert tp(marker, 2) == (marker, 2)
        assert tp("HERE") == "HERE"

    def test_disabled_tp_returns_keyword_values(self) -> None:
        """Disabled, keywords are returned like positional values: positional first."""
        chrono.disable()
        marker = object()
        assert tp(total=marker) is marker
        assert tp(marker, n=2) == (marker, 2)
        assert tp(None, n=1) == (None, 1)
        assert tp(n=None) is None
        assert tp("saved", pk=3, first=4) == ("saved", 3, 4)

    def test_disabled_tp_prints_nothing(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Disabled, tp outside a story writes nothing to stdout or stderr."""
        chrono.disable()
        tp(1)
        assert capsys.readouterr() == ("", "")

    @pytest.mark.parametrize("enabled", [True, False])
    def test_tp_keeps_its_name(self, enabled: bool) -> None:
        """Whichever body runs, tracebacks and profilers see a function called tp."""
        (chrono.enable if enabled else chrono.disable)()
        assert tp.__name__ == "tp"
        assert tp.__code__.co_name == "tp"


class TestInstall:
    def test_install_makes_tp_a_builtin(self, tmp_path: Path) -> None:
        """After install(), code that never imported chrono can call tp and is recorded."""
        try:
            chrono.install()
            assert builtins.tp is tp  # type: ignore[attr-defined]
            module = import_source(tmp_path, "no_import", "def call(seen):\n    return tp(seen)\n")
            with chrono.story() as story:
                assert module.call(3) == 3
            assert story.values("seen") == ["3"]
        finally:
            if hasattr(builtins, "tp"):
                del builtins.tp  # type: ignore[attr-defined]

    def test_install_under_another_name(self) -> None:
        """install(name) binds the same tp under the name given."""
        try:
            chrono.install("trace_point")
            assert builtins.trace_point is tp  # type: ignore[attr-defined]
        finally:
            if hasattr(builtins, "trace_point"):
                del builtins.trace_point  # type: ignore[attr-defined]


class TestInternalErrors:
    def test_production_swallows_internal_errors(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With RAISE_INTERNAL_ERRORS False, a failure inside chrono is hidden and tp returns."""

        def broken(*arguments: object) -> None:
            raise RuntimeError("call site lookup failed")

        monkeypatch.setattr(_errors, "RAISE_INTERNAL_ERRORS", False)
        # Both the lookup and its fallback (values under the placeholder) fail.
        monkeypatch.setattr(_callsite, "_resolve", broken)
        monkeypatch.setattr(_callsite, "_unread", broken)
        marker = object()
        output = io.StringIO()
        chrono.configure(output=output)
        assert tp(marker) is marker
        assert tp(marker, 1) == (marker, 1)
        assert output.getvalue() == ""

    def test_testing_switch_raises_internal_errors(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With RAISE_INTERNAL_ERRORS True (as in this suite), the same failure surfaces."""

        def broken(*arguments: object) -> None:
            raise RuntimeError("call site lookup failed")

        monkeypatch.setattr(_callsite, "_resolve", broken)
        with pytest.raises(RuntimeError, match="call site lookup failed"):
            tp(1)

    def test_recording_is_not_left_busy_after_an_error(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """After a swallowed failure, the next tp call in the same thread is recorded again."""

        def broken(*arguments: object) -> None:
            raise RuntimeError("once")

        monkeypatch.setattr(_errors, "RAISE_INTERNAL_ERRORS", False)
        monkeypatch.setattr(_callsite, "_resolve", broken)
        tp(1)
        monkeypatch.undo()
        with chrono.story() as story:
            recovered = 2
            tp(recovered)
        assert story.values("recovered") == ["2"]


def _globals_read_by(code: CodeType) -> set[str]:
    """The global names that ``code`` (and any code nested in it) reads or binds."""
    names = {
        instruction.argval
        for instruction in dis.get_instructions(code)
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL")
    }
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            names |= _globals_read_by(constant)
    return names


class TestBorrowedNames:
    def test_borrowed_names_are_what_tps_code_reads(self) -> None:
        """TP_BORROWS lists exactly the recorder's globals that tp's recording body reads."""
        read = _globals_read_by(_recorder.recording_tp.__code__)
        assert set(_recorder.TP_BORROWS) == {name for name in read if not hasattr(builtins, name)}

    def test_tp_namespace_holds_only_borrowed_names(self) -> None:
        """Enabled, tp's namespace holds the borrowed names and builtins, not the whole recorder."""
        chrono.enable()
        assert set(chrono.tp.__globals__) == {"__builtins__", *_recorder.TP_BORROWS}

    def test_borrowed_names_are_still_the_recorders(self) -> None:
        """Each name tp borrowed is still bound to what the recorder holds: nothing rebound one
        behind tp's back (a rebound name would leave tp using the old object)."""
        chrono.enable()
        for name in _recorder.TP_BORROWS:
            assert chrono.tp.__globals__[name] is getattr(_recorder, name), name

    def test_run_time_switches_are_not_borrowed(self) -> None:
        """RAISE_INTERNAL_ERRORS, rebound by tests after enable(), is read where errors are
        judged (chrono._errors), never borrowed by tp."""
        assert "RAISE_INTERNAL_ERRORS" not in _recorder.TP_BORROWS
        assert "RAISE_INTERNAL_ERRORS" in _errors.swallowed.__code__.co_names
        assert chrono.tp.__globals__["swallowed"] is _errors.swallowed


class TestTyping:
    def test_overloads_describe_every_form(self, tmp_path: Path) -> None:
        """mypy --strict accepts every form of the contract, keywords too, with its type."""
        from mypy import api

        program = (
            "from typing import Any, Tuple\n"
            "from typing_extensions import assert_type\n"
            "from chrono import tp\n"
            "xs = [1, 2]\n"
            "assert_type(tp(), None)\n"
            "assert_type(tp(xs), list[int])\n"
            "assert_type(tp(xs, 2), Tuple[Any, ...])\n"
            "assert_type(tp(total=sum(xs)), Any)\n"
            "assert_type(tp(xs, n=len(xs)), Tuple[Any, ...])\n"
            'assert_type(tp("saved", pk=1), Tuple[Any, ...])\n'
        )
        # A configuration of its own: the project's names the files to check.
        configuration = tmp_path / "mypy.ini"
        configuration.write_text("[mypy]\n")
        options = ["--strict", "--config-file", str(configuration), "--cache-dir", str(tmp_path)]
        out, err, status = api.run([*options, "-c", program])
        assert status == 0, out + err
