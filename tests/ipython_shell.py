"""A real IPython shell in the test process, put away again after the tests that used it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("IPython", reason="the IPython tests need IPython: pip install ipython")

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


@pytest.fixture(name="shell")
def shell_fixture() -> Iterator[Any]:
    """IPython's own ``InteractiveShell``, as a terminal IPython or a kernel runs cells, with
    what it changes of the process (hooks, ``__main__``) put back after the test."""
    saved = (sys.displayhook, sys.excepthook, sys.modules.get("__main__"))
    InteractiveShell.clear_instance()
    # History in memory, as IPython's own tests keep it: nothing written to the home folder.
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    instance = InteractiveShell.instance(config=config)
    try:
        yield instance
    finally:
        extension = sys.modules.get("chrono.ipython")
        if extension is not None:
            extension.unload_ipython_extension(instance)
        InteractiveShell.clear_instance()
        sys.displayhook, sys.excepthook = saved[0], saved[1]
        if saved[2] is not None:
            sys.modules["__main__"] = saved[2]


def run(shell: Any, source: str) -> Any:
    """Run ``source`` as the next cell (it takes the next execution count, as a typed cell
    does); its error, if any, is raised here."""
    result = shell.run_cell(source, store_history=True)
    result.raise_error()
    return result
