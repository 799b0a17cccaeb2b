"""The options of the plugin's parts, and what a run asked of them, resolved at start-up.

pytest imports the plugin in every run of every project that has chrono installed, and asks
for its options before anything runs. They are declared here, with the few settings every run
resolves (which comparisons, which suspects, which exports), so that a run which gives none of
them imports none of the modules that act on them: comparison, suspects, exports, logpoints
and ``--chrono-why`` load when their option is given, or at a run's first failure or first
event. Nothing here imports more than pytest; no dataclass either (making one costs about half
a millisecond at import).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from chrono._values import counted

COMPARE_CHOICES = ("auto", "siblings", "last-pass", "off")
FORMULA_CHOICES = ("ochiai", "dstar", "off")
#: A failing test's chrono output, at most, in lines, unless ``--chrono-full``.
BUDGET_LINES = 40
#: Which extra brings coverage.py, for ``--chrono-why``.
WHY_EXTRA = "chrono-tp[why]"

#: (option, ini key, what it names, help): each export option has its ini twin.
_EXPORT_OPTIONS = (
    (
        "--chrono-json",
        "chrono_json",
        "DIR",
        "write each failing test's story to DIR as JSON (schema chrono.story/2)",
    ),
    (
        "--chrono-trace",
        "chrono_trace",
        "DIR",
        "write each failing test's story to DIR as a Chrome trace (Perfetto, chrome://tracing)",
    ),
    (
        "--chrono-html",
        "chrono_html",
        "FILE",
        "write the failing tests' stories to FILE as one self-contained HTML page",
    ),
)
_PASSING_HELP = "also export passing tests' stories (so does --chrono-show=all)"


def add_compare_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    """Register ``--chrono-compare`` and its ini twin."""
    group.addoption(
        "--chrono-compare",
        choices=COMPARE_CHOICES,
        default=None,
        help="show where a failing test's story diverged from a passing one: auto (all that "
        "apply, the default), siblings (a passing test of this run), last-pass (the test's "
        "last passing run), off",
    )
    parser.addini(
        "chrono_compare",
        "compare a failing test's story with a passing one: auto, siblings, last-pass or off",
        default="auto",
    )


def add_suspect_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    """Register ``--chrono-suspects`` and ``--chrono-full``, and their ini twins."""
    group.addoption(
        "--chrono-suspects",
        choices=FORMULA_CHOICES,
        default=None,
        help="rank what the failing tests' stories recorded against the passing ones', and "
        "show the suspects first: ochiai (the default), dstar, or off",
    )
    parser.addini(
        "chrono_suspects",
        "the formula suspects are ranked by: ochiai, dstar or off",
        default="ochiai",
    )
    group.addoption(
        "--chrono-full",
        action="store_true",
        default=None,
        help=f"show failing tests' stories whole, not cut to {counted(BUDGET_LINES, 'line')} "
        "around the suspects",
    )
    parser.addini("chrono_full", "show failing tests' stories whole", type="bool", default=False)


def add_export_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    """Register the export options and their ini twins."""
    for option, ini_key, metavar, help_text in _EXPORT_OPTIONS:
        group.addoption(option, dest=ini_key, metavar=metavar, default=None, help=help_text)
        parser.addini(ini_key, f"{help_text} (relative to the ini file)", default="")
    group.addoption(
        "--chrono-export-passing",
        dest="chrono_export_passing",
        action="store_true",
        default=None,
        help=_PASSING_HELP,
    )
    parser.addini("chrono_export_passing", _PASSING_HELP, type="bool", default=False)


def add_logpoint_options(parser: pytest.Parser, group: Any) -> None:
    """Register ``--chrono-at`` and its ini twin."""
    group.addoption(
        "--chrono-at",
        action="append",
        default=None,
        metavar="FILE:LINE[:EXPR,…]",
        help="a logpoint: record EXPR, … (or just that the line ran) as if tp(EXPR, …) were "
        "written at the start of FILE:LINE, without editing it; repeatable",
    )
    parser.addini(
        "chrono_at",
        "logpoints, one FILE:LINE[:EXPR,…] per line, as if tp(EXPR, …) were written there",
        type="linelist",
        default=[],
    )


def add_why_options(parser: pytest.Parser, group: Any) -> None:
    """Register ``--chrono-why`` (and its ini twin) and the hidden ``--chrono-why-values``."""
    import argparse

    group.addoption(
        "--chrono-why",
        action="store_true",
        default=None,
        help="rank the project's lines by how they separate failing from passing tests "
        "(coverage.py), and show the values at the top ones, failing beside passing",
    )
    # The pytest that runs failing tests again under xdist writes what it recorded there.
    group.addoption("--chrono-why-values", default=None, help=argparse.SUPPRESS)
    parser.addini(
        "chrono_why",
        "rank suspect lines with coverage.py and show the values there",
        type="bool",
        default=False,
    )


class CompareOptions(NamedTuple):
    """Which comparisons a run makes, resolved once."""

    siblings: bool
    last_pass: bool
    reruns: bool
    #: Whether reports also carry each divergence as data (the exports want it).
    as_data: bool = False

    @classmethod
    def from_config(cls, config: pytest.Config, *, as_data: bool = False) -> CompareOptions:
        mode = config.getoption("chrono_compare") or str(config.getini("chrono_compare")).strip()
        if mode not in COMPARE_CHOICES:
            raise pytest.UsageError(
                f"chrono_compare = {mode!r} is not understood; "
                f"use one of {', '.join(COMPARE_CHOICES)}"
            )
        # -p no:cacheprovider: there is no cache to keep a last pass in.
        has_cache = getattr(config, "cache", None) is not None
        return cls(
            siblings=mode in ("auto", "siblings"),
            last_pass=mode in ("auto", "last-pass") and has_cache,
            reruns=mode == "auto",
            as_data=as_data,
        )

    @property
    def enabled(self) -> bool:
        return self.siblings or self.last_pass or self.reruns


class SuspectOptions(NamedTuple):
    """How suspects are ranked and shown, resolved once."""

    #: The formula's name; None: no suspects.
    formula: str | None
    #: Whether stories are shown whole, past the budget.
    full: bool

    @classmethod
    def from_config(cls, config: pytest.Config) -> SuspectOptions:
        formula = config.getoption("chrono_suspects") or str(config.getini("chrono_suspects"))
        formula = formula.strip()
        if formula not in FORMULA_CHOICES:
            raise pytest.UsageError(
                f"chrono_suspects = {formula!r} is not understood; "
                f"use one of {', '.join(FORMULA_CHOICES)}"
            )
        full = config.getoption("chrono_full")
        if full is None:
            try:
                full = bool(config.getini("chrono_full"))
            except (ValueError, pytest.UsageError) as error:
                raise pytest.UsageError(f"chrono_full: {error}; use true or false") from None
        return cls(None if formula == "off" else formula, full)


class ExportOptions:
    """Where each export goes (None: not asked for), checked before any test runs, and whether
    passing tests' stories go there too (``--chrono-export-passing``, or
    ``--chrono-show=all``, as the plugin resolved it)."""

    def __init__(self, config: pytest.Config, *, passing: bool = False) -> None:
        self.json_directory = _path(config, "chrono_json", directory=True)
        self.trace_directory = _path(config, "chrono_trace", directory=True)
        self.html_file = _path(config, "chrono_html", directory=False)
        self.enabled = any(
            path is not None for path in (self.json_directory, self.trace_directory, self.html_file)
        )
        #: Whether a passing test's story is written too: the passing side of a comparison.
        self.passing = self.enabled and passing


def _path(config: pytest.Config, ini_key: str, *, directory: bool) -> Path | None:
    given: str | None = config.getoption(ini_key)
    if given is not None:
        setting, base = f"--{ini_key.replace('_', '-')}", config.invocation_params.dir
    else:
        given = str(config.getini(ini_key)).strip()
        if not given:
            return None
        setting = ini_key
        base = config.inipath.parent if config.inipath is not None else config.rootpath
    wanted = "a directory" if directory else "a file"
    if not given.strip():
        raise pytest.UsageError(f"{setting}: expected {wanted}, got an empty value")
    path = base / os.path.expanduser(given)
    if directory and path.exists() and not path.is_dir():
        raise pytest.UsageError(f"{setting}={given}: {path} is a file; expected {wanted}")
    if not directory and (path.is_dir() or given.endswith(("/", os.sep))):
        raise pytest.UsageError(f"{setting}={given}: {path} is a directory; expected {wanted}")
    existing = path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise pytest.UsageError(f"{setting}={given}: {existing} is a file, not a directory")
    return path


def logpoints_given(config: pytest.Config) -> bool:
    """Whether the run sets a logpoint (``--chrono-at`` or ``chrono_at``)."""
    return bool(config.getoption("chrono_at") or config.getini("chrono_at"))


def why_wanted(config: pytest.Config) -> bool:
    """Whether the run asks for ``--chrono-why`` (command line, then ini)."""
    given = config.getoption("chrono_why")
    if given is not None:
        return bool(given)
    try:
        return bool(config.getini("chrono_why"))
    except (ValueError, pytest.UsageError):
        raise pytest.UsageError("chrono_why: use true or false") from None
