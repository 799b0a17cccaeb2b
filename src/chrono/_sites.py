"""How a call site is written for a reader: ``file:line in function``, as short as its column
needs and never shorter than the reader needs.

Plain text only (no rich): the terminal story (``render``) and the HTML page (``export``) both
write call sites through here, so they shorten them by the same rule. The file name and the line
always stay whole, since they say where to look. Past its column's width a site gives up, in
order: the directories that the story's other files do not need told apart, then the middle of
the function's qualified name, never its own name at the right.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence

from chrono._cells import CELL_PREFIX, cell_name

__all__ = [
    "distinct_tails",
    "reader_path",
    "set_default_root",
    "short_qualname",
    "site_column",
    "site_text",
]

_ELLIPSIS = "…"

#: The reader's path of each file, by (root, file).
_reader_paths: dict[tuple[str, str], str] = {}
#: The folder files are shown relative to when no root is given: pytest's rootdir while a
#: pytest session runs (its test ids are relative to it), else None, the working directory.
_default_root: str | None = None


def set_default_root(root: str | None) -> str | None:
    """Show files relative to ``root`` (None: the working directory) wherever no root is
    given, so that every part of the output writes a file the same way whatever folder the
    program was started from. Returns the root it replaces, to put back."""
    global _default_root
    replaced, _default_root = _default_root, root
    return replaced


def site_text(path: str, line: int, function: str) -> str:
    """A call site as every view writes it: ``path:line in function``; in an IPython cell
    (``path`` being ``Cell In[6]``, as ``reader_path`` writes it) as IPython's tracebacks
    write it, ``Cell In[6], line 4``, and ``in function`` unless it is the cell's own code."""
    if path.startswith(CELL_PREFIX):
        return f"{path}, line {line}" + ("" if function == "<module>" else f" in {function}")
    return f"{path}:{line} in {function}"


def reader_path(path: str, root: str | None = None) -> str:
    """A file as its reader knows it: relative to ``root`` (default: the default root, else the
    working directory), else to the import path it was found on (``requests/api.py`` rather
    than a site-packages path). Names that are not files (``<string>``) stay as they are. A
    file IPython compiled a cell into is the cell, ``Cell In[6]``: looked up each time, since
    a cell run again takes a new number."""
    if "IPython" in sys.modules:
        cell = cell_name(path)
        if cell is not None:
            return cell
    if root is None:
        root = os.getcwd() if _default_root is None else _default_root
    key = (root, path)
    shown = _reader_paths.get(key)
    if shown is None:
        shown = _reader_paths[key] = _relative(path, root)
    return shown


def _relative(path: str, root: str) -> str:
    if path.startswith("<"):
        return path
    # sys.path is None once the interpreter is shutting down (a __del__ that calls tp).
    import_paths = (entry for entry in sys.path or () if entry and os.path.isabs(entry))
    # The longest import path first: a virtualenv's site-packages lies under its prefix.
    for base in (root, *sorted(import_paths, key=len, reverse=True)):
        if not base:
            continue
        prefix = base.rstrip(os.sep) + os.sep
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def distinct_tails(paths: Iterable[str]) -> dict[str, str]:
    """Each path shortened to its file name and as few of its directories as tell it apart
    from the others: ``orders/models.py`` and ``billing/models.py``, a lone ``invoices.py``.

    A path that is the tail of another (``models.py`` beside ``shop/models.py``) stays whole.
    """
    parts = {path: _components(path) for path in set(paths)}
    tails_of_length: dict[int, Counter[tuple[str, ...]]] = {}
    shown: dict[str, str] = {}
    for path, components in parts.items():
        for length in range(1, len(components) + 1):
            counts = tails_of_length.get(length)
            if counts is None:
                counts = tails_of_length[length] = Counter(
                    other[-length:] for other in parts.values() if len(other) >= length
                )
            if counts[components[-length:]] == 1:
                break
        else:
            shown[path] = path
            continue
        # Cut from the written path, so its separators stay as they were.
        kept = sum(len(component) for component in components[-length:]) + length - 1
        shown[path] = path[len(path) - kept :]
    return shown


def _components(path: str) -> tuple[str, ...]:
    if os.altsep:
        path = path.replace(os.altsep, os.sep)
    return tuple(path.split(os.sep))


def short_qualname(qualname: str, width: int) -> str:
    """``qualname`` in ``width`` characters, shortened from the middle: the start (its class or
    outer function) as far as it fits, then ``…``, then its last part (the function's own
    name), which stays whole even where it alone is wider."""
    outer, dot, own = qualname.rpartition(".")
    if len(qualname) <= width or not dot:
        # A plain function's name is all its own: nothing to leave out.
        return qualname
    end = f".{own}"
    start_width = width - len(end) - len(_ELLIPSIS)
    start = outer[:start_width] if start_width > 0 else ""
    return f"{start}{_ELLIPSIS}{end}"


def site_column(sites: Sequence[tuple[str, int, str]], width: int) -> list[str]:
    """The text of each ``(file, line, function)`` in a column of ``width`` characters.

    The whole sites where every one fits. Else every file is shown by its distinct tail among
    the column's files (one file shows the same way on every row), and a site still too wide
    shortens its function's qualified name from the middle. The file and the line stay whole,
    so a column can end up wider than ``width``.
    """
    # A long story has few distinct sites: each is written once.
    distinct = dict.fromkeys(sites)
    paths = {file: reader_path(file) for file, _, _ in distinct}
    shown = {site: site_text(paths[site[0]], site[1], site[2]) for site in distinct}
    if any(len(text) > width for text in shown.values()):
        tails = distinct_tails(paths.values())
        for file, line, function in distinct:
            if paths[file].startswith(CELL_PREFIX):
                if function == "<module>":
                    continue  # already as short as a cell's site is
                place = f"{paths[file]}, line {line} in "
            else:
                place = f"{tails[paths[file]]}:{line} in "
            shown[file, line, function] = place + short_qualname(function, width - len(place))
    return [shown[site] for site in sites]
