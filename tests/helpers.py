"""Helpers shared by the core tests: strict mode, real modules written to disk, subprocesses."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pytest

import chrono
from chrono import _callsite, _collecting, _config, _errors, cli

#: Environment variables that change what chrono or rich print; removed for subprocesses.
_QUIET_ENVIRONMENT = ("CHRONO", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")


@contextlib.contextmanager
def strict_chrono() -> Iterator[None]:
    """Chrono on, internal errors raised, default settings, and no story from outside the test.

    A story started by a test runner around the test (the pytest plugin's) is hidden while the
    test runs, so that live output and ``current_story()`` behave as they do in a script.
    """
    was_enabled = chrono.is_enabled()
    was_raising = _errors.RAISE_INTERNAL_ERRORS
    collecting = _collecting.collecting
    outer_process = collecting.process
    outer_context = collecting.context.get()
    collecting.process = ()
    collecting.context.set(())
    _errors.RAISE_INTERNAL_ERRORS = True
    chrono.enable()
    try:
        yield
    finally:
        _config.reset()
        _errors.RAISE_INTERNAL_ERRORS = was_raising
        collecting.process = outer_process
        collecting.context.set(outer_context)
        if was_enabled:
            chrono.enable()
        else:
            chrono.disable()


def run_in_thread(target: object, name: str = "worker") -> None:
    """Run ``target`` in a thread of that name, and wait for it."""
    thread = threading.Thread(target=target, name=name)  # type: ignore[arg-type]
    thread.start()
    thread.join()


def write_module(directory: Path, name: str, source: str) -> Path:
    """Write ``source`` (dedented) as ``directory/name.py`` and return its path."""
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def import_path(path: Path) -> ModuleType:
    """Import the module at ``path`` under a unique name, so its source is a real file."""
    name = f"chrono_test_{path.stem}_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def import_source(directory: Path, name: str, source: str) -> ModuleType:
    """Write ``source`` to a file and import it: tp calls in it have real, readable source."""
    return import_path(write_module(directory, name, source))


def large_module_source(methods: int = 1_500) -> str:
    """A module of thousands of lines: one class whose last methods call tp twice in a row
    (``back_to_back``) and once (``once``).

    chrono's first look at a call site there parses the whole class, which takes far longer
    than the two calls themselves.
    """
    lines = ["from chrono import tp", "", "", "class Ledger:"]
    for number in range(methods):
        lines += [f"    def filler_{number}(self, x):", f"        return x + {number}", ""]
    lines += [
        "    def back_to_back(self):",
        "        amount = 1",
        "        tp(amount)",
        "        tp(amount + 1)",
        "",
        "    def once(self):",
        '        tp("once")',
        "",
    ]
    return "\n".join(lines)


def environment(**overrides: str | None) -> dict[str, str]:
    """os.environ without the variables that change chrono's output, plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if key not in _QUIET_ENVIRONMENT}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(
    *arguments: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ``arguments``; never raises for a non-zero exit."""
    return subprocess.run(
        [sys.executable, *arguments],
        env=dict(env) if env is not None else environment(),
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def run_script(
    directory: Path,
    source: str,
    *,
    env: Mapping[str, str] | None = None,
    name: str = "script",
) -> subprocess.CompletedProcess[str]:
    """Write ``source`` (dedented) as a script in ``directory`` and run it there."""
    path = write_module(directory, name, source)
    return run_python(str(path), env=env, cwd=directory)


def items(story: chrono.Story) -> list[tuple[tuple[str, str], ...]]:
    """Each event's items, in order: what a test usually asserts on."""
    return [event.items for event in story.events]


def forget_call_sites() -> None:
    """Resolve every call site again (after a test rewrote a source file)."""
    _callsite.clear_cache()


def run_command(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    """Run the ``chrono`` command in this process: its exit code, stdout and stderr."""
    code = cli.main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
