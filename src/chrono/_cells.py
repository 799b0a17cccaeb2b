"""IPython's cells as their user knows them: ``In[6]``, not the file IPython compiled them from.

IPython compiles each cell under a file name of its own and keeps, on its compiler, which
execution count each name had: plain IPython names a cell ``<ipython-input-6-2d7e187e10ac>``,
ipykernel a temporary file named after a hash of the cell's text
(``/tmp/ipykernel_18656/3821971755.py``). IPython's tracebacks write such a place as
``Cell In[6], line 4`` (the compiler's ``format_code_name``, which reads its private
``_filename_map``, as chrono does here: it is there from IPython 8 on, and the names of plain
IPython carry the number themselves); every view of chrono writes it the same way
(``_sites``).

The numbers are read when a site is shown, as IPython's own tracebacks read them: a cell whose
text is run again under a new number is shown under its newest one. Nothing here imports
IPython: a program that has not imported it has no cells.
"""

from __future__ import annotations

import os
import re
import sys
from types import CodeType
from typing import Any

from chrono._errors import swallowed

__all__ = ["CELL_PREFIX", "cell_file", "cell_name", "host_task", "in_kernel"]

#: How a cell starts where a file's path would be: ``Cell In[6]``, as IPython's tracebacks say.
CELL_PREFIX = "Cell In["

# Plain IPython (its terminal, InteractiveShell): the execution count is in the name itself.
_IPYTHON_INPUT = re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>")
# What a logpoint may name a cell by: In[6], or Cell In[6].
_CELL_SPEC = re.compile(r"(?:Cell )?In\[(\d+)\]")


def cell_name(path: str) -> str | None:
    """``Cell In[6]`` for a file IPython compiled cell 6 into, else None."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    match = _IPYTHON_INPUT.fullmatch(path)
    if match is not None:
        return f"{CELL_PREFIX}{match[1]}]"
    compiler = _compiler(ipython)
    if compiler is None:
        return None
    number = compiler._filename_map.get(path)
    return None if number is None else f"{CELL_PREFIX}{number}]"


def cell_file(spec: str) -> str | None:
    """The file IPython compiled the cell ``spec`` names (``In[6]`` or ``Cell In[6]``) into:
    the last one compiled under that number where there are several (a ``%%chrono`` cell's
    code is compiled under its cell's number after the cell itself); None where ``spec`` names
    no cell of this session."""
    match = _CELL_SPEC.fullmatch(spec.strip())
    ipython = sys.modules.get("IPython")
    if match is None or ipython is None:
        return None
    compiler = _compiler(ipython)
    if compiler is None:
        return None
    number = int(match[1])
    files = [file for file, count in compiler._filename_map.items() if count == number]
    return files[-1] if files else None


def in_kernel() -> bool:
    """Whether this process is a Jupyter kernel running cells (ipykernel's shell)."""
    if "ipykernel" not in sys.modules:
        return False
    return getattr(_shell(sys.modules.get("IPython")), "kernel", None) is not None


#: Where IPython and ipykernel are installed, as a code object's file name holds them.
_HOST_FOLDERS = tuple(f"{os.sep}{name}{os.sep}" for name in ("IPython", "ipykernel"))
#: Whether each coroutine's code is IPython's or ipykernel's, by the code object.
_host_codes: dict[CodeType, bool] = {}


def host_task(task: Any) -> bool:
    """Whether the asyncio ``task`` is IPython's or ipykernel's own (the one that runs a cell),
    not one the program started: such a task is shown as a script's main code is, unnamed.
    ipykernel runs every cell in a new task, whose name would change from cell to cell."""
    get_coro = getattr(task, "get_coro", None)  # a task factory's own class may lack it
    code = getattr(get_coro(), "cr_code", None) if get_coro is not None else None
    if code is None:
        return False
    host = _host_codes.get(code)
    if host is None:
        if len(_host_codes) > 1_000:
            _host_codes.clear()
        host = _host_codes[code] = any(folder in code.co_filename for folder in _HOST_FOLDERS)
    return host


class _Compiler:
    """What chrono reads of IPython's ``CachingCompiler``: the execution count of each file it
    compiled a cell into (``IPython.core.compilerop``, IPython 8 and later)."""

    _filename_map: dict[str, int]


def _compiler(ipython: object) -> _Compiler | None:
    """The running shell's compiler, if a shell runs and its compiler keeps cell numbers."""
    compiler = getattr(_shell(ipython), "compile", None)
    if not isinstance(getattr(compiler, "_filename_map", None), dict):
        return None
    return compiler


def _shell(ipython: object) -> object:
    """The running IPython shell, or None."""
    try:
        get_ipython = getattr(ipython, "get_ipython", None)
        return get_ipython() if get_ipython is not None else None
    except Exception as error:
        if not swallowed(error):
            raise
        return None
