"""The ``chrono`` command: ``demo``, ``check``, ``strip``, ``compare``, ``show`` and ``run``.

The commands' own work (reading files, printing, writing files back) is here; finding
leftover calls is ``chrono._leftovers``'s, removing them ``chrono._strip``'s, comparing two
stories ``chrono._compare``'s, logpoints ``chrono._logpoints``'.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from chrono import __version__
from chrono._leftovers import (
    Leftover,
    SkippedFile,
    SourceFile,
    UsageError,
    collect_python_files,
    find_leftovers,
    installed_builtins,
    load_source,
    prefilter,
)
from chrono._values import counted

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose help lets a closed output pipe be seen: argparse's own
    printing passes over a failed write, and ``--help | head -0`` would exit 0."""

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        (sys.stdout if file is None else file).write(self.format_help())


class _PrintVersion(argparse.Action):
    """``--version``, written as ``--help`` is, for the same reason."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        sys.stdout.write(f"chrono {__version__}\n")
        parser.exit()


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chrono", description="Timeline-style print debugging.")
    parser.add_argument(
        "--version", action=_PrintVersion, nargs=0, help="show the version and exit"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="run a bundled failing test and show its story",
        description="Run a bundled failing test through pytest and show its chrono story.",
    )
    demo.add_argument(
        "pytest_args",
        nargs="*",
        metavar="PYTEST_ARGUMENT",
        help="passed on to pytest, e.g. --chrono-html=story.html or --color=no",
    )

    check = commands.add_parser(
        "check",
        help="list leftover tp() calls (exit 1 if any)",
        description="List every leftover tp() call and chrono.install() as path:line:col: text.",
    )
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        dest="output_format",
        help="text (default) or github (workflow annotations)",
    )

    strip = commands.add_parser(
        "strip",
        help="remove leftover tp() calls, keeping the code's meaning",
        description="Remove tp() calls: y = tp(x) becomes y = x; tp(f()) keeps f().",
    )
    strip.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    strip.add_argument(
        "--diff", action="store_true", help="print a unified diff and change nothing"
    )

    compare = commands.add_parser(
        "compare",
        help="show where two exported stories diverged (exit 1 if they do)",
        description=(
            "Show where two stories diverged: what they share from the start, the first pair "
            "of events that differs, and the call sites that ran on one side only. Each file "
            "is a story's JSON (--chrono-json, Story.to_json(); with --chrono-export-passing, "
            "pytest writes passing tests' stories too). Exit 0 when they ran alike, 1 when "
            "they diverged, 2 for a file that holds no story."
        ),
    )
    compare.add_argument("first", metavar="A.json")
    compare.add_argument("second", metavar="B.json")
    compare.add_argument(
        "--width", type=int, default=None, help="lay out for this many columns (default: terminal)"
    )

    show = commands.add_parser(
        "show",
        help="print the story a dead process left in its flight recorder's file",
        description=(
            "Print the story kept in a flight recorder's file (chrono.configure(flight=FILE)): "
            "the newest events of the story that was running when the process died. Exit 2 "
            "for a file that is not one, or not the user's own."
        ),
    )
    show.add_argument("file", metavar="FILE")
    show.add_argument(
        "--width", type=int, default=None, help="lay out for this many columns (default: terminal)"
    )

    run = commands.add_parser(
        "run",
        help="run a Python program with logpoints",
        description=(
            "Run a Python script (or -m MODULE) as python would, with logpoints: each --at "
            "records EXPR, … (or just that the line ran) as if tp(EXPR, …) were written at the "
            "start of FILE:LINE, without editing the file. Outside a story, events are printed "
            "to stderr as they happen. Exit 2 for a logpoint that cannot be set."
        ),
    )
    run.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="FILE:LINE[:EXPR,…]",
        help="a logpoint; repeatable",
    )
    run.add_argument("-m", dest="module", metavar="MODULE", help="run a module, as python -m")
    run.add_argument(
        "program",
        nargs=argparse.REMAINDER,
        metavar="SCRIPT | ARGS",
        help="the script and its arguments (with -m, the module's arguments)",
    )
    return parser


#: The exit status when the reader of the output went away (``chrono demo | head -2``): what a
#: shell reports for a tool that the pipe's signal ended, 128 + SIGPIPE (13), as ``cat`` or
#: ``yes`` would give, so that ``set -o pipefail`` tells it from success.
READER_GONE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``chrono`` command line; returns the process exit code.

    When the output's reader goes away (a pipe into ``head`` closed early), the command stops
    quietly with ``READER_GONE``: no traceback, nothing on stderr.
    """
    try:
        try:
            return _run_command(argv)
        finally:
            # What is still buffered goes now, so that a closed pipe is noticed here and not
            # as an error printed while the interpreter shuts down. A ``SystemExit`` (from
            # ``--help``, ``--version``, a usage error, the program ``chrono run`` ran) goes
            # on unless this flush finds the reader gone.
            sys.stdout.flush()
    except BrokenPipeError:
        _discard_output()
        return READER_GONE


def _discard_output() -> None:
    """Point standard output at the null device: the interpreter flushes it once more as it
    exits, and that must not find the closed pipe again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        # A stream with no file descriptor of its own (replaced by a test, an embedding
        # program) has no pipe to leave behind.
        pass


def _run_command(argv: Sequence[str] | None) -> int:
    parser = _build_parser()
    # The demo passes options it does not know (pytest's and the plugin's) on to pytest.
    arguments, unknown = parser.parse_known_args(argv)
    if arguments.command == "demo":
        from chrono._demo.run import run_demo

        pytest_arguments = [each for each in [*arguments.pytest_args, *unknown] if each != "--"]
        return run_demo(pytest_arguments)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if arguments.command == "check":
        return run_check(arguments.paths, output_format=arguments.output_format, out=sys.stdout)
    if arguments.command == "compare":
        return run_compare(arguments.first, arguments.second, width=arguments.width)
    if arguments.command == "run":
        return run_program(arguments.at, arguments.module, arguments.program)
    if arguments.command == "show":
        return run_show(arguments.file, width=arguments.width)
    return run_strip(arguments.paths, diff=arguments.diff, out=sys.stdout)


def _escape_github(text: str, *, is_property: bool = False) -> str:
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        escaped = escaped.replace(":", "%3A").replace(",", "%2C")
    return escaped


def _format_leftover(path: str, leftover: Leftover, output_format: str) -> str:
    if output_format == "github":
        location = ",".join(
            (
                f"file={_escape_github(path, is_property=True)}",
                f"line={leftover.line}",
                f"col={leftover.column}",
            )
        )
        message = f"leftover {leftover.kind.value} call: {_for_terminal(leftover.text)}"
        return f"::warning {location}::{_escape_github(message)}"
    return _for_terminal(f"{path}:{leftover.line}:{leftover.column}: {leftover.text}")


def _for_terminal(text: str) -> str:
    """Source text as a terminal may show it: a string in the code can hold escape sequences
    or the bidi overrides of a Trojan Source attack."""
    if text.isprintable():
        return text
    # Imported only here: chrono check otherwise needs nothing of the recorder's side.
    from chrono._text import for_terminal

    return for_terminal(text)


def _files_with_leftovers(
    files: Sequence[str], err: TextIO
) -> Iterator[tuple[SourceFile, list[Leftover]]]:
    """Each file that holds leftover calls, with them; unreadable files reported and skipped."""
    builtin_names = installed_builtins(files)
    may_hold_calls = prefilter(builtin_names)
    for path in files:
        try:
            source_file = load_source(path, may_hold_calls)
        except SkippedFile as reason:
            err.write(f"{path}: {reason}\n")
            continue
        if source_file is not None:
            leftovers = find_leftovers(source_file, builtin_names)
            if leftovers:
                yield source_file, leftovers


def run_check(
    paths: Sequence[str],
    *,
    output_format: str = "text",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``chrono check``: print every leftover call; 1 if any, 0 if none, 2 on a usage error."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if output_format not in ("text", "github"):
        raise ValueError(f"unknown output format {output_format!r}")
    try:
        files = collect_python_files(paths)
    except UsageError as error:
        err.write(f"chrono check: error: {error}\n")
        return 2
    found = 0
    for source_file, leftovers in _files_with_leftovers(files, err):
        for leftover in leftovers:
            out.write(_format_leftover(source_file.path, leftover, output_format))
            out.write("\n")
            found += 1
    return 1 if found else 0


def run_strip(
    paths: Sequence[str],
    *,
    diff: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``chrono strip``: remove leftover calls in place, or print the diff; 2 on a usage error."""
    # Imported here: checking never needs the stripper.
    from chrono._files import NotWritten, write_whole
    from chrono._strip import StripRefused, strip_source, unified_diff

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        files = collect_python_files(paths)
    except UsageError as error:
        err.write(f"chrono strip: error: {error}\n")
        return 2
    not_written = 0
    for source_file, leftovers in _files_with_leftovers(files, err):
        path = source_file.path
        try:
            result = strip_source(source_file, leftovers)
        except StripRefused as reason:
            err.write(f"{path}: left unchanged: {reason}\n")
            continue
        for leftover, note in result.notes:
            err.write(f"{path}:{leftover.line}:{leftover.column}: {note}\n")
        if result.stripped == 0:
            continue
        if diff:
            # Line by line: one write larger than a pipe holds can end short without an
            # error when the reader goes away, and the command would not know it stopped.
            out.writelines(
                unified_diff(source_file.source.text, result.text, path).splitlines(True)
            )
            continue
        try:
            write_whole(path, result.text.encode(source_file.encoding))
        except NotWritten as error:
            # The file is as it was; the others are still stripped.
            err.write(f"chrono strip: error: {error}; left unchanged\n")
            not_written += 1
            continue
        out.write(f"{path}: stripped {counted(result.stripped, 'call')}\n")
    return 1 if not_written else 0


class _NoStory(Exception):
    """A file given to ``chrono compare`` that holds no story it can compare."""


def _read_story(path: str) -> Any:
    """The one story a JSON file holds (``--chrono-json``, ``Story.to_json()``)."""
    from chrono._compare import load

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise _NoStory(f"cannot read {path}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise _NoStory(f"{path} is not JSON: {error}") from None
    if isinstance(data, list):
        # A list of stories: one is a story; of several, which to compare is not ours to guess.
        if len(data) != 1:
            raise _NoStory(
                f"{path} holds {counted(len(data), 'story', 'stories')} in a list; "
                "compare takes one story per file"
            )
        data = data[0]
    if isinstance(data, dict) and "traceEvents" in data:
        raise _NoStory(
            f"{path} is a Chrome trace (--chrono-trace), not a story: "
            "compare the JSON files of --chrono-json"
        )
    try:
        load(data, path, caller="")
    except ValueError as error:
        raise _NoStory(str(error)) from None
    return data


def run_compare(
    first: str,
    second: str,
    *,
    width: int | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``chrono compare``: print where two stories diverged; 0 if they ran alike, 1 if they
    diverged, 2 when a file holds no story."""
    from chrono._compare import compare, short_names

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        stories = [_read_story(first), _read_story(second)]
    except _NoStory as error:
        err.write(f"chrono compare: error: {error}\n")
        return 2
    story_names = [story.get("name") if isinstance(story, dict) else None for story in stories]
    # Two tests are named as the plugin names them: as much of their ids as tells them apart.
    # Two runs of the same test share a name: then the files tell them apart, by their folders
    # when they have one name (one test's file, from two runs' --chrono-json folders).
    if all(story_names) and story_names[0] != story_names[1]:
        names = (str(story_names[0]), str(story_names[1]))
        if all(isinstance(story, dict) and story.get("test") for story in stories):
            names = short_names(*names)
    elif os.path.basename(first) == os.path.basename(second) and first != second:
        names = (os.path.dirname(first) or ".", os.path.dirname(second) or ".")
    else:
        names = (first, second)
    divergence = compare(stories[0], stories[1], names=names)
    for name, story in zip(names, stories):
        out.write(_suspects_told(name, story))
    out.write(divergence.text(width=width) + "\n")
    return 0 if divergence.same else 1


def _suspects_told(name: str, story: Any) -> str:
    """The suspects a failing story's run ranked (a ``--chrono-json`` file carries them), to
    read before where it diverged; nothing for a story without."""
    data = story.get("suspects") if isinstance(story, dict) else None
    if not data:
        return ""
    from chrono._suspects import suspects_from_dicts
    from chrono.render import suspects_text

    try:
        suspects = suspects_from_dicts(data)
    except (KeyError, TypeError, ValueError) as error:
        return f"{name}: its suspects cannot be read ({type(error).__name__}: {error})\n\n"
    return f"{name}, as its run ranked the suspects:\n{suspects_text(suspects)}\n\n"


def run_show(
    path: str, *, width: int | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """``chrono show``: print the story a flight recorder's file kept; 2 when it holds none
    that can be read."""
    import time
    from pathlib import Path

    from chrono._flight import INTERVAL_SECONDS, FlightUnavailable
    from chrono._flight_reader import read_flight

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        flight = read_flight(Path(path))
    except FlightUnavailable as error:
        err.write(f"chrono show: error: {error}\n")
        return 2
    written = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(flight.written_at))
    process = f"process {flight.pid}" if flight.pid is not None else "the process"
    if flight.story is None:
        out.write(f"{path}: {process} recorded no story (last written {written})\n")
        return 0
    name = flight.test or flight.story.name or "a story"
    if flight.ended:
        out.write(f"{path}: {process} was between stories, after {name} (last written {written})\n")
        return 0
    out.write(
        f"{path}: {process} was inside {name} (last written {written}); the events of its "
        f"last {INTERVAL_SECONDS * 1000:.0f} ms may be missing:\n"
    )
    out.write(flight.story.text(width=width) + "\n")
    return 0


def run_program(
    specs: Sequence[str], module: str | None, program: Sequence[str], err: TextIO | None = None
) -> int:
    """``chrono run``: run ``program`` (a script and its arguments, or with ``module`` the
    module's arguments) in this process as python would, with the logpoints of ``specs``.
    Returns 2 for a logpoint that cannot be set or no program; the program's own exit is its
    ``SystemExit``, which goes through."""
    import runpy

    from chrono import _logpoints

    err = sys.stderr if err is None else err
    if module is None and not program:
        err.write("chrono run: error: give a SCRIPT to run, or -m MODULE\n")
        return 2
    try:
        logpoints = _logpoints.parse_specs(specs)
    except _logpoints.LogpointError as error:
        err.write(f"chrono run: error: {error}\n")
        return 2
    # The program's own subprocesses (Django's autoreloader runs the server in one) get them
    # through the startup hook.
    _logpoints.add_to_environment(logpoints, os.environ)
    _logpoints.add(logpoints)
    if module is not None:
        sys.argv = [module, *program]
        sys.path[0] = os.getcwd()
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        script = os.path.abspath(program[0])
        sys.argv = [program[0], *program[1:]]
        sys.path[0] = os.path.dirname(script)
        runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
